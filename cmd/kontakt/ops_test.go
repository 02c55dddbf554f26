package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kontakt/kontakt/config"
	"github.com/kontakt/kontakt/devstack"
	"github.com/kontakt/kontakt/health"
	"github.com/kontakt/kontakt/metrics"
	"github.com/kontakt/kontakt/migrations"
)

// freeAddr returns a loopback address nothing listens on (for a moment).
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// getJSON GETs url and decodes a JSON answer into v (when not nil).
func getJSON(url string, v any) (int, error) {
	res, err := http.Get(url)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	if v != nil {
		if err := json.NewDecoder(res.Body).Decode(v); err != nil {
			return res.StatusCode, err
		}
	}
	return res.StatusCode, nil
}

// waitStatus polls url until it answers want, and returns the last report.
func waitStatus(t *testing.T, url string, want int) health.Report {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var rep health.Report
		code, err := getJSON(url, &rep)
		if code == want {
			return rep
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s answered %d (%v) %+v, want %d", url, code, err, rep, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestReadyzFollowsPostgres runs `kontakt serve` (runServe, as main runs it) against a
// PostgreSQL of its own, stops that PostgreSQL and starts it again: /readyz answers 503 while
// it is down or the schema is behind, 200 otherwise, on both listeners; /healthz stays 200.
func TestReadyzFollowsPostgres(t *testing.T) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "kontakt-readyz-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	dir = filepath.Join(dir, "pg") // the cluster directory must be searchable by the postgres account
	if err := os.Chmod(filepath.Dir(dir), 0o755); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	pg, err := devstack.StartPostgres(ctx, devstack.PostgresOptions{Dir: dir, Fast: true, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Stop() })
	if err := pg.CreateDatabase(ctx, "kontakt", ""); err != nil {
		t.Fatal(err)
	}
	url := pg.URL("kontakt")
	if err := migrations.UpURL(ctx, url); err != nil {
		t.Fatal(err)
	}
	httpAddr, opsAddr := freeAddr(t), freeAddr(t)
	cfg, err := config.Load(func(k string) string {
		return map[string]string{"KONTAKT_DATABASE_URL": url, "KONTAKT_HTTP_ADDR": httpAddr, "KONTAKT_METRICS_ADDR": opsAddr}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	serveCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- runServe(serveCtx, cfg, log) }()
	t.Cleanup(func() { stop(); <-done })

	readyz := []string{"http://" + httpAddr + "/readyz", "http://" + opsAddr + "/readyz"}
	for _, u := range readyz {
		if rep := waitStatus(t, u, 200); rep.Status != "ready" || rep.Checks["database"] != "ok" || rep.Checks["migrations"] != "ok" {
			t.Fatalf("%s: %+v", u, rep)
		}
	}

	if err := pg.Stop(); err != nil {
		t.Fatal(err)
	}
	for _, u := range readyz {
		if rep := waitStatus(t, u, 503); rep.Checks["database"] != "failed" || rep.Status != "unready" {
			t.Fatalf("%s with PostgreSQL stopped: %+v", u, rep)
		}
	}
	for _, u := range []string{"http://" + httpAddr + "/healthz", "http://" + opsAddr + "/healthz"} {
		if code, err := getJSON(u, nil); code != 200 {
			t.Fatalf("liveness %s with PostgreSQL stopped: %d %v", u, code, err)
		}
	}

	pg, err = devstack.StartPostgres(ctx, devstack.PostgresOptions{Dir: dir, Port: pg.Port(), Fast: true, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Stop() })
	for _, u := range readyz {
		waitStatus(t, u, 200)
	}

	// A schema behind the binary (a restored backup, say) is not ready either.
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	latest := migrations.Latest()
	var name string
	if err := pool.QueryRow(ctx, `DELETE FROM schema_migrations WHERE version = $1 RETURNING name`, latest).Scan(&name); err != nil {
		t.Fatal(err)
	}
	if rep := waitStatus(t, readyz[0], 503); rep.Checks["migrations"] != "failed" || rep.Checks["database"] != "ok" {
		t.Fatalf("outdated schema: %+v", rep)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, latest, name); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, readyz[0], 200)

	// The metrics listener serves /metrics, which counted the probes above by route.
	res, err := http.Get("http://" + opsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(body), `kontakt_http_requests_total{code="503",method="GET",route="/readyz"}`) {
		t.Errorf("/metrics lacks the main listener's /readyz 503s:\n%.2000s", body)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatalf("serve stopped with %v", err)
	}
	done <- nil // for the cleanup
}

// TestGracefulShutdown: when the process is told to stop, /readyz fails at once, the listener
// stays open for the drain delay, then closes, and a request in flight still gets its whole
// answer before serve returns.
func TestGracefulShutdown(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		fmt.Fprint(w, "finished")
	})
	hc := health.New(nil)
	mux.Handle("/readyz", hc.ReadyHandler())
	cfg, _ := config.Load(func(string) string { return "" })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := listen("http", "127.0.0.1:0", instrument(mux, cfg, log, metrics.New("test")))
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + s.ln.Addr().String()
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	done := make(chan error, 1)
	go func() {
		done <- runServers(ctx, log, []server{s}, drainPlan{hc: hc, delay: 300 * time.Millisecond, timeout: 30 * time.Second}, nil)
	}()

	type answer struct {
		code int
		body string
		err  error
	}
	got := make(chan answer, 1)
	go func() {
		res, err := http.Get(base + "/slow")
		if err != nil {
			got <- answer{err: err}
			return
		}
		b, err := io.ReadAll(res.Body)
		res.Body.Close()
		got <- answer{res.StatusCode, string(b), err}
	}()
	<-started
	stop()
	// During the delay the listener still answers, and says it is draining.
	if code, err := getJSON(base+"/readyz", nil); code != 503 {
		t.Fatalf("/readyz while draining: %d %v", code, err)
	}
	// Then it closes to new connections while the slow request is still running.
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.ln.Addr().String(), time.Second)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("the listener did not close")
		}
		time.Sleep(20 * time.Millisecond)
	}
	select {
	case err := <-done:
		t.Fatalf("serve returned before the request in flight finished: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	a := <-got
	if a.err != nil || a.code != 200 || a.body != "finished" {
		t.Fatalf("the request in flight got %+v", a)
	}
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
}

// TestShutdownTimeout: a request that outlives KONTAKT_SHUTDOWN_TIMEOUT does not hold the
// process: serve returns with an error naming the timeout.
func TestShutdownTimeout(t *testing.T) {
	started := make(chan struct{})
	block := make(chan struct{})
	defer close(block)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { close(started); <-block })
	s, err := listen("http", "127.0.0.1:0", h)
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- runServers(ctx, slog.New(slog.DiscardHandler), []server{s}, drainPlan{timeout: 200 * time.Millisecond}, nil)
	}()
	go http.Get("http://" + s.ln.Addr().String()) //nolint:errcheck
	<-started
	stop()
	if err := <-done; !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want the shutdown deadline", err)
	}
}
