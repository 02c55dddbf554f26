// Package testdb gives each test a real, isolated PostgreSQL database.
//
// A package's tests share one private cluster started by Main from
// TestMain; New clones a fresh database for one test from a template that
// Main prepares once:
//
//	func TestMain(m *testing.M) { os.Exit(testdb.Main(m, migrate)) }
//
//	func TestSomething(t *testing.T) {
//		url := testdb.New(t)
//		...
//	}
//
// The cluster lives in a temporary directory removed after the run, or, if
// KONTAKT_TEST_POSTGRES_DIR is set, in a per-package subdirectory of it that
// is reused across runs (this saves initdb; the subdirectory keeps packages
// tested in parallel by "go test ./..." from sharing a data directory).
package testdb

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kontakt/kontakt/devstack"
)

// templateDB is the database every test database is cloned from.
const templateDB = "kontakt_template"

// cluster is the cluster started by Main for New. It is package state
// because TestMain can hand nothing to the tests but package variables.
var cluster *devstack.Postgres

// Main runs the tests of a package with one private cluster; call from
// TestMain: os.Exit(testdb.Main(m, setup)).
// setup (may be nil) prepares the template database once (e.g. runs
// migrations) given its URL; it must close its connections before returning.
// Main stops the cluster after the tests, whether they pass or not.
func Main(m *testing.M, setup func(ctx context.Context, url string) error) int {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	pg, cleanup, err := start(log, setup)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testdb.Main:", err)
		return 1
	}
	defer cleanup()
	cluster = pg
	return m.Run()
}

// start starts the cluster and prepares the template database. cleanup
// stops the cluster and removes its temporary directory.
func start(log *slog.Logger, setup func(ctx context.Context, url string) error) (pg *devstack.Postgres, cleanup func(), err error) {
	ctx := context.Background()
	dir, removeDir, err := clusterDir()
	if err != nil {
		return nil, nil, err
	}
	pg, err = devstack.StartPostgres(ctx, devstack.PostgresOptions{Dir: dir, Fast: true, Logger: log})
	if err != nil {
		removeDir()
		return nil, nil, err
	}
	cleanup = func() {
		if err := pg.Stop(); err != nil {
			log.Warn("stop test postgres", "err", err)
		}
		removeDir()
	}
	if err := prepare(ctx, pg, setup); err != nil {
		cleanup()
		return nil, nil, err
	}
	return pg, cleanup, nil
}

// clusterDir returns the directory for the cluster and a function removing
// it if it is temporary.
func clusterDir() (dir string, remove func(), err error) {
	if base := os.Getenv("KONTAKT_TEST_POSTGRES_DIR"); base != "" {
		wd, err := os.Getwd() // go test runs each package's tests in its source directory
		if err != nil {
			return "", nil, fmt.Errorf("devstack: %w", err)
		}
		sum := sha256.Sum256([]byte(wd))
		dir := filepath.Join(base, filepath.Base(wd)+"-"+hex.EncodeToString(sum[:4]))
		return dir, func() {}, nil
	}
	dir, err = os.MkdirTemp("", "kontakt-testdb-")
	if err != nil {
		return "", nil, fmt.Errorf("devstack: create cluster dir: %w", err)
	}
	return dir, func() { _ = os.RemoveAll(dir) }, nil
}

// prepare drops databases left by an earlier run of a reused cluster and
// creates the template database.
func prepare(ctx context.Context, pg *devstack.Postgres, setup func(ctx context.Context, url string) error) error {
	conn, err := pgx.Connect(ctx, pg.URL("postgres"))
	if err != nil {
		return fmt.Errorf("devstack: connect: %w", err)
	}
	rows, _ := conn.Query(ctx, `SELECT datname FROM pg_database WHERE datname LIKE 't\_%' OR datname = $1`, templateDB)
	stale, err := pgx.CollectRows(rows, pgx.RowTo[string])
	conn.Close(ctx)
	if err != nil {
		return fmt.Errorf("devstack: list databases: %w", err)
	}
	for _, name := range stale {
		if err := pg.DropDatabase(ctx, name); err != nil {
			return err
		}
	}
	if err := pg.CreateDatabase(ctx, templateDB, ""); err != nil {
		return err
	}
	if setup != nil {
		if err := setup(ctx, pg.URL(templateDB)); err != nil {
			return fmt.Errorf("devstack: set up template database: %w", err)
		}
	}
	return nil
}

// New returns the URL of a fresh database cloned from the template, dropped
// at t.Cleanup. It requires Main to be running the tests.
func New(t testing.TB) string {
	t.Helper()
	if cluster == nil {
		t.Fatal("devstack: testdb.New needs TestMain to call testdb.Main")
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	name := "t_" + hex.EncodeToString(b)
	if err := cluster.CreateDatabase(t.Context(), name, templateDB); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := cluster.DropDatabase(ctx, name); err != nil {
			t.Error(err)
		}
	})
	return cluster.URL(name)
}
