package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/client"

	"github.com/kontakt/kontakt/api"
	"github.com/kontakt/kontakt/auth"
	"github.com/kontakt/kontakt/carddav"
	"github.com/kontakt/kontakt/config"
	"github.com/kontakt/kontakt/migrations"
	"github.com/kontakt/kontakt/store"
	"github.com/kontakt/kontakt/workflows"
)

// openPool connects to PostgreSQL with up to maxConns connections and checks that it answers.
func openPool(ctx context.Context, url string, maxConns int) (*pgxpool.Pool, error) {
	if url == "" {
		return nil, errors.New("KONTAKT_DATABASE_URL is not set (or use `kontakt dev` for a private database)")
	}
	pcfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}
	pcfg.MaxConns = int32(maxConns)
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("database unreachable: %w", err)
	}
	return pool, nil
}

func runMigrate(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	pool, err := openPool(ctx, cfg.DatabaseURL, cfg.DBMaxConns)
	if err != nil {
		return err
	}
	defer pool.Close()
	n, err := migrations.Up(ctx, pool)
	if err != nil {
		return err
	}
	log.Info("migrations applied", "ran", n, "version", migrations.Latest())
	return nil
}

func runServe(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	pool, err := openPool(ctx, cfg.DatabaseURL, cfg.DBMaxConns)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := checkSchema(ctx, pool); err != nil {
		return err
	}
	st := store.New(pool, cfg.DefaultRegion)
	var tc client.Client
	if cfg.TemporalAddress != "" {
		c, err := temporalClient(cfg, cfg.TemporalAddress, log)
		if err != nil {
			return err
		}
		defer c.Close()
		tc = c
		reconcileAtStart(ctx, reconciler(st, c), log)
	} else {
		log.Warn("KONTAKT_TEMPORAL_ADDRESS is not set: consent requests wait in the outbox until a worker reconciles them")
	}
	mux := http.NewServeMux()
	mountCardDAV(mux, st, log)
	mux.Handle("/", apiHandler(cfg, log, st, tc))
	return serveHTTP(ctx, cfg, log, mux, nil)
}

// mountCardDAV serves CardDAV at /dav/ and its discovery at /.well-known/carddav (RFC 6764).
func mountCardDAV(mux *http.ServeMux, st *store.Store, log *slog.Logger) {
	h := carddav.NewHandler(carddav.Deps{Store: st, Logger: log})
	mux.Handle("/dav/", h)
	mux.Handle("/.well-known/carddav", h)
}

// checkSchema refuses an outdated (or newer) database schema.
func checkSchema(ctx context.Context, pool *pgxpool.Pool) error {
	return migrations.Check(ctx, pool)
}

// apiHandler builds the API with the configuration's options; it starts workflows
// through c, or leaves them to a worker's outbox reconciler when c is nil.
func apiHandler(cfg config.Config, log *slog.Logger, st *store.Store, c client.Client) http.Handler {
	d := api.Deps{Store: st, Logger: log}
	if c != nil {
		d.Verifier, d.Forgetter, d.Subjects = workflows.Verifier{Client: c}, workflows.Forgetter{Client: c}, workflows.SubjectStarter{Client: c}
		d.Lifecycle = lifecycleTeller(st, c)
		d.ProjectCloser = workflows.ProjectCloser{Client: c}
	}
	d.Options = api.Options{
		SessionTTL:       cfg.SessionTTL,
		CookieSecure:     cfg.CookieSecure,
		MaxBodyBytes:     cfg.MaxBodyBytes,
		LoginMaxFailures: cfg.LoginMaxFailures,
		LoginWindow:      cfg.LoginWindow,
		PasswordParams:   auth.DefaultParams,
		ScanMaxBytes:     cfg.ScanMaxBytes,
		ScanHook:         strings.Fields(cfg.ScanHook),
		ScanHookTimeout:  cfg.ScanHookTimeout,
		ExportTTL:        cfg.ExportTTL,
		ImportMaxBytes:   cfg.ImportMaxBytes,
	}
	return api.NewHandler(d)
}

// serveHTTP serves handler until ctx ends, then finishes in-flight requests. ready, when
// set, runs once the listener is open.
func serveHTTP(ctx context.Context, cfg config.Config, log *slog.Logger, handler http.Handler, ready func()) error {
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("http: %w", err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("http listening", "addr", ln.Addr().String())
	if ready != nil {
		ready()
	}
	select {
	case err := <-errc:
		return fmt.Errorf("http: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down http")
	shutCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		return fmt.Errorf("http shutdown: %w", err)
	}
	return nil
}
