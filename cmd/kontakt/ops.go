package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/client"

	"github.com/kontakt/kontakt/config"
	"github.com/kontakt/kontakt/health"
	"github.com/kontakt/kontakt/httpmw"
	"github.com/kontakt/kontakt/metrics"
	"github.com/kontakt/kontakt/migrations"
)

// instrument puts request ids, client addresses behind trusted proxies, the access log and
// the HTTP metrics in front of h.
func instrument(h http.Handler, cfg config.Config, log *slog.Logger, m *metrics.Metrics) http.Handler {
	return httpmw.Handler(h, httpmw.Options{Logger: log, TrustedProxies: cfg.TrustedProxies, Observe: m.ObserveHTTP})
}

// databaseChecks are the readiness checks every process makes: PostgreSQL answers, and its
// schema is not older than this binary (a newer one is fine: during a rolling upgrade the
// migration job runs before the new version starts, and migrations keep the previous
// version working).
func databaseChecks(pool *pgxpool.Pool) []health.Check {
	return []health.Check{
		{Name: "database", Run: pool.Ping},
		{Name: "migrations", Run: func(ctx context.Context) error {
			cur, err := migrations.Current(ctx, pool)
			if err != nil {
				return err
			}
			if latest := migrations.Latest(); cur < latest {
				return fmt.Errorf("%w: at version %d, this binary needs %d", migrations.ErrOutdated, cur, latest)
			}
			return nil
		}},
	}
}

// temporalCheck checks that the Temporal frontend answers. It is optional for serve, which
// keeps taking submissions into its outbox while Temporal is down, and required for the
// worker, which can do nothing without it.
func temporalCheck(c client.Client, optional bool) health.Check {
	return health.Check{Name: "temporal", Optional: optional, Run: func(ctx context.Context) error {
		_, err := c.CheckHealth(ctx, &client.CheckHealthRequest{})
		return err
	}}
}

// opsHandler serves the operations listener (KONTAKT_METRICS_ADDR): /metrics, /healthz and
// /readyz. It is meant for the cluster's network only: Prometheus scrapes it and probes ask
// it, and it is never routed from the internet.
func opsHandler(m *metrics.Metrics, hc *health.Checker) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", m.Handler())
	mux.Handle("/healthz", health.LiveHandler())
	mux.Handle("/readyz", hc.ReadyHandler())
	return mux
}

// server is one HTTP listener of a process.
type server struct {
	name    string // "http", "ops"
	ln      net.Listener
	handler http.Handler
}

// listen opens addr for a server named name.
func listen(name, addr string, h http.Handler) (server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return server{}, fmt.Errorf("%s: %w", name, err)
	}
	return server{name: name, ln: ln, handler: h}, nil
}

// drainPlan is how a process stops serving: hc (may be nil) fails /readyz from the moment ctx
// ends, the listeners stay open for delay so that load balancers notice and stop sending
// requests, then they close and in-flight requests get up to timeout to finish.
type drainPlan struct {
	hc      *health.Checker
	delay   time.Duration
	timeout time.Duration
}

func drainOf(cfg config.Config, hc *health.Checker) drainPlan {
	return drainPlan{hc: hc, delay: cfg.ShutdownDelay, timeout: cfg.ShutdownTimeout}
}

// runServers serves every server until ctx ends or one fails, then drains them all as plan
// says. ready, when set, runs once all listen.
func runServers(ctx context.Context, log *slog.Logger, servers []server, plan drainPlan, ready func()) error {
	errc := make(chan error, len(servers))
	https := make([]*http.Server, len(servers))
	for i, s := range servers {
		https[i] = &http.Server{
			Handler:           s.handler,
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       60 * time.Second,
			WriteTimeout:      120 * time.Second,
			IdleTimeout:       120 * time.Second,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		}
		go func() {
			if err := https[i].Serve(s.ln); !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("%s: %w", s.name, err)
			}
		}()
		log.Info("http listening", "listener", s.name, "addr", s.ln.Addr().String())
	}
	if ready != nil {
		ready()
	}
	var failed error
	select {
	case failed = <-errc:
	case <-ctx.Done():
		if plan.hc != nil {
			plan.hc.Drain()
		}
		if plan.delay > 0 {
			log.Info("draining: readiness fails before the listeners close", "delay", plan.delay)
			time.Sleep(plan.delay)
		}
	}
	log.Info("shutting down http", "timeout", plan.timeout)
	shutCtx, cancel := context.WithTimeout(context.Background(), plan.timeout)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, len(https))
	for i, srv := range https {
		wg.Go(func() {
			if err := srv.Shutdown(shutCtx); err != nil {
				errs[i] = fmt.Errorf("%s shutdown: %w", servers[i].name, err)
			}
		})
	}
	wg.Wait()
	return errors.Join(append([]error{failed}, errs...)...)
}
