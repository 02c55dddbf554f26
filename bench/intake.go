package main

// The intake suite: consent intake wired as `kontakt dev` wires it (cmd/kontakt/dev.go and
// consent_integration_test.go), on a private PostgreSQL with fsync on, beside pgbench on the
// same cluster. See the package comment for what it prints.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/kontakt/kontakt/activities"
	"github.com/kontakt/kontakt/api"
	"github.com/kontakt/kontakt/auth"
	"github.com/kontakt/kontakt/config"
	"github.com/kontakt/kontakt/devstack"
	"github.com/kontakt/kontakt/devstack/mailcatcher"
	devtemporal "github.com/kontakt/kontakt/devstack/temporal"
	"github.com/kontakt/kontakt/mail"
	"github.com/kontakt/kontakt/migrations"
	"github.com/kontakt/kontakt/store"
	"github.com/kontakt/kontakt/worker"
	"github.com/kontakt/kontakt/workflows"
)

// intakeTarget is the ratio of intake throughput to pgbench's INSERT TPS the issue asks for.
const intakeTarget = 0.5

const (
	intakeDB  = "kontakt_intake"
	demoPass  = "demo-heslo-2026"
	smtpFrom  = "Stavebniny Demo <kontakt@demo.example>"
	warmupReq = 100 // unmeasured submissions before the throughput run
)

type intakeOptions struct {
	clients     []int // concurrent clients of the throughput runs, and pgbench's -c, one run each
	requests    int   // submissions of a throughput run against the API without a verifier
	devRequests int   // submissions of a throughput run with Temporal and the worker in the process
	pgbenchTime time.Duration
	rate        float64
	e2eTime     time.Duration
	temporal    bool // false: pgbench and the runs without a verifier only, for quick checks
}

func (o intakeOptions) check() error {
	if o.requests < 1 || o.devRequests < 1 || len(o.clients) == 0 || slices.Min(o.clients) < 1 ||
		o.pgbenchTime < time.Second || o.rate <= 0 || o.e2eTime < time.Second {
		return errors.New("-intake-requests, -intake-dev-requests and -intake-clients must be at least 1, -pgbench-time and -e2e-time at least 1s, -e2e-rate above 0")
	}
	return nil
}

// intakeEnv describes the machine and the stack for the report's header.
type intakeEnv struct {
	nproc, gomaxprocs int
	cpu               string
	pgVersion         string
	fsync, syncCommit string
	walSync, sharedBf string
	poolConns         int32
	fdatasync         float64 // 8 kB writes + fdatasync per second on the cluster's disk
}

// clientRuns are the runs at one number of concurrent clients.
type clientRuns struct {
	clients int
	pgbench pgbenchResult
	plain   burstResult // the API without a verifier
	dev     burstResult // the API with Temporal and the worker in the process (with -intake-temporal)
	drain   drainResult // how the workflows of dev caught up
	// rows of the accepted submissions found in consent_requests
	plainRows, devRows int
}

// intakeReport is everything the section prints.
type intakeReport struct {
	env     intakeEnv
	o       intakeOptions
	runs    []clientRuns
	e2e     e2eResult
	e2eRows int // rows of the end-to-end run's accepted submissions
	sources int // loopback source addresses used
	warns   map[string]int
}

