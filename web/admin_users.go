package web

// Administration of users and groups (admins only): create a user with a password the
// admin sets, change name, locale, permissions, enable or disable; groups with members.

import (
	"errors"
	"net/http"
	"regexp"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/kontakt/kontakt/auth"
	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// loginRE is the API's rule for logins.
var loginRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,63}$`)

// mountAdminUsers routes the users and groups pages (inside the authenticated group).
func (h *handler) mountAdminUsers(r chi.Router) {
	r.Post("/admin/users", h.createUser)
	r.Get("/admin/users/{id}", h.userPage)
	r.Post("/admin/users/{id}", h.updateUser)
	r.Get("/admin/groups", h.groupsPage)
	r.Post("/admin/groups", h.createGroup)
	r.Post("/admin/groups/{id}/members", h.addMember)
	r.Post("/admin/groups/{id}/members/{user}/remove", h.removeMember)
	r.Get("/admin/audit", h.auditPage)
}

type usersData struct {
	Users []model.User
	Form  model.User
	Error string
}

// requireAdminPage answers 404 to non-admins.
func (h *handler) requireAdminPage(w http.ResponseWriter, r *http.Request) bool {
	if !currentUser(r).IsAdmin {
		h.notFound(w, r)
		return false
	}
	return true
}

func (h *handler) showUsers(w http.ResponseWriter, r *http.Request, status int, form model.User, errKey string) {
	users, err := h.store.ListUsers(r.Context())
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	p := h.newPage(r, "adm.users", nil)
	d := usersData{Users: users, Form: form}
	if errKey != "" {
		d.Error = p.T(errKey)
	}
	p.Data = d
	h.render(w, r, status, "admin_users.html", p)
}

// createUser adds a user with the password the admin typed (they hand it over).
func (h *handler) createUser(w http.ResponseWriter, r *http.Request) {
	if !h.requireAdminPage(w, r) || !h.validCSRF(w, r) {
		return
	}
	u := model.User{Login: strings.ToLower(strings.TrimSpace(r.PostFormValue("login"))),
		Name: strings.TrimSpace(r.PostFormValue("name")), Locale: r.PostFormValue("locale")}
	pw := r.PostFormValue("password")
	var errKey string
	switch {
	case !loginRE.MatchString(u.Login):
		errKey = "adm.user.badlogin"
	case u.Name == "" || len(u.Name) > 200:
		errKey = "adm.user.badname"
	case u.Locale != "cs" && u.Locale != "en":
		errKey = "adm.invalid"
	case auth.CheckPassword(pw) != nil:
		errKey = "adm.user.badpassword"
	}
	if errKey != "" {
		h.showUsers(w, r, http.StatusBadRequest, u, errKey)
		return
	}
	hash, err := auth.HashPassword(pw, h.sessions.Options().Params)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	created, err := h.store.CreateUser(r.Context(), actor(r), u, hash)
	var ce *store.ConflictError
	if errors.As(err, &ce) {
		h.showUsers(w, r, http.StatusConflict, u, "adm.user.taken")
		return
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/users/"+created.ID, http.StatusSeeOther)
}

type userData struct {
	Subject model.User
	Perms   []string
	Error   string
}

func (h *handler) showUser(w http.ResponseWriter, r *http.Request, status int, u model.User, errKey string) {
	p := h.newPage(r, "adm.user", nil)
	p.Title = u.Name
	d := userData{Subject: u, Perms: model.Permissions}
	if errKey != "" {
		d.Error = p.T(errKey)
	}
	p.Data = d
	h.render(w, r, status, "admin_user.html", p)
}

// adminSubject is the {id} user for an admin, or false after answering 404.
func (h *handler) adminSubject(w http.ResponseWriter, r *http.Request) (model.User, bool) {
	if !h.requireAdminPage(w, r) {
		return model.User{}, false
	}
	id := chi.URLParam(r, "id")
	if !store.ValidID(id) {
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

func (h *handler) userPage(w http.ResponseWriter, r *http.Request) {
	if u, ok := h.adminSubject(w, r); ok {
		h.showUser(w, r, http.StatusOK, u, "")
	}
}

// updateUser saves the user form: name, locale, permissions, enabled; an admin cannot
// disable themself.
func (h *handler) updateUser(w http.ResponseWriter, r *http.Request) {
	u, ok := h.adminSubject(w, r)
	if !ok || !h.validCSRF(w, r) {
		return
	}
	name, locale := strings.TrimSpace(r.PostFormValue("name")), r.PostFormValue("locale")
	disabled := r.PostFormValue("disabled") == "on"
	perms := r.PostForm["permissions"]
	var errKey string
	switch {
	case name == "" || len(name) > 200:
		errKey = "adm.user.badname"
	case locale != "cs" && locale != "en":
		errKey = "adm.invalid"
	case disabled && u.ID == currentUser(r).ID:
		errKey = "adm.user.self"
	}
	if errKey != "" {
		h.showUser(w, r, http.StatusBadRequest, u, errKey)
		return
	}
	if _, err := h.store.UpdateUser(r.Context(), actor(r), u.ID, store.UserPatch{Name: &name, Locale: &locale,
		Disabled: &disabled, Permissions: &perms}); err != nil {
		var fe *model.FieldError
		if errors.As(err, &fe) {
			h.showUser(w, r, http.StatusBadRequest, u, "adm.invalid")
			return
		}
		h.storeError(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/users/"+u.ID, http.StatusSeeOther)
}

type groupRow struct {
	model.Group
	Members []model.User
}

type groupsData struct {
	Groups []groupRow
	Users  []model.User
	Error  string
}

func (h *handler) showGroups(w http.ResponseWriter, r *http.Request, status int, errKey string) {
	groups, err := h.store.ListGroups(r.Context())
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	users, err := h.store.ListUsers(r.Context())
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	byID := map[string]model.User{}
	for _, u := range users {
		byID[u.ID] = u
	}
	p := h.newPage(r, "adm.groups", nil)
	d := groupsData{Users: users}
	for _, g := range groups {
		row := groupRow{Group: g}
		for _, id := range g.Members {
			row.Members = append(row.Members, byID[id])
		}
		d.Groups = append(d.Groups, row)
	}
	if errKey != "" {
		d.Error = p.T(errKey)
	}
	p.Data = d
	h.render(w, r, status, "admin_groups.html", p)
}

func (h *handler) groupsPage(w http.ResponseWriter, r *http.Request) {
	if h.requireAdminPage(w, r) {
		h.showGroups(w, r, http.StatusOK, "")
	}
}

func (h *handler) createGroup(w http.ResponseWriter, r *http.Request) {
	if !h.requireAdminPage(w, r) || !h.validCSRF(w, r) {
		return
	}
	name := strings.TrimSpace(r.PostFormValue("name"))
	if name == "" || len(name) > 200 {
		h.showGroups(w, r, http.StatusBadRequest, "adm.user.badname")
		return
	}
	_, err := h.store.CreateGroup(r.Context(), actor(r), name, strings.TrimSpace(r.PostFormValue("description")))
	var ce *store.ConflictError
	if errors.As(err, &ce) {
		h.showGroups(w, r, http.StatusConflict, "adm.group.taken")
		return
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/groups", http.StatusSeeOther)
}

// memberIDs are the {id} group and the user of the form or {user} path, valid ids or false
// after answering 404.
func (h *handler) memberIDs(w http.ResponseWriter, r *http.Request, userID string) (string, bool) {
	if !h.requireAdminPage(w, r) {
		return "", false
	}
	g := chi.URLParam(r, "id")
	if !store.ValidID(g) || !store.ValidID(userID) {
		h.notFound(w, r)
		return "", false
	}
	return g, h.validCSRF(w, r)
}

func (h *handler) addMember(w http.ResponseWriter, r *http.Request) {
	g, ok := h.memberIDs(w, r, r.PostFormValue("user_id"))
	if !ok {
		return
	}
	if err := h.store.AddGroupMember(r.Context(), actor(r), g, r.PostFormValue("user_id")); err != nil {
		h.storeError(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/groups", http.StatusSeeOther)
}

func (h *handler) removeMember(w http.ResponseWriter, r *http.Request) {
	g, ok := h.memberIDs(w, r, chi.URLParam(r, "user"))
	if !ok {
		return
	}
	if err := h.store.RemoveGroupMember(r.Context(), actor(r), g, chi.URLParam(r, "user")); err != nil {
		h.storeError(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/groups", http.StatusSeeOther)
}
