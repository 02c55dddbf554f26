package devstack

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5"
)

// clusterDir returns a fresh directory for a cluster. It is not t.TempDir:
// that one sits in a 0700 directory that the postgres user, which runs the
// cluster when the tests run as root, cannot traverse.
func clusterDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "devstack-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func startPostgres(t *testing.T, dir string, fast bool) *Postgres {
	t.Helper()
	pg, err := StartPostgres(t.Context(), PostgresOptions{Dir: dir, Fast: fast, Logger: newTestLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Stop() })
	return pg
}

func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func TestPostgres(t *testing.T) {
	dir := clusterDir(t)

	pg := startPostgres(t, dir, false)
	conn := connect(t, pg.URL("postgres"))
	if _, err := conn.Exec(t.Context(), "CREATE EXTENSION unaccent"); err != nil {
		t.Fatal(err)
	}
	var got string
	if err := conn.QueryRow(t.Context(), "SELECT unaccent('Dvořák')").Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != "Dvorak" {
		t.Errorf("unaccent('Dvořák') = %q, want %q", got, "Dvorak")
	}
	if _, err := conn.Exec(t.Context(), "CREATE TABLE kept (name text); INSERT INTO kept VALUES ('Dvořák')"); err != nil {
		t.Fatal(err)
	}

	_, err := StartPostgres(t.Context(), PostgresOptions{Dir: dir, Logger: newTestLogger(t)})
	if err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("second StartPostgres on a running cluster: err = %v, want an \"in use\" error", err)
	}

	pid := pg.proc.Pid
	if err := pg.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := pg.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("postgres pid %d still exists after Stop (kill: %v)", pid, err)
	}

	pg = startPostgres(t, dir, true)
	conn = connect(t, pg.URL("postgres"))
	if err := conn.QueryRow(t.Context(), "SELECT name FROM kept").Scan(&got); err != nil {
		t.Fatalf("table from the first run: %v", err)
	}
	if got != "Dvořák" {
		t.Errorf("row from the first run = %q, want %q", got, "Dvořák")
	}
	if err := pg.CreateDatabase(t.Context(), "copy", "template1"); err != nil {
		t.Fatal(err)
	}
	connect(t, pg.URL("copy")).Close(t.Context())
	if err := pg.DropDatabase(t.Context(), "copy"); err != nil {
		t.Fatal(err)
	}
	if err := pg.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
}

func TestStartPostgresUnreachableDir(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root hands the cluster to the postgres user")
	}
	dir := filepath.Join(clusterDir(t), "private", "cluster")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	_, err := StartPostgres(t.Context(), PostgresOptions{Dir: dir, Logger: newTestLogger(t)})
	if err == nil || !strings.Contains(err.Error(), "cannot reach") {
		t.Fatalf("err = %v, want a \"cannot reach\" error", err)
	}
}

func TestFindPostgresBin(t *testing.T) {
	bin, err := FindPostgresBin()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"initdb", "postgres"} {
		if _, err := os.Stat(filepath.Join(bin, name)); err != nil {
			t.Error(err)
		}
	}
}

func newTestLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), nil))
}

func TestStartPostgresPortInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	_, err = StartPostgres(t.Context(), PostgresOptions{Dir: clusterDir(t), Port: port, Fast: true, Logger: newTestLogger(t)})
	if err == nil || !strings.Contains(err.Error(), "exited during startup") || !strings.Contains(err.Error(), "could not bind") {
		t.Fatalf("err = %v, want an early exit with the log's bind error", err)
	}
	t.Log(err)
}
