// Package carddav is Kontakt's CardDAV server (RFC 6352): staff sync the address books they
// may see and hold a sync grant for, and the projects they sync as members (read-only
// collections "Project <name>" of the project's involved contacts), to their phones and mail
// programs, each device with its own app password.
//
// emersion/go-webdav's carddav.Handler does the protocol over a backend of ours (backend.go)
// that asks store for everything: which collections a user syncs, which contacts they may
// see, what a device was given. carddav never decides who sees what; store does, through the
// one visibility policy (ARCHITECTURE.md, invariant 1). In front of go-webdav sits a thin
// layer (this file and sync.go) for what it lacks: Basic authentication by device app
// password, the RFC 6578 sync-collection REPORT, the getctag, sync-token,
// current-user-privilege-set and supported-report-set properties of collections, vCard
// version negotiation, request size limits, conditional DELETE, and the sync ledger and
// audit of what each device was given.
//
// URL layout (mount the handler at /dav/ and /.well-known/carddav without stripping the
// prefix):
//
//	/.well-known/carddav                            redirect to /dav/ (RFC 6764 §5)
//	/dav/                                           context path: current-user-principal
//	/dav/principals/<login>/                        principal (RFC 5397)
//	/dav/addressbooks/<login>/                      addressbook-home-set (RFC 6352 §7.1.1)
//	/dav/addressbooks/<login>/<book id>/            one collection per synced book
//	/dav/addressbooks/<login>/<project id>/         one collection per synced project
//	/dav/addressbooks/<login>/<book id>/<id>.vcf    one contact; its UID is its id
//
// A project's collection works like a book's (store tells them apart): the same change feed
// and ledger keyed by the project's id, vCards minimised by the project's sync profile, and
// no writes (RFC 3744 privileges show read only; PUT and DELETE answer 403).
package carddav

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/emersion/go-webdav/carddav"

	"github.com/kontakt/kontakt/auth"
	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// Limits on what a client may send.
const (
	// MaxVCardBytes bounds a PUT body; larger answers 413. Photos are not synced, but a
	// phone may send one with an edit, so the bound leaves room for a small one.
	MaxVCardBytes = 512 << 10
	// maxXMLBytes bounds a PROPFIND or REPORT body (a multiget of thousands of hrefs fits).
	maxXMLBytes = 8 << 20
)

// Deps are what the CardDAV server needs, built once in main.
type Deps struct {
	Store  *store.Store
	Logger *slog.Logger
	// Syncs, when set, counts the sync-collection reports answered (metrics.Metrics).
	Syncs SyncCounter
}

// SyncCounter counts sync-collection reports by kind: "initial" (a listing from an empty
// token, or its continuation), "incremental" (changes since a token), "revoked" (the removals
// of a book no longer synced).
type SyncCounter interface {
	CardDAVSync(kind string)
}

type noSyncCounter struct{}

func (noSyncCounter) CardDAVSync(string) {}

type handler struct {
	store *store.Store
	log   *slog.Logger
	syncs SyncCounter
	// go-webdav tells resources apart by the depth of their path below its prefix
	// (1 principal, 2 home set, 3 address book, 4 address object), so the principals get
	// a handler of their own: principals serves /dav/principals/<login>/, dav the rest.
	dav, principals *carddav.Handler
}

// Path prefixes.
const (
	davRoot        = "/dav/"
	principalsRoot = "/dav/principals/"
	homesRoot      = "/dav/addressbooks/"
	wellKnown      = "/.well-known/carddav"
)

// NewHandler returns the CardDAV handler for /dav/ and /.well-known/carddav.
func NewHandler(d Deps) http.Handler {
	log := d.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &handler{store: d.Store, log: log, syncs: d.Syncs}
	if h.syncs == nil {
		h.syncs = noSyncCounter{}
	}
	b := &backend{h: h}
	h.dav = &carddav.Handler{Backend: b, Prefix: strings.TrimSuffix(davRoot, "/")}
	h.principals = &carddav.Handler{Backend: b, Prefix: strings.TrimSuffix(principalsRoot, "/")}
	return h
}

// Paths of the user's resources.
func principalPath(login string) string          { return principalsRoot + login + "/" }
func homePath(login string) string               { return homesRoot + login + "/" }
func collectionPath(login, bookID string) string { return homesRoot + login + "/" + bookID + "/" }
func objectPath(login, bookID, contactID string) string {
	return collectionPath(login, bookID) + contactID + ".vcf"
}

// davPath is a parsed path under /dav/addressbooks/.
type davPath struct {
	login  string
	bookID string // "" for the home set
	name   string // the object's name without ".vcf"; "" for a collection
}

