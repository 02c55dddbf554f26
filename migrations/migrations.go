// Package migrations holds Kontakt's numbered SQL migrations, embedded in the binary, and
// applies them. Each file NNN_name.sql runs in one transaction; schema_migrations records
// what ran. Only cmd and tests import this package.
package migrations

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed *.sql
var files embed.FS

// lockID is the advisory lock that serialises concurrent Up calls from several replicas.
const lockID = 7_051_202_401

// Migration is one numbered SQL file.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// ErrOutdated reports a database whose schema is older than this binary expects.
var ErrOutdated = errors.New("migrations: database schema is outdated")

// All returns the embedded migrations in version order.
func All() ([]Migration, error) {
	names, err := fs.Glob(files, "*.sql")
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	var out []Migration
	seen := map[int]string{}
	for _, n := range names {
		num, _, ok := strings.Cut(n, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migrations: file %q is not named NNN_name.sql", n)
		}
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrations: %q and %q share version %d", prev, n, v)
		}
		seen[v] = n
		b, err := files.ReadFile(n)
		if err != nil {
			return nil, fmt.Errorf("migrations: %w", err)
		}
		out = append(out, Migration{Version: v, Name: strings.TrimSuffix(path.Base(n), ".sql"), SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// Latest is the version of the newest embedded migration.
func Latest() int {
	all, err := All()
	if err != nil || len(all) == 0 {
		return 0
	}
	return all[len(all)-1].Version
}

const createTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    int PRIMARY KEY,
    name       text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)`

// Current returns the highest applied version, 0 for an empty database.
func Current(ctx context.Context, pool *pgxpool.Pool) (int, error) {
	var exists bool
	if err := pool.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
		return 0, fmt.Errorf("migrations: %w", err)
	}
	if !exists {
		return 0, nil
	}
	var v int
	if err := pool.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("migrations: %w", err)
	}
	return v, nil
}

// Check returns ErrOutdated (wrapped with the versions) when migrations are pending, and an
// error when the database is newer than this binary.
func Check(ctx context.Context, pool *pgxpool.Pool) error {
	cur, err := Current(ctx, pool)
	if err != nil {
		return err
	}
	latest := Latest()
	switch {
	case cur < latest:
		return fmt.Errorf("%w: at version %d, this binary needs %d; run `kontakt migrate`", ErrOutdated, cur, latest)
	case cur > latest:
		return fmt.Errorf("migrations: database schema version %d is newer than this binary's %d; upgrade kontakt", cur, latest)
	}
	return nil
}

// Up applies every pending migration, each in its own transaction, and returns how many ran.
// Concurrent callers wait on an advisory lock, so replicas may all call it at start.
func Up(ctx context.Context, pool *pgxpool.Pool) (int, error) {
	all, err := All()
	if err != nil {
		return 0, err
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return 0, fmt.Errorf("migrations: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, lockID); err != nil {
		return 0, fmt.Errorf("migrations: lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, lockID) //nolint:errcheck
	if _, err := conn.Exec(ctx, createTable); err != nil {
		return 0, fmt.Errorf("migrations: %w", err)
	}
	ran := 0
	for _, m := range all {
		var done bool
		if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`, m.Version).Scan(&done); err != nil {
			return ran, fmt.Errorf("migrations: %w", err)
		}
		if done {
			continue
		}
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name)
			return err
		})
		if err != nil {
			return ran, fmt.Errorf("migrations: %03d_%s: %w", m.Version, m.Name, err)
		}
		ran++
	}
	return ran, nil
}

// UpURL applies every pending migration to the database at url; tests pass it to
// testdb.Main to prepare their template database.
func UpURL(ctx context.Context, url string) error {
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	defer pool.Close()
	_, err = Up(ctx, pool)
	return err
}
