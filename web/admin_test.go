package web_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kontakt/kontakt/devstack/testdb"
	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/session"
	"github.com/kontakt/kontakt/store"
	"github.com/kontakt/kontakt/web"
)

// fakeForgetter records the erasure workflows the pages start.
type fakeForgetter struct {
	mu      sync.Mutex
	started []string
}

func (f *fakeForgetter) StartForget(_ context.Context, contactID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.started = append(f.started, contactID)
	return nil
}

func (f *fakeForgetter) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.started)
}

// newAdminEnv is newEnv with a workflow starter and a Temporal UI to link to.
func newAdminEnv(t *testing.T, f web.Forgetter) *env {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), testdb.New(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	st := store.New(pool, "CZ")
	sm := session.New(st, session.Options{TTL: time.Hour, MaxFailures: 3, Window: time.Minute, Params: testParams})
	mux := http.NewServeMux()
	web.Mount(mux, web.NewHandler(web.Deps{Store: st, Sessions: sm, Forgetter: f,
		TemporalUIURL: "http://127.0.0.1:8233", TemporalNamespace: "default",
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}))
	mux.Handle("/", http.NotFoundHandler())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &env{t: t, srv: srv, st: st}
}

// adminFixture is an admin, a staff user jana and a book of the admin's with one contact.
type adminFixture struct {
	admin, jana model.User
	book        model.Book
	contact     model.Contact
}

func (e *env) adminFixture() adminFixture {
	e.t.Helper()
	ctx := context.Background()
	sys := store.Actor{Channel: model.ChannelSystem}
	var f adminFixture
	var err error
	if f.admin, err = e.st.CreateUser(ctx, sys, model.User{Login: "admin", Name: "Admin", IsAdmin: true, Locale: "en"}, ""); err != nil {
		e.t.Fatal(err)
	}
	if f.jana, err = e.st.CreateUser(ctx, sys, model.User{Login: "jana", Name: "Jana Nováková", Locale: "cs"}, ""); err != nil {
		e.t.Fatal(err)
	}
	a := store.Actor{UserID: f.admin.ID, Channel: model.ChannelAPI}
	if f.book, err = e.st.CreateBook(ctx, a, "Zákazníci", ""); err != nil {
		e.t.Fatal(err)
	}
	if _, err = e.st.PutGrant(ctx, a, model.Grant{BookID: f.book.ID, UserID: &f.jana.ID, Role: "viewer"}); err != nil {
		e.t.Fatal(err)
	}
	if f.contact, err = e.st.CreateContact(ctx, a, model.Contact{BookID: f.book.ID, Kind: model.KindPerson,
		GivenName: "Antonín", FamilyName: "Dvořák"}); err != nil {
		e.t.Fatal(err)
	}
	return f
}

