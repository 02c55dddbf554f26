package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	sdklog "go.temporal.io/sdk/log"

	"github.com/kontakt/kontakt/activities"
	"github.com/kontakt/kontakt/config"
	"github.com/kontakt/kontakt/health"
	"github.com/kontakt/kontakt/mail"
	"github.com/kontakt/kontakt/metrics"
	"github.com/kontakt/kontakt/store"
	"github.com/kontakt/kontakt/worker"
	"github.com/kontakt/kontakt/workflows"
)

// temporalClient makes a lazy client: it connects on first use, so `serve` starts (and
// takes submissions into the outbox) while Temporal is down.
func temporalClient(cfg config.Config, address string, log *slog.Logger) (client.Client, error) {
	return temporalClientWith(cfg, address, log, nil)
}

// temporalClientWith is temporalClient recording the SDK's metrics and the client's
// workflow starts and signals in m (nil: none).
func temporalClientWith(cfg config.Config, address string, log *slog.Logger, m *metrics.Metrics) (client.Client, error) {
	opts := client.Options{HostPort: address, Namespace: cfg.TemporalNamespace, Logger: sdklog.NewStructuredLogger(log)}
	if m != nil {
		opts.MetricsHandler = m.TemporalHandler()
		opts.Interceptors = []interceptor.ClientInterceptor{m.Interceptor()}
	}
	if cfg.TemporalTLS {
		t := &tls.Config{MinVersion: tls.VersionTLS12}
		if cfg.TemporalCAFile != "" {
			pem, err := os.ReadFile(cfg.TemporalCAFile)
			if err != nil {
				return nil, fmt.Errorf("temporal: %w", err)
			}
			t.RootCAs = x509.NewCertPool()
			if !t.RootCAs.AppendCertsFromPEM(pem) {
				return nil, errors.New("temporal: no certificate in KONTAKT_TEMPORAL_TLS_CA_FILE")
			}
		}
		if cfg.TemporalCertFile != "" {
			cert, err := tls.LoadX509KeyPair(cfg.TemporalCertFile, cfg.TemporalKeyFile)
			if err != nil {
				return nil, fmt.Errorf("temporal: %w", err)
			}
			t.Certificates = []tls.Certificate{cert}
		}
		opts.ConnectionOptions.TLS = t
	}
	c, err := client.NewLazyClient(opts)
	if err != nil {
		return nil, fmt.Errorf("temporal: %w", err)
	}
	return c, nil
}

// reconciler starts the workflows of requests committed without one.
func reconciler(st *store.Store, c client.Client) *activities.Reconciler {
	return workflows.NewReconciler(c, st)
}

// reconcileAtStart works through the outbox once, in the background; the schedule repeats
// it later, so a failure (Temporal still down) is only logged.
func reconcileAtStart(ctx context.Context, r *activities.Reconciler, log *slog.Logger) {
	go func() {
		n, err := r.Reconcile(ctx)
		if err != nil {
			log.Warn("outbox reconciliation failed; the schedule will retry", "err", err)
			return
		}
		if n > 0 {
			log.Info("outbox reconciled", "started", n)
		}
	}()
}

// newMailer builds the SMTP sender from the configuration.
func newMailer(cfg config.Config, host string, port int, tlsMode string, log *slog.Logger) (*mail.Sender, error) {
	return mail.NewSender(mail.Config{Host: host, Port: port, TLS: tlsMode, Username: cfg.SMTPUser,
		Password: cfg.SMTPPassword, From: cfg.SMTPFrom}, log)
}

// workerDeps builds what the worker registers.
func workerDeps(cfg config.Config, st *store.Store, c client.Client, mailer activities.Mailer, log *slog.Logger) worker.Deps {
	return worker.NewDeps(st, c, mailer, cfg.PublicURL, log)
}

// lifecycleTeller tells consents' lifecycle workflows of changes right after they commit.
func lifecycleTeller(st *store.Store, c client.Client) workflows.LifecycleTeller {
	return workflows.LifecycleTeller{Client: c, Store: st}
}

func runWorker(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	if cfg.TemporalAddress == "" {
		return errors.New("KONTAKT_TEMPORAL_ADDRESS is not set (or use `kontakt dev`)")
	}
	if cfg.SMTPHost == "" {
		return errors.New("KONTAKT_SMTP_HOST is not set")
	}
	pool, err := openPool(ctx, cfg.DatabaseURL, cfg.DBMaxConns)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := checkSchema(ctx, pool); err != nil {
		return err
	}
	st := store.New(pool, cfg.DefaultRegion)
	m := metrics.New(version)
	c, err := temporalClientWith(cfg, cfg.TemporalAddress, log, m)
	if err != nil {
		return err
	}
	defer c.Close()
	sender, err := newMailer(cfg, cfg.SMTPHost, cfg.SMTPPort, cfg.SMTPTLS, log)
	if err != nil {
		return err
	}
	d := workerDeps(cfg, st, c, metrics.Mailer{Next: sender, Metrics: m}, log)

	// The operations listener (metrics and probes) outlives the worker's polling, so that
	// probes answer while running activities finish.
	opsDone := make(chan error, 1)
	stopOps := func() {}
	if cfg.MetricsAddr != "" {
		hc := health.New(log, append(databaseChecks(pool), temporalCheck(c, false))...)
		ops, err := listen("ops", cfg.MetricsAddr, opsHandler(m, hc))
		if err != nil {
			return err
		}
		opsCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		stopOps = cancel
		go func() {
			opsDone <- runServers(opsCtx, log, []server{ops}, drainPlan{timeout: cfg.ShutdownTimeout}, nil)
		}()
	} else {
		opsDone <- nil
	}
	reconcileAtStart(ctx, d.Reconciler, log)
	log.Info("worker running", "temporal", cfg.TemporalAddress, "namespace", cfg.TemporalNamespace, "task_queue", workflows.TaskQueue)
	err = worker.Run(ctx, c, d)
	stopOps()
	return errors.Join(err, <-opsDone)
}