// parsePath parses a home set, collection or object path; ok is false for anything else
// (including an object name that does not end in .vcf).
func parsePath(p string) (davPath, bool) {
	rest, ok := strings.CutPrefix(path.Clean(p), strings.TrimSuffix(homesRoot, "/"))
	if !ok {
		return davPath{}, false
	}
	parts := strings.Split(strings.TrimPrefix(rest, "/"), "/")
	if parts[0] == "" || len(parts) > 3 {
		return davPath{}, false
	}
	dp := davPath{login: parts[0]}
	if len(parts) > 1 {
		dp.bookID = parts[1]
	}
	if len(parts) == 3 {
		name, ok := strings.CutSuffix(parts[2], ".vcf")
		if !ok || name == "" {
			return davPath{}, false
		}
		dp.name = name
	}
	return dp, true
}

// principal is who a request comes from: a user through one of their devices.
type principal struct {
	user   model.User
	device model.Device
}

// reqState is what the layer learns about a request and the backend needs, or the backend
// learns and the layer acts on. It lives in the request's context.
type reqState struct {
	principal
	// vcardVersion is the vCard version to serve: "4.0" unless the client asked for 3.0
	// (Accept on GET, address-data on REPORT, RFC 6352 §10.4).
	vcardVersion string
	// wantsData is true when the answer carries vCards (GET, address-data requested), so
	// what is built is served and goes into the ledger.
	wantsData bool
	// ifMatch is the If-Match header of a DELETE, which go-webdav does not pass on.
	ifMatch string
	// served collects, per book, the contacts whose vCards this answer carries.
	served map[string][]store.ContactVersion
	// replaced is set by a PUT that replaced an existing contact (204, not 201).
	replaced bool
	// colls caches the sync collections this request looked up, by book id.
	colls map[string]store.SyncCollection
	// prefetched holds the contacts a multiget names, read in one go, by object path.
	prefetched map[string]model.Contact
}

func (st *reqState) serve(bookID string, c model.Contact) {
	if st.served == nil {
		st.served = map[string][]store.ContactVersion{}
	}
	st.served[bookID] = append(st.served[bookID], store.ContactVersion{ContactID: c.ID, Version: c.Version})
}

type stateKey struct{}

func stateOf(ctx context.Context) *reqState {
	st, _ := ctx.Value(stateKey{}).(*reqState)
	if st == nil {
		return &reqState{vcardVersion: "4.0"} // never reached through ServeHTTP
	}
	return st
}

// ServeHTTP authenticates the device, then answers what go-webdav lacks and hands the rest
// to it.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			h.log.ErrorContext(r.Context(), "carddav: panic", "panic", v, "method", r.Method, "path", r.URL.Path)
			http.Error(w, "internal error", http.StatusInternalServerError)
		}
	}()
	p := r.URL.Path
	if p == wellKnown || p == wellKnown+"/" {
		// RFC 6764 §5: the well-known URI redirects to the context path; 308 keeps the
		// method (PROPFIND) where a 301 would turn it into a GET in many HTTP clients.
		http.Redirect(w, r, davRoot, http.StatusPermanentRedirect)
		return
	}
	if p != strings.TrimSuffix(davRoot, "/") && !strings.HasPrefix(p, davRoot) {
		http.NotFound(w, r)
		return
	}
	pr, ok := h.authenticate(w, r)
	if !ok {
		return
	}
	st := &reqState{principal: pr, vcardVersion: "4.0"}
	r = r.WithContext(context.WithValue(r.Context(), stateKey{}, st))
	w.Header().Set("Cache-Control", "private, no-store")

	switch r.Method {
	case "PROPFIND":
		h.propfind(w, r, st)
	case "REPORT":
		h.report(w, r, st)
	case http.MethodGet, http.MethodHead:
		st.wantsData = r.Method == http.MethodGet
		st.vcardVersion = acceptedVersion(r.Header.Get("Accept"))
		h.serveRecorded(w, r, st, h.davFor(p))
	case http.MethodPut:
		h.put(w, r, st)
	case http.MethodDelete:
		st.ifMatch = r.Header.Get("If-Match")
		h.davFor(p).ServeHTTP(w, r)
	default:
		h.davFor(p).ServeHTTP(w, r)
	}
}

// davFor returns the go-webdav handler for path p.
func (h *handler) davFor(p string) http.Handler {
	if strings.HasPrefix(p, principalsRoot) {
		return h.principals
	}
	return h.dav
}

// authenticate checks Basic credentials: the user's login and one of their device app
// passwords. A login password is never accepted: it is not a device secret, so it matches
// no device.
func (h *handler) authenticate(w http.ResponseWriter, r *http.Request) (principal, bool) {
	login, password, ok := r.BasicAuth()
	if ok && login != "" && password != "" {
		u, d, err := h.store.DeviceUser(r.Context(), auth.HashSecret(password))
		switch {
		case err == nil && strings.EqualFold(strings.TrimSpace(login), u.Login):
			return principal{user: u, device: d}, true
		case err != nil && !errors.Is(err, store.ErrNotFound):
			h.internalError(w, r, err)
			return principal{}, false
		}
	}
	w.Header().Set("WWW-Authenticate", `Basic realm="Kontakt CardDAV", charset="UTF-8"`)
	http.Error(w, "a device app password is required", http.StatusUnauthorized)
	return principal{}, false
}