// runIntake runs the intake suite. The deferred calls stop, in this order, the HTTP server,
// the worker, the Temporal client and server, the SMTP catcher, the pool and PostgreSQL,
// then remove the temporary directory: also after an error or an interrupt.
func runIntake(ctx context.Context, o options) error {
	dir, cleanup, err := workDir(o)
	if err != nil {
		return err
	}
	defer cleanup()
	pg, stopPG, err := startCluster(ctx, dir, false, intakeDB)
	if err != nil {
		return err
	}
	defer stopPG()

	pcfg, err := pgxpool.ParseConfig(pg.URL(intakeDB))
	if err != nil {
		return err
	}
	pcfg.MaxConns = 16 // as `kontakt serve` opens it (KONTAKT_DB_MAX_CONNS default)
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer pool.Close()
	if _, err := migrations.Up(ctx, pool); err != nil {
		return err
	}
	r := &intakeReport{o: o.intake}
	if r.env, err = describeIntake(ctx, pool); err != nil {
		return err
	}
	if r.env.fdatasync, err = fdatasyncRate(dir); err != nil {
		return err
	}
	if r.env.fsync != "on" {
		return fmt.Errorf("fsync is %s on the intake cluster; the figure needs it on", r.env.fsync)
	}

	logs := newCountingHandler(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	log := slog.New(logs)
	st := store.New(pool, "CZ")
	if _, err := devstack.SeedDemo(ctx, st, demoPass, nil); err != nil {
		return err
	}

	// A real SMTP server over TCP.
	catcher, err := mailcatcher.Start("127.0.0.1:0", log)
	if err != nil {
		return err
	}
	defer func() {
		logf("stopping the SMTP catcher")
		if err := catcher.Close(); err != nil {
			logf("stop catcher: %v", err)
		}
	}()

	// The HTTP listener first: its address is the public URL, the form's allowed origin and
	// the base of the confirmation links.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close() // on an early return; closed already once served
	publicURL := "http://" + ln.Addr().String()
	cfg, err := config.Load(func(k string) string {
		return map[string]string{"KONTAKT_PUBLIC_URL": publicURL, "KONTAKT_SMTP_FROM": smtpFrom}[k]
	})
	if err != nil {
		return err
	}
	form, err := devstack.SeedDemoForm(ctx, st, publicURL)
	if err != nil {
		return err
	}

	g := newLoadGen(publicURL+"/public/forms/"+form.Key+"/consents", publicURL)
	defer g.close()

	// 1. At each number of clients, pgbench and then the API without a verifier, as
	// `kontakt serve` runs beside a Temporal elsewhere: the 202 path alone.
	plainLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	stopPlain := serve(plainLn, api.NewHandler(api.Deps{Store: st, Logger: log, Options: apiOptions(cfg)}), log)
	defer stopPlain()
	plainURL := "http://" + plainLn.Addr().String() + "/public/forms/" + form.Key + "/consents"
	for _, c := range o.intake.clients {
		run := clientRuns{clients: c}
		if run.pgbench, err = runPgbench(ctx, pg, dir, c, o.intake.pgbenchTime); err != nil {
			return err
		}
		logf("pgbench -c %d: %.1f TPS", c, run.pgbench.tps)
		if run.plain, run.plainRows, err = throughput(ctx, g, pool, plainURL, fmt.Sprintf("plain%d", c), o.intake.requests, c); err != nil {
			return err
		}
		r.runs = append(r.runs, run)
	}
	if !o.intake.temporal {
		r.sources = g.sources()
		r.warns = logs.snapshot()
		printIntake(os.Stdout, r)
		return nil
	}

	// In-process Temporal on a SQLite file, as `kontakt dev` runs it (no Web UI here).
	dbFile := filepath.Join(dir, "temporal-"+devtemporal.ServerVersion+".db")
	for _, suffix := range []string{"", "-wal", "-shm"} { // a kept -dir: start afresh
		if err := os.Remove(dbFile + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	logf("starting temporal %s", devtemporal.ServerVersion)
	ts, err := devtemporal.Start(ctx, devtemporal.Options{DBFile: dbFile, UIPort: -1, Namespace: cfg.TemporalNamespace, Logger: log})
	if err != nil {
		return err
	}
	defer func() {
		logf("stopping temporal")
		if err := ts.Stop(); err != nil {
			logf("stop temporal: %v", err)
		}
	}()
	tc, err := client.NewLazyClient(client.Options{HostPort: ts.Address(), Namespace: ts.Namespace(), Logger: sdklog.NewStructuredLogger(log)})
	if err != nil {
		return fmt.Errorf("temporal client: %w", err)
	}
	defer tc.Close()
	v := workflows.Verifier{Client: tc}

	// The worker, with mail going to the catcher over SMTP.
	mailer, err := mail.NewSender(mail.Config{Host: catcher.Host(), Port: catcher.Port(), TLS: mail.TLSNone, From: cfg.SMTPFrom}, log)
	if err != nil {
		return err
	}
	deps := worker.NewDeps(st, tc, mailer, cfg.PublicURL, log)
	rec := deps.Reconciler
	lc := workflows.LifecycleTeller{Client: tc, Store: st}
	workerCtx, stopWorker := context.WithCancel(context.WithoutCancel(ctx))
	workerDone := make(chan error, 1)
	go func() { workerDone <- worker.Run(workerCtx, tc, deps) }()
	defer func() {
		logf("stopping the worker")
		stopWorker()
		if err := <-workerDone; err != nil {
			logf("worker: %v", err)
		}
	}()

	// The API on the loopback listener.
	stopHTTP := serve(ln, api.NewHandler(api.Deps{Store: st, Verifier: v, Lifecycle: lc, Logger: log, Options: apiOptions(cfg)}), log)
	defer stopHTTP()
	logf("kontakt listening on %s, temporal on %s, smtp on %s", publicURL, ts.Address(), catcher.Addr())

	// 2. At each number of clients, the API with Temporal and the worker in the process, as
	// `kontakt dev` runs; then the workflows send every confirmation mail of the run.
	for i := range r.runs {
		run := &r.runs[i]
		if run.dev, run.devRows, err = throughput(ctx, g, pool, g.url, fmt.Sprintf("dev%d", run.clients), o.intake.devRequests, run.clients); err != nil {
			return err
		}
		if run.drain, err = drainOutbox(ctx, pool, rec, run.dev); err != nil {
			return err
		}
	}

	// 3. End to end at a steady rate, on the idle stack.
	logf("end to end: %.0f submissions per second for %s", o.intake.rate, o.intake.e2eTime)
	if r.e2e, err = g.steady(ctx, catcher, "e2e", o.intake.rate, o.intake.e2eTime); err != nil {
		return err
	}
	if r.e2eRows, err = countRequests(ctx, pool, r.e2e.emails); err != nil {
		return err
	}
	r.sources = g.sources()
	r.warns = logs.snapshot()
	printIntake(os.Stdout, r)
	return nil
}

// apiOptions are the API's options from the configuration, as `kontakt serve` sets them.
func apiOptions(cfg config.Config) api.Options {
	return api.Options{SessionTTL: cfg.SessionTTL, CookieSecure: cfg.CookieSecure, MaxBodyBytes: cfg.MaxBodyBytes,
		LoginMaxFailures: cfg.LoginMaxFailures, LoginWindow: cfg.LoginWindow, PasswordParams: auth.DefaultParams}
}

// serve serves handler on ln, with the timeouts of `kontakt serve`, until stop.
func serve(ln net.Listener, handler http.Handler, log *slog.Logger) (stop func()) {
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	return func() {
		logf("stopping http on %s", ln.Addr())
		shutCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := srv.Shutdown(shutCtx); err != nil {
			logf("http shutdown: %v", err)
		}
		<-served
	}
}

// throughput sends warmupReq unmeasured submissions and then n measured ones to target from
// clients concurrent clients, and counts the accepted ones in consent_requests.
func throughput(ctx context.Context, g *loadGen, pool *pgxpool.Pool, target, prefix string, n, clients int) (burstResult, int, error) {
	if w := g.burst(ctx, target, prefix+"-warm", warmupReq, clients); w.accepted != warmupReq {
		return w, 0, fmt.Errorf("warm-up: %d of %d submissions accepted (statuses %v, errors %d, first error %v)", w.accepted, warmupReq, w.statuses, w.errors, w.firstErr)
	}
	logf("%s: %d submissions from %d clients to %s", prefix, n, clients, target)
	b := g.burst(ctx, target, prefix, n, clients)
	if ctx.Err() != nil {
		return b, 0, ctx.Err()
	}
	logf("%s: %d of %d accepted in %s: %.1f per second (statuses %v, errors %d)", prefix, b.accepted, n, b.wall.Round(time.Millisecond), b.perSecond(), b.statuses, b.errors)
	rows, err := countRequests(ctx, pool, b.emails)
	return b, rows, err
}

func describeIntake(ctx context.Context, pool *pgxpool.Pool) (intakeEnv, error) {
	e := intakeEnv{nproc: runtime.NumCPU(), gomaxprocs: runtime.GOMAXPROCS(0), cpu: cpuModel(), poolConns: pool.Config().MaxConns}
	err := pool.QueryRow(ctx, `SELECT current_setting('server_version'), current_setting('fsync'),
		current_setting('synchronous_commit'), current_setting('wal_sync_method'), current_setting('shared_buffers')`).
		Scan(&e.pgVersion, &e.fsync, &e.syncCommit, &e.walSync, &e.sharedBf)
	return e, err
}

// fdatasyncRate measures how many 8 kB writes, each followed by fdatasync, a file in dir
// takes per second, for a second: what a commit's WAL flush costs at best on that disk.
func fdatasyncRate(dir string) (float64, error) {
	f, err := os.CreateTemp(dir, "fdatasync-probe-")
	if err != nil {
		return 0, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	buf := make([]byte, 8<<10)
	n, start := 0, time.Now()
	for time.Since(start) < time.Second {
		if _, err := f.WriteAt(buf, 0); err != nil {
			return 0, err
		}
		if err := syscall.Fdatasync(int(f.Fd())); err != nil {
			return 0, err
		}
		n++
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

// countRequests counts the consent requests committed for emails.
func countRequests(ctx context.Context, pool *pgxpool.Pool, emails []string) (int, error) {
	var n int
	err := pool.QueryRow(ctx, `SELECT count(*) FROM consent_requests WHERE email = ANY($1)`, emails).Scan(&n)
	return n, err
}

// drainResult is how the workflows caught up with the throughput run.
type drainResult struct {
	lastMail     time.Duration // from the burst's first POST to the last confirmation mail recorded sent
	reconciled   int           // workflows the outbox reconciler had to start
	afterLastReq time.Duration // from the burst's last answer to the last mail
}

// drainOutbox waits until every request of the burst has its workflow started and its
// confirmation mail sent. The API starts workflows in the background after answering; those
// that time out are left to the outbox reconciler, which `kontakt` runs at start and on a
// 5-minute schedule: here it runs once the background starts have stopped making progress.
func drainOutbox(ctx context.Context, pool *pgxpool.Pool, rec *activities.Reconciler, b burstResult) (drainResult, error) {
	var d drainResult
	logf("waiting for the workflows to send %d confirmation mails", len(b.emails))
	deadline := time.Now().Add(20 * time.Minute)
	lastUnstarted, lastChange, lastLog := -1, time.Now(), time.Now()
	for {
		var unstarted, unsent int
		err := pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE workflow_started_at IS NULL), count(*) FILTER (WHERE mail_sent_at IS NULL)
			FROM consent_requests WHERE email = ANY($1)`, b.emails).Scan(&unstarted, &unsent)
		if err != nil {
			return d, err
		}
		if unsent == 0 && unstarted == 0 {
			break
		}
		if unstarted != lastUnstarted {
			lastUnstarted, lastChange = unstarted, time.Now()
		} else if unstarted > 0 && time.Since(lastChange) > 15*time.Second {
			logf("%d workflows not started after 15 s without progress: running the outbox reconciler", unstarted)
			n, err := rec.Reconcile(ctx)
			d.reconciled += n
			if err != nil {
				logf("reconciler: %v", err)
			}
			lastChange = time.Now()
		}
		if time.Since(lastLog) >= 10*time.Second {
			logf("  %d workflows not started, %d mails not sent", unstarted, unsent)
			lastLog = time.Now()
		}
		if time.Now().After(deadline) {
			return d, fmt.Errorf("after 20 minutes, %d workflows not started and %d mails not sent", unstarted, unsent)
		}
		select {
		case <-ctx.Done():
			return d, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
	var last time.Time
	if err := pool.QueryRow(ctx, `SELECT max(mail_sent_at) FROM consent_requests WHERE email = ANY($1)`, b.emails).Scan(&last); err != nil {
		return d, err
	}
	d.lastMail = last.Sub(b.start)
	d.afterLastReq = last.Sub(b.start.Add(b.wall))
	logf("all %d mails sent %s after the first POST", len(b.emails), d.lastMail.Round(100*time.Millisecond))
	return d, nil
}

// countingHandler logs the first few records of each message and counts them all, so that
// a warning repeated thousands of times under load does not flood stderr but is reported.
type countingHandler struct {
	slog.Handler
	mu     *sync.Mutex
	counts map[string]int
}

const logFirst = 3

func newCountingHandler(h slog.Handler) *countingHandler {
	return &countingHandler{Handler: h, mu: new(sync.Mutex), counts: map[string]int{}}
}

func (h *countingHandler) Handle(ctx context.Context, r slog.Record) error {
	h.mu.Lock()
	h.counts[r.Message]++
	n := h.counts[r.Message]
	h.mu.Unlock()
	if n > logFirst {
		return nil
	}
	if n == logFirst {
		r.AddAttrs(slog.String("bench", "further records with this message are only counted"))
	}
	return h.Handler.Handle(ctx, r)
}

func (h *countingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &countingHandler{Handler: h.Handler.WithAttrs(attrs), mu: h.mu, counts: h.counts}
}

func (h *countingHandler) WithGroup(name string) slog.Handler {
	return &countingHandler{Handler: h.Handler.WithGroup(name), mu: h.mu, counts: h.counts}
}

func (h *countingHandler) snapshot() map[string]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make(map[string]int, len(h.counts))
	for k, v := range h.counts {
		out[k] = v
	}
	return out
}
