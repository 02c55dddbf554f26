// Package web is Kontakt's staff web app: server-rendered pages (html/template, embedded) for
// logging in, searching the directory and reading a contact's card, with a few lines of
// script for search-as-you-type. Every read goes through store and so through the one
// visibility policy: a contact the user may not see is absent from search and answers 404,
// exactly as in the API. The pages share the API's session cookie and login rate limit
// (package session).
//
// Security: every POST must come from the same origin (Sec-Fetch-Site/Origin) and carry the
// form's CSRF token; pages send a Content-Security-Policy that allows only the app's own
// script and style, refuse framing, and are never stored by the browser or a proxy. The PWA
// manifest has no service worker, so no contact data is cached on the device.
package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/kontakt/kontakt/followup"
	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/session"
	"github.com/kontakt/kontakt/store"
)

//go:embed templates static
var assets embed.FS

// Deps are what the web app needs, built once in main.
type Deps struct {
	Store    *store.Store
	Sessions *session.Manager
	Logger   *slog.Logger
	// Work screens: workflow starters (nil without Temporal: the worker's outbox reconciler
	// starts them then) and where the Temporal Web UI shows a workflow ("" for no links).
	ProjectCloser ProjectCloser
	Campaigns     CampaignLauncher
	// Forgetter starts the erasure workflow (administration, admin.go).
	Forgetter Forgetter
	// TemporalUIURL (KONTAKT_TEMPORAL_UI_URL, "" for no links) and TemporalNamespace make
	// the links to workflow histories.
	TemporalUIURL     string
	TemporalNamespace string
	// Gdpr configures consents, forms and scans (admin_gdpr.go).
	Gdpr GdprOptions
	// ImportMaxBytes (KONTAKT_IMPORT_MAX_BYTES, 32 MiB when 0) and ExportTTL
	// (KONTAKT_EXPORT_TTL, 24 hours when 0) are the API's limits, for imports and exports.
	ImportMaxBytes int64
	ExportTTL      time.Duration
}

type handler struct {
	store    *store.Store
	sessions *session.Manager
	log      *slog.Logger
	tmpl     *template.Template
	msgs     catalogue
	icons    map[int][]byte
	work     workDeps
	// forgetter starts erasures (administration, admin.go).
	forgetter Forgetter
	// gdpr: consents, forms and scans (admin_gdpr.go).
	gdpr GdprOptions
	// files are the import and export limits (imports.go, exports.go).
	files fileDeps
	// followups start and signal workflows after the answer (followup.Runner).
	followups *followup.Runner
}

// Patterns are the http.ServeMux patterns the web app answers; main routes them to the
// handler and leaves everything else (/api/, /public/, /dav/ ...) to the other rooms.
func Patterns() []string {
	return []string{"/{$}", "/login", "/logout", "/search", "/contacts/", "/static/", "/manifest.webmanifest",
		"/tasks", "/tasks/", "/projects", "/projects/", "/campaigns", "/campaigns/", "/admin", "/admin/",
		"/events", "/events/", "/imports", "/imports/", "/exports", "/exports/", "/me", "/me/"}
}

// Mount routes Patterns on mux to h (a handler from NewHandler).
func Mount(mux *http.ServeMux, h http.Handler) {
	for _, p := range Patterns() {
		mux.Handle(p, h)
	}
}

