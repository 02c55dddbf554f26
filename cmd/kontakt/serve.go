package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/client"

	"github.com/kontakt/kontakt/api"
	"github.com/kontakt/kontakt/auth"
	"github.com/kontakt/kontakt/carddav"
	"github.com/kontakt/kontakt/config"
	"github.com/kontakt/kontakt/health"
	"github.com/kontakt/kontakt/metrics"
	"github.com/kontakt/kontakt/migrations"
	"github.com/kontakt/kontakt/session"
	"github.com/kontakt/kontakt/store"
	"github.com/kontakt/kontakt/web"
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
	m := metrics.New(version)
	checks := databaseChecks(pool)
	var tc client.Client
	if cfg.TemporalAddress != "" {
		c, err := temporalClientWith(cfg, cfg.TemporalAddress, log, m)
		if err != nil {
			return err
		}
		defer c.Close()
		tc = c
		checks = append(checks, temporalCheck(c, true))
		reconcileAtStart(ctx, reconciler(st, c), log)
	} else {
		log.Warn("KONTAKT_TEMPORAL_ADDRESS is not set: consent requests wait in the outbox until a worker reconciles them")
	}
	hc := health.New(log, checks...)
	mux := http.NewServeMux()
	mountCardDAV(mux, st, log, m)
	mux.Handle("/readyz", hc.ReadyHandler())
	mountApp(mux, cfg, log, st, tc)
	front, err := listen("http", cfg.HTTPAddr, instrument(mux, cfg, log, m))
	if err != nil {
		return err
	}
	servers := []server{front}
	if cfg.MetricsAddr != "" {
		ops, err := listen("ops", cfg.MetricsAddr, opsHandler(m, hc))
		if err != nil {
			front.ln.Close()
			return err
		}
		servers = append(servers, ops)
	}
	return runServers(ctx, log, servers, drainOf(cfg, hc), nil)
}

// mountCardDAV serves CardDAV at /dav/ and its discovery at /.well-known/carddav (RFC 6764);
// m (may be nil) counts its syncs.
func mountCardDAV(mux *http.ServeMux, st *store.Store, log *slog.Logger, m *metrics.Metrics) {
	d := carddav.Deps{Store: st, Logger: log}
	if m != nil {
		d.Syncs = m
	}
	h := carddav.NewHandler(d)
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
		d.Campaigns = workflows.Campaigns{Client: c}
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

// mountApp routes the staff web pages' own paths to web and everything else (/api/,
// /public/, /healthz and the JSON 404 of unknown paths) to the API.
func mountApp(mux *http.ServeMux, cfg config.Config, log *slog.Logger, st *store.Store, c client.Client) {
	web.Mount(mux, webHandler(cfg, log, st, c))
	mux.Handle("/", apiHandler(cfg, log, st, c))
}

// webHandler builds the staff web pages, with the same session and login rate limit
// settings as the API (the cookie is shared); it starts workflows through c like the API,
// or leaves them to a worker's outbox reconciler when c is nil.
func webHandler(cfg config.Config, log *slog.Logger, st *store.Store, c client.Client) http.Handler {
	sm := session.New(st, session.Options{TTL: cfg.SessionTTL, CookieSecure: cfg.CookieSecure,
		MaxFailures: cfg.LoginMaxFailures, Window: cfg.LoginWindow, Params: auth.DefaultParams})
	// Imports, exports and scans have the API's limits (and its virus-scan hook).
	d := web.Deps{Store: st, Sessions: sm, Logger: log, TemporalUIURL: cfg.TemporalUIURL, TemporalNamespace: cfg.TemporalNamespace,
		ImportMaxBytes: cfg.ImportMaxBytes, ExportTTL: cfg.ExportTTL}
	d.Gdpr = web.GdprOptions{ScanMaxBytes: cfg.ScanMaxBytes, ScanHook: strings.Fields(cfg.ScanHook),
		ScanHookTimeout: cfg.ScanHookTimeout, PublicURL: cfg.PublicURL}
	if c != nil {
		d.ProjectCloser = workflows.ProjectCloser{Client: c}
		d.Campaigns = workflows.Campaigns{Client: c}
		d.Forgetter = workflows.Forgetter{Client: c}
		d.Gdpr.Lifecycle = lifecycleTeller(st, c)
	}
	return web.NewHandler(d)
}