func TestAdminSyncAndDevices(t *testing.T) {
	e := newAdminEnv(t, nil)
	f := e.adminFixture()
	ctx := context.Background()
	a := store.Actor{UserID: f.admin.ID, Channel: model.ChannelAPI}
	if _, err := e.st.PutSyncGrant(ctx, a, model.SyncGrant{UserID: f.jana.ID, BookID: f.book.ID, Mode: model.SyncRead}); err != nil {
		t.Fatal(err)
	}
	dev, err := e.st.CreateDevice(ctx, store.Actor{UserID: f.jana.ID, Channel: model.ChannelAPI}, "iPhone Jana", "kp_ab", []byte("hash-of-jana"))
	if err != nil {
		t.Fatal(err)
	}
	admin, jana := e.sessionFor(f.admin.ID), e.sessionFor(f.jana.ID)
	userPath := "/admin/users/" + f.jana.ID
	syncPath := userPath + "/sync"

	// Only admins see the administration; a user sees their own sync page, nobody else's.
	for path, want := range map[string]int{"/admin": 404, "/admin/users": 404, "/admin/users/" + f.admin.ID + "/sync": 404, syncPath: 200} {
		if p := jana.get(path); p.status != want {
			t.Errorf("jana GET %s: %d, want %d", path, p.status, want)
		}
	}
	if p := jana.get("/"); strings.Contains(p.body, `href="/admin"`) {
		t.Error("a staff user is offered the administration")
	}
	if p := admin.get("/admin"); p.status != 200 || !strings.Contains(p.body, `href="/admin/users"`) || !strings.Contains(p.body, `href="/admin/erasures"`) {
		t.Errorf("admin index: %d %s", p.status, p.body)
	}
	if p := admin.get("/admin/users"); p.status != 200 || !strings.Contains(p.body, `href="`+syncPath+`"`) {
		t.Errorf("users: %d %s", p.status, p.body)
	}
	if p := admin.get("/admin/users/not-an-id/sync"); p.status != 404 {
		t.Errorf("malformed user id: %d", p.status)
	}
	p := admin.get(syncPath)
	for _, want := range []string{"Zákazníci", "read only", "iPhone Jana", "last sync: never", "Revoke all sync", `data-device="` + dev.ID + `"`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("sync page lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(p.body)
	}
	if p := jana.get(syncPath); !strings.Contains(p.body, "Zrušit veškerou synchronizaci") || !strings.Contains(p.body, "jen čtení") {
		t.Errorf("jana's sync page is not Czech: %s", p.body)
	}
	tok := matches(csrfRe, p.body)[0]

	// Without the token, or cross-site: refused, nothing changed.
	if p := admin.do("POST", syncPath+"/revoke-all", url.Values{}); p.status != http.StatusForbidden {
		t.Errorf("revoke all without token: %d", p.status)
	}
	if p := admin.do("POST", syncPath+"/revoke-all", url.Values{"csrf": {tok}}, "Sec-Fetch-Site", "cross-site"); p.status != http.StatusForbidden {
		t.Errorf("cross-site revoke all: %d", p.status)
	}
	// Jana's token is not the admin's, and she may not touch the admin's sync.
	if p := jana.do("POST", "/admin/users/"+f.admin.ID+"/sync/revoke-all", url.Values{"csrf": {tok}}); p.status != http.StatusNotFound {
		t.Errorf("jana revokes the admin's sync: %d", p.status)
	}
	if gs, _ := e.st.ListSyncGrants(ctx, a, f.jana.ID); len(gs) != 1 {
		t.Fatalf("refused requests changed the grants: %v", gs)
	}
	// A book she does not sync, then the one-click revoke of all.
	if p := admin.do("POST", syncPath+"/00000000-0000-4000-8000-000000000000/revoke", url.Values{"csrf": {tok}}); p.status != http.StatusNotFound {
		t.Errorf("revoke an unknown grant: %d", p.status)
	}
	p = admin.do("POST", syncPath+"/revoke-all", url.Values{"csrf": {tok}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != syncPath {
		t.Fatalf("revoke all: %d %s", p.status, p.body)
	}
	if gs, _ := e.st.ListSyncGrants(ctx, a, f.jana.ID); len(gs) != 0 {
		t.Errorf("grants after revoke all: %v", gs)
	}
	if p := admin.get(syncPath); !strings.Contains(p.body, "No books are synced.") {
		t.Error("sync page after revoke all still lists grants")
	}

	// Devices: another user's device through this user's path is 404; then revoke.
	if p := admin.do("POST", "/admin/users/"+f.admin.ID+"/devices/"+dev.ID+"/revoke", url.Values{"csrf": {tok}}); p.status != http.StatusNotFound {
		t.Errorf("device under the wrong user: %d", p.status)
	}
	if p := admin.do("POST", userPath+"/devices/"+dev.ID+"/revoke", url.Values{}); p.status != http.StatusForbidden {
		t.Errorf("revoke device without token: %d", p.status)
	}
	if p := admin.do("POST", userPath+"/devices/"+dev.ID+"/revoke", url.Values{"csrf": {tok}}); p.status != http.StatusSeeOther {
		t.Fatalf("revoke device: %d %s", p.status, p.body)
	}
	ds, err := e.st.ListDevices(ctx, a, f.jana.ID)
	if err != nil || len(ds) != 1 || ds[0].RevokedAt == nil {
		t.Fatalf("device after revoke: %v %+v", err, ds)
	}
	if p := admin.get(syncPath); !strings.Contains(p.body, "revoked") || strings.Contains(p.body, "/devices/"+dev.ID+"/revoke") {
		t.Error("a revoked device is offered for revocation again")
	}
	if p := admin.do("POST", userPath+"/devices/revoke-all", url.Values{"csrf": {tok}}); p.status != http.StatusSeeOther {
		t.Errorf("revoke all devices: %d", p.status)
	}
}

func TestAdminForget(t *testing.T) {
	ff := &fakeForgetter{}
	e := newAdminEnv(t, ff)
	f := e.adminFixture()
	ctx := context.Background()
	admin, jana := e.sessionFor(f.admin.ID), e.sessionFor(f.jana.ID)
	card, forget := "/contacts/"+f.contact.ID, "/contacts/"+f.contact.ID+"/forget"

	// A viewer sees the card but neither the button nor the form, and cannot post it.
	if p := jana.get(card); p.status != 200 || strings.Contains(p.body, forget) {
		t.Errorf("viewer's card: %d, offers forget: %v", p.status, strings.Contains(p.body, forget))
	}
	jtok := matches(csrfRe, jana.get("/").body)[0]
	if p := jana.get(forget); p.status != 404 {
		t.Errorf("viewer's forget form: %d", p.status)
	}
	if p := jana.do("POST", forget, url.Values{"csrf": {jtok}, "legal_basis": {"art17_request"}}); p.status != 404 {
		t.Errorf("viewer forgets: %d", p.status)
	}

	p := admin.get(card)
	if !strings.Contains(p.body, `href="`+forget+`"`) {
		t.Fatalf("manager's card has no forget link: %s", p.body)
	}
	p = admin.get(forget)
	if p.status != 200 || !strings.Contains(p.body, `value="art17_request"`) || !strings.Contains(p.body, "Legal basis") {
		t.Fatalf("forget form: %d %s", p.status, p.body)
	}
	tok := matches(csrfRe, p.body)[0]
	if p := admin.do("POST", forget, url.Values{"legal_basis": {"art17_request"}}); p.status != http.StatusForbidden {
		t.Errorf("forget without token: %d", p.status)
	}
	if p := admin.do("POST", forget, url.Values{"csrf": {tok}, "legal_basis": {"because"}}); p.status != http.StatusBadRequest || !strings.Contains(p.body, "Choose the legal basis") {
		t.Errorf("forget with a bad basis: %d %s", p.status, p.body)
	}
	a := store.Actor{UserID: f.admin.ID, Channel: model.ChannelAPI}
	if _, err := e.st.GetErasure(ctx, a, f.contact.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("refused requests recorded an erasure: %v", err)
	}
	p = admin.do("POST", forget, url.Values{"csrf": {tok}, "legal_basis": {"art17_request"}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/admin/erasures/"+f.contact.ID {
		t.Fatalf("forget: %d %s", p.status, p.body)
	}
	for i := 0; i < 100 && ff.count() == 0; i++ {
		time.Sleep(20 * time.Millisecond)
	}
	if ff.count() != 1 {
		t.Errorf("workflow starts: %d", ff.count())
	}
	// The start is marked (the reconciler leaves it alone) before the test's database goes.
	for i := 0; i < 100; i++ {
		if ids, err := e.st.UnstartedErasures(ctx, 10); err == nil && len(ids) == 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if ids, _ := e.st.UnstartedErasures(ctx, 10); len(ids) != 0 {
		t.Errorf("erasure not marked started: %v", ids)
	}
	p = admin.get("/admin/erasures/" + f.contact.ID)
	for _, want := range []string{"the person asked (Art. 17)", "Zákazníci", `id="erasure-status"`,
		`href="http://127.0.0.1:8233/namespaces/default/workflows/forget-contact%2F` + f.contact.ID + `"`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("erasure page lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(p.body)
	}
	if p := admin.get("/admin/erasures"); !strings.Contains(p.body, `href="/admin/erasures/`+f.contact.ID+`"`) {
		t.Errorf("erasures list: %s", p.body)
	}
	// A viewer neither lists nor opens it.
	if p := jana.get("/admin/erasures"); p.status != 200 || strings.Contains(p.body, f.contact.ID) {
		t.Errorf("viewer's erasures list: %d", p.status)
	}
	if p := jana.get("/admin/erasures/" + f.contact.ID); p.status != 404 {
		t.Errorf("viewer's erasure page: %d", p.status)
	}
}

func TestAdminUsersAndGroups(t *testing.T) {
	e := newAdminEnv(t, nil)
	f := e.adminFixture()
	ctx := context.Background()
	admin, jana := e.sessionFor(f.admin.ID), e.sessionFor(f.jana.ID)
	for _, path := range []string{"/admin/users/" + f.jana.ID, "/admin/groups"} {
		if p := jana.get(path); p.status != 404 {
			t.Errorf("jana GET %s: %d", path, p.status)
		}
	}
	jtok := matches(csrfRe, jana.get("/").body)[0]
	if p := jana.do("POST", "/admin/users/"+f.jana.ID, url.Values{"csrf": {jtok}, "name": {"X"}, "locale": {"en"}, "permissions": {"gdpr"}}); p.status != 404 {
		t.Errorf("jana grants herself gdpr: %d", p.status)
	}

	p := admin.get("/admin/users")
	tok := matches(csrfRe, p.body)[0]
	form := url.Values{"csrf": {tok}, "login": {"petr"}, "name": {"Petr Svoboda"}, "locale": {"cs"}, "password": {"short"}}
	if p := admin.do("POST", "/admin/users", form); p.status != http.StatusBadRequest || !strings.Contains(p.body, "at least 10 characters") {
		t.Errorf("short password: %d", p.status)
	}
	form.Set("password", testPassword)
	form.Del("csrf")
	if p := admin.do("POST", "/admin/users", form); p.status != http.StatusForbidden {
		t.Errorf("create without token: %d", p.status)
	}
	if _, _, err := e.st.UserLogin(ctx, "petr"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("refused creates made a user: %v", err)
	}
	form.Set("csrf", tok)
	p = admin.do("POST", "/admin/users", form)
	if p.status != http.StatusSeeOther {
		t.Fatalf("create user: %d %s", p.status, p.body)
	}
	petr, _, err := e.st.UserLogin(ctx, "petr")
	if err != nil || p.header.Get("Location") != "/admin/users/"+petr.ID {
		t.Fatalf("created user: %v %s", err, p.header.Get("Location"))
	}
	if p := admin.do("POST", "/admin/users", form); p.status != http.StatusConflict || !strings.Contains(p.body, "login is taken") {
		t.Errorf("duplicate login: %d", p.status)
	}
	// The new user logs in with the password the admin set.
	b := e.browser()
	if p := b.do("POST", "/login", b.loginForm("petr", testPassword)); p.status != http.StatusSeeOther {
		t.Errorf("new user's login: %d", p.status)
	}

	upd := url.Values{"csrf": {tok}, "name": {"Petr Svoboda"}, "locale": {"en"}, "permissions": {"gdpr"}, "disabled": {"on"}}
	if p := admin.do("POST", "/admin/users/"+petr.ID, upd); p.status != http.StatusSeeOther {
		t.Fatalf("update user: %d %s", p.status, p.body)
	}
	if u, _ := e.st.GetUser(ctx, petr.ID); !u.Disabled || u.Locale != "en" || !u.HasPermission(model.PermGDPR) {
		t.Errorf("after update: %+v", u)
	}
	if p := admin.get("/admin/users/" + petr.ID); !strings.Contains(p.body, `value="gdpr" checked`) {
		t.Error("user page does not show the gdpr permission")
	}
	if p := admin.do("POST", "/admin/users/"+f.admin.ID, upd); p.status != http.StatusBadRequest || !strings.Contains(p.body, "cannot disable yourself") {
		t.Errorf("admin disables themself: %d", p.status)
	}

	if p := admin.do("POST", "/admin/groups", url.Values{"csrf": {tok}, "name": {"Obchod"}}); p.status != http.StatusSeeOther {
		t.Fatalf("create group: %d %s", p.status, p.body)
	}
	gs, _ := e.st.ListGroups(ctx)
	if len(gs) != 1 {
		t.Fatalf("groups: %v", gs)
	}
	members := "/admin/groups/" + gs[0].ID + "/members"
	if p := admin.do("POST", members, url.Values{"user_id": {f.jana.ID}}); p.status != http.StatusForbidden {
		t.Errorf("add member without token: %d", p.status)
	}
	if p := admin.do("POST", members, url.Values{"csrf": {tok}, "user_id": {f.jana.ID}}); p.status != http.StatusSeeOther {
		t.Fatalf("add member: %d", p.status)
	}
	if p := admin.get("/admin/groups"); !strings.Contains(p.body, "Obchod") || !strings.Contains(p.body, members+"/"+f.jana.ID+"/remove") {
		t.Errorf("groups page: %s", p.body)
	}
	if p := admin.do("POST", members+"/"+f.jana.ID+"/remove", url.Values{"csrf": {tok}}); p.status != http.StatusSeeOther {
		t.Errorf("remove member: %d", p.status)
	}
	if g, _ := e.st.GetGroup(ctx, gs[0].ID); len(g.Members) != 0 {
		t.Errorf("members after remove: %v", g.Members)
	}

	// The audit log: admins only, filtered, with the reason for a bad filter.
	if p := jana.get("/admin/audit"); p.status != 404 {
		t.Errorf("jana's audit log: %d", p.status)
	}
	p = admin.get("/admin/audit?action=group.member.add&actor=" + f.admin.ID + "&from=2000-01-01&to=2999-12-31")
	if p.status != 200 || !strings.Contains(p.body, "<strong>group.member.add</strong>") || strings.Contains(p.body, "<strong>group.create</strong>") {
		t.Errorf("filtered audit log: %d %s", p.status, p.body)
	}
	if p := admin.get("/admin/audit?contact=" + f.contact.ID); !strings.Contains(p.body, "contact.create") && !strings.Contains(p.body, `href="/contacts/`+f.contact.ID+`"`) {
		t.Errorf("audit log by contact: %s", p.body)
	}
	if p := admin.get("/admin/audit?from=yesterday"); p.status != http.StatusBadRequest || !strings.Contains(p.body, "YYYY-MM-DD") {
		t.Errorf("bad date: %d", p.status)
	}
	if p := admin.get("/admin/audit?to=2000-01-01"); p.status != 200 || !strings.Contains(p.body, "No entries.") {
		t.Errorf("audit log before 2000: %d", p.status)
	}
}

func TestAdminBooks(t *testing.T) {
	e := newAdminEnv(t, nil)
	f := e.adminFixture()
	ctx := context.Background()
	admin, jana := e.sessionFor(f.admin.ID), e.sessionFor(f.jana.ID)
	bookPath := "/admin/books/" + f.book.ID
	for _, path := range []string{"/admin/books", bookPath} {
		if p := jana.get(path); p.status != 404 {
			t.Errorf("jana GET %s: %d", path, p.status)
		}
	}
	if p := admin.get("/admin/books"); !strings.Contains(p.body, `href="`+bookPath+`"`) {
		t.Errorf("books: %s", p.body)
	}
	p := admin.get(bookPath)
	if p.status != 200 || !strings.Contains(p.body, "Jana Nováková (jana)") || !strings.Contains(p.body, `value="tel.mobile"`) {
		t.Fatalf("book page: %d %s", p.status, p.body)
	}
	tok := matches(csrfRe, p.body)[0]
	a := store.Actor{UserID: f.admin.ID, Channel: model.ChannelAPI}

	// Jana becomes an editor (the grant's role is replaced).
	form := url.Values{"csrf": {tok}, "who": {"user:" + f.jana.ID}, "role": {"editor"}}
	if p := admin.do("POST", bookPath+"/grants", url.Values{"who": form["who"], "role": form["role"]}); p.status != http.StatusForbidden {
		t.Errorf("grant without token: %d", p.status)
	}
	if p := admin.do("POST", bookPath+"/grants", url.Values{"csrf": {tok}, "who": form["who"], "role": {"owner"}}); p.status != http.StatusBadRequest {
		t.Errorf("unknown role: %d", p.status)
	}
	if p := admin.do("POST", bookPath+"/grants", form); p.status != http.StatusSeeOther {
		t.Fatalf("grant: %d %s", p.status, p.body)
	}
	gs, err := e.st.ListGrants(ctx, a, f.book.ID)
	if err != nil || len(gs) != 1 || gs[0].Role != "editor" {
		t.Fatalf("grants: %v %+v", err, gs)
	}
	if p := admin.do("POST", bookPath+"/grants/"+gs[0].ID+"/remove", url.Values{"csrf": {tok}}); p.status != http.StatusSeeOther {
		t.Errorf("remove grant: %d", p.status)
	}
	if gs, _ := e.st.ListGrants(ctx, a, f.book.ID); len(gs) != 0 {
		t.Errorf("grants after remove: %+v", gs)
	}

	// The sync profile: without the name refused, with it saved.
	if p := admin.do("POST", bookPath+"/settings", url.Values{"csrf": {tok}, "sync_profile": {"org"}}); p.status != http.StatusBadRequest || !strings.Contains(p.body, "must contain the name") {
		t.Errorf("profile without name: %d", p.status)
	}
	if p := admin.do("POST", bookPath+"/settings", url.Values{"csrf": {tok}, "sync_profile": {"name", "tel.mobile"}}); p.status != http.StatusSeeOther {
		t.Fatalf("save profile: %d %s", p.status, p.body)
	}
	b, err := e.st.GetBook(ctx, a, f.book.ID)
	if err != nil || strings.Join(b.SyncProfile, ",") != "name,tel.mobile" || b.RequiredPurposeID != nil {
		t.Errorf("book after save: %v %+v", err, b)
	}
}
