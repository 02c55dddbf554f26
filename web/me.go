package web

// The user's own settings (/me): the language of every page (stored as the user's locale),
// their password, and the app passwords of their CardDAV devices. A device's password is
// shown once, on the answer to the form that made it, and only its SHA-256 is stored (as
// in the API's POST /api/devices).

import (
	"errors"
	"net"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/kontakt/kontakt/auth"
	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// mountMe routes the user's own settings.
func (h *handler) mountMe(r chi.Router) {
	r.Get("/me", h.mePage)
	r.Post("/me/language", h.setLanguage)
	r.Post("/me/password", h.changePassword)
	r.Post("/me/devices", h.createDevice)
	r.Post("/me/devices/{id}/revoke", h.revokeMyDevice)
}

type meData struct {
	Devices  []model.Device
	Grants   []syncGrantRow
	Done     string // "language", "password" or "revoked" after a change
	Error    string // the message of a refused form
	ErrorFor string // which form it belongs to
	Device   string // the device name entered
}

func (h *handler) mePage(w http.ResponseWriter, r *http.Request) {
	d := meData{}
	switch done := r.URL.Query().Get("done"); done {
	case "language", "password", "revoked":
		d.Done = done
	}
	h.showMe(w, r, http.StatusOK, d)
}

func (h *handler) showMe(w http.ResponseWriter, r *http.Request, status int, d meData) {
	u := currentUser(r)
	var err error
	if d.Devices, err = h.store.ListDevices(r.Context(), actor(r), u.ID); err != nil {
		h.serverError(w, r, err)
		return
	}
	grants, err := h.store.ListSyncGrants(r.Context(), actor(r), u.ID)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	books, err := h.store.ListBooks(r.Context(), actor(r))
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	for _, g := range grants {
		for _, b := range books {
			if b.ID == g.BookID {
				d.Grants = append(d.Grants, syncGrantRow{SyncGrant: g, BookName: b.Name})
			}
		}
	}
	h.render(w, r, status, "me.html", h.newPage(r, "me.title", d))
}

// meFail shows /me again with a form's error.
func (h *handler) meFail(w http.ResponseWriter, r *http.Request, status int, form, key string, d meData) {
	d.Error, d.ErrorFor = h.newPage(r, "app", nil).T(key), form
	h.showMe(w, r, status, d)
}

// setLanguage stores the user's locale; every page follows it from the next request.
func (h *handler) setLanguage(w http.ResponseWriter, r *http.Request) {
	if !h.checkForm(w, r) {
		return
	}
	locale := r.PostFormValue("locale")
	if locale != "cs" && locale != "en" {
		h.meFail(w, r, http.StatusBadRequest, "language", "me.lang.bad", meData{})
		return
	}
	if _, err := h.store.UpdateUser(r.Context(), actor(r), currentUser(r).ID, store.UserPatch{Locale: &locale}); err != nil {
		h.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, "/me?done=language", http.StatusSeeOther)
}

// changePassword checks the current password and sets the new one, as the API's PUT
// /api/me/password does. The store ends every session of the user; this browser gets a
// new one, so only the other sessions are signed out.
func (h *handler) changePassword(w http.ResponseWriter, r *http.Request) {
	if !h.checkForm(w, r) {
		return
	}
	u := currentUser(r)
	current, next := r.PostFormValue("current"), r.PostFormValue("new")
	// Guesses of the current password count like failed logins (the login's limits).
	rateKey := "pwchange:" + u.ID
	n, err := h.store.RateCount(r.Context(), rateKey, h.sessions.Options().Window)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if n >= h.sessions.Options().MaxFailures {
		h.meFail(w, r, http.StatusTooManyRequests, "password", "login.limited", meData{})
		return
	}
	_, hash, err := h.store.UserLogin(r.Context(), u.Login)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	switch {
	case auth.VerifyPassword(current, hash) != nil:
		if err := h.store.RecordRate(r.Context(), rateKey); err != nil {
			h.serverError(w, r, err)
			return
		}
		h.meFail(w, r, http.StatusBadRequest, "password", "me.pw.wrong", meData{})
		return
	case next != r.PostFormValue("repeat"):
		h.meFail(w, r, http.StatusBadRequest, "password", "me.pw.mismatch", meData{})
		return
	case auth.CheckPassword(next) != nil:
		h.meFail(w, r, http.StatusBadRequest, "password", "me.pw.weak", meData{})
		return
	}
	newHash, err := auth.HashPassword(next, h.sessions.Options().Params)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if err := h.store.SetPassword(r.Context(), actor(r), u.ID, newHash); err != nil {
		h.serverError(w, r, err)
		return
	}
	ip, _, _ := net.SplitHostPort(r.RemoteAddr)
	_, secret, err := h.sessions.Login(r.Context(), u.Login, next, ip)
	if err != nil {
		// The password is changed; only the new session failed: log in again.
		h.log.WarnContext(r.Context(), "web: new session after a password change", "err", err)
		http.SetCookie(w, h.sessions.ClearCookie())
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	http.SetCookie(w, h.sessions.Cookie(secret))
	http.Redirect(w, r, "/me?done=password", http.StatusSeeOther)
}

// appPassword is a device password easy to type on a phone: four groups of six characters
// without look-alikes (the API's form).
func appPassword() string {
	raw := auth.RandomPassword(24)
	return strings.Join([]string{raw[0:6], raw[6:12], raw[12:18], raw[18:24]}, "-")
}

type deviceCreated struct {
	Device   model.Device
	Password string
	DAVURL   string
	Login    string
}

// davURL is the CardDAV address on the host the user reached the app at.
func davURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/dav/"
}

// createDevice makes an app password and shows it in this answer only (never stored, so
// there is no page to redirect to); the answer is no-store like every page.
func (h *handler) createDevice(w http.ResponseWriter, r *http.Request) {
	if !h.checkForm(w, r) {
		return
	}
	name := r.PostFormValue("name")
	pw := appPassword()
	dev, err := h.store.CreateDevice(r.Context(), actor(r), name, pw[:5], auth.HashSecret(pw))
	var fe *model.FieldError
	if errors.As(err, &fe) {
		h.meFail(w, r, http.StatusBadRequest, "device", "me.dev.badname", meData{Device: name})
		return
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	u := currentUser(r)
	p := h.newPage(r, "me.dev.created", deviceCreated{Device: dev, Password: pw, DAVURL: davURL(r), Login: u.Login})
	h.render(w, r, http.StatusOK, "me_device.html", p)
}

// revokeMyDevice revokes one of the user's own devices; anyone else's is not found.
func (h *handler) revokeMyDevice(w http.ResponseWriter, r *http.Request) {
	id, ok := h.pathID(w, r)
	if !ok || !h.checkForm(w, r) {
		return
	}
	devs, err := h.store.ListDevices(r.Context(), actor(r), currentUser(r).ID)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	mine := false
	for _, d := range devs {
		mine = mine || d.ID == id
	}
	if !mine {
		h.notFound(w, r)
		return
	}
	if err := h.store.RevokeDevice(r.Context(), actor(r), id); err != nil {
		h.storeError(w, r, err)
		return
	}
	http.Redirect(w, r, "/me?done=revoked", http.StatusSeeOther)
}
