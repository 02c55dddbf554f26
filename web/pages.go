package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/kontakt/kontakt/auth"
	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/session"
	"github.com/kontakt/kontakt/store"
)

// loginCSRFCookie carries the login form's CSRF token before there is a session (double
// submit: the form's hidden field must equal the cookie).
const loginCSRFCookie = "kontakt_login_csrf"

// pageSize is how many contacts a directory page lists.
const pageSize = 25

// page is what every template gets.
type page struct {
	Lang  string
	Title string
	User  model.User
	CSRF  string
	Data  any
	msgs  catalogue
}

// T is the message key in the page's language.
func (p page) T(key string) string { return p.msgs.text(p.Lang, key) }

// Date formats a date the way the page's language writes it (28. 11. 2026, 28 Nov 2026).
func (p page) Date(t time.Time) string {
	if p.Lang == "cs" {
		return t.Format("2. 1. 2006")
	}
	return t.Format("2 Jan 2006")
}

// Label translates a contact point's label when the catalogue knows it (mobile, work,
// home ...) and shows any other label as entered.
func (p page) Label(label string) string {
	if s, ok := p.msgs[p.Lang]["label."+strings.ToLower(label)]; ok {
		return s
	}
	return label
}

func (h *handler) newPage(r *http.Request, titleKey string, data any) page {
	u := currentUser(r)
	lang := requestLocale(r, u.Locale)
	p := page{Lang: lang, User: u, Data: data, msgs: h.msgs}
	p.Title = p.T(titleKey)
	if u.ID != "" {
		p.CSRF = csrfToken(session.Secret(r))
	}
	return p
}

// render executes a template into a buffer first, so a failure answers 500 cleanly.
func (h *handler) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	var b bytes.Buffer
	if err := h.tmpl.ExecuteTemplate(&b, name, p); err != nil {
		h.log.ErrorContext(r.Context(), "web: render", "template", name, "err", err)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b.Bytes()) //nolint:errcheck
}

func (h *handler) errorPage(w http.ResponseWriter, r *http.Request, status int, key string) {
	w.Header().Set("Cache-Control", "no-store")
	h.render(w, r, status, "error.html", h.newPage(r, key, nil))
}

func (h *handler) serverError(w http.ResponseWriter, r *http.Request, err error) {
	h.log.ErrorContext(r.Context(), "web: request failed", "err", err)
	h.errorPage(w, r, http.StatusInternalServerError, "err.server")
}

type loginData struct {
	Login string
	Error string
	Token string
}

func (h *handler) loginPage(w http.ResponseWriter, r *http.Request) {
	h.showLogin(w, r, http.StatusOK, "", "")
}

// showLogin renders the login form with a fresh pre-session CSRF token.
func (h *handler) showLogin(w http.ResponseWriter, r *http.Request, status int, login, errKey string) {
	token := auth.NewSecret("")
	http.SetCookie(w, &http.Cookie{Name: loginCSRFCookie, Value: token, Path: "/login", HttpOnly: true,
		Secure: h.sessions.Options().CookieSecure, SameSite: http.SameSiteStrictMode})
	w.Header().Set("Cache-Control", "no-store")
	p := h.newPage(r, "login.title", nil)
	d := loginData{Login: login, Token: token}
	if errKey != "" {
		d.Error = p.T(errKey)
	}
	p.Data = d
	h.render(w, r, status, "login.html", p)
}

// login checks the form's CSRF token, then the password through package session (the
// API's rate limit and timing), and starts the session.
func (h *handler) login(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(loginCSRFCookie)
	if err != nil || !validToken(r, c.Value) {
		h.errorPage(w, r, http.StatusForbidden, "err.forbidden")
		return
	}
	login, password := strings.TrimSpace(r.PostFormValue("login")), r.PostFormValue("password")
	if login == "" || password == "" {
		h.showLogin(w, r, http.StatusBadRequest, login, "login.missing")
		return
	}
	ip, _, _ := net.SplitHostPort(r.RemoteAddr)
	_, secret, err := h.sessions.Login(r.Context(), login, password, ip)
	switch {
	case errors.Is(err, session.ErrRateLimited):
		w.Header().Set("Retry-After", strconv.Itoa(int(h.sessions.Options().Window.Seconds())))
		h.showLogin(w, r, http.StatusTooManyRequests, login, "login.limited")
		return
	case errors.Is(err, session.ErrBadLogin):
		h.showLogin(w, r, http.StatusUnauthorized, login, "login.bad")
		return
	case err != nil:
		h.serverError(w, r, err)
		return
	}
	http.SetCookie(w, h.sessions.Cookie(secret))
	http.SetCookie(w, &http.Cookie{Name: loginCSRFCookie, Value: "", Path: "/login", MaxAge: -1, HttpOnly: true})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (h *handler) logout(w http.ResponseWriter, r *http.Request) {
	secret := session.Secret(r)
	if !validToken(r, csrfToken(secret)) {
		h.errorPage(w, r, http.StatusForbidden, "err.forbidden")
		return
	}
	if err := h.sessions.Logout(r.Context(), secret); err != nil {
		h.serverError(w, r, err)
		return
	}
	http.SetCookie(w, h.sessions.ClearCookie())
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

type directoryData struct {
	Query    string
	Contacts []model.Contact
	Next     string // URL of the next page, or ""
	Searched bool
}

// search runs the query of the request's q (and cursor) through the store's policy.
func (h *handler) search(r *http.Request) (directoryData, error) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if r := []rune(q); len(r) > store.MaxQueryLen {
		q = string(r[:store.MaxQueryLen])
	}
	d := directoryData{Query: q, Searched: q != ""}
	pg, err := h.store.ListContacts(r.Context(), actor(r), store.ContactFilter{Query: q, Cursor: r.URL.Query().Get("cursor"), Limit: pageSize})
	if errors.Is(err, store.ErrBadCursor) {
		pg, err = h.store.ListContacts(r.Context(), actor(r), store.ContactFilter{Query: q, Limit: pageSize})
	}
	if err != nil {
		return d, err
	}
	d.Contacts = pg.Contacts
	if pg.NextCursor != "" {
		d.Next = "/?" + url.Values{"q": {q}, "cursor": {pg.NextCursor}}.Encode()
	}
	return d, nil
}

// directory is the search page; without script it is a plain GET form.
func (h *handler) directory(w http.ResponseWriter, r *http.Request) {
	d, err := h.search(r)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "directory.html", h.newPage(r, "dir.title", d))
}

