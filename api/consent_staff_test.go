package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kontakt/kontakt/api"
	"github.com/kontakt/kontakt/devstack/testdb"
	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// teller records the consents whose lifecycle the API told.
type teller struct {
	mu   sync.Mutex
	told []string
}

func (l *teller) TellLifecycle(_ context.Context, id string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.told = append(l.told, id)
	return nil
}

// waitTold waits until the lifecycle of consent id was told n times in all.
func (l *teller) waitTold(t *testing.T, id string, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		l.mu.Lock()
		got := 0
		for _, x := range l.told {
			if x == id {
				got++
			}
		}
		l.mu.Unlock()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("lifecycle of %s told %d times, want %d", id, got, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// staffEnv is an API with a lifecycle teller over a book "Newsletter" that requires the
// purpose newsletter: clients for its editor, its viewer, an outsider and the admin, and
// a contact in it without consent (hidden).
type staffEnv struct {
	*env
	lc                              *teller
	admin, editor, viewer, outsider *client
	book                            model.Book
	purpose                         model.Purpose
	contact                         string
}

func newStaffEnv(t *testing.T) *staffEnv {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), testdb.New(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	st := store.New(pool, "CZ")
	lc := &teller{}
	h := api.NewHandler(api.Deps{Store: st, Lifecycle: lc, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Options: api.Options{
		SessionTTL: time.Hour, MaxBodyBytes: 64 << 10, LoginMaxFailures: 3, LoginWindow: time.Minute, PasswordParams: testParams,
	}})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	e := &staffEnv{env: &env{t: t, srv: srv, st: st, pool: pool}, lc: lc}

	e.admin, e.book = seedBook(t, e.env)
	r := e.admin.do("POST", "/api/purposes", map[string]any{"key": "newsletter", "name": "Newsletter",
		"wording": "Souhlasím se zasíláním novinek.", "validity_months": 24, "reminder_days": 14})
	if r.status != http.StatusCreated {
		t.Fatalf("purpose: %d %s", r.status, r.body)
	}
	r.json(t, &e.purpose)
	if e.purpose.ReminderDays != 14 {
		t.Errorf("purpose reminder_days %d", e.purpose.ReminderDays)
	}
	if r := e.admin.do("PATCH", "/api/books/"+e.book.ID, map[string]any{"required_purpose_id": e.purpose.ID}); r.status != http.StatusOK {
		t.Fatalf("require: %d %s", r.status, r.body)
	}
	for login, role := range map[string]model.Role{"editor": model.RoleEditor, "viewer": model.RoleViewer, "outsider": ""} {
		u := e.user(login, false, "heslo-dlouhe-1")
		if role != "" {
			if r := e.admin.do("POST", "/api/books/"+e.book.ID+"/grants", map[string]any{"user_id": u.ID, "role": role}); r.status != http.StatusCreated && r.status != http.StatusOK {
				t.Fatalf("grant: %d %s", r.status, r.body)
			}
		}
		c := e.tokenFor(u.ID)
		switch login {
		case "editor":
			e.editor = c
		case "viewer":
			e.viewer = c
		default:
			e.outsider = c
		}
	}
	r = e.admin.do("POST", "/api/contacts", map[string]any{"book_id": e.book.ID, "kind": "person", "given_name": "Věra", "family_name": "Malá"})
	if r.status != http.StatusCreated {
		t.Fatalf("contact: %d %s", r.status, r.body)
	}
	var c model.Contact
	r.json(t, &c)
	e.contact = c.ID
	return e
}

// lists reports whether the client finds the contact in GET /api/contacts and by id.
func (e *staffEnv) lists(c *client, contactID string) bool {
	e.t.Helper()
	var page store.ContactPage
	c.do("GET", "/api/contacts?book="+e.book.ID, nil).json(e.t, &page)
	listed := slices.ContainsFunc(page.Contacts, func(x model.Contact) bool { return x.ID == contactID })
	byID := c.do("GET", "/api/contacts/"+contactID, nil).status == http.StatusOK
	if listed != byID {
		e.t.Fatalf("contact listed %v, readable by id %v", listed, byID)
	}
	return listed
}

// consentCounts summarises the consent tables, to show that refused requests change nothing.
func consentCounts(t *testing.T, e *env) string {
	t.Helper()
	var s string
	if err := e.pool.QueryRow(context.Background(), `SELECT concat_ws(',', (SELECT count(*) FROM consents),
		(SELECT string_agg(status || coalesce(valid_until::text, ''), ';' ORDER BY id) FROM consents),
		(SELECT count(*) FROM consent_events), (SELECT count(*) FROM audit_log WHERE action LIKE 'consent.%'),
		(SELECT count(*) FROM book_changes))`).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRecordConsentAPI(t *testing.T) {
	e := newStaffEnv(t)
	path := "/api/contacts/" + e.contact + "/consents"
	now := time.Now()
	valid := map[string]any{"purpose_id": e.purpose.ID, "source": "branch", "given_at": now.Add(-time.Hour).Format(time.RFC3339),
		"evidence": map[string]string{"branch": "Brno", "form_number": "B-2026-114"}}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for kk, vv := range valid {
			m[kk] = vv
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	if e.lists(e.editor, e.contact) {
		t.Fatal("a contact without the required consent is listed")
	}

	before := consentCounts(t, e.env)
	for _, tc := range []struct {
		name   string
		c      *client
		path   string
		body   any
		status int
		field  string
	}{
		{"malformed JSON", e.editor, path, `{"purpose_id":`, 400, ""},
		{"unknown field", e.editor, path, with("note", "ráda čte"), 400, "note"},
		{"no purpose", e.editor, path, with("purpose_id", nil), 400, "purpose_id"},
		{"unknown purpose", e.editor, path, with("purpose_id", "00000000-0000-0000-0000-000000000000"), 400, "purpose_id"},
		{"purpose not an id", e.editor, path, with("purpose_id", "newsletter"), 400, "purpose_id"},
		{"import is not a staff source", e.editor, path, with("source", "import"), 400, "source"},
		{"web_form is not a staff source", e.editor, path, with("source", "web_form"), 400, "source"},
		{"no given_at", e.editor, path, with("given_at", nil), 400, "given_at"},
		{"given_at not a time", e.editor, path, with("given_at", "včera"), 400, "given_at"},
		{"given_at a number", e.editor, path, with("given_at", 1700000000), 400, "given_at"},
		{"given_at in the future", e.editor, path, with("given_at", now.Add(48*time.Hour).Format(time.RFC3339)), 400, "given_at"},
		{"valid_until in the past", e.editor, path, with("valid_until", now.Add(-time.Minute).Format(time.RFC3339)), 400, "valid_until"},
		{"valid_until before given_at", e.editor, path, map[string]any{"purpose_id": e.purpose.ID, "source": "staff",
			"given_at": now.Add(50 * time.Minute).Format(time.RFC3339), "valid_until": now.Add(20 * time.Minute).Format(time.RFC3339)}, 400, "valid_until"},
		{"evidence with a note", e.editor, path, with("evidence", map[string]string{"note": "má ráda kočky"}), 400, "evidence"},
		{"evidence overriding what Kontakt records", e.editor, path, with("evidence", map[string]string{"recorded_by": "someone"}), 400, "evidence"},
		{"evidence key not a key", e.editor, path, with("evidence", map[string]string{"Pobočka": "Brno"}), 400, "evidence"},
		{"evidence value not a string", e.editor, path, with("evidence", map[string]any{"branch": 7}), 400, "evidence"},
		{"evidence value too long", e.editor, path, with("evidence", map[string]string{"branch": strings.Repeat("x", 201)}), 400, "evidence"},
		{"evidence value empty", e.editor, path, with("evidence", map[string]string{"branch": " "}), 400, "evidence"},
		{"too much evidence", e.editor, path, with("evidence", map[string]string{"a": "1", "b": "1", "c": "1", "d": "1", "e": "1",
			"f": "1", "g": "1", "h": "1", "i": "1", "j": "1", "k": "1"}), 400, "evidence"},
		{"outsider", e.outsider, path, valid, 404, ""},
		{"viewer, contact hidden", e.viewer, path, valid, 404, ""},
		{"unknown contact", e.editor, "/api/contacts/00000000-0000-0000-0000-000000000000/consents", valid, 404, ""},
		{"contact not an id", e.editor, "/api/contacts/nope/consents", valid, 404, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.c.do("POST", tc.path, tc.body)
			if r.status != tc.status {
				t.Fatalf("%d %s, want %d", r.status, r.body, tc.status)
			}
			var eb struct{ Error, Field string }
			r.json(t, &eb)
			if eb.Error == "" || eb.Field != tc.field {
				t.Errorf("error body %s, want field %q", r.body, tc.field)
			}
		})
	}
	if r := e.editor.do("POST", path, "{}", "Content-Type", "text/plain"); r.status != http.StatusUnsupportedMediaType {
		t.Errorf("text/plain: %d", r.status)
	}
	if after := consentCounts(t, e.env); after != before {
		t.Fatalf("refused requests changed consents: %s → %s", before, after)
	}
	if e.lists(e.editor, e.contact) {
		t.Fatal("refused requests made the contact visible")
	}

	// The editor records the consent that brings the hidden contact back.
	r := e.editor.do("POST", path, with("valid_until", "2099-01-01"))
	if r.status != http.StatusCreated {
		t.Fatalf("record: %d %s", r.status, r.body)
	}
	var c model.Consent
	r.json(t, &c)
	if c.Status != model.ConsentActive || c.Source != model.SourceBranch || c.ContactID != e.contact || c.PurposeKey != "newsletter" ||
		c.Evidence["branch"] != "Brno" || c.Evidence["form_number"] != "B-2026-114" || c.Evidence["wording_sha256"] == nil ||
		c.ValidUntil == nil || c.ValidUntil.Year() != 2099 || len(c.History) != 1 || c.LifecycleWorkflowID != "consent-lifecycle/"+c.ID {
		t.Fatalf("recorded consent %s", r.body)
	}
	e.lc.waitTold(t, c.ID, 1)
	for who, cl := range map[string]*client{"editor": e.editor, "viewer": e.viewer, "admin": e.admin} {
		if !e.lists(cl, e.contact) {
			t.Errorf("%s does not see the contact after its consent was recorded", who)
		}
	}
	var cs []model.Consent
	e.viewer.do("GET", path, nil).json(t, &cs)
	if len(cs) != 1 || cs[0].LifecycleWorkflowID != "consent-lifecycle/"+c.ID {
		t.Errorf("consents as the viewer reads them: %+v", cs)
	}
	// Now the viewer sees the contact, and is refused as a viewer.
	if r := e.viewer.do("POST", path, valid); r.status != http.StatusForbidden {
		t.Errorf("viewer recording for a visible contact: %d %s", r.status, r.body)
	}
	// Without valid_until: the purpose's validity from given_at.
	r = e.editor.do("POST", path, with("given_at", "2026-01-15"))
	if r.status != http.StatusCreated {
		t.Fatalf("record by date: %d %s", r.status, r.body)
	}
	r.json(t, &c)
	if want := time.Date(2028, 1, 15, 0, 0, 0, 0, time.UTC); !c.ValidUntil.Equal(want) || len(c.History) != 2 {
		t.Errorf("valid until %v, want %v; history %d", c.ValidUntil, want, len(c.History))
	}
	e.lc.waitTold(t, c.ID, 2)
}

func TestRevokeConsentAPI(t *testing.T) {
	e := newStaffEnv(t)
	r := e.editor.do("POST", "/api/contacts/"+e.contact+"/consents", map[string]any{"purpose_id": e.purpose.ID, "source": "staff",
		"given_at": time.Now().Add(-time.Minute).Format(time.RFC3339)})
	if r.status != http.StatusCreated {
		t.Fatalf("record: %d %s", r.status, r.body)
	}
	var c model.Consent
	r.json(t, &c)
	path := "/api/consents/" + c.ID + "/revoke"
	reason := map[string]string{"reason": "odvolala telefonicky"}
	read := func(cl *client) int { return cl.do("GET", "/api/consents/"+c.ID, nil).status }
	if read(e.viewer) != http.StatusOK || read(e.editor) != http.StatusOK || read(e.outsider) != http.StatusNotFound {
		t.Errorf("GET the consent of a visible contact: viewer %d, editor %d, outsider %d", read(e.viewer), read(e.editor), read(e.outsider))
	}

	before := consentCounts(t, e.env)
	for _, tc := range []struct {
		name   string
		c      *client
		path   string
		body   any
		status int
	}{
		{"no body", e.editor, path, nil, 400},
		{"no reason", e.editor, path, map[string]string{}, 400},
		{"blank reason", e.editor, path, map[string]string{"reason": "   "}, 400},
		{"reason too long", e.editor, path, map[string]string{"reason": strings.Repeat("ř", 501)}, 400},
		{"unknown field", e.editor, path, map[string]any{"reason": "x", "at": "now"}, 400},
		{"outsider", e.outsider, path, reason, 404},
		{"viewer who sees it", e.viewer, path, reason, 403},
		{"unknown consent", e.editor, "/api/consents/00000000-0000-0000-0000-000000000000/revoke", reason, 404},
		{"not an id", e.editor, "/api/consents/nope/revoke", reason, 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if r := tc.c.do("POST", tc.path, tc.body); r.status != tc.status {
				t.Errorf("%d %s, want %d", r.status, r.body, tc.status)
			}
		})
	}
	if after := consentCounts(t, e.env); after != before {
		t.Fatalf("refused revocations changed consents: %s → %s", before, after)
	}

	r = e.editor.do("POST", path, reason)
	if r.status != http.StatusOK {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	var rc model.Consent
	r.json(t, &rc)
	if rc.Status != model.ConsentRevoked || len(rc.History) != 2 || rc.History[1].Status != model.ConsentRevoked ||
		rc.History[1].Reason != "odvolala telefonicky" || rc.History[1].Channel != "api" || rc.History[1].ActorID == nil {
		t.Fatalf("revoked consent %s", r.body)
	}
	e.lc.waitTold(t, c.ID, 2) // recorded, revoked
	// Visibility follows at once.
	for who, cl := range map[string]*client{"editor": e.editor, "viewer": e.viewer, "admin": e.admin} {
		if e.lists(cl, e.contact) {
			t.Errorf("%s still sees the contact after its required consent was revoked", who)
		}
	}
	// Editors still read the consent of the hidden contact, with its history; the viewer
	// no longer finds it.
	r = e.editor.do("GET", "/api/consents/"+c.ID, nil)
	if r.json(t, &rc); r.status != http.StatusOK || rc.Status != model.ConsentRevoked || len(rc.History) != 2 ||
		rc.LifecycleWorkflowID != "consent-lifecycle/"+c.ID {
		t.Errorf("editor reading the revoked consent: %d %s", r.status, r.body)
	}
	if st := read(e.viewer); st != http.StatusNotFound {
		t.Errorf("viewer reading the consent of a hidden contact: %d", st)
	}
	if r := e.editor.do("POST", path, reason); r.status != http.StatusConflict {
		t.Errorf("second revocation: %d %s", r.status, r.body)
	}
	// The contact is hidden: the viewer no longer learns it exists.
	if r := e.viewer.do("POST", path, reason); r.status != http.StatusNotFound {
		t.Errorf("viewer on a hidden contact: %d %s", r.status, r.body)
	}
	// The history stays; re-consent brings the contact back.
	r = e.editor.do("POST", "/api/contacts/"+e.contact+"/consents", map[string]any{"purpose_id": e.purpose.ID, "source": "staff",
		"given_at": time.Now().Format(time.RFC3339)})
	if r.status != http.StatusCreated {
		t.Fatalf("re-consent: %d %s", r.status, r.body)
	}
	r.json(t, &rc)
	if rc.ID != c.ID || rc.Status != model.ConsentActive || len(rc.History) != 3 {
		t.Errorf("re-consent %s", r.body)
	}
	if !e.lists(e.viewer, e.contact) {
		t.Error("re-consent did not bring the contact back")
	}
}
