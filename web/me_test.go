package web_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/kontakt/kontakt/auth"
	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// TestMeLanguage: the language is the user's locale, so every page follows it.
func TestMeLanguage(t *testing.T) {
	e := newEnv(t)
	f := e.contactsFixture()
	jana := e.sessionFor(f.jana.ID)
	p := jana.get("/me")
	if p.status != http.StatusOK || !strings.Contains(p.body, `lang="cs"`) || !strings.Contains(p.body, "Moje nastavení") {
		t.Fatalf("/me: %d %s", p.status, p.body)
	}
	tok := token(t, p)
	if p := jana.do("POST", "/me/language", url.Values{"locale": {"en"}}); p.status != http.StatusForbidden {
		t.Errorf("without token: %d", p.status)
	}
	if p := jana.do("POST", "/me/language", url.Values{"csrf": {tok}, "locale": {"de"}}); p.status != http.StatusBadRequest || !strings.Contains(p.body, `role="alert"`) {
		t.Errorf("unknown language: %d", p.status)
	}
	if u, _ := e.st.GetUser(context.Background(), f.jana.ID); u.Locale != "cs" {
		t.Fatalf("refused forms changed the locale: %s", u.Locale)
	}
	p = jana.do("POST", "/me/language", url.Values{"csrf": {tok}, "locale": {"en"}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/me?done=language" {
		t.Fatalf("set language: %d", p.status)
	}
	if u, _ := e.st.GetUser(context.Background(), f.jana.ID); u.Locale != "en" {
		t.Errorf("locale: %s", u.Locale)
	}
	// Every page switches, whatever the browser asks for.
	for _, path := range []string{"/me?done=language", "/", "/contacts/" + f.person.ID} {
		p := jana.get(path, "Accept-Language", "cs-CZ,cs;q=0.9")
		if !strings.Contains(p.body, `lang="en"`) {
			t.Errorf("%s is not English", path)
		}
	}
	if p := jana.get("/me?done=language"); !strings.Contains(p.body, "The language was saved.") {
		t.Error("no confirmation")
	}
}

// TestMePassword: the current password is required, the new one twice and long enough;
// the change signs out the other sessions but keeps this one.
func TestMePassword(t *testing.T) {
	e := newEnv(t)
	f := e.contactsFixture()
	ctx := context.Background()
	hash, err := auth.HashPassword("stare-heslo-123", testParams)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.st.SetPassword(ctx, store.Actor{Channel: model.ChannelSystem}, f.jana.ID, hash); err != nil {
		t.Fatal(err)
	}
	jana, phone := e.sessionFor(f.jana.ID), e.sessionFor(f.jana.ID)
	tok := token(t, jana.get("/me"))
	change := func(current, next, repeat string) page {
		return jana.do("POST", "/me/password", url.Values{"csrf": {tok}, "current": {current}, "new": {next}, "repeat": {repeat}})
	}
	if p := jana.do("POST", "/me/password", url.Values{"current": {"stare-heslo-123"}, "new": {"nove-heslo-456"}, "repeat": {"nove-heslo-456"}}); p.status != http.StatusForbidden {
		t.Errorf("without token: %d", p.status)
	}
	for _, c := range []struct{ current, next, repeat, want string }{
		{"spatne-heslo", "nove-heslo-456", "nove-heslo-456", "Současné heslo není správné"},
		{"stare-heslo-123", "nove-heslo-456", "nove-heslo-457", "Obě nová hesla se liší"},
		{"stare-heslo-123", "kratke", "kratke", "alespoň 10 znaků"},
	} {
		if p := change(c.current, c.next, c.repeat); p.status != http.StatusBadRequest || !strings.Contains(p.body, c.want) {
			t.Errorf("%+v: %d", c, p.status)
		}
	}
	if _, h, _ := e.st.UserLogin(ctx, "jana"); h != hash {
		t.Fatal("a refused change changed the password")
	}
	p := change("stare-heslo-123", "nove-heslo-456", "nove-heslo-456")
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/me?done=password" {
		t.Fatalf("change: %d %s", p.status, p.body)
	}
	_, h, _ := e.st.UserLogin(ctx, "jana")
	if auth.VerifyPassword("nove-heslo-456", h) != nil {
		t.Error("the new password does not verify")
	}
	if p := jana.get("/me?done=password"); p.status != http.StatusOK || !strings.Contains(p.body, "Heslo bylo změněno") {
		t.Errorf("this browser after the change: %d", p.status)
	}
	if p := phone.get("/me"); p.status != http.StatusSeeOther {
		t.Errorf("another session after the change: %d", p.status)
	}
}

