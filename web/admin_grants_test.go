package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kontakt/kontakt/devstack"
	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// TestGrantsUserSyncPage: an admin grants a user the sync of a book from the user's sync
// page, read and write until a day, then changes it to read-only without an end; the form
// offers only the books the user sees and names the others; bad input is 400 with the
// reason and stores nothing; the forms need the CSRF token; a user who manages no book is
// offered no form and may not grant themself one.
func TestGrantsUserSyncPage(t *testing.T) {
	e := newAdminEnv(t, nil)
	f := e.adminFixture()
	ctx := context.Background()
	a := store.Actor{UserID: f.admin.ID, Channel: model.ChannelAPI}
	other, err := e.st.CreateBook(ctx, a, "Dodavatelé", "")
	if err != nil {
		t.Fatal(err)
	}
	admin, jana := e.sessionFor(f.admin.ID), e.sessionFor(f.jana.ID)
	syncPath := "/admin/users/" + f.jana.ID + "/sync"
	p := admin.get(syncPath)
	if p.status != http.StatusOK || !strings.Contains(p.body, `id="grant-sync"`) ||
		!strings.Contains(p.body, `<option value="`+f.book.ID+`">Zákazníci</option>`) ||
		strings.Contains(p.body, `<option value="`+other.ID+`"`) || !strings.Contains(p.body, `href="/admin/books/`+other.ID+`">Dodavatelé</a>`) {
		t.Fatalf("sync page's grant form: %d %s", p.status, p.body)
	}
	tok := token(t, p)
	day := time.Now().AddDate(0, 1, 0).Format(time.DateOnly)
	form := url.Values{"csrf": {tok}, "book_id": {f.book.ID}, "mode": {"read_write"}, "until": {day}}
	with := func(k, v string) url.Values {
		c := url.Values{}
		for kk, vv := range form {
			c[kk] = vv
		}
		c.Set(k, v)
		return c
	}
	grants := func() []model.SyncGrant {
		gs, err := e.st.ListSyncGrants(ctx, a, f.jana.ID)
		if err != nil {
			t.Fatal(err)
		}
		return gs
	}

	if p := admin.do("POST", syncPath+"/grant", with("csrf", "")); p.status != http.StatusForbidden {
		t.Errorf("grant without token: %d", p.status)
	}
	for _, c := range []struct {
		k, v, want string
		status     int
	}{
		{"mode", "owner", "Choose read only or read and write.", 400},
		{"until", "2001-01-01", "The last day must be a date, today or later.", 400},
		{"until", "next week", "The last day must be a date, today or later.", 400},
		{"book_id", "", "Choose an address book.", 400},
		{"book_id", other.ID, "This user cannot see that address book", 400},
		{"book_id", "00000000-0000-4000-8000-000000000000", "Not found.", 404},
	} {
		p := admin.do("POST", syncPath+"/grant", with(c.k, c.v))
		if p.status != c.status || !strings.Contains(p.body, c.want) {
			t.Errorf("grant with %s=%q: %d, want %d %q", c.k, c.v, p.status, c.status, c.want)
		}
		if c.status == 400 && !strings.Contains(p.body, `role="alert"`) {
			t.Errorf("grant with %s=%q: no alert", c.k, c.v)
		}
	}
	if gs := grants(); len(gs) != 0 {
		t.Fatalf("refused grants stored: %+v", gs)
	}

	if p := admin.do("POST", syncPath+"/grant", form); p.status != http.StatusSeeOther || p.header.Get("Location") != syncPath {
		t.Fatalf("grant: %d %s", p.status, p.body)
	}
	gs := grants()
	d, _ := time.ParseInLocation(time.DateOnly, day, time.Local)
	if len(gs) != 1 || gs[0].BookID != f.book.ID || gs[0].Mode != model.SyncReadWrite || gs[0].Until == nil || !gs[0].Until.Equal(d.AddDate(0, 0, 1)) {
		t.Fatalf("grant stored: %+v", gs)
	}
	p = admin.get(syncPath)
	if !strings.Contains(p.body, "read and write · through "+d.Format("2 Jan 2006")) || !strings.Contains(p.body, `value="`+day+`"`) {
		t.Errorf("sync page after grant: %s", p.body)
	}
	if p := jana.get(syncPath); !strings.Contains(p.body, "čtení i zápis · do "+d.Format("2. 1. 2006")) {
		t.Errorf("jana's page does not show the end in Czech: %s", p.body)
	}

	// Change: read-only, no end; bad input on the change form is 400 and changes nothing.
	change := syncPath + "/" + f.book.ID + "/change"
	if p := admin.do("POST", change, url.Values{"mode": {"read"}}); p.status != http.StatusForbidden {
		t.Errorf("change without token: %d", p.status)
	}
	if p := admin.do("POST", change, url.Values{"csrf": {tok}, "mode": {"write"}}); p.status != http.StatusBadRequest || !strings.Contains(p.body, "Choose read only") {
		t.Errorf("change with a bad mode: %d", p.status)
	}
	if gs := grants(); gs[0].Mode != model.SyncReadWrite || gs[0].Until == nil {
		t.Errorf("refused change changed the grant: %+v", gs)
	}
	if p := admin.do("POST", change, url.Values{"csrf": {tok}, "mode": {"read"}, "until": {""}}); p.status != http.StatusSeeOther {
		t.Fatalf("change: %d %s", p.status, p.body)
	}
	if gs := grants(); len(gs) != 1 || gs[0].Mode != model.SyncRead || gs[0].Until != nil {
		t.Errorf("grant after change: %+v", gs)
	}

	// Jana manages no book: no form, and her own grant on her own path is 404.
	p = jana.get(syncPath)
	if strings.Contains(p.body, `id="grant-sync"`) || strings.Contains(p.body, "/change") {
		t.Errorf("jana is offered to grant sync: %s", p.body)
	}
	jtok := token(t, p)
	if p := jana.do("POST", syncPath+"/grant", url.Values{"csrf": {jtok}, "book_id": {f.book.ID}, "mode": {"read_write"}}); p.status != http.StatusNotFound {
		t.Errorf("jana grants herself: %d", p.status)
	}
	if p := jana.do("POST", change, url.Values{"csrf": {jtok}, "mode": {"read_write"}}); p.status != http.StatusNotFound {
		t.Errorf("jana changes her grant: %d", p.status)
	}
	if gs := grants(); gs[0].Mode != model.SyncRead {
		t.Errorf("jana changed her grant: %+v", gs)
	}
}

