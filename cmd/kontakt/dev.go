//go:build !nodev

// The embedded dev stack (a private PostgreSQL, an in-process Temporal server with its Web
// UI, an SMTP catcher) links the whole Temporal server: production images build with
// -tags nodev and leave it out (nodev.go).

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/kontakt/kontakt/config"
	"github.com/kontakt/kontakt/devstack"
	"github.com/kontakt/kontakt/devstack/mailcatcher"
	devtemporal "github.com/kontakt/kontakt/devstack/temporal"
	"github.com/kontakt/kontakt/health"
	"github.com/kontakt/kontakt/metrics"
	"github.com/kontakt/kontakt/migrations"
	"github.com/kontakt/kontakt/store"
	"github.com/kontakt/kontakt/worker"
)

// runDev runs Kontakt on embedded defaults: a private PostgreSQL under the data directory
// (unless KONTAKT_DATABASE_URL names one), migrations, demo data seeded once, and the API.
// Ctrl-C stops the API, then PostgreSQL.
func runDev(ctx context.Context, cfg config.Config, log *slog.Logger, stdout io.Writer) error {
	dataDir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	dbURL := cfg.DatabaseURL
	if dbURL == "" {
		pg, err := devstack.StartPostgres(ctx, devstack.PostgresOptions{Dir: filepath.Join(dataDir, "pg"), Logger: log})
		if err != nil {
			return err
		}
		defer func() {
			log.Info("stopping postgres")
			if err := pg.Stop(); err != nil {
				log.Error("stop postgres", "err", err)
			}
		}()
		if err := pg.CreateDatabase(ctx, "kontakt", ""); err != nil && !isDuplicateDatabase(err) {
			return err
		}
		dbURL = pg.URL("kontakt")
	}
	pool, err := openPool(ctx, dbURL, cfg.DBMaxConns)
	if err != nil {
		return err
	}
	defer pool.Close()
	if _, err := migrations.Up(ctx, pool); err != nil {
		return err
	}
	st := store.New(pool, cfg.DefaultRegion)
	demo, err := devstack.SeedDemo(ctx, st, cfg.DemoPassword, log)
	if err != nil {
		return err
	}

	// Temporal: the embedded server with its Web UI, unless an address is configured.
	temporalAddr, uiURL := cfg.TemporalAddress, cfg.TemporalUIURL
	if temporalAddr == "" {
		ts, err := devtemporal.Start(ctx, devtemporal.Options{
			DBFile: filepath.Join(dataDir, "temporal-"+devtemporal.ServerVersion+".db"),
			Port:   devtemporal.DefaultPort, UIPort: devtemporal.DefaultUIPort, Namespace: cfg.TemporalNamespace, Logger: log,
		})
		if err != nil {
			return err
		}
		defer func() {
			log.Info("stopping temporal")
			if err := ts.Stop(); err != nil {
				log.Error("stop temporal", "err", err)
			}
		}()
		temporalAddr, uiURL = ts.Address(), ts.UIURL()
	}
	m := metrics.New(version)
	tc, err := temporalClientWith(cfg, temporalAddr, log, m)
	if err != nil {
		return err
	}
	defer tc.Close()

	// Mail: the catcher, shown at /dev/mail, unless an SMTP relay is configured.
	mux := http.NewServeMux()
	smtpHost, smtpPort, smtpTLS := cfg.SMTPHost, cfg.SMTPPort, cfg.SMTPTLS
	if smtpHost == "" {
		catcher, err := mailcatcher.Start("127.0.0.1:0", log)
		if err != nil {
			return err
		}
		defer catcher.Close()
		smtpHost, smtpPort, smtpTLS = catcher.Host(), catcher.Port(), "none"
		mux.Handle("/dev/mail/", catcher.Handler("/dev/mail"))
		mux.Handle("/dev/mail", catcher.Handler("/dev/mail"))
	}
	mailer, err := newMailer(cfg, smtpHost, smtpPort, smtpTLS, log)
	if err != nil {
		return err
	}
	form, err := devstack.SeedDemoForm(ctx, st, cfg.PublicURL)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if err == nil {
		if pf, err := st.FormByKey(ctx, form.Key); err == nil {
			mux.Handle("/dev/form-example", devstack.FormExampleHandler(pf))
		}
	}
	// The book that requires a consent, for the consent-expiry walk-through in the README.
	if _, err := devstack.SeedDemoNewsletter(ctx, st); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	// Tasks, an activity and an event with invitations, and jana's draft campaign, for the
	// CRM walk-throughs in the README.
	if _, err := devstack.SeedDemoCRM(ctx, st); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if _, err := devstack.SeedDemoCampaign(ctx, st); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	mountCardDAV(mux, st, log, m)
	// On the loopback listener of `kontakt dev`, metrics and readiness share the main one.
	mux.Handle("/metrics", m.Handler())
	mux.Handle("/readyz", health.New(log, append(databaseChecks(pool), temporalCheck(tc, false))...).ReadyHandler())
	cfg.TemporalUIURL = uiURL // the web app links workflows to the embedded Web UI
	mountApp(mux, cfg, log, st, tc)

	// The worker runs beside the API; it stops after the HTTP server has drained.
	deps := workerDeps(cfg, st, tc, metrics.Mailer{Next: mailer, Metrics: m}, log)
	workerCtx, stopWorker := context.WithCancel(context.WithoutCancel(ctx))
	workerDone := make(chan error, 1)
	go func() { workerDone <- worker.Run(workerCtx, tc, deps) }()
	defer func() {
		stopWorker()
		if err := <-workerDone; err != nil {
			log.Error("worker", "err", err)
		}
	}()
	reconcileAtStart(ctx, deps.Reconciler, log)

	return serveHTTP(ctx, cfg, log, instrument(mux, cfg, log, m), func() {
		printWelcome(stdout, cfg, dbURL, demo, uiURL, smtpHost == "127.0.0.1" && cfg.SMTPHost == "")
	})
}