// A guessed current password counts against a limit like failed logins.
func TestMePasswordLimit(t *testing.T) {
	e := newEnv(t)
	f := e.contactsFixture()
	jana := e.sessionFor(f.jana.ID)
	tok := token(t, jana.get("/me"))
	var last int
	for i := 0; i < 4; i++ {
		last = jana.do("POST", "/me/password", url.Values{"csrf": {tok}, "current": {"hadam"}, "new": {"nove-heslo-456"}, "repeat": {"nove-heslo-456"}}).status
	}
	if last != http.StatusTooManyRequests {
		t.Errorf("fourth guess: %d", last)
	}
}

var davPasswordRe = regexp.MustCompile(`<code id="dav-password">([^<]+)</code>`)

// TestMeDevices: a device password is shown once with the CardDAV address and user name,
// works for CardDAV, is listed (without the secret) and can be revoked; someone else's
// device is 404.
func TestMeDevices(t *testing.T) {
	e := newEnv(t)
	f := e.contactsFixture()
	ctx := context.Background()
	jana, petr := e.sessionFor(f.jana.ID), e.sessionFor(f.petr.ID)
	p := jana.get("/me")
	tok := token(t, p)
	if !strings.Contains(p.body, `id="me-nogrants"`) {
		t.Error("no hint that jana syncs no book")
	}
	if p := jana.do("POST", "/me/devices", url.Values{"name": {"iPhone"}}); p.status != http.StatusForbidden {
		t.Errorf("without token: %d", p.status)
	}
	if p := jana.do("POST", "/me/devices", url.Values{"csrf": {tok}, "name": {"  "}}); p.status != http.StatusBadRequest || !strings.Contains(p.body, `role="alert"`) {
		t.Errorf("no name: %d", p.status)
	}
	if ds, _ := e.st.ListDevices(ctx, actorOf(f.jana), f.jana.ID); len(ds) != 0 {
		t.Fatalf("refused forms made devices: %v", ds)
	}
	p = jana.do("POST", "/me/devices", url.Values{"csrf": {tok}, "name": {"iPhone Jana"}})
	m := davPasswordRe.FindStringSubmatch(p.body)
	if p.status != http.StatusOK || m == nil || !strings.Contains(p.body, `<code id="dav-url">`+e.srv.URL+`/dav/</code>`) ||
		!strings.Contains(p.body, `<code id="dav-user">jana</code>`) || p.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("device created: %d %v %s", p.status, p.header, p.body)
	}
	secret := m[1]
	u, dev, err := e.st.DeviceUser(ctx, auth.HashSecret(secret))
	if err != nil || u.ID != f.jana.ID || dev.Name != "iPhone Jana" {
		t.Fatalf("the shown password is not the device's: %v %+v", err, dev)
	}
	p = jana.get("/me")
	if !strings.Contains(p.body, `data-device="`+dev.ID+`"`) || strings.Contains(p.body, secret) {
		t.Errorf("device list: listed %v, secret shown again %v", strings.Contains(p.body, dev.ID), strings.Contains(p.body, secret))
	}
	revoke := "/me/devices/" + dev.ID + "/revoke"
	if p := petr.do("POST", revoke, url.Values{"csrf": {token(t, petr.get("/me"))}}); p.status != http.StatusNotFound {
		t.Errorf("petr revokes jana's device: %d", p.status)
	}
	if _, _, err := e.st.DeviceUser(ctx, auth.HashSecret(secret)); err != nil {
		t.Fatalf("a refused revoke revoked: %v", err)
	}
	if p := jana.do("POST", revoke, url.Values{"csrf": {tok}}); p.status != http.StatusSeeOther || p.header.Get("Location") != "/me?done=revoked" {
		t.Fatalf("revoke: %d", p.status)
	}
	if _, _, err := e.st.DeviceUser(ctx, auth.HashSecret(secret)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("revoked device still authenticates: %v", err)
	}
	if p := jana.get("/me"); strings.Contains(p.body, revoke) {
		t.Error("a revoked device is offered for revocation again")
	}
}
