package api

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/kontakt/kontakt/auth"
	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/session"
	"github.com/kontakt/kontakt/store"
)

// SessionCookie is the name of the login session cookie (shared with the web pages).
const SessionCookie = session.CookieName

type ctxKey int

const userKey ctxKey = iota

// currentUser returns the authenticated user of the request.
func currentUser(r *http.Request) model.User {
	u, _ := r.Context().Value(userKey).(model.User)
	return u
}

// actor is the audited identity of the request.
func actor(r *http.Request) store.Actor {
	return store.Actor{UserID: currentUser(r).ID, Channel: "api"}
}

// authenticate accepts a personal API token (Authorization: Bearer) or a session cookie.
// Cookie-authenticated requests that change state must come from the same origin.
func (h *handler) authenticate(next http.Handler) http.Handler {
	csrf := http.NewCrossOriginProtection()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var u model.User
		var err error
		if authz := r.Header.Get("Authorization"); authz != "" {
			token, ok := strings.CutPrefix(authz, "Bearer ")
			if !ok || token == "" {
				w.Header().Set("WWW-Authenticate", `Bearer realm="kontakt"`)
				writeError(w, http.StatusUnauthorized, "use Authorization: Bearer <token>", "")
				return
			}
			u, err = h.store.TokenUser(r.Context(), auth.HashSecret(token))
		} else if c, cerr := r.Cookie(SessionCookie); cerr == nil && c.Value != "" {
			if err := csrf.Check(r); err != nil {
				writeError(w, http.StatusForbidden, "cross-origin request refused", "")
				return
			}
			u, err = h.sessions.User(r.Context(), c.Value)
		} else {
			err = store.ErrNotFound
		}
		if errors.Is(err, store.ErrNotFound) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="kontakt"`)
			writeError(w, http.StatusUnauthorized, "log in or send an API token", "")
			return
		}
		if err != nil {
			h.fail(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), userKey, u)))
	})
}

// requireAdmin answers 403 unless the caller is an organisation admin.
func requireAdmin(w http.ResponseWriter, r *http.Request) bool {
	if !currentUser(r).IsAdmin {
		writeError(w, http.StatusForbidden, "only organisation admins may do this", "")
		return false
	}
	return true
}

type loginRequest struct {
	Login    string `json:"login"`
	Password string `json:"password"`
}

// login checks a password and starts a session (package session: rate-limited per login
// and per client address; an unknown login costs the same time as a wrong password).
func (h *handler) login(w http.ResponseWriter, r *http.Request) {
	var in loginRequest
	if err := decode(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	if in.Login == "" || in.Password == "" {
		writeError(w, http.StatusBadRequest, "login and password are required", "login")
		return
	}
	ip, _, _ := net.SplitHostPort(r.RemoteAddr)
	u, secret, err := h.sessions.Login(r.Context(), in.Login, in.Password, ip)
	switch {
	case errors.Is(err, session.ErrRateLimited):
		w.Header().Set("Retry-After", strconv.Itoa(int(h.opt.LoginWindow.Seconds())))
		writeError(w, http.StatusTooManyRequests, "too many failed logins; try again later", "")
		return
	case errors.Is(err, session.ErrBadLogin):
		writeError(w, http.StatusUnauthorized, "wrong login or password", "")
		return
	case err != nil:
		h.fail(w, r, err)
		return
	}
	http.SetCookie(w, h.sessions.Cookie(secret))
	writeJSON(w, http.StatusOK, u)
}

func (h *handler) logout(w http.ResponseWriter, r *http.Request) {
	if secret := session.Secret(r); secret != "" {
		if err := h.sessions.Logout(r.Context(), secret); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	http.SetCookie(w, h.sessions.ClearCookie())
	w.WriteHeader(http.StatusNoContent)
}

func (h *handler) me(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, currentUser(r))
}

type passwordChange struct {
	Current string `json:"current_password"`
	New     string `json:"new_password"`
}

func (h *handler) changePassword(w http.ResponseWriter, r *http.Request) {
	var in passwordChange
	if err := decode(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	u := currentUser(r)
	_, hash, err := h.store.UserLogin(r.Context(), u.Login)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if auth.VerifyPassword(in.Current, hash) != nil {
		writeError(w, http.StatusBadRequest, "current password is wrong", "current_password")
		return
	}
	if err := auth.CheckPassword(in.New); err != nil {
		writeError(w, http.StatusBadRequest, strings.TrimPrefix(err.Error(), "auth: "), "new_password")
		return
	}
	h.setPassword(w, r, u.ID, in.New)
}

func (h *handler) setPassword(w http.ResponseWriter, r *http.Request, userID, pw string) {
	hash, err := auth.HashPassword(pw, h.opt.PasswordParams)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.store.SetPassword(r.Context(), actor(r), userID, hash); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type tokenRequest struct {
	Name      string     `json:"name"`
	ExpiresAt *time.Time `json:"expires_at"`
}

type tokenCreated struct {
	model.Token
	Secret string `json:"token"`
}

func (h *handler) listTokens(w http.ResponseWriter, r *http.Request) {
	ts, err := h.store.ListTokens(r.Context(), currentUser(r).ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ts)
}

// createToken makes a personal API token; its secret is in this answer only.
func (h *handler) createToken(w http.ResponseWriter, r *http.Request) {
	var in tokenRequest
	if err := decode(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || len(in.Name) > 100 {
		writeError(w, http.StatusBadRequest, "a name of 1 to 100 characters is required", "name")
		return
	}
	if in.ExpiresAt != nil && !in.ExpiresAt.After(time.Now()) {
		writeError(w, http.StatusBadRequest, "must be in the future", "expires_at")
		return
	}
	secret := auth.NewSecret("kt_")
	t, err := h.store.CreateToken(r.Context(), actor(r), in.Name, secret[:7], auth.HashSecret(secret), in.ExpiresAt)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, tokenCreated{Token: t, Secret: secret})
}

func (h *handler) revokeToken(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	if err := h.store.RevokeToken(r.Context(), actor(r), id); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// pathID reads an id from the path; a malformed one answers 404 like an unknown one.
func pathID(w http.ResponseWriter, r *http.Request, name string) (string, bool) {
	id := chi.URLParam(r, name)
	if !store.ValidID(id) {
		writeError(w, http.StatusNotFound, "not found", "")
		return "", false
	}
	return id, true
}
