package web

// Administration pages (issue #8, part 4): the admin index, users, a user's sync grants and
// devices with one-click revocation, forgetting a person with the erasure's progress and a
// link to its workflow in the Temporal Web UI. Every read and write goes through store, whose
// checks decide; the pages only hide what the store would refuse (404, as in the API).

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/session"
	"github.com/kontakt/kontakt/store"
	"github.com/kontakt/kontakt/workflows"
)

// Forgetter starts the ForgetContact workflow of a committed erasure request
// (workflows.Forgetter, as the API's); nil without Temporal, when the worker's outbox
// reconciler starts it.
type Forgetter interface {
	StartForget(ctx context.Context, contactID string) error
}

// mountAdmin routes the administration pages (inside the authenticated group).
func (h *handler) mountAdmin(r chi.Router) {
	r.Get("/admin", h.adminIndex)
	r.Get("/admin/users", h.adminUsers)
	r.Get("/admin/users/{id}/sync", h.userSync)
	r.Post("/admin/users/{id}/sync/revoke-all", h.revokeAllSync)
	r.Post("/admin/users/{id}/sync/{book}/revoke", h.revokeSync)
	r.Post("/admin/users/{id}/devices/revoke-all", h.revokeAllDevices)
	r.Post("/admin/users/{id}/devices/{device}/revoke", h.revokeDevice)
	r.Get("/admin/erasures", h.erasures)
	r.Get("/admin/erasures/{id}", h.erasure)
	r.Get("/contacts/{id}/forget", h.forgetForm)
	r.Post("/contacts/{id}/forget", h.forget)
	h.mountAdminUsers(r)
	h.mountAdminBooks(r)
}

// DateTime formats a time (time.Time or *time.Time) with minutes in the page's language;
// nil is "never".
func (p page) DateTime(v any) string {
	var t time.Time
	switch v := v.(type) {
	case time.Time:
		t = v
	case *time.Time:
		if v == nil {
			return p.T("adm.never")
		}
		t = *v
	default:
		return ""
	}
	if p.Lang == "cs" {
		return t.Local().Format("2. 1. 2006 15:04")
	}
	return t.Local().Format("2 Jan 2006 15:04")
}

// notFound answers the 404 page.
func (h *handler) notFound(w http.ResponseWriter, r *http.Request) {
	h.errorPage(w, r, http.StatusNotFound, "err.notfound")
}

// validCSRF checks a state-changing form's token (the same origin is checked by the
// middleware); a missing or wrong token answers 403.
func (h *handler) validCSRF(w http.ResponseWriter, r *http.Request) bool {
	if !validToken(r, csrfToken(session.Secret(r))) {
		h.errorPage(w, r, http.StatusForbidden, "err.forbidden")
		return false
	}
	return true
}

// storeError answers a store error as a page: unknown or hidden 404, refused 403 (only
// where the user saw the thing), a bad field 400, anything else 500.
func (h *handler) storeError(w http.ResponseWriter, r *http.Request, err error) {
	var fe *model.FieldError
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrForbidden):
		h.notFound(w, r)
	case errors.As(err, &fe):
		h.errorPage(w, r, http.StatusBadRequest, "adm.invalid")
	default:
		h.serverError(w, r, err)
	}
}

func (h *handler) adminIndex(w http.ResponseWriter, r *http.Request) {
	if !currentUser(r).IsAdmin {
		h.notFound(w, r)
		return
	}
	h.render(w, r, http.StatusOK, "admin_index.html", h.newPage(r, "adm.title", nil))
}

func (h *handler) adminUsers(w http.ResponseWriter, r *http.Request) {
	if !currentUser(r).IsAdmin {
		h.notFound(w, r)
		return
	}
	h.showUsers(w, r, http.StatusOK, model.User{Locale: "cs"}, "")
}

type syncGrantRow struct {
	model.SyncGrant
	BookName string
}

type userSyncData struct {
	Subject model.User
	Grants  []syncGrantRow
	Devices []model.Device
	// Form grants and changes sync grants (admin_grants.go).
	Form syncForm
}