func (h *handler) internalError(w http.ResponseWriter, r *http.Request, err error) {
	h.log.ErrorContext(r.Context(), "carddav: request failed", "err", err, "method", r.Method, "path", r.URL.Path)
	http.Error(w, "internal error", http.StatusInternalServerError)
}

// readBody reads a request body of at most limit bytes; tooLarge reports a longer one.
func readBody(r *http.Request, limit int64) (body []byte, tooLarge bool, err error) {
	if r.ContentLength > limit {
		return nil, true, nil
	}
	body, err = io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, false, err
	}
	if int64(len(body)) > limit {
		return nil, true, nil
	}
	return body, false, nil
}

// withBody returns r with body as its body again.
func withBody(r *http.Request, body []byte) *http.Request {
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	return r
}

// put bounds the vCard (413 beyond MaxVCardBytes, RFC 6352 §6.3.2.1 max-resource-size),
// accepts the older vCard media types, and lets go-webdav parse it and call the backend.
func (h *handler) put(w http.ResponseWriter, r *http.Request, st *reqState) {
	body, tooLarge, err := readBody(r, MaxVCardBytes)
	if err != nil {
		http.Error(w, "could not read the request body", http.StatusBadRequest)
		return
	}
	if tooLarge {
		http.Error(w, fmt.Sprintf("a vCard may have at most %d bytes", MaxVCardBytes), http.StatusRequestEntityTooLarge)
		return
	}
	if t, params, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err == nil && (t == "text/x-vcard" || t == "text/directory") {
		r.Header.Set("Content-Type", mime.FormatMediaType("text/vcard", params))
	}
	h.davFor(r.URL.Path).ServeHTTP(&putWriter{ResponseWriter: w, st: st}, withBody(r, body))
}

// putWriter answers 204 instead of go-webdav's 201 when a PUT replaced a contact
// (RFC 4918 §9.7.1).
type putWriter struct {
	http.ResponseWriter
	st *reqState
}

func (pw *putWriter) WriteHeader(code int) {
	if code == http.StatusCreated && pw.st.replaced {
		code = http.StatusNoContent
	}
	pw.ResponseWriter.WriteHeader(code)
}

// recorder holds an answer until the ledger and the audit log have recorded what it gives.
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func newRecorder() *recorder { return &recorder{header: http.Header{}} }

func (rec *recorder) Header() http.Header { return rec.header }
func (rec *recorder) Write(b []byte) (int, error) {
	if rec.code == 0 {
		rec.code = http.StatusOK
	}
	return rec.body.Write(b)
}
func (rec *recorder) WriteHeader(code int) {
	if rec.code == 0 {
		rec.code = code
	}
}

// flush sends the held answer.
func (rec *recorder) flush(w http.ResponseWriter) {
	for k, v := range rec.header {
		w.Header()[k] = v
	}
	if rec.code == 0 {
		rec.code = http.StatusOK
	}
	w.WriteHeader(rec.code)
	_, _ = w.Write(rec.body.Bytes())
}

// serveRecorded runs next into a recorder, records what the answer gives the device, and
// only then sends it: a contact that leaves the server is in the ledger and the audit log.
func (h *handler) serveRecorded(w http.ResponseWriter, r *http.Request, st *reqState, next http.Handler) {
	rec := newRecorder()
	next.ServeHTTP(rec, r)
	if rec.header.Get("Content-Type") == "text/vcard" {
		rec.header.Set("Content-Type", "text/vcard; charset=utf-8") // vCard 3.0 readers need telling
	}
	if rec.code/100 == 2 {
		if err := h.record(r.Context(), st, nil); err != nil {
			h.internalError(w, r, err)
			return
		}
	}
	rec.flush(w)
}

// record writes what this request gave the device (st.served) and told it removed.
func (h *handler) record(ctx context.Context, st *reqState, removed map[string][]string) error {
	books := map[string]bool{}
	for b := range st.served {
		books[b] = true
	}
	for b := range removed {
		books[b] = true
	}
	for b := range books {
		if err := h.store.RecordServed(ctx, st.device.ID, b, st.served[b], removed[b]); err != nil {
			return err
		}
	}
	return nil
}

// acceptedVersion returns the vCard version an Accept header asks for: 3.0 when it names
// text/vcard (or text/x-vcard) with version=3.0 and not 4.0, else 4.0.
func acceptedVersion(accept string) string {
	v3 := false
	for _, part := range strings.Split(accept, ",") {
		t, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil || (t != "text/vcard" && t != "text/x-vcard") {
			continue
		}
		switch params["version"] {
		case "4.0":
			return "4.0"
		case "3.0":
			v3 = true
		}
	}
	if v3 {
		return "3.0"
	}
	return "4.0"
}
