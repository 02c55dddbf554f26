package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kontakt/kontakt/devstack"
	"github.com/kontakt/kontakt/devstack/testdb"
	"github.com/kontakt/kontakt/migrations"
	"github.com/kontakt/kontakt/store"
)

// pgDump dumps the database at url in custom format (pg_dump -Fc) with the pg_dump beside
// the PostgreSQL server the tests run, into a file in dir.
func pgDump(t *testing.T, url, dir string) string {
	t.Helper()
	bin, err := devstack.FindPostgresBin()
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "kontakt.dump")
	out, err := exec.CommandContext(t.Context(), filepath.Join(bin, "pg_dump"), "-Fc", "-f", file, "--dbname", url).CombinedOutput()
	if err != nil {
		t.Fatalf("pg_dump: %v\n%s", err, out)
	}
	return file
}

// reportedCounts reads the table of row counts that backup verify prints.
func reportedCounts(out string) map[string]int {
	counts := map[string]int{}
	for line := range strings.Lines(out) {
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		if n, err := strconv.Atoi(f[1]); err == nil {
			counts[f[0]] = n
		}
	}
	return counts
}

// scratchDatabases counts the scratch databases verify left on the server of url.
func scratchDatabases(t *testing.T, url string) int {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	var n int
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM pg_database WHERE datname LIKE 'kontakt\_verify\_%'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestBackupVerify drills a restore: the demo data, dumped with pg_dump -Fc, restores into a
// scratch database with the same row counts and passes the integrity checks; damaged files
// fail with a message that says so; no scratch database is left behind.
func TestBackupVerify(t *testing.T) {
	ctx := t.Context()
	url := testdb.New(t)
	if err := migrations.UpURL(ctx, url); err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	st := store.New(pool, "CZ")
	if _, err := devstack.SeedDemo(ctx, st, "", slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	if _, err := devstack.SeedDemoNewsletter(ctx, st); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	for _, table := range backupTables {
		var n int
		if err := pool.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		want[table] = n
	}
	pool.Close()
	if want["contacts"] == 0 || want["consents"] == 0 || want["audit_log"] == 0 {
		t.Fatalf("the demo seeded too little to check: %v", want)
	}
	dir := t.TempDir()
	dump := pgDump(t, url, dir)

	t.Run("restores with the same counts", func(t *testing.T) {
		var out, errOut bytes.Buffer
		if err := run([]string{"backup", "verify", "-server", url, dump}, strings.NewReader(""), &out, &errOut); err != nil {
			t.Fatalf("verify: %v\n%s", err, out.String())
		}
		got := reportedCounts(out.String())
		for table, n := range want {
			if got[table] != n {
				t.Errorf("%s: verify reports %d rows, the database had %d", table, got[table], n)
			}
		}
		for _, s := range []string{"schema version " + strconv.Itoa(migrations.Latest()) + ", current", "ok    the audit log is append-only", "backup verified"} {
			if !strings.Contains(out.String(), s) {
				t.Errorf("verify's report lacks %q:\n%s", s, out.String())
			}
		}
	})

	t.Run("a file that is no dump", func(t *testing.T) {
		bad := filepath.Join(dir, "notes.txt")
		if err := os.WriteFile(bad, []byte("not a dump at all\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		err := run([]string{"backup", "verify", "-server", url, bad}, strings.NewReader(""), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "not a custom-format dump") {
			t.Fatalf("verify of a text file: %v", err)
		}
	})

	t.Run("a truncated dump", func(t *testing.T) {
		b, err := os.ReadFile(dump)
		if err != nil {
			t.Fatal(err)
		}
		cut := filepath.Join(dir, "cut.dump")
		if err := os.WriteFile(cut, b[:len(b)/2], 0o600); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		err = run([]string{"backup", "verify", "-server", url, cut}, strings.NewReader(""), &out, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "pg_restore could not restore") || !strings.Contains(err.Error(), "damaged or incomplete") {
			t.Fatalf("verify of a truncated dump: %v\n%s", err, out.String())
		}
	})

	if n := scratchDatabases(t, url); n != 0 {
		t.Errorf("verify left %d scratch databases", n)
	}
}

// TestBackupVerifyMigratesOlderDump verifies, on a private cluster of its own (no -server),
// a dump made by the previous schema version: the scratch copy is migrated to the current one.
func TestBackupVerifyMigratesOlderDump(t *testing.T) {
	ctx := t.Context()
	url := testdb.New(t)
	all, err := migrations.All()
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE schema_migrations (version int PRIMARY KEY, name text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		t.Fatal(err)
	}
	for _, m := range all[:len(all)-1] {
		if _, err := conn.Exec(ctx, m.SQL); err != nil {
			t.Fatalf("%d: %v", m.Version, err)
		}
		if _, err := conn.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name); err != nil {
			t.Fatal(err)
		}
	}
	conn.Close(context.Background())
	dump := pgDump(t, url, t.TempDir())

	var out bytes.Buffer
	if err := run([]string{"backup", "verify", dump}, strings.NewReader(""), &out, io.Discard); err != nil {
		t.Fatalf("verify: %v\n%s", err, out.String())
	}
	want := "schema version " + strconv.Itoa(all[len(all)-2].Version) + ", migrated to " + strconv.Itoa(migrations.Latest())
	if !strings.Contains(out.String(), want) {
		t.Fatalf("verify's report lacks %q:\n%s", want, out.String())
	}
}

// TestBackupVerifyFailsCheck verifies a dump of a database whose audit log lost its
// append-only trigger: verify reports the failed check and exits with an error.
func TestBackupVerifyFailsCheck(t *testing.T) {
	ctx := t.Context()
	url := testdb.New(t)
	if err := migrations.UpURL(ctx, url); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `DROP TRIGGER audit_log_no_update ON audit_log`); err != nil {
		t.Fatal(err)
	}
	conn.Close(context.Background())
	dump := pgDump(t, url, t.TempDir())
	var out bytes.Buffer
	err = run([]string{"backup", "verify", "-server", url, dump}, strings.NewReader(""), &out, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "1 of 6 integrity checks failed") ||
		!strings.Contains(out.String(), "FAIL  the audit log is append-only") {
		t.Fatalf("verify of a dump without the audit trigger: %v\n%s", err, out.String())
	}
}