// NewHandler returns the web app's handler.
func NewHandler(d Deps) http.Handler {
	h := &handler{store: d.Store, sessions: d.Sessions, log: d.Logger, msgs: newCatalogue(), icons: map[int][]byte{},
		work:      workDeps{closer: d.ProjectCloser, campaigns: d.Campaigns, ui: d.TemporalUIURL, ns: d.TemporalNamespace},
		forgetter: d.Forgetter, gdpr: d.Gdpr, files: fileDeps{importMaxBytes: d.ImportMaxBytes, exportTTL: d.ExportTTL},
		followups: followup.New(d.Logger)}
	for _, n := range []int{192, 512} {
		h.icons[n] = iconPNG(n)
	}
	h.tmpl = template.Must(template.New("").Funcs(template.FuncMap{
		"mapURL": mapURL, "oneLine": oneLine, "tel": telURL, "phone": phoneText,
	}).ParseFS(assets, "templates/*.html"))
	static, _ := fs.Sub(assets, "static")

	r := chi.NewRouter()
	r.Use(h.recoverer, securityHeaders, h.sameOrigin)
	r.Get("/manifest.webmanifest", h.manifest)
	r.Get("/static/icon-{size}.png", h.icon)
	r.Handle("/static/*", http.StripPrefix("/static/", cacheable(http.FileServerFS(static))))
	r.Get("/login", h.loginPage)
	r.Post("/login", h.login)
	r.Group(func(r chi.Router) {
		r.Use(h.authenticate, noStore)
		r.Post("/logout", h.logout)
		r.Get("/", h.directory)
		r.Get("/search", h.searchFragment)
		r.Get("/contacts/{id}", h.card)
		// Work screens (work.go).
		r.Get("/tasks", h.tasksPage)
		r.Post("/tasks/{id}/complete", h.completeTask)
		r.Post("/contacts/{id}/activities", h.logActivity)
		r.Get("/projects", h.projectsPage)
		r.Get("/projects/{id}", h.projectPage)
		r.Post("/projects/{id}/close", h.closeProject)
		r.Get("/campaigns", h.campaignsPage)
		r.Get("/campaigns/{id}", h.campaignPage)
		r.Post("/campaigns/{id}/launch", h.launchCampaign)
		r.Post("/campaigns/{id}/cancel", h.cancelCampaign)
		h.mountAdmin(r)     // administration (admin.go)
		h.mountContacts(r)  // contact editing, notes, own settings (contacts_edit.go, me.go)
		h.mountProjects(r)  // new tasks, projects, meetings, ratings, events (projects_edit.go, events.go)
		h.mountCampaigns(r) // new campaigns, imports, exports (campaigns_edit.go, imports.go, exports.go)
		h.mountGdprs(r)     // forms, purposes, consents, books, custom fields (admin_gdpr.go)
		h.mountGrants(r)    // sync grants, books for managers, task editing, event documents (admin_grants.go)
	})
	r.NotFound(func(w http.ResponseWriter, r *http.Request) { h.errorPage(w, r, http.StatusNotFound, "err.notfound") })
	return r
}

type ctxKey int

const userKey ctxKey = iota

// currentUser returns the logged-in user of the request (zero before login).
func currentUser(r *http.Request) model.User {
	u, _ := r.Context().Value(userKey).(model.User)
	return u
}

// actor is the audited identity of the request: reads from the pages are the web channel.
func actor(r *http.Request) store.Actor {
	return store.Actor{UserID: currentUser(r).ID, Channel: model.ChannelWeb}
}

// securityHeaders sets the Content-Security-Policy and its companions on every answer.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "+
			"connect-src 'self'; manifest-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}

// noStore keeps pages with personal data out of every cache.
func noStore(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// cacheable lets browsers keep the static assets (no personal data) for an hour.
func cacheable(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		next.ServeHTTP(w, r)
	})
}

// sameOrigin refuses a cross-site request that changes state, by Sec-Fetch-Site or Origin
// (net/http's CrossOriginProtection); the CSRF token is checked as well, per form.
func (h *handler) sameOrigin(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := cop.Check(r); err != nil {
			h.errorPage(w, r, http.StatusForbidden, "err.forbidden")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// authenticate resolves the session cookie; without a live session a page redirects to the
// login form and the search fragment answers 401.
func (h *handler) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, err := h.sessions.User(r.Context(), session.Secret(r))
		if errors.Is(err, store.ErrNotFound) {
			if r.Method == http.MethodGet && r.URL.Path != "/search" {
				w.Header().Set("Cache-Control", "no-store")
				http.Redirect(w, r, "/login", http.StatusSeeOther)
				return
			}
			h.errorPage(w, r, http.StatusUnauthorized, "login.title")
			return
		}
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), userKey, u)))
	})
}

// csrfToken is the request's CSRF token: an HMAC of the session secret, so it needs no
// storage, differs per session and cannot be computed without the (HttpOnly) cookie.
func csrfToken(secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("kontakt web csrf"))
	return hex.EncodeToString(m.Sum(nil))
}

// validToken reports whether the form's csrf field matches want, in constant time.
func validToken(r *http.Request, want string) bool {
	got := r.PostFormValue("csrf")
	return want != "" && hmac.Equal([]byte(got), []byte(want))
}

func (h *handler) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				h.log.ErrorContext(r.Context(), "web: panic", "panic", v)
				http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}
