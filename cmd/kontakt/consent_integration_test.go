package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/kontakt/kontakt/config"
	"github.com/kontakt/kontakt/devstack"
	"github.com/kontakt/kontakt/devstack/mailcatcher"
	devtemporal "github.com/kontakt/kontakt/devstack/temporal"
	"github.com/kontakt/kontakt/devstack/testdb"
	"github.com/kontakt/kontakt/migrations"
	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
	"github.com/kontakt/kontakt/worker"
)

// stack is Kontakt wired as `kontakt dev` wires it, on a fresh database, a real SMTP server
// over TCP and (once started) an in-process Temporal server.
type stack struct {
	t       *testing.T
	cfg     config.Config
	st      *store.Store
	pool    *pgxpool.Pool
	catcher *mailcatcher.Catcher
	srv     *httptest.Server
	log     *slog.Logger
	form    model.Form
}

func newStack(t *testing.T, temporalAddr string) *stack {
	t.Helper()
	ctx := context.Background()
	url := testdb.New(t)
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if _, err := migrations.Up(ctx, pool); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st := store.New(pool, "CZ")
	if _, err := devstack.SeedDemo(ctx, st, "demo-heslo-2026", log); err != nil {
		t.Fatal(err)
	}
	catcher, err := mailcatcher.Start("127.0.0.1:0", log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { catcher.Close() })
	s := &stack{t: t, st: st, pool: pool, catcher: catcher, log: log}
	// The handler is set once the server's URL (the public URL) is known.
	var handler http.Handler
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(s.srv.Close)
	s.cfg, err = config.Load(func(k string) string {
		return map[string]string{"KONTAKT_PUBLIC_URL": s.srv.URL, "KONTAKT_SMTP_FROM": "Stavebniny Demo <kontakt@demo.example>"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.form, err = devstack.SeedDemoForm(ctx, st, s.srv.URL); err != nil {
		t.Fatal(err)
	}
	c, err := temporalClient(s.cfg, temporalAddr, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	handler = apiHandler(s.cfg, log, st, c)
	return s
}

// runWorker runs the worker against Temporal at addr until the test ends.
func (s *stack) runWorker(addr string) client.Client {
	c, err := temporalClient(s.cfg, addr, s.log)
	if err != nil {
		s.t.Fatal(err)
	}
	mailer, err := newMailer(s.cfg, s.catcher.Host(), s.catcher.Port(), "none", s.log)
	if err != nil {
		s.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	deps := workerDeps(s.cfg, s.st, c, mailer, s.log)
	go func() { done <- worker.Run(ctx, c, deps) }()
	s.t.Cleanup(func() { cancel(); <-done; c.Close() })
	reconcileAtStart(ctx, deps.Reconciler, s.log)
	return c
}

func startTemporal(t *testing.T, port int) *devtemporal.Server {
	t.Helper()
	ts, err := devtemporal.Start(context.Background(), devtemporal.Options{Port: port, UIPort: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ts.Stop() })
	return ts
}

// submit posts the demo form as a browser on the organisation's site would.
func (s *stack) submit(email string) *http.Response {
	s.t.Helper()
	body := url.Values{"email": {email}, "name": {"Karel Nový"}, "purposes": {"newsletter"}}.Encode()
	req, _ := http.NewRequest("POST", s.srv.URL+"/public/forms/"+s.form.Key+"/consents", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", s.srv.URL)
	req.Header.Set("User-Agent", "Integration/1.0")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	res.Body.Close()
	return res
}

var confirmLink = regexp.MustCompile(`https?://[^\s"<>]+/public/confirm/[A-Za-z0-9_-]+`)

// confirmByMail waits for the confirmation mail to email, opens the link (GET), then
// confirms (POST), as the person would.
func (s *stack) confirmByMail(email string) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	m, err := s.catcher.Wait(ctx, func(m mailcatcher.Caught) bool { return len(m.To) == 1 && m.To[0] == email })
	if err != nil {
		s.t.Fatalf("no confirmation mail to %s: %v", email, err)
	}
	link := confirmLink.FindString(m.Text)
	if link == "" || !strings.Contains(m.HTML, link) {
		s.t.Fatalf("no confirmation link in the mail:\n%s", m.Text)
	}
	res, err := http.Get(link)
	if err != nil {
		s.t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(page), "<form method=\"post\">") {
		s.t.Fatalf("GET confirmation page: %d\n%s", res.StatusCode, page)
	}
	res, err = http.Post(link, "application/x-www-form-urlencoded", nil)
	if err != nil {
		s.t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		s.t.Fatalf("POST confirmation: %d", res.StatusCode)
	}
}

// consentOf polls until the contact with email has an active newsletter consent.
func (s *stack) activeConsent(email string) model.Consent {
	s.t.Helper()
	ctx := context.Background()
	admin, _, err := s.st.UserLogin(ctx, "admin")
	if err != nil {
		s.t.Fatal(err)
	}
	a := store.Actor{UserID: admin.ID, Channel: "system"}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		page, err := s.st.ListContacts(ctx, a, store.ContactFilter{Query: email})
		if err != nil {
			s.t.Fatal(err)
		}
		if len(page.Contacts) == 1 {
			cs, err := s.st.ListContactConsents(ctx, a, page.Contacts[0].ID)
			if err != nil {
				s.t.Fatal(err)
			}
			for _, c := range cs {
				if c.PurposeKey == "newsletter" && c.Status == model.ConsentActive {
					return c
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.t.Fatalf("no active newsletter consent for %s", email)
	return model.Consent{}
}

// TestDoubleOptIn: post a form → mail received over SMTP → GET then POST the link →
// consent active with full evidence, and the workflow in Temporal's visibility.
func TestDoubleOptIn(t *testing.T) {
	ts := startTemporal(t, 0)
	s := newStack(t, ts.Address())
	c := s.runWorker(ts.Address())
	if res := s.submit("karel.novy@posta.example"); res.StatusCode != http.StatusAccepted {
		t.Fatalf("submit: %d", res.StatusCode)
	}
	s.confirmByMail("karel.novy@posta.example")
	consent := s.activeConsent("karel.novy@posta.example")
	ev := consent.Evidence
	for _, k := range []string{"ip", "user_agent", "form_id", "wording_version", "wording_sha256", "confirmed_at", "confirm_ip", "confirm_user_agent"} {
		if ev[k] == nil || ev[k] == "" {
			t.Errorf("evidence lacks %s: %v", k, ev)
		}
	}
	if ev["user_agent"] != "Integration/1.0" || consent.ValidUntil == nil || consent.ValidUntil.Before(time.Now().AddDate(1, 11, 0)) {
		t.Errorf("consent %+v", consent)
	}
	if len(consent.History) != 2 || consent.History[0].Status != "pending" || consent.History[1].Status != "active" {
		t.Errorf("history %+v", consent.History)
	}
	// The workflow is visible by its contact, without personal data in its ID.
	wid := "consent-verify/" + *consent.RequestID
	run := c.GetWorkflow(context.Background(), wid, "")
	var result struct{ Outcome string }
	if err := run.Get(context.Background(), &result); err != nil || result.Outcome != "confirmed" {
		t.Fatalf("workflow %s: %+v %v", wid, result, err)
	}
	// (Its consent's lifecycle carries the same ContactID.)
	query := fmt.Sprintf("ContactID = %q AND WorkflowType = 'ConsentVerification'", consent.ContactID)
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := c.ListWorkflow(context.Background(), listRequest(query))
		if err == nil && len(resp.Executions) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("workflow not found by %s: %v", query, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// The link confirms once; the same link again says so and changes nothing.
	var n int
	if err := s.pool.QueryRow(context.Background(), `SELECT count(*) FROM consent_events`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("consent events %d %v", n, err)
	}
	js, _ := json.Marshal(consent)
	if strings.Contains(wid, "@") || strings.Contains(string(js), "karel") {
		t.Errorf("personal data where it should not be: %s", js)
	}
}

// TestIntakeWhileTemporalIsDown: submissions taken while Temporal is unreachable answer 202,
// and once Temporal runs every one of them is verified by mail; none is lost.
func TestIntakeWhileTemporalIsDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close() // nothing listens here until Temporal starts on it
	s := newStack(t, fmt.Sprintf("127.0.0.1:%d", port))
	emails := []string{"a.prvni@posta.example", "b.druhy@posta.example", "c.treti@posta.example"}
	for _, e := range emails {
		if res := s.submit(e); res.StatusCode != http.StatusAccepted {
			t.Fatalf("submit %s with Temporal down: %d", e, res.StatusCode)
		}
	}
	var unstarted int
	if err := s.pool.QueryRow(context.Background(), `SELECT count(*) FROM consent_requests WHERE workflow_started_at IS NULL`).Scan(&unstarted); err != nil || unstarted != len(emails) {
		t.Fatalf("%d requests in the outbox, want %d (%v)", unstarted, len(emails), err)
	}
	ts := startTemporal(t, port)
	s.runWorker(ts.Address())
	for _, e := range emails {
		s.confirmByMail(e)
	}
	// The API's client may still be backing off from the refused connections when the
	// person confirms; the outbox then holds the signal until the reconciler's next run
	// (the Temporal Schedule's tick, simulated here).
	c, err := temporalClient(s.cfg, ts.Address(), s.log)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := reconciler(s.st, c).Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, e := range emails {
		s.activeConsent(e)
	}
}

func listRequest(query string) *workflowservice.ListWorkflowExecutionsRequest {
	return &workflowservice.ListWorkflowExecutionsRequest{Namespace: "default", Query: query}
}
