package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/kontakt/kontakt/config"
	"github.com/kontakt/kontakt/devstack"
	"github.com/kontakt/kontakt/devstack/mailcatcher"
	"github.com/kontakt/kontakt/devstack/testdb"
	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
	"github.com/kontakt/kontakt/workflows"
)

// asKontakt makes the test binary run as the kontakt command, so that tests can start
// `kontakt serve` and `kontakt worker` as real processes of their own.
const asKontakt = "KONTAKT_TEST_AS_KONTAKT"

func init() {
	if os.Getenv(asKontakt) == "1" {
		main()
		os.Exit(0)
	}
}

// syncBuffer collects a process's output while it runs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// proc is one kontakt process started by a test.
type proc struct {
	name string
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan error
	env  map[string]string
}

// startKontakt runs `kontakt args...` (this test binary) with env over a clean environment.
func startKontakt(t *testing.T, name string, env map[string]string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "KONTAKT_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, asKontakt+"=1")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := &proc{name: name, cmd: cmd, out: &syncBuffer{}, done: make(chan error, 1), env: env}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// stop sends SIGTERM, as an orchestrator does, and expects a clean exit.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("%s: %v", p.name, err)
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("%s exited with %v:\n%s", p.name, err, p.out)
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("%s did not stop:\n%s", p.name, p.out)
	}
}

// wait expects the process to exit cleanly by itself.
func (p *proc) wait(t *testing.T) {
	t.Helper()
	if err := <-p.done; err != nil {
		t.Fatalf("%s: %v\n%s", p.name, err, p.out)
	}
}

// ops is the base URL of the process's operations listener.
func (p *proc) ops() string { return "http://" + p.env["KONTAKT_METRICS_ADDR"] }

// base is the base URL of a serve process's API.
func (p *proc) base() string { return "http://" + p.env["KONTAKT_HTTP_ADDR"] }

// metric sums the samples of a metric whose labels include every one of labels
// (`name="x"` pairs) in the process's /metrics.
func (p *proc) metric(t *testing.T, name string, labels ...string) float64 {
	t.Helper()
	res, err := http.Get(p.ops() + "/metrics")
	if err != nil {
		t.Fatalf("%s /metrics: %v", p.name, err)
	}
	defer res.Body.Close()
	sum := 0.0
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		ok := true
		for _, l := range labels {
			ok = ok && strings.Contains(line, l)
		}
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err != nil {
			t.Fatalf("%s: %q", p.name, line)
		}
		sum += v
	}
	return sum
}