// searchFragment is the result list alone, fetched by app.js as the user types.
func (h *handler) searchFragment(w http.ResponseWriter, r *http.Request) {
	d, err := h.search(r)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "results", h.newPage(r, "dir.title", d))
}

type cardData struct {
	Contact  model.Contact
	Notes    []model.Note
	Consents []model.Consent
	// Activities and the activity form's error (work.go).
	Activities    []model.Activity
	ActivityError string
	// CanForget shows the "forget this person" link (admin.go).
	CanForget bool
	// Edit is what the user may change on the card (contacts_edit.go).
	Edit cardEdit
}

// card is one contact; one the user may not see is 404, as in the API.
func (h *handler) card(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	if !store.ValidID(id) {
		h.errorPage(w, r, http.StatusNotFound, "err.notfound")
		return
	}
	h.showCard(w, r, id, http.StatusOK, "")
}

// showCard renders a contact's card with status, and activityErr on the activity form.
func (h *handler) showCard(w http.ResponseWriter, r *http.Request, id string, status int, activityErr string) {
	c, err := h.store.GetContact(r.Context(), actor(r), id)
	if errors.Is(err, store.ErrNotFound) {
		h.errorPage(w, r, http.StatusNotFound, "err.notfound")
		return
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	d := cardData{Contact: c, ActivityError: activityErr}
	if d.Notes, err = h.store.ListNotes(r.Context(), actor(r), id); err != nil {
		h.serverError(w, r, err)
		return
	}
	if d.Consents, err = h.store.ListContactConsents(r.Context(), actor(r), id); err != nil {
		h.serverError(w, r, err)
		return
	}
	if d.Activities, err = h.store.ListActivities(r.Context(), actor(r), id); err != nil {
		h.serverError(w, r, err)
		return
	}
	if d.CanForget, err = h.mayForget(r, c); err != nil {
		h.serverError(w, r, err)
		return
	}
	if d.Edit, err = h.cardEditFor(r, c, d.Notes); err != nil {
		h.serverError(w, r, err)
		return
	}
	p := h.newPage(r, "dir.title", d)
	p.Title = c.DisplayName
	h.render(w, r, status, "card.html", p)
}

// manifest is the PWA manifest. There is deliberately no service worker: nothing the app
// shows is cached on the device.
func (h *handler) manifest(w http.ResponseWriter, r *http.Request) {
	lang := requestLocale(r, "")
	m := map[string]any{
		"name": "Kontakt", "short_name": "Kontakt", "lang": lang, "start_url": "/", "scope": "/",
		"display": "standalone", "background_color": "#ffffff", "theme_color": "#1d4f91",
		"description": h.msgs.text(lang, "dir.hint"),
		"icons": []map[string]string{
			{"src": "/static/icon-192.png", "sizes": "192x192", "type": "image/png"},
			{"src": "/static/icon-512.png", "sizes": "512x512", "type": "image/png"},
			{"src": "/static/icon.svg", "sizes": "any", "type": "image/svg+xml"},
		},
	}
	w.Header().Set("Content-Type", "application/manifest+json")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	json.NewEncoder(w).Encode(m) //nolint:errcheck
}

func (h *handler) icon(w http.ResponseWriter, r *http.Request) {
	n, _ := strconv.Atoi(chi.URLParam(r, "size"))
	b, ok := h.icons[n]
	if !ok {
		h.errorPage(w, r, http.StatusNotFound, "err.notfound")
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	w.Write(b) //nolint:errcheck
}

// oneLine joins an address into one line.
func oneLine(a model.Address) string {
	var parts []string
	for _, s := range []string{a.Street, strings.TrimSpace(a.PostalCode + " " + a.Locality), a.Region, a.Country} {
		if s = strings.TrimSpace(s); s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, ", ")
}

// phoneText groups a Czech or Slovak E.164 number for reading (+420 601 234 567); other
// numbers are shown as stored.
func phoneText(phone string) string {
	if len(phone) == 13 && (strings.HasPrefix(phone, "+420") || strings.HasPrefix(phone, "+421")) {
		return phone[:4] + " " + phone[4:7] + " " + phone[7:10] + " " + phone[10:]
	}
	return phone
}

// telURL is the tel: link of a phone number (stored in E.164); html/template would refuse
// the scheme, so the number is checked to be digits and a leading plus here.
func telURL(phone string) template.URL {
	for i, r := range phone {
		if !(r >= '0' && r <= '9' || r == '+' && i == 0) {
			return ""
		}
	}
	return template.URL("tel:" + phone)
}

// mapURL is an OpenStreetMap search for an address.
func mapURL(a model.Address) string {
	return fmt.Sprintf("https://www.openstreetmap.org/search?query=%s", url.QueryEscape(oneLine(a)))
}
