package web_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kontakt/kontakt/devstack"
	"github.com/kontakt/kontakt/devstack/testdb"
	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/session"
	"github.com/kontakt/kontakt/store"
	"github.com/kontakt/kontakt/web"
)

// fakeLifecycle records the consents whose lifecycle workflow the pages tell.
type fakeLifecycle struct {
	mu   sync.Mutex
	told []string
}

func (f *fakeLifecycle) TellLifecycle(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.told = append(f.told, id)
	return nil
}

// waitTold waits for the lifecycle of consent id to be told.
func (f *fakeLifecycle) waitTold(t *testing.T, id string) {
	t.Helper()
	for range 200 {
		f.mu.Lock()
		ok := slices.Contains(f.told, id)
		f.mu.Unlock()
		if ok {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Errorf("lifecycle of %s not told", id)
}

// newGdprEnv is newEnv with the consent pages' options and a Temporal UI to link to.
func newGdprEnv(t *testing.T, o web.GdprOptions) *env {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), testdb.New(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	st := store.New(pool, "CZ")
	sm := session.New(st, session.Options{TTL: time.Hour, MaxFailures: 3, Window: time.Minute, Params: testParams})
	mux := http.NewServeMux()
	web.Mount(mux, web.NewHandler(web.Deps{Store: st, Sessions: sm, Gdpr: o,
		TemporalUIURL: "http://127.0.0.1:8233", TemporalNamespace: "default",
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))}))
	mux.Handle("/", http.NotFoundHandler())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &env{t: t, srv: srv, st: st}
}

// uploadScan posts a multipart form: fields, then the file scan when not nil.
func (b *browser) uploadScan(path string, fields map[string]string, scan []byte) page {
	b.e.t.Helper()
	v := url.Values{}
	for k, x := range fields {
		v.Set(k, x)
	}
	name := ""
	if scan != nil {
		name = "scan.pdf"
	}
	return b.multipart(path, v, "scan", name, scan)
}

func wantPage(t *testing.T, what string, p page, status int, contains ...string) {
	t.Helper()
	if p.status != status {
		t.Errorf("%s: %d, want %d: %.600s", what, p.status, status, p.body)
		return
	}
	for _, c := range contains {
		if !strings.Contains(p.body, c) {
			t.Errorf("%s lacks %q", what, c)
		}
	}
}

