// Command bench measures Kontakt and prints Markdown sections for the README to stdout,
// progress to stderr. Its suites:
//
// search (the default): the cost of the visibility policy over generated data (100k contacts
// in 10 books by default): contact searches and a book listing through the store,
// store.ListContactsForBenchmark with the policy against the same call without it (neither
// writes an audit entry), and store.ListContacts (policy and audit entry) for what an API
// call costs.
//
// intake: consent intake wired as `kontakt dev` wires it (PostgreSQL with fsync on, the API
// on a loopback listener, in-process Temporal, the worker, a real SMTP server over TCP):
// committed 202s per second under concurrent load beside pgbench's single-row INSERT TPS on
// the same cluster, and the time from POST to confirmation mail at a steady rate (intake.go).
//
// campaign: the CampaignLaunch workflow over 10k target contacts (fsync on, in-process
// Temporal, the real worker): total launch time and tasks created per second, per batch
// size (campaign.go).
//
//	go run ./bench                      # search suite, private throwaway PostgreSQL cluster
//	go run ./bench -iterations 100 -dir /tmp/kb   # keep the cluster, e.g. to EXPLAIN by hand
//	go run ./bench -database-url postgres://...   # an existing, empty database
//	go run ./bench -suite intake        # consent intake (private cluster only)
//	go run ./bench -suite carddav       # CardDAV sync against Radicale (carddav.go)
//	go run ./bench -suite campaign      # CampaignLaunch over 10k targets (private cluster only)
//	go run ./bench -suite import        # vCard import with dedup (importbench.go)
//	go run ./bench -suite all           # search and intake
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kontakt/kontakt/devstack"
	"github.com/kontakt/kontakt/migrations"
)

const dbName = "kontakt_bench"

type options struct {
	contacts    int
	iterations  int
	warmup      int
	dir         string
	databaseURL string
	seed        uint64
	suite       string
	intake      intakeOptions
	carddav     carddavOptions
	campaign    campaignOptions
	imports     importOptions
}

