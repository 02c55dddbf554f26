package web_test

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kontakt/kontakt/devstack"
	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// TestBrowserAdminRevokesSync drives Chromium through issue #8's "revoke a user's sync": the
// demo admin, at 360 px, opens the administration, finds jana, and revokes all her sync
// with one click.
func TestBrowserAdminRevokesSync(t *testing.T) {
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
	books, err := e.st.ListBooks(bg, a)
	if err != nil || len(books) == 0 {
		t.Fatal(err, books)
	}
	if _, err := e.st.PutSyncGrant(bg, a, model.SyncGrant{UserID: jana.ID, BookID: books[0].ID, Mode: model.SyncRead}); err != nil {
		t.Fatal(err)
	}
	d := drive(t, ctx)
	shot, step := d.shot, d.step
	step("log in as admin at 360 px",
		chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile, chromedp.EmulateScale(2)),
		chromedp.Navigate(e.srv.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#password")),
		chromedp.SendKeys(chromedp.CSS("#login"), "admin"),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#q")),
	)
	step("open the administration and jana's sync",
		chromedp.Click(chromedp.CSS(`a[href="/admin"]`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/admin/users"]`)),
		shot("10-admin-360"),
		chromedp.Click(chromedp.CSS(`a[href="/admin/users"]`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/admin/users/`+jana.ID+`/sync"]`)),
		shot("11-users-360"),
		chromedp.Click(chromedp.CSS(`a[href="/admin/users/`+jana.ID+`/sync"]`)),
		chromedp.WaitVisible(chromedp.CSS("#revoke-all-sync")),
		shot("12-sync-360"),
	)
	step("revoke all sync with one click",
		chromedp.Click(chromedp.CSS("#revoke-all-sync")),
		chromedp.WaitVisible(chromedp.CSS("#no-grants")),
		shot("13-sync-revoked-360"),
	)
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if w, err := chromedp.Run(sctx, chromedp.Evaluate[string](`String(document.documentElement.scrollWidth)`)); err != nil || w != "360" {
		t.Errorf("sync page at 360 px: %v, %s px wide", err, w)
	}
	step("an address book's grants and sync profile at 360 px",
		chromedp.Navigate(e.srv.URL+"/admin/books/"+books[0].ID),
		chromedp.WaitVisible(chromedp.CSS("#g-who")),
		shot("14-book-360"),
	)
	if w, err := chromedp.Run(sctx, chromedp.Evaluate[string](`String(document.documentElement.scrollWidth)`)); err != nil || w != "360" {
		t.Errorf("book page at 360 px: %v, %s px wide", err, w)
	}
	if gs, err := e.st.ListSyncGrants(bg, a, jana.ID); err != nil || len(gs) != 0 {
		t.Errorf("jana's grants after revoke all: %v %v", err, gs)
	}
}