func TestGdprPurposes(t *testing.T) {
	e := newGdprEnv(t, web.GdprOptions{})
	f := e.adminFixture()
	ctx := context.Background()
	admin, jana := e.sessionFor(f.admin.ID), e.sessionFor(f.jana.ID)
	tok := matches(csrfRe, admin.get("/admin").body)[0]
	jtok := matches(csrfRe, jana.get("/").body)[0]

	wantPage(t, "admin index", admin.get("/admin"), 200, `href="/admin/purposes"`, `href="/admin/forms"`, `href="/admin/verifications"`, `href="/admin/books/new"`)
	wantPage(t, "purposes", admin.get("/admin/purposes"), 200, "No purposes yet.", `name="wording"`)
	form := url.Values{"csrf": {tok}, "key": {"newsletter"}, "name": {"Newsletter"}, "description": {"Monthly news."},
		"wording": {"Send me the newsletter."}, "validity_months": {"24"}, "reminder_days": {"30"}}
	bad := func(k, v string) url.Values {
		b := url.Values{}
		for kk, vv := range form {
			b[kk] = vv
		}
		b.Set(k, v)
		return b
	}
	// Refusals: nothing is stored.
	wantPage(t, "jana lists purposes", jana.get("/admin/purposes"), 404)
	wantPage(t, "jana creates a purpose", jana.do("POST", "/admin/purposes", bad("csrf", jtok)), 404)
	wantPage(t, "no token", admin.do("POST", "/admin/purposes", bad("csrf", "")), 403)
	wantPage(t, "validity not a number", admin.do("POST", "/admin/purposes", bad("validity_months", "two")), 400, "whole numbers", `value="newsletter"`)
	wantPage(t, "validity out of range", admin.do("POST", "/admin/purposes", bad("validity_months", "121")), 400, "validity_months")
	wantPage(t, "no wording", admin.do("POST", "/admin/purposes", bad("wording", " ")), 400, "wording")
	wantPage(t, "bad key", admin.do("POST", "/admin/purposes", bad("key", "Bad Key")), 400, "key")
	if ps, _ := e.st.ListPurposes(ctx); len(ps) != 0 {
		t.Fatalf("refused forms stored purposes: %+v", ps)
	}

	p := admin.do("POST", "/admin/purposes", form)
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/admin/purposes/") {
		t.Fatalf("create: %d %s", p.status, p.body)
	}
	path := p.header.Get("Location")
	ps, _ := e.st.ListPurposes(ctx)
	if len(ps) != 1 || ps[0].Key != "newsletter" || ps[0].Description != "Monthly news." || ps[0].ReminderDays != 30 || ps[0].WordingVersion != 1 {
		t.Fatalf("stored: %+v", ps)
	}
	wantPage(t, "duplicate key", admin.do("POST", "/admin/purposes", form), 409, "A purpose with this key exists")
	wantPage(t, "purpose page", admin.get(path), 200, "Send me the newsletter.", `id="wording-version">1<`)
	wantPage(t, "jana's purpose page", jana.get(path), 404)
	wantPage(t, "jana edits", jana.do("POST", path, bad("csrf", jtok)), 404)

	// A new wording raises the version; a bad edit changes nothing.
	wantPage(t, "bad edit", admin.do("POST", path, bad("reminder_days", "400")), 400, "reminder_days")
	wantPage(t, "edit without token", admin.do("POST", path, bad("csrf", "x")), 403)
	edit := bad("wording", "Send me the newsletter, monthly.")
	edit.Set("validity_months", "12")
	if p := admin.do("POST", path, edit); p.status != http.StatusSeeOther {
		t.Fatalf("edit: %d %s", p.status, p.body)
	}
	ps, _ = e.st.ListPurposes(ctx)
	if ps[0].WordingVersion != 2 || ps[0].ValidityMonths != 12 || ps[0].Key != "newsletter" {
		t.Errorf("after edit: %+v", ps[0])
	}
	wantPage(t, "jana's Czech purposes 404", jana.get("/admin/purposes/"+ps[0].ID), 404)
}

