// Command bench measures the cost of Kontakt's visibility policy over generated data (100k
// contacts in 10 books by default): contact searches and a book listing through the store,
// store.ListContactsForBenchmark with the policy against the same call without it (neither
// writes an audit entry), and store.ListContacts (policy and audit entry) for what an API
// call costs. It prints a Markdown section for the README to stdout and progress to stderr.
//
//	go run ./bench                      # private throwaway PostgreSQL cluster
//	go run ./bench -iterations 100 -dir /tmp/kb   # keep the cluster, e.g. to EXPLAIN by hand
//	go run ./bench -database-url postgres://...   # an existing, empty database
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
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
}

func main() {
	var o options
	flag.IntVar(&o.contacts, "contacts", 100000, "contacts to generate, spread over 10 books")
	flag.IntVar(&o.iterations, "iterations", 200, "measured calls per query and variant")
	flag.IntVar(&o.warmup, "warmup", 0, "unmeasured calls per query and variant first (0: iterations/10, at least 10)")
	flag.StringVar(&o.dir, "dir", "", "cluster directory, kept afterwards (default: a temporary directory removed at the end)")
	flag.StringVar(&o.databaseURL, "database-url", "", "use this existing, empty database instead of a private cluster")
	flag.Uint64Var(&o.seed, "seed", 1, "seed of the data generator")
	flag.Parse()
	if o.contacts < books || o.iterations < 1 {
		fmt.Fprintf(os.Stderr, "bench: -contacts must be at least %d and -iterations at least 1\n", books)
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
	err := run(ctx, o)
	if err != nil {
		if ctx.Err() != nil {
			err = errors.New("interrupted")
		}
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

// run sets up the database, fills it and measures. The deferred calls stop the cluster and
// remove its temporary directory, also after an interrupt.
func run(ctx context.Context, o options) error {
	url := o.databaseURL
	private := url == ""
	if private {
		dir := o.dir
		if dir == "" {
			// Directly under os.TempDir() (world-searchable), so that the postgres user can
			// reach the cluster when we run as root.
			tmp, err := os.MkdirTemp("", "kontakt-bench-")
			if err != nil {
				return err
			}
			defer func() {
				if err := os.RemoveAll(tmp); err != nil {
					logf("remove %s: %v", tmp, err)
				}
			}()
			dir = tmp
		}
		logf("starting postgres in %s", dir)
		pg, err := devstack.StartPostgres(ctx, devstack.PostgresOptions{Dir: dir, Fast: true})
		if err != nil {
			return err
		}
		defer func() {
			logf("stopping postgres")
			if err := pg.Stop(); err != nil {
				logf("stop postgres: %v", err)
			}
		}()
		if err := pg.DropDatabase(ctx, dbName); err != nil {
			return err
		}
		if err := pg.CreateDatabase(ctx, dbName, ""); err != nil {
			return err
		}
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
