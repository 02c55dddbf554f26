package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kontakt/kontakt/migrations"
)

const backupUsage = `usage: kontakt backup verify [-server URL] [-pg-bin DIR] DUMP

Restores DUMP, a custom-format archive of Kontakt's database (pg_dump -Fc), into a scratch
database, brings its schema to this binary's version, counts the main tables and checks the
restored data's integrity. The scratch database is dropped afterwards.

  -server URL   a PostgreSQL server to restore on, as a connection URL to any database there;
                its user needs CREATEDB. Without it, a build with the dev stack starts a
                private PostgreSQL cluster from the installed server binaries.
  -pg-bin DIR   the directory of pg_restore (default: the installed PostgreSQL server's, or PATH)
`

// backupTables are the tables verify counts: what a restore drill should recognise.
var backupTables = []string{
	"users", "groups", "address_books", "book_grants", "contacts", "contact_points",
	"attached_items", "purposes", "forms", "consents", "consent_events", "consent_requests",
	"sync_grants", "devices", "projects", "events", "campaigns", "tasks", "erasures", "audit_log",
}

// backupCheck is one integrity check on the restored database: a query whose answer is
// the number of problems it finds.
type backupCheck struct {
	name string
	sql  string
}

// backupChecks are what verify checks on the restored copy.
var backupChecks = []backupCheck{
	{"every contact's address book exists",
		`SELECT count(*) FROM contacts c WHERE NOT EXISTS (SELECT 1 FROM address_books b WHERE b.id = c.book_id)`},
	{"every consent's contact and purpose exist",
		`SELECT count(*) FROM consents k WHERE NOT EXISTS (SELECT 1 FROM contacts c WHERE c.id = k.contact_id)
		   OR NOT EXISTS (SELECT 1 FROM purposes p WHERE p.id = k.purpose_id)`},
	{"every foreign key is present and validated",
		`SELECT CASE WHEN count(*) FILTER (WHERE contype = 'f') = 0 THEN 1 ELSE count(*) FILTER (WHERE NOT convalidated) END
		   FROM pg_constraint WHERE connamespace = 'public'::regnamespace`},
	{"the audit log is append-only (triggers present and enabled)",
		`SELECT 2 - count(*) FROM pg_trigger
		  WHERE tgrelid = 'audit_log'::regclass AND tgname IN ('audit_log_no_update', 'audit_log_no_truncate') AND tgenabled <> 'D'`},
	{"consent history is append-only (trigger present and enabled)",
		`SELECT 1 - count(*) FROM pg_trigger
		  WHERE tgrelid = 'consent_events'::regclass AND tgname = 'consent_events_no_update' AND tgenabled <> 'D'`},
	{"extensions unaccent and pg_trgm installed",
		`SELECT 2 - count(*) FROM pg_extension WHERE extname IN ('unaccent', 'pg_trgm')`},
}

// runBackup dispatches `kontakt backup` subcommands.
func runBackup(ctx context.Context, log *slog.Logger, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		fmt.Fprint(stderr, backupUsage)
		return errors.New("backup: the only subcommand is verify")
	}
	fs := flag.NewFlagSet("backup verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, backupUsage) }
	server := fs.String("server", "", "connection URL of a PostgreSQL server to restore on (its user needs CREATEDB)")
	pgBin := fs.String("pg-bin", "", "directory of pg_restore")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("backup: verify needs one dump file")
	}
	return verifyBackup(ctx, log, fs.Arg(0), *server, *pgBin, stdout)
}

// verifyBackup restores dump into a scratch database on server (or on a private cluster
// when server is empty), migrates it, and reports counts and checks to w. It fails when
// the restore, the migration or any check fails.
func verifyBackup(ctx context.Context, log *slog.Logger, dump, server, pgBin string, w io.Writer) error {
	size, err := checkDumpFile(dump)
	if err != nil {
		return err
	}
	restore, err := findPgRestore(pgBin)
	if err != nil {
		return err
	}
	if server == "" {
		srv, stop, err := scratchServer(ctx, log)
		if err != nil {
			return err
		}
		defer stop()
		server = srv
	}
	scratchURL, drop, err := createScratch(ctx, server)
	if err != nil {
		return err
	}
	defer drop()
	start := time.Now()
	if err := pgRestore(ctx, restore, dump, scratchURL); err != nil {
		return err
	}
	fmt.Fprintf(w, "restored %s (%d bytes) into a scratch database in %v\n", dump, size, time.Since(start).Round(time.Millisecond))

	pool, err := pgxpool.New(ctx, scratchURL)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer pool.Close()
	if err := migrateScratch(ctx, pool, w); err != nil {
		return err
	}
	if err := countTables(ctx, pool, w); err != nil {
		return err
	}
	failed := 0
	for _, c := range backupChecks {
		var problems int
		if err := pool.QueryRow(ctx, c.sql).Scan(&problems); err != nil {
			fmt.Fprintf(w, "FAIL  %s: %v\n", c.name, err)
			failed++
			continue
		}
		if problems != 0 {
			fmt.Fprintf(w, "FAIL  %s: %d problems\n", c.name, problems)
			failed++
			continue
		}
		fmt.Fprintf(w, "ok    %s\n", c.name)
	}
	if failed > 0 {
		return fmt.Errorf("backup: %d of %d integrity checks failed", failed, len(backupChecks))
	}
	fmt.Fprintln(w, "backup verified: it restores, migrates and passes every check")
	return nil
}