func TestGdprForms(t *testing.T) {
	e := newGdprEnv(t, web.GdprOptions{PublicURL: "https://kontakt.example.org/"})
	f := e.adminFixture()
	ctx := context.Background()
	a := store.Actor{UserID: f.admin.ID, Channel: model.ChannelAPI}
	pur, err := e.st.CreatePurpose(ctx, a, model.Purpose{Key: "news", Name: "Novinky", Wording: "Ano."})
	if err != nil {
		t.Fatal(err)
	}
	admin, jana := e.sessionFor(f.admin.ID), e.sessionFor(f.jana.ID)
	tok := matches(csrfRe, admin.get("/admin").body)[0]
	jtok := matches(csrfRe, jana.get("/").body)[0]
	for _, path := range []string{"/admin/forms", "/admin/forms/new"} {
		wantPage(t, "jana "+path, jana.get(path), 404)
	}
	wantPage(t, "new form page", admin.get("/admin/forms/new"), 200, "Novinky", "Zákazníci", `name="with_hmac_secret"`)
	form := url.Values{"csrf": {tok}, "name": {"Web newsletter"}, "book_id": {f.book.ID}, "purpose_ids": {pur.ID},
		"language": {"cs"}, "allowed_origins": {"https://www.example.cz\nhttps://Shop.Example.cz"}, "success_url": {"https://www.example.cz/thanks"},
		"confirmed_url": {""}, "confirm_hours": {"48"}, "organisation": {"Example s.r.o."}, "honeypot_field": {"website"},
		"revocation_mail": {"on"}, "with_hmac_secret": {"on"}}
	with := func(k string, v ...string) url.Values {
		b := url.Values{}
		for kk, vv := range form {
			b[kk] = vv
		}
		b[k] = v
		return b
	}
	wantPage(t, "jana creates", jana.do("POST", "/admin/forms", with("csrf", jtok)), 404)
	wantPage(t, "no token", admin.do("POST", "/admin/forms", with("csrf")), 403)
	wantPage(t, "bad origin", admin.do("POST", "/admin/forms", with("allowed_origins", "www.example.cz/page")), 400, "allowed_origins", `value="Web newsletter"`)
	wantPage(t, "no purpose", admin.do("POST", "/admin/forms", with("purpose_ids")), 400, "purpose_ids")
	wantPage(t, "hours not a number", admin.do("POST", "/admin/forms", with("confirm_hours", "week")), 400, "whole number of hours")
	wantPage(t, "hours out of range", admin.do("POST", "/admin/forms", with("confirm_hours", "3000")), 400, "confirm_hours")
	if fs, _ := e.st.ListForms(ctx, a); len(fs) != 0 {
		t.Fatalf("refused forms stored: %+v", fs)
	}

	// Created with a secret: the answer shows it once, with the key and the snippet.
	p := admin.do("POST", "/admin/forms", form)
	fs, _ := e.st.ListForms(ctx, a)
	if len(fs) != 1 {
		t.Fatalf("forms: %+v", fs)
	}
	wf := fs[0]
	wantPage(t, "created form", p, http.StatusCreated, wf.HMACSecret, `id="form-key">`+wf.Key+`<`,
		"https://kontakt.example.org/public/forms/"+wf.Key+"/consents", `value=&#34;news&#34;`, "Odeslat", `name=&#34;website&#34;`)
	if wf.ConfirmHours != 48 || wf.Language != "cs" || !slices.Equal(wf.AllowedOrigins, []string{"https://www.example.cz", "https://shop.example.cz"}) ||
		!wf.RevocationMail || wf.NoConsentMail || wf.HMACSecret == "" {
		t.Errorf("stored form: %+v", wf)
	}
	path := "/admin/forms/" + wf.ID
	p = admin.get(path)
	wantPage(t, "form page", p, 200, "set (shown only when it is made)", "https://www.example.cz\nhttps://shop.example.cz")
	if strings.Contains(p.body, wf.HMACSecret) {
		t.Error("the form page shows the secret again")
	}
	wantPage(t, "forms list", admin.get("/admin/forms"), 200, `href="`+path+`"`, "Zákazníci")
	wantPage(t, "jana's form page", jana.get(path), 404)

	// Edit: a bad one changes nothing, a good one saves.
	wantPage(t, "bad edit", admin.do("POST", path, with("success_url", "not a url")), 400, "success_url")
	wantPage(t, "jana edits", jana.do("POST", path, with("csrf", jtok)), 404)
	if p := admin.do("POST", path, with("confirm_hours", "72")); p.status != http.StatusSeeOther || p.header.Get("Location") != path {
		t.Fatalf("edit: %d %s", p.status, p.body)
	}
	fs, _ = e.st.ListForms(ctx, a)
	if fs[0].ConfirmHours != 72 || fs[0].HMACSecret != wf.HMACSecret {
		t.Errorf("after edit: %+v", fs[0])
	}

	// Rotate: a new secret, shown once; refusals keep the old one.
	wantPage(t, "rotate without token", admin.do("POST", path+"/rotate-secret", url.Values{}), 403)
	wantPage(t, "jana rotates", jana.do("POST", path+"/rotate-secret", url.Values{"csrf": {jtok}}), 404)
	if fs, _ := e.st.ListForms(ctx, a); fs[0].HMACSecret != wf.HMACSecret {
		t.Fatal("a refused rotation changed the secret")
	}
	p = admin.do("POST", path+"/rotate-secret", url.Values{"csrf": {tok}})
	fs, _ = e.st.ListForms(ctx, a)
	if fs[0].HMACSecret == wf.HMACSecret {
		t.Fatal("rotation kept the secret")
	}
	wantPage(t, "rotated", p, 200, `id="hmac-secret">`+fs[0].HMACSecret+`<`, "not shown again")
}