// syncSubject is the user of the {id} path that the current user may manage the sync of
// (admins: anyone; others: themselves), or false after answering 404.
func (h *handler) syncSubject(w http.ResponseWriter, r *http.Request) (model.User, bool) {
	id, me := chi.URLParam(r, "id"), currentUser(r)
	if !store.ValidID(id) || (!me.IsAdmin && me.ID != id) {
		h.notFound(w, r)
		return model.User{}, false
	}
	u, err := h.store.GetUser(r.Context(), id)
	if err != nil {
		h.storeError(w, r, err)
		return u, false
	}
	return u, true
}

// userSync shows a user's sync grants and devices, with revocation.
func (h *handler) userSync(w http.ResponseWriter, r *http.Request) {
	if u, ok := h.syncSubject(w, r); ok {
		h.showUserSync(w, r, http.StatusOK, u, syncForm{})
	}
}

// showUserSync renders a user's sync page with status and the grant form f (admin_grants.go).
func (h *handler) showUserSync(w http.ResponseWriter, r *http.Request, status int, u model.User, f syncForm) {
	grants, err := h.store.ListSyncGrants(r.Context(), actor(r), u.ID)
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	books, err := h.store.ListBooks(r.Context(), actor(r))
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	names := map[string]string{}
	for _, b := range books {
		names[b.ID] = b.Name
	}
	d := userSyncData{Subject: u}
	for _, g := range grants {
		n := names[g.BookID]
		if n == "" {
			n = g.BookID
		}
		d.Grants = append(d.Grants, syncGrantRow{SyncGrant: g, BookName: n})
	}
	if d.Devices, err = h.store.ListDevices(r.Context(), actor(r), u.ID); err != nil {
		h.storeError(w, r, err)
		return
	}
	if d.Form, err = h.syncFormFor(r, u, f); err != nil {
		h.serverError(w, r, err)
		return
	}
	p := h.newPage(r, "adm.sync", d)
	p.Title = p.T("adm.sync") + ": " + u.Name
	h.render(w, r, status, "admin_sync.html", p)
}

