package web

// Address books for their managers (admins manage every book): grants of users and groups
// with their role (add, change, remove), the sync profile (what leaves the server in a
// vCard) and the required consent purpose. The store checks the manager role on every
// change; the list of all books stays with the administration.

import (
	"errors"
	"net/http"
	"slices"

	"github.com/go-chi/chi/v5"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// mountAdminBooks routes the address book pages (inside the authenticated group).
func (h *handler) mountAdminBooks(r chi.Router) {
	r.Get("/admin/books", h.booksPage)
	r.Get("/admin/books/{id}", h.bookPage)
	r.Post("/admin/books/{id}/grants", h.addGrant)
	r.Post("/admin/books/{id}/grants/{grant}/remove", h.removeGrant)
	r.Post("/admin/books/{id}/settings", h.bookSettings)
}

func (h *handler) booksPage(w http.ResponseWriter, r *http.Request) {
	if !h.requireAdminPage(w, r) {
		return
	}
	books, err := h.store.ListBooks(r.Context(), actor(r))
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "admin_books.html", h.newPage(r, "adm.books", books))
}

type grantRow struct {
	model.Grant
	Who string
}

type bookData struct {
	Book       model.Book
	Grants     []grantRow
	Users      []model.User
	Groups     []model.Group
	Roles      []model.Role
	SyncFields []string
	Purposes   []model.Purpose
	RequiredID string
	Error      string
	// Sync is the book's sync grants and their form (admin_grants.go).
	Sync bookSyncForm
}

// InProfile reports whether the book's sync profile has field f.
func (d bookData) InProfile(f string) bool { return slices.Contains(d.Book.SyncProfile, f) }

// adminBook is the {id} book for a user who may manage it, or false after answering 404.
// The rule is the API's (store.requireRole "manager"): the book's managers, directly or
// through a group, and organisation admins, who manage every book. A book the user sees
// with a weaker role is 404 here too: its management does not exist for them.
func (h *handler) adminBook(w http.ResponseWriter, r *http.Request) (model.Book, bool) {
	id := chi.URLParam(r, "id")
	if !store.ValidID(id) {
		h.notFound(w, r)
		return model.Book{}, false
	}
	b, err := h.store.GetBook(r.Context(), actor(r), id)
	if err != nil {
		h.storeError(w, r, err)
		return b, false
	}
	if !b.Role.AtLeast(model.RoleManager) {
		h.notFound(w, r)
		return b, false
	}
	return b, true
}

func (h *handler) showBook(w http.ResponseWriter, r *http.Request, status int, b model.Book, errKey string) {
	h.showBookWith(w, r, status, b, errKey, bookSyncForm{})
}

// showBookWith renders the book page with the sync grant form sf (admin_grants.go).
func (h *handler) showBookWith(w http.ResponseWriter, r *http.Request, status int, b model.Book, errKey string, sf bookSyncForm) {
	grants, err := h.store.ListGrants(r.Context(), actor(r), b.ID)
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	d := bookData{Book: b, Roles: model.Roles, SyncFields: model.SyncFields}
	if d.Users, err = h.store.ListUsers(r.Context()); err == nil {
		if d.Groups, err = h.store.ListGroups(r.Context()); err == nil {
			d.Purposes, err = h.store.ListPurposes(r.Context())
		}
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	names := map[string]string{}
	for _, u := range d.Users {
		names[u.ID] = u.Name + " (" + u.Login + ")"
	}
	for _, g := range d.Groups {
		names[g.ID] = g.Name
	}
	for _, g := range grants {
		row := grantRow{Grant: g}
		if g.UserID != nil {
			row.Who = names[*g.UserID]
		} else if g.GroupID != nil {
			row.Who = names[*g.GroupID]
		}
		d.Grants = append(d.Grants, row)
	}
	if b.RequiredPurposeID != nil {
		d.RequiredID = *b.RequiredPurposeID
	}
	if d.Sync, err = h.bookSyncFor(r, b, sf); err != nil {
		h.storeError(w, r, err)
		return
	}
	p := h.newPage(r, "adm.books", nil)
	p.Title = b.Name
	if errKey != "" {
		d.Error = p.T(errKey)
	}
	p.Data = d
	h.render(w, r, status, "admin_book.html", p)
}

func (h *handler) bookPage(w http.ResponseWriter, r *http.Request) {
	if b, ok := h.adminBook(w, r); ok {
		h.showBook(w, r, http.StatusOK, b, "")
	}
}

// addGrant gives a user ("user:<id>") or group ("group:<id>") a role; a second grant to
// the same one replaces its role.
func (h *handler) addGrant(w http.ResponseWriter, r *http.Request) {
	b, ok := h.adminBook(w, r)
	if !ok || !h.validCSRF(w, r) {
		return
	}
	g := model.Grant{BookID: b.ID, Role: model.Role(r.PostFormValue("role"))}
	who := r.PostFormValue("who")
	switch {
	case len(who) > 5 && who[:5] == "user:" && store.ValidID(who[5:]):
		id := who[5:]
		g.UserID = &id
	case len(who) > 6 && who[:6] == "group:" && store.ValidID(who[6:]):
		id := who[6:]
		g.GroupID = &id
	}
	if (g.UserID == nil && g.GroupID == nil) || !g.Role.Valid() {
		h.showBook(w, r, http.StatusBadRequest, b, "adm.invalid")
		return
	}
	if _, err := h.store.PutGrant(r.Context(), actor(r), g); err != nil {
		var fe *model.FieldError
		if errors.As(err, &fe) || errors.Is(err, store.ErrNotFound) {
			h.showBook(w, r, http.StatusBadRequest, b, "adm.invalid")
			return
		}
		h.storeError(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/books/"+b.ID, http.StatusSeeOther)
}

func (h *handler) removeGrant(w http.ResponseWriter, r *http.Request) {
	b, ok := h.adminBook(w, r)
	if !ok || !h.validCSRF(w, r) {
		return
	}
	id := chi.URLParam(r, "grant")
	if !store.ValidID(id) {
		h.notFound(w, r)
		return
	}
	if err := h.store.DeleteGrant(r.Context(), actor(r), b.ID, id); err != nil {
		h.storeError(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/books/"+b.ID, http.StatusSeeOther)
}

// bookSettings saves the sync profile and the required purpose.
func (h *handler) bookSettings(w http.ResponseWriter, r *http.Request) {
	b, ok := h.adminBook(w, r)
	if !ok || !h.validCSRF(w, r) {
		return
	}
	profile := r.PostForm["sync_profile"]
	if profile == nil {
		profile = []string{}
	}
	purpose := r.PostFormValue("required_purpose_id")
	if err := model.CheckSyncProfile(profile); err != nil {
		h.showBook(w, r, http.StatusBadRequest, b, "adm.book.badprofile")
		return
	}
	_, err := h.store.UpdateBook(r.Context(), actor(r), b.ID, store.BookPatch{SyncProfile: &profile, RequiredPurposeID: &purpose})
	var fe *model.FieldError
	if errors.As(err, &fe) {
		h.showBook(w, r, http.StatusBadRequest, b, "adm.invalid")
		return
	}
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/books/"+b.ID, http.StatusSeeOther)
}
