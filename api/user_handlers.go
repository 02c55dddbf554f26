package api

import (
	"net/http"
	"regexp"
	"strings"

	"github.com/kontakt/kontakt/auth"
	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

var loginRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,63}$`)

type userCreate struct {
	Login    string `json:"login"`
	Name     string `json:"name"`
	Email    string `json:"email"`
	Password string `json:"password"`
	IsAdmin  bool   `json:"is_admin"`
	Locale   string `json:"locale"`
}

// validateUserFields checks what users may set on themselves or admins on anyone.
func validateUserFields(name, email, locale *string) error {
	if name != nil {
		*name = strings.TrimSpace(*name)
		if *name == "" || len(*name) > 200 {
			return &model.FieldError{Field: "name", Msg: "a name of 1 to 200 characters is required"}
		}
	}
	if email != nil && *email != "" {
		e, err := model.NormalizeEmail(*email)
		if err != nil {
			return &model.FieldError{Field: "email", Msg: "not a valid email address"}
		}
		*email = e
	}
	if locale != nil && *locale != "en" && *locale != "cs" {
		return &model.FieldError{Field: "locale", Msg: "must be en or cs"}
	}
	return nil
}

func (h *handler) listUsers(w http.ResponseWriter, r *http.Request) {
	us, err := h.store.ListUsers(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, us)
}

func (h *handler) getUser(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	u, err := h.store.GetUser(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, u)
}

func (h *handler) createUser(w http.ResponseWriter, r *http.Request) {
	if !requireAdmin(w, r) {
		return
	}
	var in userCreate
	if err := decode(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	in.Login = strings.ToLower(strings.TrimSpace(in.Login))
	if !loginRE.MatchString(in.Login) {
		writeError(w, http.StatusBadRequest, "2 to 64 characters: a-z, 0-9, dot, dash, underscore", "login")
		return
	}
	if in.Locale == "" {
		in.Locale = "en"
	}
	if err := validateUserFields(&in.Name, &in.Email, &in.Locale); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := auth.CheckPassword(in.Password); err != nil {
		h.fail(w, r, passwordError(err))
		return
	}
	hash, err := auth.HashPassword(in.Password, h.opt.PasswordParams)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	u, err := h.store.CreateUser(r.Context(), actor(r), model.User{
		Login: in.Login, Name: in.Name, Email: in.Email, IsAdmin: in.IsAdmin, Locale: in.Locale,
	}, hash)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, u)
}

// updateUser lets admins change anyone (permissions included) and users change their own
// name, email and locale.
func (h *handler) updateUser(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	var in store.UserPatch
	if err := decode(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	me := currentUser(r)
	if !me.IsAdmin && (id != me.ID || in.IsAdmin != nil || in.Disabled != nil || in.Permissions != nil) {
		writeError(w, http.StatusForbidden, "only organisation admins may do this", "")
		return
	}
	if id == me.ID && ((in.Disabled != nil && *in.Disabled) || (in.IsAdmin != nil && !*in.IsAdmin)) {
		writeError(w, http.StatusBadRequest, "you cannot disable yourself or drop your own admin role", "")
		return
	}
	if err := validateUserFields(in.Name, in.Email, in.Locale); err != nil {
		h.fail(w, r, err)
		return
	}
	u, err := h.store.UpdateUser(r.Context(), actor(r), id, in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, u)
}

type passwordSet struct {
	Password string `json:"password"`
}

func (h *handler) setUserPassword(w http.ResponseWriter, r *http.Request) {
	if !requireAdmin(w, r) {
		return
	}
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	var in passwordSet
	if err := decode(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := auth.CheckPassword(in.Password); err != nil {
		h.fail(w, r, passwordError(err))
		return
	}
	h.setPassword(w, r, id, in.Password)
}