// syncAction is a POST on a user's sync page: check, run, redirect back (303).
func (h *handler) syncAction(w http.ResponseWriter, r *http.Request, run func(ctx context.Context, a store.Actor, userID string) error) {
	u, ok := h.syncSubject(w, r)
	if !ok || !h.validCSRF(w, r) {
		return
	}
	if err := run(r.Context(), actor(r), u.ID); err != nil {
		h.storeError(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/users/"+u.ID+"/sync", http.StatusSeeOther)
}

func (h *handler) revokeAllSync(w http.ResponseWriter, r *http.Request) {
	h.syncAction(w, r, func(ctx context.Context, a store.Actor, id string) error {
		_, err := h.store.RevokeAllSync(ctx, a, id)
		return err
	})
}

func (h *handler) revokeSync(w http.ResponseWriter, r *http.Request) {
	book := chi.URLParam(r, "book")
	h.syncAction(w, r, func(ctx context.Context, a store.Actor, id string) error {
		if !store.ValidID(book) {
			return store.ErrNotFound
		}
		return h.store.DeleteSyncGrant(ctx, a, id, book)
	})
}

func (h *handler) revokeAllDevices(w http.ResponseWriter, r *http.Request) {
	h.syncAction(w, r, func(ctx context.Context, a store.Actor, id string) error {
		_, err := h.store.RevokeAllDevices(ctx, a, id)
		return err
	})
}

func (h *handler) revokeDevice(w http.ResponseWriter, r *http.Request) {
	dev := chi.URLParam(r, "device")
	h.syncAction(w, r, func(ctx context.Context, a store.Actor, id string) error {
		if !store.ValidID(dev) {
			return store.ErrNotFound
		}
		// The device must be this user's: the page's path names both.
		devs, err := h.store.ListDevices(ctx, a, id)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(devs, func(d model.Device) bool { return d.ID == dev }) {
			return store.ErrNotFound
		}
		return h.store.RevokeDevice(ctx, a, dev)
	})
}

// mayForget reports whether the current user may forget the contact (holders of the gdpr
// permission and the book's managers; the store decides again on POST).
func (h *handler) mayForget(r *http.Request, c model.Contact) (bool, error) {
	if slices.Contains(currentUser(r).Permissions, model.PermGDPR) {
		return true, nil
	}
	b, err := h.store.GetBook(r.Context(), actor(r), c.BookID)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil && b.Role.AtLeast("manager"), err
}

type forgetData struct {
	Contact model.Contact
	Bases   []string
	Basis   string
	Error   string
}

// forgetContact is the {id} contact that the current user may forget, or false after
// answering (404 for a contact they may not see or not forget).
func (h *handler) forgetContact(w http.ResponseWriter, r *http.Request) (model.Contact, bool) {
	id := chi.URLParam(r, "id")
	if !store.ValidID(id) {
		h.notFound(w, r)
		return model.Contact{}, false
	}
	c, err := h.store.GetContact(r.Context(), actor(r), id)
	if err != nil {
		h.storeError(w, r, err)
		return c, false
	}
	ok, err := h.mayForget(r, c)
	if err != nil {
		h.serverError(w, r, err)
		return c, false
	}
	if !ok {
		h.notFound(w, r)
	}
	return c, ok
}

func (h *handler) forgetForm(w http.ResponseWriter, r *http.Request) {
	c, ok := h.forgetContact(w, r)
	if !ok {
		return
	}
	p := h.newPage(r, "adm.forget", forgetData{Contact: c, Bases: store.LegalBases})
	p.Title = p.T("adm.forget") + ": " + c.DisplayName
	h.render(w, r, http.StatusOK, "admin_forget.html", p)
}

// forget records the request to forget a contact, starts its workflow after the commit and
// shows the erasure's progress.
func (h *handler) forget(w http.ResponseWriter, r *http.Request) {
	c, ok := h.forgetContact(w, r)
	if !ok || !h.validCSRF(w, r) {
		return
	}
	basis := r.PostFormValue("legal_basis")
	_, err := h.store.RequestErasure(r.Context(), actor(r), c.ID, basis)
	var fe *model.FieldError
	if errors.As(err, &fe) {
		p := h.newPage(r, "adm.forget", forgetData{Contact: c, Bases: store.LegalBases, Basis: basis})
		p.Title = p.T("adm.forget") + ": " + c.DisplayName
		p.Data = forgetData{Contact: c, Bases: store.LegalBases, Basis: basis, Error: p.T("adm.basis.missing")}
		h.render(w, r, http.StatusBadRequest, "admin_forget.html", p)
		return
	}
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	if h.forgetter != nil {
		h.followups.Go(func(ctx context.Context) error {
			if err := h.forgetter.StartForget(ctx, c.ID); err != nil {
				return err
			}
			return h.store.MarkErasureStarted(ctx, c.ID)
		})
	}
	http.Redirect(w, r, "/admin/erasures/"+c.ID, http.StatusSeeOther)
}

type erasureRow struct {
	store.Erasure
	BookName    string
	WorkflowURL string
}

// erasureRows adds the book's name and the workflow link to erasures.
func (h *handler) erasureRows(r *http.Request, es []store.Erasure) ([]erasureRow, error) {
	books, err := h.store.ListBooks(r.Context(), actor(r))
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, b := range books {
		names[b.ID] = b.Name
	}
	out := make([]erasureRow, 0, len(es))
	for _, e := range es {
		n := names[e.BookID]
		if n == "" {
			n = e.BookID
		}
		out = append(out, erasureRow{Erasure: e, BookName: n, WorkflowURL: h.work.workflowURL(workflows.ForgetContactID(e.ContactID))})
	}
	return out, nil
}

// erasures lists the erasures the user may follow (the store filters: gdpr holders all,
// managers their books', everyone their own requests).
func (h *handler) erasures(w http.ResponseWriter, r *http.Request) {
	es, err := h.store.ListErasures(r.Context(), actor(r))
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	rows, err := h.erasureRows(r, es)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "admin_erasures.html", h.newPage(r, "adm.erasures", rows))
}

// erasure is one erasure's progress: status, devices that held the contact, those still
// to sync past the removal, stragglers, and the workflow's history link.
func (h *handler) erasure(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	if !store.ValidID(id) {
		h.notFound(w, r)
		return
	}
	e, err := h.store.GetErasure(r.Context(), actor(r), id)
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	rows, err := h.erasureRows(r, []store.Erasure{e})
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "admin_erasure.html", h.newPage(r, "adm.erasure", rows[0]))
}
