package api_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/kontakt/kontakt/auth"
	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

func (e *env) user(login string, admin bool, password string) model.User {
	e.t.Helper()
	hash, err := auth.HashPassword(password, testParams)
	if err != nil {
		e.t.Fatal(err)
	}
	u, err := e.st.CreateUser(context.Background(), store.Actor{Channel: "system"}, model.User{Login: login, Name: login, IsAdmin: admin}, hash)
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

func TestSessionLogin(t *testing.T) {
	e := newEnv(t)
	e.user("jana", false, "heslo-dlouhe-1")
	c := e.anon()
	if r := c.do("GET", "/api/me", nil); r.status != http.StatusUnauthorized {
		t.Fatalf("anonymous /api/me: %d", r.status)
	}
	r := c.do("POST", "/api/session", map[string]string{"login": "jana", "password": "heslo-dlouhe-1"})
	if r.status != http.StatusOK {
		t.Fatalf("login: %d %s", r.status, r.body)
	}
	var cookie *http.Cookie
	for _, ck := range (&http.Response{Header: r.header}).Cookies() {
		if ck.Name == "kontakt_session" {
			cookie = ck
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode {
		t.Fatalf("session cookie missing or not HttpOnly/SameSite=Lax: %+v", cookie)
	}
	var me model.User
	r = c.do("GET", "/api/me", nil)
	r.json(t, &me)
	if me.Login != "jana" {
		t.Fatalf("me: %s", r.body)
	}
	// a cross-site state change with the cookie is refused
	if r := c.do("POST", "/api/tokens", map[string]string{"name": "x"}, "Sec-Fetch-Site", "cross-site"); r.status != http.StatusForbidden {
		t.Errorf("cross-site POST with cookie: %d", r.status)
	}
	if r := c.do("DELETE", "/api/session", nil); r.status != http.StatusNoContent {
		t.Fatalf("logout: %d", r.status)
	}
	if r := c.do("GET", "/api/me", nil); r.status != http.StatusUnauthorized {
		t.Fatalf("after logout: %d", r.status)
	}
}

func TestLoginRateLimit(t *testing.T) {
	e := newEnv(t)
	e.user("petr", false, "spravne-heslo-1")
	c := e.anon()
	for i := 0; i < 3; i++ {
		if r := c.do("POST", "/api/session", map[string]string{"login": "petr", "password": "spatne-heslo"}); r.status != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: %d", i, r.status)
		}
	}
	r := c.do("POST", "/api/session", map[string]string{"login": "petr", "password": "spravne-heslo-1"})
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
		t.Fatalf("after 3 failures: %d, Retry-After %q", r.status, r.header.Get("Retry-After"))
	}
	// unknown logins answer like wrong passwords
	if r := c.do("POST", "/api/session", map[string]string{"login": "nikdo", "password": "cokoli-dlouheho"}); r.status != http.StatusTooManyRequests && r.status != http.StatusUnauthorized {
		t.Fatalf("unknown login: %d", r.status)
	}
}

func TestTokens(t *testing.T) {
	e := newEnv(t)
	u := e.user("eva", false, "heslo-dlouhe-2")
	c := e.tokenFor(u.ID)
	var created struct {
		ID    string `json:"id"`
		Token string `json:"token"`
	}
	r := c.do("POST", "/api/tokens", map[string]string{"name": "skript"})
	if r.status != http.StatusCreated {
		t.Fatalf("create token: %d %s", r.status, r.body)
	}
	r.json(t, &created)
	second := e.anon()
	second.token = created.Token
	if r := second.do("GET", "/api/me", nil); r.status != http.StatusOK {
		t.Fatalf("new token refused: %d", r.status)
	}
	var list []model.Token
	c.do("GET", "/api/tokens", nil).json(t, &list)
	if len(list) != 2 {
		t.Fatalf("tokens listed: %d", len(list))
	}
	if r := c.do("DELETE", "/api/tokens/"+created.ID, nil); r.status != http.StatusNoContent {
		t.Fatalf("revoke: %d", r.status)
	}
	if r := second.do("GET", "/api/me", nil); r.status != http.StatusUnauthorized {
		t.Fatalf("revoked token accepted: %d", r.status)
	}
	if r := e.anon().do("GET", "/api/me", nil, "Authorization", "Bearer kt_nonsense"); r.status != http.StatusUnauthorized {
		t.Fatalf("unknown token: %d", r.status)
	}
}