func main() {
	var o options
	flag.IntVar(&o.contacts, "contacts", 100000, "contacts to generate, spread over 10 books")
	flag.IntVar(&o.iterations, "iterations", 200, "measured calls per query and variant")
	flag.IntVar(&o.warmup, "warmup", 0, "unmeasured calls per query and variant first (0: iterations/10, at least 10)")
	flag.StringVar(&o.dir, "dir", "", "cluster directory, kept afterwards (default: a temporary directory removed at the end)")
	flag.StringVar(&o.databaseURL, "database-url", "", "use this existing, empty database instead of a private cluster")
	flag.Uint64Var(&o.seed, "seed", 1, "seed of the data generator")
	flag.StringVar(&o.suite, "suite", "search", "what to measure: search (visibility policy), intake (consent intake), carddav (CardDAV sync against Radicale), campaign (CampaignLaunch over 10k targets), import (vCard import with dedup), or all (search and intake)")
	flag.IntVar(&o.imports.cards, "import-cards", 10000, "import suite: cards in the imported file")
	flag.IntVar(&o.intake.requests, "intake-requests", 20000, "intake suite: measured submissions of a throughput run against the API without a verifier")
	flag.IntVar(&o.intake.devRequests, "intake-dev-requests", 2000, "intake suite: measured submissions of a throughput run with Temporal and the worker in the process (each waits for its mails)")
	intakeClients := flag.String("intake-clients", "16,32,64", "intake suite: concurrent clients of the throughput runs, and pgbench's -c, comma-separated, one run each")
	flag.DurationVar(&o.intake.pgbenchTime, "pgbench-time", 10*time.Second, "intake suite: pgbench's -T")
	flag.Float64Var(&o.intake.rate, "e2e-rate", 10, "intake suite: submissions per second of the end-to-end run")
	flag.DurationVar(&o.intake.e2eTime, "e2e-time", 30*time.Second, "intake suite: length of the end-to-end run")
	flag.BoolVar(&o.intake.temporal, "intake-temporal", true, "intake suite: also run Temporal, the worker and the end-to-end run (false: pgbench and the runs without a verifier only, for quick checks)")
	flag.IntVar(&o.campaign.contacts, "campaign-contacts", 10000, "campaign suite: target contacts")
	flag.IntVar(&o.campaign.reps, "campaign-reps", 5, "campaign suite: reps the tasks are dealt to")
	batches := flag.String("campaign-batches", "100,500,1000", "campaign suite: batch sizes, one launch each, comma-separated")
	sizes := flag.String("carddav-sizes", "1000,10000", "carddav suite: contacts per address book, comma-separated, ascending")
	flag.BoolVar(&o.carddav.radicale, "carddav-radicale", true, "carddav suite: also run Radicale (false: Kontakt only, no ratios)")
	flag.DurationVar(&o.carddav.pollTime, "poll-time", 5*time.Second, "carddav suite: length of the no-change sync-collection poll run")
	flag.DurationVar(&o.carddav.syncTimeout, "sync-timeout", 120*time.Second, "carddav suite: a vdirsyncer sync taking longer is stopped and reported as such")
	flag.DurationVar(&o.carddav.putLimit, "put-limit", 120*time.Second, "carddav suite: a load by PUT taking longer is stopped (Radicale: the rest is written into its storage)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the whole run (server and load generator) to this file")
	flag.Parse()
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 100 {
			fmt.Fprintf(os.Stderr, "bench: -carddav-sizes takes numbers of at least 100, not %q\n", s)
			os.Exit(2)
		}
		o.carddav.sizes = append(o.carddav.sizes, n)
	}
	for _, s := range strings.Split(*intakeClients, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "bench: -intake-clients takes positive numbers, not %q\n", s)
			os.Exit(2)
		}
		o.intake.clients = append(o.intake.clients, n)
	}
	for _, s := range strings.Split(*batches, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "bench: -campaign-batches takes positive numbers, not %q\n", s)
			os.Exit(2)
		}
		o.campaign.batches = append(o.campaign.batches, n)
	}
	if o.contacts < books || o.iterations < 1 {
		fmt.Fprintf(os.Stderr, "bench: -contacts must be at least %d and -iterations at least 1\n", books)
		os.Exit(2)
	}
	switch o.suite {
	case "search", "intake", "carddav", "campaign", "import", "all":
	default:
		fmt.Fprintf(os.Stderr, "bench: -suite must be search, intake, carddav, campaign, import or all, not %q\n", o.suite)
		os.Exit(2)
	}
	if o.suite != "search" && o.databaseURL != "" {
		fmt.Fprintln(os.Stderr, "bench: the intake, carddav and import suites run PostgreSQL with settings of their own, so they need a private cluster: drop -database-url")
		os.Exit(2)
	}
	if err := o.intake.check(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	if o.warmup <= 0 {
		o.warmup = max(10, o.iterations/10)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // a second Ctrl-C kills at once
	}()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	err := runSuite(ctx, o)
	if err != nil {
		if ctx.Err() != nil {
			err = errors.New("interrupted")
		}
		fmt.Fprintln(os.Stderr, "bench:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

// runSuite runs the chosen suite.
func runSuite(ctx context.Context, o options) error {
	var err error
	switch o.suite {
	case "carddav":
		err = runCardDAV(ctx, o)
	case "campaign":
		err = runCampaign(ctx, o)
	case "import":
		err = runImportSuite(ctx, o)
	default:
		err = run(ctx, o)
		if err == nil && o.suite == "all" {
			fmt.Println()
		}
		if err == nil && o.suite != "search" {
			err = runIntake(ctx, o)
		}
	}
	return err
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

// workDir returns the directory for the private cluster (and the intake suite's other
// files): -dir, kept, or a new temporary directory that cleanup removes.
func workDir(o options) (dir string, cleanup func(), err error) {
	if o.dir != "" {
		return o.dir, func() {}, nil
	}
	// Directly under os.TempDir() (world-searchable), so that the postgres user can reach
	// the cluster when we run as root.
	tmp, err := os.MkdirTemp("", "kontakt-bench-")
	if err != nil {
		return "", nil, err
	}
	return tmp, func() {
		if err := os.RemoveAll(tmp); err != nil {
			logf("remove %s: %v", tmp, err)
		}
	}, nil
}

// startCluster starts the private cluster in dir (fast: without fsync) with a fresh,
// empty database db; stop stops the cluster.
func startCluster(ctx context.Context, dir string, fast bool, db string) (pg *devstack.Postgres, stop func(), err error) {
	logf("starting postgres in %s (fsync %s)", dir, map[bool]string{true: "off", false: "on"}[fast])
	pg, err = devstack.StartPostgres(ctx, devstack.PostgresOptions{Dir: dir, Fast: fast})
	if err != nil {
		return nil, nil, err
	}
	stop = func() {
		logf("stopping postgres")
		if err := pg.Stop(); err != nil {
			logf("stop postgres: %v", err)
		}
	}
	if err := pg.DropDatabase(ctx, db); err != nil {
		stop()
		return nil, nil, err
	}
	if err := pg.CreateDatabase(ctx, db, ""); err != nil {
		stop()
		return nil, nil, err
	}
	return pg, stop, nil
}

// run runs the search suite unless another one alone was asked for: it sets up the
// database, fills it and measures. The deferred calls stop the cluster and remove its
// temporary directory, also after an interrupt.
func run(ctx context.Context, o options) error {
	if o.suite == "intake" {
		return nil
	}
	url := o.databaseURL
	private := url == ""
	if private {
		dir, cleanup, err := workDir(o)
		if err != nil {
			return err
		}
		defer cleanup()
		pg, stop, err := startCluster(ctx, dir, true, dbName)
		if err != nil {
			return err
		}
		defer stop()
		url = pg.URL(dbName)
	}

	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer pool.Close()
	if _, err := migrations.Up(ctx, pool); err != nil {
		return err
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM address_books) + (SELECT count(*) FROM users)`).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return errors.New("the database already holds users or address books; the benchmark needs an empty one")
	}

	env, err := describe(ctx, pool, private)
	if err != nil {
		return err
	}
	logf("generating %d contacts", o.contacts)
	d, err := generate(ctx, pool, o.contacts, o.seed)
	if err != nil {
		return fmt.Errorf("generate data: %w", err)
	}
	logf("data generated in %s (%s)", d.timing.total.Round(10*time.Millisecond), d.timing)

	r, err := measureAll(ctx, pool, d, o)
	if err != nil {
		return err
	}
	printReport(os.Stdout, env, d, o, r)
	return nil
}