// consentPurpose defines the purpose "news" as the fixture's admin.
func (e *env) consentPurpose(f adminFixture) model.Purpose {
	e.t.Helper()
	a := store.Actor{UserID: f.admin.ID, Channel: model.ChannelAPI}
	p, err := e.st.CreatePurpose(context.Background(), a, model.Purpose{Key: "news", Name: "Novinky", Wording: "Zasílejte mi novinky."})
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

func TestGdprStaffConsentAndRevoke(t *testing.T) {
	lc := &fakeLifecycle{}
	e := newGdprEnv(t, web.GdprOptions{Lifecycle: lc})
	f := e.adminFixture()
	ctx := context.Background()
	a := store.Actor{UserID: f.admin.ID, Channel: model.ChannelAPI}
	pur := e.consentPurpose(f)
	admin, jana := e.sessionFor(f.admin.ID), e.sessionFor(f.jana.ID)
	path := "/contacts/" + f.contact.ID + "/consents"

	wantPage(t, "card", admin.get("/contacts/"+f.contact.ID), 200, `href="`+path+`"`)
	p := admin.get(path)
	wantPage(t, "consents page", p, 200, "No consents recorded.", "Record a consent given to staff", `enctype="multipart/form-data"`)
	tok := matches(csrfRe, p.body)[0]
	today := time.Now().Format(time.DateOnly)
	form := url.Values{"csrf": {tok}, "purpose_id": {pur.ID}, "source": {"staff"}, "given_at": {today},
		"valid_until": {""}, "ev_key": {"call", ""}, "ev_value": {"hovor 42", ""}}
	with := func(k string, v ...string) url.Values {
		b := url.Values{}
		for kk, vv := range form {
			b[kk] = vv
		}
		b[k] = v
		return b
	}
	wantPage(t, "no token", admin.do("POST", path, with("csrf")), 403)
	wantPage(t, "no date", admin.do("POST", path, with("given_at", "")), 400, "given_at", `value="hovor 42"`)
	wantPage(t, "future", admin.do("POST", path, with("given_at", time.Now().AddDate(0, 0, 3).Format(time.DateOnly))), 400, "given_at")
	wantPage(t, "web form source", admin.do("POST", path, with("source", "web_form")), 400, "source")
	wantPage(t, "a note as evidence", admin.do("POST", path, with("ev_key", "note", "")), 400, "note")
	wantPage(t, "past until", admin.do("POST", path, with("valid_until", "2020-01-01")), 400, "valid_until")
	wantPage(t, "unknown purpose", admin.do("POST", path, with("purpose_id", "00000000-0000-4000-8000-000000000000")), 400, "purpose_id")
	// A viewer sees the page without the forms, and may not record.
	jp := jana.get(path)
	wantPage(t, "viewer's page", jp, 200, "Souhlasy")
	if strings.Contains(jp.body, `action="`+path+`"`) {
		t.Error("a viewer is offered the recording form")
	}
	wantPage(t, "viewer records", jana.do("POST", path, with("csrf", matches(csrfRe, jp.body)[0])), 403)
	if cs, _ := e.st.ListContactConsents(ctx, a, f.contact.ID); len(cs) != 0 {
		t.Fatalf("refused forms recorded consents: %+v", cs)
	}

	p = admin.do("POST", path, form)
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), path+"#consent-") {
		t.Fatalf("record: %d %s", p.status, p.body)
	}
	cs, _ := e.st.ListContactConsents(ctx, a, f.contact.ID)
	if len(cs) != 1 || cs[0].Status != model.ConsentActive || cs[0].Source != model.SourceStaff || cs[0].Evidence["call"] != "hovor 42" ||
		cs[0].Evidence["recorded_by"] != f.admin.ID {
		t.Fatalf("recorded: %+v", cs)
	}
	c := cs[0]
	lc.waitTold(t, c.ID)
	p = admin.get(path)
	wantPage(t, "page with the consent", p, 200, `data-consent="`+c.ID+`"`, "given to staff", "hovor 42", "Recorded by", "Admin",
		"Wording SHA-256", `href="http://127.0.0.1:8233/namespaces/default/workflows/consent-lifecycle%2F`+c.ID+`"`, "recorded (given to staff)")

	// Revoke: a reason is required; the history keeps both entries.
	rev := path + "/" + c.ID + "/revoke"
	wantPage(t, "revoke without token", admin.do("POST", rev, url.Values{"reason": {"x"}}), 403)
	wantPage(t, "revoke without reason", admin.do("POST", rev, url.Values{"csrf": {tok}, "reason": {" "}}), 400, "reason")
	wantPage(t, "viewer revokes", jana.do("POST", rev, url.Values{"csrf": {matches(csrfRe, jp.body)[0]}, "reason": {"x"}}), 403)
	wantPage(t, "revoke under another contact", admin.do("POST", "/contacts/"+f.jana.ID+"/consents/"+c.ID+"/revoke",
		url.Values{"csrf": {tok}, "reason": {"x"}}), 404)
	if p := admin.do("POST", rev, url.Values{"csrf": {tok}, "reason": {"asked by phone"}}); p.status != http.StatusSeeOther {
		t.Fatalf("revoke: %d %s", p.status, p.body)
	}
	got, err := e.st.GetConsent(ctx, a, c.ID)
	if err != nil || got.Status != model.ConsentRevoked || len(got.History) != 2 || got.History[1].Reason != "asked by phone" {
		t.Fatalf("after revoke: %v %+v", err, got)
	}
	wantPage(t, "revoke twice", admin.do("POST", rev, url.Values{"csrf": {tok}, "reason": {"again"}}), 409)
	wantPage(t, "revoked page", admin.get(path), 200, "asked by phone", "status-revoked")
}

