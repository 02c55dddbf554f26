package web_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kontakt/kontakt/auth"
	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// TestBrowserContactEditing drives Chromium at 360 px through the editing path: log in as
// an editor, edit a contact from its card, add a restricted note, and create a device
// password on /me; no page scrolls sideways.
func TestBrowserContactEditing(t *testing.T) {
	ctx := newBrowser(t)
	e := newEnv(t)
	f := e.contactsFixture()
	const password = "heslo pro janu 2026"
	hash, err := auth.HashPassword(password, testParams)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.st.SetPassword(context.Background(), store.Actor{Channel: model.ChannelSystem}, f.jana.ID, hash); err != nil {
		t.Fatal(err)
	}
	d := drive(t, ctx)
	shot, step, eval, narrow := d.shot, d.step, d.eval, d.narrow
	card := e.srv.URL + "/contacts/" + f.person.ID

	step("log in at 360 px",
		chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile, chromedp.EmulateScale(2)),
		chromedp.Navigate(e.srv.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#password")),
		chromedp.SendKeys(chromedp.CSS("#login"), "jana"),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#q")),
		shot("ced-01-directory-360"),
	)
	step("open the card and its edit form",
		chromedp.Navigate(card),
		chromedp.WaitVisible(chromedp.CSS("#ced-edit")),
		chromedp.Click(chromedp.CSS("#ced-edit")),
		chromedp.WaitVisible(chromedp.CSS("#c-family")),
		shot("ced-02-edit-360"),
	)
	narrow("edit form")
	step("change the family name and a second phone, save",
		chromedp.Evaluate[chromedp.Void](`document.querySelector("#c-family").value = "Dvořák st."`),
		chromedp.SendKeys(chromedp.CSS("#phone-1"), "777 888 999"),
		chromedp.Click(chromedp.CSS("#ced-save")),
		chromedp.WaitVisible(chromedp.CSS(`a[href="tel:+420777888999"]`)),
	)
	if got := eval(`document.querySelector("h1").textContent`); !strings.Contains(got, "Dvořák st.") {
		t.Errorf("name after the edit: %s", got)
	}
	step("add a restricted note",
		chromedp.Click(chromedp.CSS("#add-note summary")),
		chromedp.SendKeys(chromedp.CSS("#add-note textarea"), "Volat až po 10. hodině"),
		chromedp.Click(chromedp.CSS(`#add-note input[value="restricted"]`)),
		chromedp.Click(chromedp.CSS("#add-note details summary")),
		shot("ced-03-note-form-360"),
		chromedp.Click(chromedp.CSS(`#add-note button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(".note")),
		shot("ced-04-card-360"),
	)
	if got := eval(`document.querySelector(".note").textContent`); !strings.Contains(got, "Volat až po 10. hodině") {
		t.Errorf("note on the card: %s", got)
	}
	narrow("card")
	step("my settings: a device password",
		chromedp.Navigate(e.srv.URL+"/me"),
		chromedp.WaitVisible(chromedp.CSS("#me-device")),
		shot("ced-05-me-360"),
		chromedp.SendKeys(chromedp.CSS("#me-device"), "iPhone Jana"),
		chromedp.Click(chromedp.CSS(`form[action="/me/devices"] button`)),
		chromedp.WaitVisible(chromedp.CSS("#dav-password")),
		shot("ced-06-device-360"),
	)
	narrow("device password")
	if got := eval(`document.querySelector("#dav-url").textContent`); got != e.srv.URL+"/dav/" {
		t.Errorf("CardDAV URL %q", got)
	}
	step("the edit form at 1280 px",
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(card+"/edit"),
		chromedp.WaitVisible(chromedp.CSS("#c-family")),
		shot("ced-07-edit-1280"),
	)
}
