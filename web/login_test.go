package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kontakt/kontakt/auth"
	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/session"
	"github.com/kontakt/kontakt/store"
)

const testPassword = "correct horse battery"

// newUser creates a staff user with testPassword.
func (e *env) newUser(login, locale string) model.User {
	e.t.Helper()
	hash, err := auth.HashPassword(testPassword, testParams)
	if err != nil {
		e.t.Fatal(err)
	}
	u, err := e.st.CreateUser(context.Background(), store.Actor{Channel: model.ChannelSystem},
		model.User{Login: login, Name: "Jana Nováková", Locale: locale}, hash)
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// loginForm fetches the login page and returns the form with its CSRF token filled in.
func (b *browser) loginForm(login, password string) url.Values {
	b.e.t.Helper()
	p := b.get("/login")
	if p.status != http.StatusOK {
		b.e.t.Fatalf("login page: %d", p.status)
	}
	tok := matches(csrfRe, p.body)
	if len(tok) != 1 {
		b.e.t.Fatalf("login page has no CSRF token: %s", p.body)
	}
	return url.Values{"csrf": {tok[0]}, "login": {login}, "password": {password}}
}

func TestLoginLogout(t *testing.T) {
	e := newEnv(t)
	e.newUser("jana", "cs")
	b := e.browser()

	if p := b.get("/"); p.status != http.StatusSeeOther || p.header.Get("Location") != "/login" {
		t.Fatalf("anonymous directory: %d %s", p.status, p.header.Get("Location"))
	}
	p := b.get("/login", "Accept-Language", "cs-CZ,cs;q=0.9,en;q=0.5")
	if !strings.Contains(p.body, `lang="cs"`) || !strings.Contains(p.body, "Přihlášení") {
		t.Errorf("login page does not follow Accept-Language cs: %s", p.body)
	}
	if p := b.get("/login", "Accept-Language", "de-DE,en;q=0.8"); !strings.Contains(p.body, `lang="en"`) || !strings.Contains(p.body, "Log in") {
		t.Errorf("login page for de,en is not English")
	}

	p = b.do("POST", "/login", b.loginForm("jana", "wrong password!"))
	if p.status != http.StatusUnauthorized || !strings.Contains(p.body, "Wrong login or password.") {
		t.Fatalf("wrong password: %d %s", p.status, p.body)
	}
	p2 := b.do("POST", "/login", b.loginForm("nobody", "wrong password!"))
	if p2.status != http.StatusUnauthorized || !strings.Contains(p2.body, "Wrong login or password.") {
		t.Fatalf("unknown login: %d %s", p2.status, p2.body)
	}
	p = b.do("POST", "/login", b.loginForm("jana", testPassword))
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/" {
		t.Fatalf("login: %d %s", p.status, p.body)
	}
	var sc *http.Cookie
	for _, c := range p.header.Values("Set-Cookie") {
		if ck, err := http.ParseSetCookie(c); err == nil && ck.Name == session.CookieName {
			sc = ck
		}
	}
	if sc == nil || !sc.HttpOnly || sc.SameSite != http.SameSiteLaxMode || sc.Value == "" {
		t.Fatalf("session cookie: %+v", sc)
	}

	p = b.get("/")
	if p.status != http.StatusOK || !strings.Contains(p.body, `lang="cs"`) || !strings.Contains(p.body, "Hledat kontakty") {
		t.Fatalf("directory after login (user locale cs): %d %s", p.status, p.body)
	}
	if got := p.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("directory Cache-Control %q", got)
	}
	csp := p.header.Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self'", "frame-ancestors 'none'", "default-src 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || p.header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("CSP %q, X-Frame-Options %q", csp, p.header.Get("X-Frame-Options"))
	}
	if strings.Contains(p.body, "<script>") || strings.Contains(p.body, " onclick=") {
		t.Error("page has inline script")
	}
	tok := matches(csrfRe, p.body)
	if len(tok) == 0 {
		t.Fatal("no CSRF token on the logout form")
	}

	// Logout needs the token, and from the same site.
	if p := b.do("POST", "/logout", url.Values{}); p.status != http.StatusForbidden {
		t.Errorf("logout without token: %d", p.status)
	}
	if p := b.do("POST", "/logout", url.Values{"csrf": {"0" + tok[0][1:]}}); p.status != http.StatusForbidden {
		t.Errorf("logout with a wrong token: %d", p.status)
	}
	if p := b.do("POST", "/logout", url.Values{"csrf": {tok[0]}}, "Origin", "https://evil.example"); p.status != http.StatusForbidden {
		t.Errorf("cross-origin logout: %d", p.status)
	}
	if p := b.do("POST", "/logout", url.Values{"csrf": {tok[0]}}, "Sec-Fetch-Site", "cross-site"); p.status != http.StatusForbidden {
		t.Errorf("cross-site logout: %d", p.status)
	}
	if p := b.get("/"); p.status != http.StatusOK {
		t.Fatalf("refused logouts ended the session: %d", p.status)
	}
	if p := b.do("POST", "/logout", url.Values{"csrf": {tok[0]}}, "Sec-Fetch-Site", "same-origin"); p.status != http.StatusSeeOther {
		t.Fatalf("logout: %d %s", p.status, p.body)
	}
	if p := b.get("/"); p.status != http.StatusSeeOther {
		t.Errorf("directory after logout: %d", p.status)
	}
}