func TestGdprSignedConsentAndScan(t *testing.T) {
	lc := &fakeLifecycle{}
	e := newGdprEnv(t, web.GdprOptions{Lifecycle: lc, ScanMaxBytes: 2048,
		ScanHook: []string{"sh", "-c", "! grep -q EICAR"}})
	f := e.adminFixture()
	ctx := context.Background()
	a := store.Actor{UserID: f.admin.ID, Channel: model.ChannelAPI}
	pur := e.consentPurpose(f)
	admin, jana := e.sessionFor(f.admin.ID), e.sessionFor(f.jana.ID)
	path := "/contacts/" + f.contact.ID + "/consents"
	signed := path + "/signed"
	tok := matches(csrfRe, admin.get(path).body)[0]
	pdf := []byte("%PDF-1.4\nsigned form\n%%EOF\n")
	fields := func(kv ...string) map[string]string {
		m := map[string]string{"csrf": tok, "purpose_id": pur.ID, "signed_on": time.Now().AddDate(0, 0, -1).Format(time.DateOnly), "branch": "Brno"}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == "-" {
				delete(m, kv[i])
			} else {
				m[kv[i]] = kv[i+1]
			}
		}
		return m
	}
	wantPage(t, "no token", admin.uploadScan(signed, fields("csrf", "-"), pdf), 403)
	wantPage(t, "wrong token", admin.uploadScan(signed, fields("csrf", "nope"), pdf), 403)
	wantPage(t, "not multipart", admin.do("POST", signed, url.Values{"csrf": {tok}}), 415, "multipart/form-data")
	wantPage(t, "no scan", admin.uploadScan(signed, fields(), nil), 400, "scan")
	wantPage(t, "text as a PDF", admin.uploadScan(signed, fields(), []byte("just text")), 415, "must be a PDF, JPEG or PNG", `value="Brno"`)
	wantPage(t, "too large", admin.uploadScan(signed, fields(), append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("x"), 4096)...)), 413, "too large")
	wantPage(t, "virus", admin.uploadScan(signed, fields(), []byte("%PDF-1.4\nEICAR-STANDARD-ANTIVIRUS-TEST-FILE\n")), 422, "virus scan rejected")
	wantPage(t, "future date", admin.uploadScan(signed, fields("signed_on", time.Now().AddDate(0, 0, 2).Format(time.DateOnly)), pdf), 400, "signed_on")
	wantPage(t, "unknown field", admin.uploadScan(signed, fields("extra", "x"), pdf), 400, "extra")
	wantPage(t, "viewer uploads", jana.uploadScan(signed, fields("csrf", matches(csrfRe, jana.get(path).body)[0]), pdf), 403)
	if cs, _ := e.st.ListContactConsents(ctx, a, f.contact.ID); len(cs) != 0 {
		t.Fatalf("refused uploads recorded consents: %+v", cs)
	}

	p := admin.uploadScan(signed, fields(), pdf)
	if p.status != http.StatusSeeOther {
		t.Fatalf("upload: %d %s", p.status, p.body)
	}
	cs, _ := e.st.ListContactConsents(ctx, a, f.contact.ID)
	if len(cs) != 1 || cs[0].Source != model.SourceBranch || len(cs[0].Scans) != 1 || cs[0].Evidence["branch"] != "Brno" ||
		cs[0].Scans[0].ContentType != "application/pdf" {
		t.Fatalf("recorded: %+v", cs)
	}
	c := cs[0]
	lc.waitTold(t, c.ID)
	scanPath := path + "/" + c.ID + "/scan"

	// Without the scans permission: the scan is listed, but no link and 404.
	p = admin.get(path)
	wantPage(t, "page without scans permission", p, 200, `data-scan="`+c.Scans[0].ID+`"`, c.Scans[0].SHA256, "signed at a branch", "Brno",
		"needs the scans permission")
	if strings.Contains(p.body, scanPath) {
		t.Error("a user without the scans permission gets a download link")
	}
	wantPage(t, "download without permission", admin.get(scanPath), 404)
	perms := []string{model.PermScans}
	if _, err := e.st.UpdateUser(ctx, a, f.admin.ID, store.UserPatch{Permissions: &perms}); err != nil {
		t.Fatal(err)
	}
	wantPage(t, "page with scans permission", admin.get(path), 200, `href="`+scanPath+`?scan_id=`+c.Scans[0].ID+`"`)
	p = admin.get(scanPath + "?scan_id=" + c.Scans[0].ID)
	if p.status != 200 || p.body != string(pdf) || p.header.Get("Content-Type") != "application/pdf" ||
		!strings.HasPrefix(p.header.Get("Content-Disposition"), "attachment") || p.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("download: %d %v", p.status, p.header)
	}
	entries, err := e.st.ListAudit(ctx, store.AuditFilter{Action: "consent.scan.download"})
	if err != nil || len(entries) != 1 {
		t.Errorf("download audit: %v %+v", err, entries)
	}
	wantPage(t, "scan under another contact", admin.get("/contacts/"+f.jana.ID+"/consents/"+c.ID+"/scan"), 404)
	wantPage(t, "unknown scan id", admin.get(scanPath+"?scan_id=00000000-0000-4000-8000-000000000000"), 404)
}

