// Package session logs staff in with a password and turns a session cookie back into its
// user, for every channel that uses cookies: the JSON API and the web pages share one
// cookie, one rate limit on failed logins and one constant-time answer for unknown logins.
// Sessions, like the rate limit's events, live in PostgreSQL (store), so every replica sees them.
package session

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/kontakt/kontakt/auth"
	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// CookieName is the name of the login session cookie.
const CookieName = "kontakt_session"

// ErrBadLogin reports a wrong login or password, or a disabled user: callers cannot tell
// them apart, by design.
var ErrBadLogin = errors.New("session: wrong login or password")

// ErrRateLimited reports too many failed logins for the login or the client address.
var ErrRateLimited = errors.New("session: too many failed logins")

// Options tune logins and sessions.
type Options struct {
	TTL          time.Duration // sliding lifetime of a session
	CookieSecure bool          // mark the cookie Secure (behind TLS)
	MaxFailures  int           // failed logins allowed per login and per address within Window
	Window       time.Duration
	Params       auth.Params // argon2id cost of the dummy hash unknown logins are checked against
}

// Manager logs users in and resolves their sessions.
type Manager struct {
	store     *store.Store
	opt       Options
	dummyHash string
}

// New returns a Manager over st.
func New(st *store.Store, opt Options) *Manager {
	return &Manager{store: st, opt: opt, dummyHash: auth.DummyHash(opt.Params)}
}

// Options returns the options the Manager was made with.
func (m *Manager) Options() Options { return m.opt }

// Login checks a password and starts a session, returning the user and the cookie's secret.
// Failures are rate-limited per login and per client address (ip); an unknown login costs the
// same time as a wrong password. It answers ErrRateLimited or ErrBadLogin, or another error
// when the store fails.
func (m *Manager) Login(ctx context.Context, login, password, ip string) (model.User, string, error) {
	keys := []string{"login:" + strings.ToLower(login), "ip:" + ip}
	for _, k := range keys {
		n, err := m.store.RateCount(ctx, k, m.opt.Window)
		if err != nil {
			return model.User{}, "", fmt.Errorf("session: %w", err)
		}
		if n >= m.opt.MaxFailures {
			return model.User{}, "", ErrRateLimited
		}
	}
	u, hash, err := m.store.UserLogin(ctx, login)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return model.User{}, "", fmt.Errorf("session: %w", err)
	}
	if hash == "" {
		hash = m.dummyHash
	}
	if verr := auth.VerifyPassword(password, hash); verr != nil || err != nil || u.Disabled {
		if err := m.store.RecordRate(ctx, keys...); err != nil {
			return model.User{}, "", fmt.Errorf("session: %w", err)
		}
		return model.User{}, "", ErrBadLogin
	}
	secret := auth.NewSecret("")
	if err := m.store.CreateSession(ctx, u.ID, auth.HashSecret(secret), m.opt.TTL); err != nil {
		return model.User{}, "", fmt.Errorf("session: %w", err)
	}
	if err := m.store.ClearRate(ctx, keys[0]); err != nil {
		return model.User{}, "", fmt.Errorf("session: %w", err)
	}
	return u, secret, nil
}

// User returns the enabled user of a live session and extends it; store.ErrNotFound when
// there is none.
func (m *Manager) User(ctx context.Context, secret string) (model.User, error) {
	if secret == "" {
		return model.User{}, store.ErrNotFound
	}
	u, err := m.store.SessionUser(ctx, auth.HashSecret(secret), m.opt.TTL)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return u, fmt.Errorf("session: %w", err)
	}
	return u, err
}

// Logout ends the session of secret.
func (m *Manager) Logout(ctx context.Context, secret string) error {
	if err := m.store.DeleteSession(ctx, auth.HashSecret(secret)); err != nil {
		return fmt.Errorf("session: %w", err)
	}
	return nil
}

// Cookie is the session cookie carrying secret.
func (m *Manager) Cookie(secret string) *http.Cookie {
	return &http.Cookie{
		Name: CookieName, Value: secret, Path: "/", HttpOnly: true, Secure: m.opt.CookieSecure,
		SameSite: http.SameSiteLaxMode, Expires: time.Now().Add(m.opt.TTL),
	}
}

// ClearCookie is the cookie that removes the session cookie from the browser.
func (m *Manager) ClearCookie() *http.Cookie {
	return &http.Cookie{Name: CookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: m.opt.CookieSecure, SameSite: http.SameSiteLaxMode}
}

// Secret returns the session secret of the request's cookie, or "".
func Secret(r *http.Request) string {
	if c, err := r.Cookie(CookieName); err == nil {
		return c.Value
	}
	return ""
}