// checkDumpFile makes sure dump is a pg_dump custom-format archive, which begins with
// "PGDMP", and returns its size.
func checkDumpFile(dump string) (int64, error) {
	f, err := os.Open(dump)
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	defer f.Close()
	magic := make([]byte, 5)
	if _, err := io.ReadFull(f, magic); err != nil || string(magic) != "PGDMP" {
		return 0, fmt.Errorf("backup: %s is not a custom-format dump (made with pg_dump -Fc)", dump)
	}
	fi, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	return fi.Size(), nil
}

// findPgRestore returns the pg_restore to run: the one in dir when given, else the one
// beside the installed PostgreSQL server (dev builds), else the one in PATH.
func findPgRestore(dir string) (string, error) {
	if dir != "" {
		p := filepath.Join(dir, "pg_restore")
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("backup: -pg-bin: %w", err)
		}
		return p, nil
	}
	if d := postgresBinDir(); d != "" {
		if p := filepath.Join(d, "pg_restore"); fileExists(p) {
			return p, nil
		}
	}
	p, err := exec.LookPath("pg_restore")
	if err != nil {
		return "", errors.New("backup: pg_restore not found: install the PostgreSQL client (e.g. apt-get install postgresql-client) or name its directory with -pg-bin")
	}
	return p, nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// createScratch creates an empty database with a random name on the server that
// serverURL connects to, and returns its URL and a function that drops it.
func createScratch(ctx context.Context, serverURL string) (string, func(), error) {
	u, err := url.Parse(serverURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", nil, errors.New("backup: -server must be a postgres:// URL")
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "kontakt_verify_" + hex.EncodeToString(b)
	execSQL := func(ctx context.Context, sql string) error {
		conn, err := pgx.Connect(ctx, serverURL)
		if err != nil {
			return err
		}
		defer conn.Close(context.WithoutCancel(ctx))
		_, err = conn.Exec(ctx, sql)
		return err
	}
	if err := execSQL(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", nil, fmt.Errorf("backup: create scratch database: %w", err)
	}
	drop := func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		_ = execSQL(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	}
	u.Path = "/" + name
	return u.String(), drop, nil
}

// pgRestore restores dump into the database at dbURL, in one transaction that stops at the
// first error. The password goes through the environment, not the command line.
func pgRestore(ctx context.Context, bin, dump, dbURL string) error {
	u, err := url.Parse(dbURL)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	env := os.Environ()
	if pw, ok := u.User.Password(); ok {
		env = append(env, "PGPASSWORD="+pw)
		u.User = url.User(u.User.Username())
	}
	cmd := exec.CommandContext(ctx, bin, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
		"--dbname", u.String(), dump)
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(out.String())
		if len(msg) > 2000 {
			msg = "..." + msg[len(msg)-2000:]
		}
		return fmt.Errorf("backup: pg_restore could not restore %s (%v); the dump is damaged or incomplete:\n%s", dump, err, msg)
	}
	return nil
}

// migrateScratch checks the restored schema's version as `kontakt serve` would, and brings
// an older one up to date, as `kontakt migrate` would after a real restore.
func migrateScratch(ctx context.Context, pool *pgxpool.Pool, w io.Writer) error {
	from, err := migrations.Current(ctx, pool)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	latest := migrations.Latest()
	switch {
	case from == 0:
		return errors.New("backup: the dump holds no Kontakt schema (no schema_migrations): is it Kontakt's database?")
	case from > latest:
		return fmt.Errorf("backup: the dump's schema version %d is newer than this binary's %d: verify it with the kontakt that made it", from, latest)
	}
	if _, err := migrations.Up(ctx, pool); err != nil {
		return fmt.Errorf("backup: the dump's schema (version %d) does not migrate: %w", from, err)
	}
	if err := migrations.Check(ctx, pool); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if from < latest {
		fmt.Fprintf(w, "schema version %d, migrated to %d\n", from, latest)
	} else {
		fmt.Fprintf(w, "schema version %d, current\n", from)
	}
	return nil
}

// countTables writes the row count of each of backupTables.
func countTables(ctx context.Context, pool *pgxpool.Pool, w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "table\trows")
	for _, t := range backupTables {
		var n int64
		if err := pool.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{t}.Sanitize()).Scan(&n); err != nil {
			return fmt.Errorf("backup: count %s: %w", t, err)
		}
		fmt.Fprintf(tw, "%s\t%d\n", t, n)
	}
	return tw.Flush()
}
