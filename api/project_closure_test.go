package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kontakt/kontakt/api"
	"github.com/kontakt/kontakt/devstack/testdb"
	"github.com/kontakt/kontakt/store"
	"github.com/kontakt/kontakt/store/storetest"
)

// fakeCloser records the workflow starts and signals the API makes after its commits.
type fakeCloser struct {
	mu                 sync.Mutex
	started, cancelled []string
}

func (f *fakeCloser) StartClosure(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.started = append(f.started, id)
	return nil
}

func (f *fakeCloser) CancelClosure(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cancelled = append(f.cancelled, id)
	return nil
}

// calls waits briefly for the background calls to arrive and returns them.
func (f *fakeCloser) calls(want int) (started, cancelled []string) {
	for range 100 {
		f.mu.Lock()
		started, cancelled = slices.Clone(f.started), slices.Clone(f.cancelled)
		f.mu.Unlock()
		if len(started)+len(cancelled) >= want {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	return started, cancelled
}

func newClosureEnv(t *testing.T, closer api.ProjectCloser) *env {
	pool, err := pgxpool.New(context.Background(), testdb.New(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	st := store.New(pool, "CZ")
	srv := httptest.NewServer(api.NewHandler(api.Deps{Store: st, ProjectCloser: closer, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Options: api.Options{SessionTTL: time.Hour, MaxBodyBytes: 64 << 10, LoginMaxFailures: 3, LoginWindow: time.Minute, PasswordParams: testParams}}))
	t.Cleanup(srv.Close)
	return &env{t: t, srv: srv, st: st, pool: pool}
}

// TestProjectClosureAPI: the lead (cyril of P1) and admins close, cancel, reopen and read a
// closure; other members get 403 and everyone else 404; bad input is 400 and changes
// nothing; the workflow is started (and the start recorded) or signalled after the commit.
func TestProjectClosureAPI(t *testing.T) {
	closer := &fakeCloser{}
	e := newClosureEnv(t, closer)
	ctx := context.Background()
	m, err := storetest.SeedMatrix(ctx, e.st, "")
	if err != nil {
		t.Fatal(err)
	}
	p1, p2 := m.Projects["P1"].ID, m.Projects["P2"].ID
	as := func(login string) *client { return e.tokenFor(m.Users[login].ID) }
	status := func(id string) string {
		var s string
		if err := e.pool.QueryRow(ctx, `SELECT status FROM projects WHERE id = $1`, id).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}

	for _, c := range []struct {
		login, method, path string
		body                any
		want                int
		field               string
	}{
		{"emil", "POST", "/close", map[string]any{"grace": "72h"}, http.StatusForbidden, ""}, // a member
		{"bohdan", "POST", "/close", map[string]any{"grace": "72h"}, http.StatusNotFound, ""},
		{"emil", "GET", "/closure", nil, http.StatusForbidden, ""},
		{"bohdan", "GET", "/closure", nil, http.StatusNotFound, ""},
		{"cyril", "POST", "/close/cancel", nil, http.StatusConflict, "status"}, // not closing
		{"cyril", "POST", "/reopen", nil, http.StatusConflict, "status"},       // not closed
		{"cyril", "POST", "/close", map[string]any{"grace": "soon"}, http.StatusBadRequest, "grace"},
		{"cyril", "POST", "/close", map[string]any{"grace": "1h", "grace_hours": 1}, http.StatusBadRequest, "grace"},
		{"cyril", "POST", "/close", map[string]any{"grace_hours": -1}, http.StatusBadRequest, "grace_hours"},
		{"cyril", "POST", "/close", map[string]any{"grace": "91d"}, http.StatusBadRequest, "grace"},
		{"cyril", "POST", "/close", map[string]any{"grace": "2400h"}, http.StatusBadRequest, "grace"},
		{"cyril", "POST", "/close", map[string]any{"when": "now"}, http.StatusBadRequest, "when"},
		{"cyril", "POST", "/close", nil, http.StatusBadRequest, ""},
	} {
		r := as(c.login).do(c.method, "/api/projects/"+p1+c.path, c.body)
		var body struct{ Field string }
		if r.status >= 400 {
			r.json(t, &body)
		}
		if r.status != c.want || body.Field != c.field {
			t.Errorf("%s %s %s %v: %d %s, want %d (field %q)", c.login, c.method, c.path, c.body, r.status, r.body, c.want, c.field)
		}
	}
	if s := status(p1); s != "active" {
		t.Fatalf("after refused requests P1 is %s", s)
	}
	if r := as("cyril").do("POST", "/api/projects/00000000-0000-0000-0000-000000000000/close", map[string]any{}); r.status != http.StatusNotFound {
		t.Errorf("unknown project: %d", r.status)
	}
	if started, cancelled := closer.calls(0); len(started)+len(cancelled) != 0 {
		t.Fatalf("workflow calls for refused requests: %v %v", started, cancelled)
	}

	// The lead closes with three days' grace: 202 once committed, then the start.
	var c store.ProjectClosureReport
	r := as("cyril").do("POST", "/api/projects/"+p1+"/close", map[string]any{"grace": "3d"})
	r.json(t, &c)
	if r.status != http.StatusAccepted || c.Status != "closing" || c.GraceSeconds != 3*24*3600 || c.WorkflowID != "project-closure/"+p1 ||
		c.RequestedAt == nil || c.GraceEndsAt == nil || c.ClosedAt != nil {
		t.Fatalf("close: %d %s", r.status, r.body)
	}
	if started, _ := closer.calls(1); !slices.Equal(started, []string{p1}) {
		t.Fatalf("started %v", started)
	}
	for range 100 { // the start is recorded after the call
		var marked bool
		if err := e.pool.QueryRow(ctx, `SELECT closure_started_at IS NOT NULL FROM projects WHERE id = $1`, p1).Scan(&marked); err != nil {
			t.Fatal(err)
		}
		if marked {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	// (P2 was closed by store calls alone when the matrix was seeded, so it is still there.)
	if left, err := e.st.UnstartedProjectClosures(ctx, 10); err != nil || slices.Contains(left, p1) {
		t.Errorf("closures left to the outbox: %v, %v", left, err)
	}
	if r := as("cyril").do("POST", "/api/projects/"+p1+"/close", map[string]any{"grace_hours": 1}); r.status != http.StatusConflict {
		t.Errorf("closing a closing project: %d", r.status)
	}
	if r := as("cyril").do("GET", "/api/projects/"+p1+"/closure", nil); r.status != http.StatusOK {
		t.Errorf("GET closure: %d", r.status)
	}

	// Cancelled during the grace period: active again, and the workflow is told.
	if r := as("emil").do("POST", "/api/projects/"+p1+"/close/cancel", nil); r.status != http.StatusForbidden {
		t.Errorf("a member cancels: %d", r.status)
	}
	r = as("cyril").do("POST", "/api/projects/"+p1+"/close/cancel", nil)
	r.json(t, &c)
	if r.status != http.StatusOK || c.Status != "active" || c.RequestedAt != nil {
		t.Fatalf("cancel: %d %s", r.status, r.body)
	}
	if _, cancelled := closer.calls(2); !slices.Equal(cancelled, []string{p1}) {
		t.Fatalf("cancelled %v", cancelled)
	}

	// An admin reopens P2 (closed); its member alena may not.
	if r := as("alena").do("POST", "/api/projects/"+p2+"/reopen", nil); r.status != http.StatusForbidden {
		t.Errorf("a member reopens: %d", r.status)
	}
	r = as("admin").do("POST", "/api/projects/"+p2+"/reopen", nil)
	r.json(t, &c)
	if r.status != http.StatusOK || c.Status != "active" || c.ClosedAt != nil || status(p2) != "active" {
		t.Fatalf("reopen: %d %s", r.status, r.body)
	}
	// Closing without a grace period.
	r = as("admin").do("POST", "/api/projects/"+p2+"/close", map[string]any{})
	r.json(t, &c)
	if r.status != http.StatusAccepted || c.GraceSeconds != 0 {
		t.Fatalf("close at once: %d %s", r.status, r.body)
	}
}