// TestTwoServeReplicas runs what a production deployment runs: two `kontakt serve`
// processes behind a round-robin proxy and one `kontakt worker`, each with its own pool and
// Temporal client, sharing nothing but one PostgreSQL and one Temporal server. Submissions
// are taken by both while Temporal is down; both are restarted once it is up (and reconcile
// their outbox at start, together with the worker); then both take submissions at once,
// including the same address posted to both replicas at the same moment. Every request gets
// exactly one workflow and exactly one mail, the rate limits are shared, the processes' logs
// are JSON with request ids and without personal data, and their /metrics agree.
func TestTwoServeReplicas(t *testing.T) {
	ctx := context.Background()
	dbURL := testdb.New(t)
	startKontakt(t, "migrate", map[string]string{"KONTAKT_DATABASE_URL": dbURL}, "migrate").wait(t)

	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	quiet := slog.New(slog.DiscardHandler)
	st := store.New(pool, "CZ")
	if _, err := devstack.SeedDemo(ctx, st, "demo-heslo-2026", quiet); err != nil {
		t.Fatal(err)
	}
	catcher, err := mailcatcher.Start("127.0.0.1:0", quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { catcher.Close() })

	// The proxy in front (Caddy in deploy/compose), round robin over the running replicas.
	var (
		upMu     sync.Mutex
		upstream []*url.URL
		turn     atomic.Int64
	)
	proxy := httptest.NewServer(&httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		upMu.Lock()
		u := upstream[int(turn.Add(1))%len(upstream)]
		upMu.Unlock()
		pr.SetURL(u)
		pr.Out.Host = pr.In.Host
		pr.Out.Header["X-Forwarded-For"] = pr.In.Header["X-Forwarded-For"]
		pr.SetXForwarded() // appends the proxy's peer (127.0.0.1) to X-Forwarded-For
	}})
	t.Cleanup(proxy.Close)
	form, err := devstack.SeedDemoForm(ctx, st, proxy.URL)
	if err != nil {
		t.Fatal(err)
	}

	temporalAddr := freeAddr(t) // nothing listens here until Temporal starts
	common := map[string]string{
		"KONTAKT_DATABASE_URL":     dbURL,
		"KONTAKT_DB_MAX_CONNS":     "4",
		"KONTAKT_TEMPORAL_ADDRESS": temporalAddr,
		"KONTAKT_PUBLIC_URL":       proxy.URL,
		"KONTAKT_LOG_FORMAT":       "json",
		"KONTAKT_LOG_LEVEL":        "info",
		"KONTAKT_TRUSTED_PROXIES":  "127.0.0.1",
		"KONTAKT_SHUTDOWN_DELAY":   "100ms",
		"KONTAKT_SMTP_HOST":        catcher.Host(),
		"KONTAKT_SMTP_PORT":        strconv.Itoa(catcher.Port()),
		"KONTAKT_SMTP_TLS":         "none",
		"KONTAKT_SMTP_FROM":        "Stavebniny Demo <kontakt@demo.example>",
	}
	var all []*proc // every process started, for the log checks
	t.Cleanup(func() {
		if t.Failed() {
			for _, p := range all {
				t.Logf("output of %s:\n%s", p.name, p.out)
			}
		}
	})
	start := func(name string, args ...string) *proc {
		env := map[string]string{"KONTAKT_HTTP_ADDR": freeAddr(t), "KONTAKT_METRICS_ADDR": freeAddr(t)}
		for k, v := range common {
			env[k] = v
		}
		p := startKontakt(t, name, env, args...)
		all = append(all, p)
		return p
	}
	serveBoth := func(a, b *proc) {
		upMu.Lock()
		upstream = nil
		for _, p := range []*proc{a, b} {
			u, _ := url.Parse(p.base())
			upstream = append(upstream, u)
		}
		upMu.Unlock()
	}

	var (
		ipSeq   atomic.Int64
		emails  sync.Map // every address submitted
		postsMu sync.Mutex
		posts   = map[int]int{} // answers by status
	)
	// submit posts the demo form to base as a browser on the organisation's site would,
	// from a client address of its own (in X-Forwarded-For: the replicas trust 127.0.0.1).
	submit := func(base, email string) int {
		emails.Store(email, true)
		body := url.Values{"email": {email}, "name": {"Karel Nový"}, "purposes": {"newsletter"}}.Encode()
		req, _ := http.NewRequest("POST", base+"/public/forms/"+form.Key+"/consents", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", proxy.URL)
		req.Header.Set("X-Forwarded-For", fmt.Sprintf("198.51.100.%d", ipSeq.Add(1)))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Errorf("submit %s to %s: %v", email, base, err)
			return 0
		}
		res.Body.Close()
		postsMu.Lock()
		posts[res.StatusCode]++
		postsMu.Unlock()
		return res.StatusCode
	}
	waitServing := func(ps ...*proc) {
		for _, p := range ps {
			waitStatus(t, p.ops()+"/readyz", 200)
		}
	}

	// 1. Temporal is down: both replicas take submissions into the outbox, and stay ready
	// (Temporal is optional for serve), saying so.
	a, b := start("serve-a", "serve"), start("serve-b", "serve")
	waitServing(a, b)
	serveBoth(a, b)
	if rep := waitStatus(t, a.ops()+"/readyz", 200); rep.Status != "degraded" || rep.Checks["temporal"] != "failed" {
		t.Fatalf("serve without Temporal: %+v", rep)
	}
	var first []string
	for i := range 6 {
		e := fmt.Sprintf("prvni.%d@posta.example", i)
		first = append(first, e)
		if code := submit([]*proc{a, b}[i%2].base(), e); code != http.StatusAccepted {
			t.Fatalf("submit %s while Temporal is down: %d", e, code)
		}
	}
	var waiting int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM consent_requests WHERE workflow_started_at IS NULL`).Scan(&waiting); err != nil || waiting != 6 {
		t.Fatalf("%d requests in the outbox (%v), want 6", waiting, err)
	}
	// The consent evidence holds the client's address, not the proxy's.
	var ip string
	if err := pool.QueryRow(ctx, `SELECT ip FROM consent_requests WHERE email = $1`, first[0]).Scan(&ip); err != nil || ip != "198.51.100.1" {
		t.Fatalf("evidence ip %q (%v), want the X-Forwarded-For client 198.51.100.1", ip, err)
	}
	// Both stop cleanly (SIGTERM), having started nothing.
	a.stop(t)
	b.stop(t)

	// 2. Temporal is up: both replicas restart and the worker starts, all three at once, and
	// each reconciles the outbox at start.
	ts := startTemporal(t, portOf(t, temporalAddr))
	a2, b2, w := start("serve-a2", "serve"), start("serve-b2", "serve"), start("worker", "worker")
	waitServing(a2, b2, w)
	serveBoth(a2, b2)

	// 3. Both replicas take submissions at once: distinct addresses through the proxy, and
	// one address posted to both replicas directly at the same moment, twice each.
	const shared = "spolecna@posta.example"
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			if code := submit(proxy.URL, fmt.Sprintf("druhy.%d@posta.example", i)); code != http.StatusAccepted {
				t.Errorf("submit through the proxy: %d", code)
			}
		})
	}
	for i := range 4 {
		wg.Go(func() {
			if code := submit([]*proc{a2, b2}[i%2].base(), shared); code != http.StatusAccepted {
				t.Errorf("submit %s: %d", shared, code)
			}
		})
	}
	wg.Wait()
	// The per-address limit (5 in 10 minutes) is shared: the fifth post is taken by one
	// replica, the sixth refused by the other.
	if code := submit(a2.base(), shared); code != http.StatusAccepted {
		t.Fatalf("fifth post of %s: %d", shared, code)
	}
	if code := submit(b2.base(), shared); code != http.StatusTooManyRequests {
		t.Fatalf("sixth post of %s to the other replica: %d, want 429", shared, code)
	}

	// 4. One request per address, one workflow per request, one mail per address.
	var addresses []string
	emails.Range(func(k, _ any) bool { addresses = append(addresses, k.(string)); return true })
	const want = 6 + 8 + 1
	if len(addresses) != want {
		t.Fatalf("%d addresses submitted, want %d", len(addresses), want)
	}
	var requests, distinct int
	if err := pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT lower(email)) FROM consent_requests`).Scan(&requests, &distinct); err != nil {
		t.Fatal(err)
	}
	if requests != want || distinct != want {
		t.Fatalf("%d consent requests for %d addresses, want %d", requests, distinct, want)
	}
	waitFor(t, "every request's workflow recorded as started", func() bool {
		var n int
		_ = pool.QueryRow(ctx, `SELECT count(*) FROM consent_requests WHERE workflow_started_at IS NULL`).Scan(&n)
		return n == 0
	})
	waitFor(t, fmt.Sprintf("%d mails", want), func() bool { return len(catcher.Messages()) >= want })

	c, err := temporalClient(common2cfg(t, common), ts.Address(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rows, err := pool.Query(ctx, `SELECT id::text FROM consent_requests`)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	// Every verification has sent its mail and waits for the person: nothing is pending that
	// could still send one, so the count of mails below is final.
	for _, id := range ids {
		waitFor(t, "verification "+id+" idle", func() bool {
			d, err := c.DescribeWorkflowExecution(ctx, workflows.ConsentVerificationID(id), "")
			return err == nil && len(d.PendingActivities) == 0 && d.WorkflowExecutionInfo.GetHistoryLength() >= 5
		})
	}
	runs := map[string]int{}
	waitFor(t, "visibility of every verification", func() bool {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: "default", Query: "WorkflowType = 'ConsentVerification'", PageSize: 1000})
		if err != nil {
			return false
		}
		clear(runs)
		for _, e := range resp.Executions {
			runs[e.Execution.WorkflowId]++
		}
		return len(resp.Executions) >= want
	})
	for _, id := range ids {
		if n := runs[workflows.ConsentVerificationID(id)]; n != 1 {
			t.Errorf("request %s has %d workflow runs, want 1", id, n)
		}
	}
	if len(runs) != want {
		t.Errorf("%d verifications, want %d", len(runs), want)
	}
	mailsTo := map[string]int{}
	for _, m := range catcher.Messages() {
		for _, to := range m.To {
			mailsTo[to]++
		}
	}
	for _, e := range addresses {
		if mailsTo[e] != 1 {
			t.Errorf("%d confirmation mails to %s, want 1", mailsTo[e], e)
		}
	}
	if n := len(catcher.Messages()); n != want {
		t.Errorf("%d mails in all, want %d", n, want)
	}

	// 5. The processes' own counts agree: one start per request across the three, the
	// others found their workflow already there; the mails the worker sent; what the
	// replicas took and refused.
	started := 0.0
	for _, p := range []*proc{a2, b2, w} {
		started += p.metric(t, "kontakt_workflow_starts_total", `workflow="ConsentVerification"`, `result="started"`)
	}
	if started != want {
		t.Errorf("kontakt_workflow_starts_total{result=started} sums to %v over the processes, want %d", started, want)
	}
	if n := w.metric(t, "kontakt_mail_sent_total"); n != want {
		t.Errorf("the worker's kontakt_mail_sent_total is %v, want %d", n, want)
	}
	accepted := a2.metric(t, "kontakt_intake_submissions_total", `result="accepted"`) + b2.metric(t, "kontakt_intake_submissions_total", `result="accepted"`)
	limited := a2.metric(t, "kontakt_intake_submissions_total", `result="rate_limited"`) + b2.metric(t, "kontakt_intake_submissions_total", `result="rate_limited"`)
	if accepted != 8+4+1 || limited != 1 {
		t.Errorf("intake counted %v accepted and %v rate-limited by the restarted replicas, want 13 and 1", accepted, limited)
	}
	if a2.metric(t, "kontakt_http_requests_total", `route="/public/forms/{key}/consents"`, `method="POST"`, `code="202"`) == 0 {
		t.Error("no POST 202 of the intake route in serve-a2's HTTP metrics")
	}
	if w.metric(t, "temporal_request") == 0 || w.metric(t, "temporal_workflow_task_execution_latency_count") == 0 {
		t.Error("the worker exposes no Temporal SDK metrics")
	}
	already := 0.0
	for _, p := range []*proc{a2, b2, w} {
		already += p.metric(t, "kontakt_workflow_starts_total", `result="already_started"`)
	}
	t.Logf("starts: %v new, %v found already started; mails: %d; answers: %v", started, already, len(catcher.Messages()), posts)

	// 6. The flow goes on through either replica: two people confirm by the links in their
	// mails (on the proxy, so the GET and the POST may land on different replicas).
	s := &stack{t: t, st: st, catcher: catcher}
	for _, e := range []string{first[0], shared} {
		s.confirmByMail(e)
		if got := s.activeConsent(e); got.Status != model.ConsentActive {
			t.Errorf("%s: %+v", e, got)
		}
	}

	// 7. Every process stops cleanly; its log is JSON, every request's record has its id,
	// and nothing at info level names a person or their address.
	for _, p := range []*proc{a2, b2, w} {
		p.stop(t)
	}
	secrets := append([]string{"Karel", "Nov", "posta.example", "198.51.100."}, addresses...)
	requestLines := 0
	for _, p := range all {
		for _, line := range strings.Split(strings.TrimSpace(p.out.String()), "\n") {
			var rec map[string]any
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Errorf("%s logged a line that is not JSON: %s", p.name, line)
				continue
			}
			if rec["msg"] == "http request" {
				requestLines++
				if id, _ := rec["request_id"].(string); id == "" {
					t.Errorf("%s: access log without request_id: %s", p.name, line)
				}
			}
			for _, s := range secrets {
				if strings.Contains(line, s) {
					t.Errorf("%s logged personal data (%q): %s", p.name, s, line)
				}
			}
		}
	}
	if requestLines < want {
		t.Errorf("only %d access log records", requestLines)
	}
}

// waitFor polls cond for up to a minute.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func portOf(t *testing.T, addr string) int {
	t.Helper()
	_, p, _ := strings.Cut(addr, ":")
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// common2cfg is the configuration the processes get, for the test's own client.
func common2cfg(t *testing.T, env map[string]string) config.Config {
	t.Helper()
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}