func TestLoginRefusals(t *testing.T) {
	e := newEnv(t)
	e.newUser("jana", "en")
	b := e.browser()

	form := b.loginForm("jana", testPassword)
	bad := url.Values{"login": {"jana"}, "password": {testPassword}}
	if p := b.do("POST", "/login", bad); p.status != http.StatusForbidden {
		t.Errorf("login without CSRF token: %d", p.status)
	}
	other := e.browser() // a cookie of its own, so the token of b does not fit
	if p := other.do("POST", "/login", form); p.status != http.StatusForbidden {
		t.Errorf("login with another browser's token: %d", p.status)
	}
	if p := b.do("POST", "/login", form, "Origin", "https://evil.example"); p.status != http.StatusForbidden {
		t.Errorf("cross-origin login: %d", p.status)
	}
	if p := b.do("POST", "/login", b.loginForm("jana", "")); p.status != http.StatusBadRequest {
		t.Errorf("empty password: %d", p.status)
	}
	// The API's rate limit (3 failures per login in the test options), then even the right
	// password is refused.
	for i := 0; i < 3; i++ {
		if p := b.do("POST", "/login", b.loginForm("jana", "wrong password!")); p.status != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i, p.status)
		}
	}
	p := b.do("POST", "/login", b.loginForm("jana", testPassword))
	if p.status != http.StatusTooManyRequests || p.header.Get("Retry-After") == "" || !strings.Contains(p.body, "Too many failed logins") {
		t.Errorf("after 3 failures: %d %q", p.status, p.header.Get("Retry-After"))
	}
	// The client address is limited too, whatever login it tries next.
	if p := b.do("POST", "/login", b.loginForm("nobody", "wrong password!")); p.status != http.StatusTooManyRequests {
		t.Errorf("unknown login from a limited address: %d", p.status)
	}
}

func TestCardAndManifest(t *testing.T) {
	e := newEnv(t)
	admin, err := e.st.CreateUser(context.Background(), store.Actor{Channel: model.ChannelSystem},
		model.User{Login: "admin", Name: "Admin", IsAdmin: true, Locale: "en"}, "")
	if err != nil {
		t.Fatal(err)
	}
	a := store.Actor{UserID: admin.ID, Channel: model.ChannelAPI}
	book, err := e.st.CreateBook(context.Background(), a, "Zákazníci", "")
	if err != nil {
		t.Fatal(err)
	}
	c, err := e.st.CreateContact(context.Background(), a, model.Contact{
		BookID: book.ID, Kind: model.KindPerson, GivenName: "Antonín", FamilyName: "Dvořák",
		Phones:    []model.Phone{{Value: "+420 601 234 567", Label: "mobile"}},
		Emails:    []model.Email{{Value: "antonin@dvorak.example"}},
		Addresses: []model.Address{{Street: "Vodičkova 1", Locality: "Praha", PostalCode: "110 00", Country: "CZ"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	b := e.sessionFor(admin.ID)
	p := b.get("/?q=dvorak")
	if !strings.Contains(p.body, `href="/contacts/`+c.ID+`"`) {
		t.Fatalf("search dvorak does not find Dvořák: %s", p.body)
	}
	p = b.get("/contacts/" + c.ID)
	for _, want := range []string{`href="tel:&#43;420601234567"`, `href="mailto:antonin@dvorak.example"`,
		`href="https://www.openstreetmap.org/search?query=Vodi%C4%8Dkova&#43;1%2C&#43;110&#43;00&#43;Praha%2C&#43;CZ"`, "Antonín Dvořák"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("card lacks %s", want)
		}
	}
	if t.Failed() {
		t.Log(p.body)
	}
	if p := b.get("/?q=" + url.QueryEscape(strings.Repeat("ř", 300))); p.status != http.StatusOK {
		t.Errorf("overlong query: %d", p.status)
	}
	if p := b.get("/?q=dvorak&cursor=forged"); p.status != http.StatusOK || !strings.Contains(p.body, c.ID) {
		t.Errorf("forged cursor: %d", p.status)
	}
	if p := b.get("/contacts/not-an-id"); p.status != http.StatusNotFound {
		t.Errorf("malformed id: %d", p.status)
	}
	if p := b.get("/contacts/00000000-0000-4000-8000-000000000000"); p.status != http.StatusNotFound {
		t.Errorf("unknown id: %d", p.status)
	}

	p = e.browser().get("/manifest.webmanifest")
	var m struct {
		Name  string `json:"name"`
		Icons []struct{ Src, Sizes string }
	}
	if err := json.Unmarshal([]byte(p.body), &m); err != nil || m.Name != "Kontakt" || len(m.Icons) < 2 {
		t.Fatalf("manifest %v: %s", err, p.body)
	}
	for _, ic := range m.Icons {
		p := e.browser().get(ic.Src)
		if p.status != http.StatusOK {
			t.Errorf("icon %s: %d", ic.Src, p.status)
			continue
		}
		if strings.HasSuffix(ic.Src, ".png") {
			img, err := png.Decode(bytes.NewReader([]byte(p.body)))
			if err != nil || ic.Sizes != fmt.Sprintf("%dx%d", img.Bounds().Dx(), img.Bounds().Dy()) {
				t.Errorf("icon %s (%s): %v", ic.Src, ic.Sizes, err)
			}
		}
	}
	for _, path := range []string{"/static/app.js", "/static/app.css"} {
		if p := e.browser().get(path); p.status != http.StatusOK {
			t.Errorf("%s: %d", path, p.status)
		}
	}
	if p := e.browser().get("/sw.js"); p.status == http.StatusOK {
		t.Error("a service worker is served")
	}
}
