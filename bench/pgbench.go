package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kontakt/kontakt/devstack"
)

// pgbenchDB is the database of pgbench's scratch table, in the intake suite's cluster.
const pgbenchDB = "kontakt_pgbench"

// pgbenchScript is one single-row INSERT per transaction.
const pgbenchScript = `\set n random(1, 1000000000)
INSERT INTO bench_insert (email) VALUES ('p' || :n || '@posta.example');
`

type pgbenchResult struct {
	version          string
	clients, threads int
	tps              float64
	processed        int
	latency          string // average, ms, as pgbench prints it
}

var (
	tpsLine       = regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)
	processedLine = regexp.MustCompile(`number of transactions actually processed: ([0-9]+)`)
	latencyLine   = regexp.MustCompile(`latency average = ([0-9.]+) ms`)
)

// pgbenchBin finds pgbench beside the server binaries devstack runs, else in PATH.
func pgbenchBin() (string, error) {
	if bin, err := devstack.FindPostgresBin(); err == nil {
		p := filepath.Join(bin, "pgbench")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	p, err := exec.LookPath("pgbench")
	if err != nil {
		return "", errors.New("pgbench not found beside initdb nor in PATH (Debian: apt-get install postgresql-contrib or postgresql-client)")
	}
	return p, nil
}

// runPgbench runs `pgbench -n -c clients -j threads -T length` with pgbenchScript against a
// scratch table in a database of its own on pg's cluster, over TCP as the cluster's
// superuser (the password goes in PGPASSWORD, not on the command line).
func runPgbench(ctx context.Context, pg *devstack.Postgres, dir string, clients int, length time.Duration) (pgbenchResult, error) {
	r := pgbenchResult{clients: clients, threads: min(clients, runtime.NumCPU())}
	bin, err := pgbenchBin()
	if err != nil {
		return r, err
	}
	out, err := exec.CommandContext(ctx, bin, "--version").Output()
	if err != nil {
		return r, fmt.Errorf("pgbench --version: %w", err)
	}
	r.version = strings.TrimPrefix(strings.TrimSpace(string(out)), "pgbench (PostgreSQL) ")

	if err := pg.DropDatabase(ctx, pgbenchDB); err != nil {
		return r, err
	}
	if err := pg.CreateDatabase(ctx, pgbenchDB, ""); err != nil {
		return r, err
	}
	conn, err := pgx.Connect(ctx, pg.URL(pgbenchDB))
	if err != nil {
		return r, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, `CREATE TABLE bench_insert (id bigserial PRIMARY KEY, email text, at timestamptz DEFAULT now())`); err != nil {
		return r, err
	}
	script := filepath.Join(dir, "pgbench-insert.sql")
	if err := os.WriteFile(script, []byte(pgbenchScript), 0o644); err != nil {
		return r, err
	}
	defer os.Remove(script)

	u, err := url.Parse(pg.URL(pgbenchDB))
	if err != nil {
		return r, err
	}
	password, _ := u.User.Password()
	args := []string{"-n", "-c", strconv.Itoa(r.clients), "-j", strconv.Itoa(r.threads),
		"-T", strconv.Itoa(int(length.Seconds())), "-f", script,
		"-h", u.Hostname(), "-p", u.Port(), "-U", u.User.Username(), pgbenchDB}
	logf("pgbench %s", strings.Join(args, " "))
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PGPASSWORD="+password, "PGSSLMODE=disable")
	out, err = cmd.CombinedOutput()
	if err != nil {
		return r, fmt.Errorf("pgbench: %w\n%s", err, out)
	}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		logf("  %s", l)
	}
	m := tpsLine.FindSubmatch(out)
	if m == nil {
		return r, fmt.Errorf("pgbench printed no tps line:\n%s", out)
	}
	if r.tps, err = strconv.ParseFloat(string(m[1]), 64); err != nil {
		return r, err
	}
	if m := processedLine.FindSubmatch(out); m != nil {
		r.processed, _ = strconv.Atoi(string(m[1]))
	}
	if m := latencyLine.FindSubmatch(out); m != nil {
		r.latency = string(m[1])
	}
	// Every transaction pgbench counted is in the table.
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM bench_insert`).Scan(&n); err != nil {
		return r, err
	}
	if n < r.processed {
		return r, fmt.Errorf("pgbench reports %d transactions, the table holds %d rows", r.processed, n)
	}
	return r, nil
}