func isDuplicateDatabase(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "42P04"
}

// printWelcome tells a newcomer where Kontakt runs, how to log in and what to try.
func printWelcome(w io.Writer, cfg config.Config, dbURL string, demo devstack.Demo, temporalUI string, catcher bool) {
	base := strings.TrimRight(cfg.PublicURL, "/")
	var b strings.Builder
	fmt.Fprintf(&b, "\nKontakt is running.\n  Web app:     %s/\n  API:         %s/api/  (OpenAPI: %s/api/openapi.json)\n  Health:      %s/healthz\n  Database:    %s\n",
		base, base, base, base, redact(dbURL))
	if temporalUI != "" {
		fmt.Fprintf(&b, "  Temporal UI: %s\n", temporalUI)
	}
	if catcher {
		fmt.Fprintf(&b, "  Mail caught: %s/dev/mail\n  Demo form:   %s/dev/form-example\n", base, base)
	}
	b.WriteString("\n")
	login, password := "admin", "<your password>"
	switch {
	case demo.Seeded:
		fmt.Fprintf(&b, "Demo organisation seeded: %d books, %d contacts. Logins:\n", demo.Books, demo.Contacts)
		for _, u := range demo.Users {
			role := "staff"
			if u.Admin {
				role = "admin"
			}
			fmt.Fprintf(&b, "  %-6s %-22s password: %s  (%s)\n", u.Login, u.Name, u.Password, role)
		}
		if len(demo.Users) > 0 {
			login, password = demo.Users[0].Login, demo.Users[0].Password
		}
	case cfg.DemoPassword != "":
		fmt.Fprintf(&b, "Demo data was seeded on an earlier run; the demo users' password is KONTAKT_DEMO_PASSWORD.\n")
		password = cfg.DemoPassword
	default:
		fmt.Fprintf(&b, "Demo data was seeded on an earlier run; its passwords were printed then.\n"+
			"Set KONTAKT_DEMO_PASSWORD on a fresh data dir for fixed passwords.\n")
	}
	fmt.Fprintf(&b, `
Try it:
  curl -s -c /tmp/kontakt.cookies -H 'Content-Type: application/json' \
       -d '{"login":"%s","password":"%s"}' %s/api/session
  curl -s -b /tmp/kontakt.cookies '%s/api/contacts?q=dvorak'
  curl -s -b /tmp/kontakt.cookies '%s/api/books'

Sync to a phone or Thunderbird (CardDAV, only books you hold a sync grant for):
  In the web app: an admin grants sync under Administration > Users > <user> > Sync;
  the user creates a device password under "My settings" (%s/me), shown once.
  Or with the API:
  curl -s -b /tmp/kontakt.cookies -H 'Content-Type: application/json' \
       -X PUT -d '{"mode":"read"}' %s/api/books/<book id>/sync-grants/<your user id>
  curl -s -b /tmp/kontakt.cookies -H 'Content-Type: application/json' \
       -d '{"name":"iPhone"}' %s/api/devices        # prints the device's app password, once
  CardDAV URL: %s/dav/  (or just the server: %s, discovery via /.well-known/carddav)
  user name: your login; password: the device's app password (never your login password)

Consent expiry: the book Newsletter shows only people with a current newsletter consent;
  README.md ("Consent expiry, renewal and revocation") walks through recording one that
  expires in two minutes, watching the contact leave the API and a synced phone, and
  bringing it back.

Campaigns: jana's draft campaign "Jarní obvolání zákazníků" waits to be launched:
  in the web app under Campaigns, or with the API (README.md, "Campaigns").

Ctrl-C stops Kontakt and its PostgreSQL.
`, login, password, base, base, base, base, base, base, base, base)
	io.WriteString(w, b.String()) //nolint:errcheck
}

// redact hides the password in a database URL.
func redact(u string) string {
	if cfg, err := pgconn.ParseConfig(u); err == nil && cfg.Password != "" {
		return strings.Replace(u, cfg.Password, "***", 1)
	}
	return u
}

// serveHTTP serves handler on cfg.HTTPAddr until ctx ends, then lets in-flight requests
// finish (within KONTAKT_SHUTDOWN_TIMEOUT). ready, when set, runs once the listener is open.
func serveHTTP(ctx context.Context, cfg config.Config, log *slog.Logger, handler http.Handler, ready func()) error {
	s, err := listen("http", cfg.HTTPAddr, handler)
	if err != nil {
		return err
	}
	return runServers(ctx, log, []server{s}, drainOf(cfg, nil), ready)
}