func TestGdprVerifications(t *testing.T) {
	e := newGdprEnv(t, web.GdprOptions{})
	f := e.adminFixture()
	ctx := context.Background()
	a := store.Actor{UserID: f.admin.ID, Channel: model.ChannelAPI}
	pur := e.consentPurpose(f)
	other, err := e.st.CreateBook(ctx, a, "Jiný", "")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, book := range []string{f.book.ID, other.ID} {
		wf, err := e.st.CreateForm(ctx, a, model.Form{Name: "Form " + book[:4], BookID: book, PurposeIDs: []string{pur.ID}}, false)
		if err != nil {
			t.Fatal(err)
		}
		res, err := e.st.RecordIntake(ctx, store.Intake{FormID: wf.ID, Email: "x" + book[:4] + "@example.cz", PurposeIDs: []string{pur.ID}, Language: "cs"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.RequestID)
	}
	p := e.sessionFor(f.admin.ID).get("/admin/verifications")
	wantPage(t, "admin's verifications", p, 200, `data-verification="`+ids[0]+`"`, `data-verification="`+ids[1]+`"`,
		`href="http://127.0.0.1:8233/namespaces/default/workflows/consent-verify%2F`+ids[0]+`"`, "Form "+f.book.ID[:4])
	// Jana sees the book of the first form only.
	p = e.sessionFor(f.jana.ID).get("/admin/verifications")
	wantPage(t, "jana's verifications", p, 200, `data-verification="`+ids[0]+`"`, "Čekající potvrzení")
	if strings.Contains(p.body, ids[1]) {
		t.Error("jana lists a verification of a book she may not see")
	}
}

func TestGdprBooks(t *testing.T) {
	e := newGdprEnv(t, web.GdprOptions{})
	f := e.adminFixture()
	ctx := context.Background()
	a := store.Actor{UserID: f.admin.ID, Channel: model.ChannelAPI}
	admin, jana := e.sessionFor(f.admin.ID), e.sessionFor(f.jana.ID)
	tok := matches(csrfRe, admin.get("/admin").body)[0]
	jtok := matches(csrfRe, jana.get("/").body)[0]

	wantPage(t, "jana's new book", jana.get("/admin/books/new"), 404)
	wantPage(t, "jana creates", jana.do("POST", "/admin/books", url.Values{"csrf": {jtok}, "name": {"X"}}), 404)
	wantPage(t, "new book page", admin.get("/admin/books/new"), 200, `name="description"`)
	wantPage(t, "no token", admin.do("POST", "/admin/books", url.Values{"name": {"Dodavatelé"}}), 403)
	wantPage(t, "no name", admin.do("POST", "/admin/books", url.Values{"csrf": {tok}, "name": {" "}, "description": {"kept"}}), 400, "1 to 200 characters", ">kept<")
	if bs, _ := e.st.ListBooks(ctx, a); len(bs) != 1 {
		t.Fatalf("refused forms made books: %+v", bs)
	}
	p := admin.do("POST", "/admin/books", url.Values{"csrf": {tok}, "name": {"Dodavatelé"}, "description": {"firmy"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("create: %d %s", p.status, p.body)
	}
	path := p.header.Get("Location")
	id := strings.TrimPrefix(path, "/admin/books/")
	b, err := e.st.GetBook(ctx, a, id)
	if err != nil || b.Name != "Dodavatelé" || b.Description != "firmy" {
		t.Fatalf("book: %v %+v", err, b)
	}

	// Custom fields: bad ones refused, good ones listed, removal.
	fp := path + "/fields"
	wantPage(t, "field without token", admin.do("POST", fp, url.Values{"key": {"ico"}, "label": {"IČO"}, "type": {"text"}}), 403)
	wantPage(t, "bad key", admin.do("POST", fp, url.Values{"csrf": {tok}, "key": {"IČO"}, "label": {"IČO"}, "type": {"text"}}), 400, "The key needs")
	wantPage(t, "choice without choices", admin.do("POST", fp, url.Values{"csrf": {tok}, "key": {"size"}, "label": {"Size"}, "type": {"choice"}}), 400, "A choice field needs")
	wantPage(t, "jana adds a field", jana.do("POST", fp, url.Values{"csrf": {jtok}, "key": {"ico"}, "label": {"IČO"}, "type": {"text"}}), 404)
	if b, _ := e.st.GetBook(ctx, a, id); len(b.Fields) != 0 {
		t.Fatalf("refused fields stored: %+v", b.Fields)
	}
	for _, v := range []url.Values{
		{"csrf": {tok}, "key": {"ico"}, "label": {"IČO"}, "type": {"text"}, "required": {"on"}},
		{"csrf": {tok}, "key": {"size"}, "label": {"Size"}, "type": {"choice"}, "choices": {"small\r\nlarge\n"}},
	} {
		if p := admin.do("POST", fp, v); p.status != http.StatusSeeOther {
			t.Fatalf("field %s: %d %s", v.Get("key"), p.status, p.body)
		}
	}
	b, _ = e.st.GetBook(ctx, a, id)
	if len(b.Fields) != 2 || !b.Fields[0].Required || !slices.Equal(b.Fields[1].Choices, []string{"small", "large"}) {
		t.Fatalf("fields: %+v", b.Fields)
	}
	wantPage(t, "book page", admin.get(path), 200, `data-field="ico"`, `data-field="size"`, "small, large", "required")
	if p := admin.do("POST", fp+"/ico/remove", url.Values{"csrf": {tok}}); p.status != http.StatusSeeOther {
		t.Fatalf("remove field: %d", p.status)
	}
	wantPage(t, "remove unknown field", admin.do("POST", fp+"/nope/remove", url.Values{"csrf": {tok}}), 404)
	if b, _ := e.st.GetBook(ctx, a, id); len(b.Fields) != 1 || b.Fields[0].Key != "size" {
		t.Errorf("after removal: %+v", b.Fields)
	}

	// Deleting: a book with contacts is refused, an empty one goes.
	wantPage(t, "delete a full book", admin.do("POST", "/admin/books/"+f.book.ID+"/delete", url.Values{"csrf": {tok}}), 409, "still holds contacts")
	wantPage(t, "delete without token", admin.do("POST", path+"/delete", url.Values{}), 403)
	wantPage(t, "jana deletes", jana.do("POST", path+"/delete", url.Values{"csrf": {jtok}}), 404)
	if p := admin.do("POST", path+"/delete", url.Values{"csrf": {tok}}); p.status != http.StatusSeeOther || p.header.Get("Location") != "/admin/books" {
		t.Fatalf("delete: %d %s", p.status, p.body)
	}
	if _, err := e.st.GetBook(ctx, a, id); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted book: %v", err)
	}
	if _, err := e.st.GetBook(ctx, a, f.book.ID); err != nil {
		t.Errorf("the refused deletion removed the book: %v", err)
	}
}

// TestBrowserGdprConsents drives Chromium at 360 px through the consent administration: the
// demo admin (holding the scans permission) opens a card's consents, uploads a signed form's
// scan and gets its download link, then looks at a web form's snippet, the purposes and a
// book's custom fields; no page scrolls sideways.
func TestBrowserGdprConsents(t *testing.T) {
	ctx := newBrowser(t)
	e := newGdprEnv(t, web.GdprOptions{PublicURL: "https://kontakt.example.org"})
	const password = "demo password 2026"
	bg := context.Background()
	if _, err := devstack.SeedDemo(bg, e.st, password, nil); err != nil {
		t.Fatal(err)
	}
	wf, err := devstack.SeedDemoForm(bg, e.st, e.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	admin, _, err := e.st.UserLogin(bg, "admin")
	if err != nil {
		t.Fatal(err)
	}
	a := store.Actor{UserID: admin.ID, Channel: model.ChannelSystem}
	perms := []string{model.PermScans}
	if _, err := e.st.UpdateUser(bg, a, admin.ID, store.UserPatch{Permissions: &perms}); err != nil {
		t.Fatal(err)
	}
	pg, err := e.st.ListContacts(bg, a, store.ContactFilter{Query: "dvorak", Limit: 1})
	if err != nil || len(pg.Contacts) == 0 {
		t.Fatal(err, pg)
	}
	contact := pg.Contacts[0]
	d := drive(t, ctx)
	shot, step := d.shot, d.step
	scanFile := filepath.Join(t.TempDir(), "souhlas.pdf")
	if err := os.WriteFile(scanFile, []byte("%PDF-1.4\npodepsaný souhlas\n%%EOF\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	narrow := func(what string) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if w, err := chromedp.Run(sctx, chromedp.Evaluate[string](`String(document.documentElement.scrollWidth)`)); err != nil || w != "360" {
			t.Errorf("%s at 360 px: %v, %s px wide", what, err, w)
		}
	}
	step("log in as admin at 360 px",
		chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile, chromedp.EmulateScale(2)),
		chromedp.Navigate(e.srv.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#password")),
		chromedp.SendKeys(chromedp.CSS("#login"), "admin"),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#q")),
	)
	step("open the card's consents",
		chromedp.Navigate(e.srv.URL+"/contacts/"+contact.ID),
		chromedp.WaitVisible(chromedp.CSS("#consents-link")),
		chromedp.Click(chromedp.CSS("#consents-link")),
		chromedp.WaitVisible(chromedp.CSS("#h-signed")),
		shot("20-consents-360"),
	)
	narrow("consents page")
	step("upload a signed form",
		chromedp.SetValue(chromedp.CSS("#s-branch"), "Brno, Masarykova"),
		chromedp.SetUploadFiles(chromedp.CSS("#s-scan"), []string{scanFile}),
		chromedp.Click(chromedp.CSS(`form[enctype="multipart/form-data"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("a.scanlink")),
		shot("21-signed-consent-360"),
	)
	narrow("consents page with a scan")
	step("a web form's snippet",
		chromedp.Navigate(e.srv.URL+"/admin/forms/"+wf.ID),
		chromedp.WaitVisible(chromedp.CSS("#snippet")),
		shot("22-form-360"),
	)
	narrow("form page")
	step("purposes",
		chromedp.Navigate(e.srv.URL+"/admin/purposes"),
		chromedp.WaitVisible(chromedp.CSS("#p-key")),
		shot("23-purposes-360"),
	)
	narrow("purposes page")
	step("a book's custom fields",
		chromedp.Navigate(e.srv.URL+"/admin/books/"+contact.BookID+"#fields"),
		chromedp.WaitVisible(chromedp.CSS("#fd-key")),
		shot("24-book-fields-360"),
	)
	narrow("book page")
	cs, err := e.st.ListContactConsents(bg, a, contact.ID)
	if err != nil || !slices.ContainsFunc(cs, func(c model.Consent) bool { return len(c.Scans) == 1 && c.Evidence["branch"] == "Brno, Masarykova" }) {
		t.Errorf("signed consent not recorded: %v %+v", err, cs)
	}
}