// TestGrantsBookPageForManager: a book's manager who is not an admin finds the book under
// My address books, manages its sync grants (grant, change, revoke) and its grants,
// settings and fields there, but may not delete it; bad input is 400 with the reason and
// stores nothing.
func TestGrantsBookPageForManager(t *testing.T) {
	e := newAdminEnv(t, nil)
	f := e.adminFixture()
	ctx := context.Background()
	a := store.Actor{UserID: f.admin.ID, Channel: model.ChannelAPI}
	sys := store.Actor{Channel: model.ChannelSystem}
	petr, err := e.st.CreateUser(ctx, sys, model.User{Login: "petr", Name: "Petr Svoboda", Locale: "en"}, "")
	if err != nil {
		t.Fatal(err)
	}
	eva, err := e.st.CreateUser(ctx, sys, model.User{Login: "eva", Name: "Eva Malá", Locale: "en"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.PutGrant(ctx, a, model.Grant{BookID: f.book.ID, UserID: &petr.ID, Role: model.RoleManager}); err != nil {
		t.Fatal(err)
	}
	mgr, jana := e.sessionFor(petr.ID), e.sessionFor(f.jana.ID)
	bookPath := "/admin/books/" + f.book.ID

	p := mgr.get("/me")
	if !strings.Contains(p.body, `href="/me/books"`) {
		t.Error("/me does not link My address books")
	}
	p = mgr.get("/me/books")
	if p.status != http.StatusOK || !strings.Contains(p.body, `href="`+bookPath+`"`) || !strings.Contains(p.body, "Manage book") {
		t.Fatalf("petr's books: %d %s", p.status, p.body)
	}
	if p := jana.get("/me/books"); !strings.Contains(p.body, "Zákazníci") || strings.Contains(p.body, `href="`+bookPath+`"`) {
		t.Errorf("jana's books offer management: %s", p.body)
	}
	p = mgr.get(bookPath)
	if p.status != http.StatusOK || !strings.Contains(p.body, `id="book-sync"`) || strings.Contains(p.body, bookPath+"/delete") ||
		!strings.Contains(p.body, `href="/me/books"`) || !strings.Contains(p.body, "Nobody syncs this book.") {
		t.Fatalf("petr's book page: %d %s", p.status, p.body)
	}
	// The user choice holds those who see the book, not eva.
	if !strings.Contains(p.body, `<option value="`+f.jana.ID+`">`) || strings.Contains(p.body, `<option value="`+eva.ID+`">`) {
		t.Errorf("sync user choice: %s", p.body)
	}
	tok := token(t, p)
	syncs := func() []store.BookSyncGrant {
		gs, err := e.st.ListBookSyncGrants(ctx, a, f.book.ID)
		if err != nil {
			t.Fatal(err)
		}
		return gs
	}

	if p := mgr.do("POST", bookPath+"/sync", url.Values{"user_id": {f.jana.ID}, "mode": {"read"}}); p.status != http.StatusForbidden {
		t.Errorf("grant without token: %d", p.status)
	}
	for _, c := range []struct{ user, mode, until, want string }{
		{eva.ID, "read", "", "That user cannot see this address book"},
		{"", "read", "", "Choose a user."},
		{"00000000-0000-4000-8000-000000000000", "read", "", "Choose a user."},
		{f.jana.ID, "all", "", "Choose read only or read and write."},
		{f.jana.ID, "read", "1999-12-31", "The last day must be a date"},
	} {
		p := mgr.do("POST", bookPath+"/sync", url.Values{"csrf": {tok}, "user_id": {c.user}, "mode": {c.mode}, "until": {c.until}})
		if p.status != http.StatusBadRequest || !strings.Contains(p.body, c.want) || !strings.Contains(p.body, `role="alert"`) {
			t.Errorf("grant %+v: %d", c, p.status)
		}
	}
	if gs := syncs(); len(gs) != 0 {
		t.Fatalf("refused grants stored: %+v", gs)
	}
	if p := mgr.do("POST", bookPath+"/sync", url.Values{"csrf": {tok}, "user_id": {f.jana.ID}, "mode": {"read"}}); p.status != http.StatusSeeOther {
		t.Fatalf("grant: %d %s", p.status, p.body)
	}
	if gs := syncs(); len(gs) != 1 || gs[0].UserID != f.jana.ID || gs[0].Mode != model.SyncRead || gs[0].Until != nil {
		t.Fatalf("grant stored: %+v", gs)
	}
	day := time.Now().AddDate(0, 0, 7).Format(time.DateOnly)
	if p := mgr.do("POST", bookPath+"/sync", url.Values{"csrf": {tok}, "user_id": {f.jana.ID}, "change": {"1"}, "mode": {"read_write"}, "until": {day}}); p.status != http.StatusSeeOther {
		t.Fatalf("change: %d %s", p.status, p.body)
	}
	if gs := syncs(); len(gs) != 1 || gs[0].Mode != model.SyncReadWrite || gs[0].Until == nil {
		t.Fatalf("changed grant: %+v", gs)
	}
	if p := mgr.get(bookPath); !strings.Contains(p.body, `data-sync="`+f.jana.ID+`"`) || !strings.Contains(p.body, "read and write · through") {
		t.Errorf("book page lists the grant: %s", p.body)
	}

	// A manager also keeps the book's grants, settings and fields, as the API lets them.
	if p := mgr.do("POST", bookPath+"/grants", url.Values{"csrf": {tok}, "who": {"user:" + eva.ID}, "role": {"viewer"}}); p.status != http.StatusSeeOther {
		t.Errorf("petr gives eva a role: %d", p.status)
	}
	if p := mgr.do("POST", bookPath+"/settings", url.Values{"csrf": {tok}, "sync_profile": {"name", "tel.mobile"}}); p.status != http.StatusSeeOther {
		t.Errorf("petr saves the settings: %d %s", p.status, p.body)
	}
	if p := mgr.do("POST", bookPath+"/fields", url.Values{"csrf": {tok}, "key": {"region"}, "label": {"Region"}, "type": {"text"}}); p.status != http.StatusSeeOther {
		t.Errorf("petr adds a field: %d %s", p.status, p.body)
	}
	b, err := e.st.GetBook(ctx, a, f.book.ID)
	if err != nil || len(b.Fields) != 1 || strings.Join(b.SyncProfile, ",") != "name,tel.mobile" {
		t.Errorf("book after petr's changes: %v %+v", err, b)
	}
	// ... but not delete it: only admins delete books.
	if p := mgr.do("POST", bookPath+"/delete", url.Values{"csrf": {tok}}); p.status != http.StatusNotFound {
		t.Errorf("petr deletes the book: %d", p.status)
	}
	if _, err := e.st.GetBook(ctx, a, f.book.ID); err != nil {
		t.Errorf("book after refused delete: %v", err)
	}

	// Revoke from the book page.
	if p := mgr.do("POST", bookPath+"/sync/"+f.jana.ID+"/revoke", url.Values{}); p.status != http.StatusForbidden {
		t.Errorf("revoke without token: %d", p.status)
	}
	if p := mgr.do("POST", bookPath+"/sync/"+f.jana.ID+"/revoke", url.Values{"csrf": {tok}}); p.status != http.StatusSeeOther {
		t.Fatalf("revoke: %d", p.status)
	}
	if gs := syncs(); len(gs) != 0 {
		t.Errorf("grants after revoke: %+v", gs)
	}
	if p := mgr.do("POST", bookPath+"/sync/"+f.jana.ID+"/revoke", url.Values{"csrf": {tok}}); p.status != http.StatusNotFound {
		t.Errorf("revoke again: %d", p.status)
	}
}

// TestBrowserGrantsSync drives Chromium at 360 px: the demo admin grants jana the sync of a
// book from her sync page, and the book's page lists her; neither page scrolls sideways.
func TestBrowserGrantsSync(t *testing.T) {
	ctx := newBrowser(t)
	e := newEnv(t)
	const password = "demo password 2026"
	bg := context.Background()
	if _, err := devstack.SeedDemo(bg, e.st, password, nil); err != nil {
		t.Fatal(err)
	}
	admin, _, err := e.st.UserLogin(bg, "admin")
	if err != nil {
		t.Fatal(err)
	}
	jana, _, err := e.st.UserLogin(bg, "jana")
	if err != nil {
		t.Fatal(err)
	}
	a := store.Actor{UserID: admin.ID, Channel: model.ChannelSystem}
	d := drive(t, ctx)
	shot, step := d.shot, d.step
	width := func(what string) {
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
	step("grant jana the sync of a book",
		chromedp.Navigate(e.srv.URL+"/admin/users/"+jana.ID+"/sync"),
		chromedp.WaitVisible(chromedp.CSS("#grant-sync")),
		shot("40-grant-sync-360"),
		chromedp.Click(chromedp.CSS(`#grant-sync button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(".grants-change")),
		shot("41-granted-360"),
	)
	width("sync page")
	gs, err := e.st.ListSyncGrants(bg, a, jana.ID)
	if err != nil || len(gs) != 1 {
		t.Fatalf("jana's grants: %v %+v", err, gs)
	}
	step("the book's page lists her",
		chromedp.Navigate(e.srv.URL+"/admin/books/"+gs[0].BookID+"#h-bsync"),
		chromedp.WaitVisible(chromedp.CSS(`[data-sync="`+jana.ID+`"]`)),
		shot("42-book-sync-360"),
	)
	width("book page")
}
