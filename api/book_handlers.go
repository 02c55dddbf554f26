package api

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

type bookCreate struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

type grantRequest struct {
	UserID  *string    `json:"user_id"`
	GroupID *string    `json:"group_id"`
	Role    model.Role `json:"role"`
}

type fieldRequest struct {
	Label    string          `json:"label"`
	Type     model.FieldType `json:"type"`
	Choices  []string        `json:"choices"`
	Required bool            `json:"required"`
}

func (h *handler) createBook(w http.ResponseWriter, r *http.Request) {
	var in bookCreate
	if err := decode(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := checkName("name", &in.Name); err != nil {
		h.fail(w, r, err)
		return
	}
	b, err := h.store.CreateBook(r.Context(), actor(r), in.Name, in.Description)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, b)
}

func (h *handler) updateBook(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	var in store.BookPatch
	if err := decode(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := checkName("name", in.Name); err != nil {
		h.fail(w, r, err)
		return
	}
	b, err := h.store.UpdateBook(r.Context(), actor(r), id, in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, b)
}

func (h *handler) deleteBook(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	h.noContent(w, r, h.store.DeleteBook(r.Context(), actor(r), id))
}

// putGrant gives a user or a group a role on the book (replacing an earlier role).
func (h *handler) putGrant(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	var in grantRequest
	if err := decode(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	if (in.UserID == nil) == (in.GroupID == nil) {
		writeError(w, http.StatusBadRequest, "set exactly one of user_id and group_id", "user_id")
		return
	}
	if in.UserID != nil && !store.ValidID(*in.UserID) {
		writeError(w, http.StatusBadRequest, "not an id", "user_id")
		return
	}
	if in.GroupID != nil && !store.ValidID(*in.GroupID) {
		writeError(w, http.StatusBadRequest, "not an id", "group_id")
		return
	}
	if !in.Role.Valid() {
		writeError(w, http.StatusBadRequest, "must be viewer, editor or manager", "role")
		return
	}
	g, err := h.store.PutGrant(r.Context(), actor(r), model.Grant{BookID: id, UserID: in.UserID, GroupID: in.GroupID, Role: in.Role})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, g)
}

func (h *handler) putField(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	var in fieldRequest
	if err := decode(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	def := model.FieldDef{Key: chi.URLParam(r, "key"), Label: in.Label, Type: in.Type, Choices: in.Choices, Required: in.Required}
	if err := h.store.PutField(r.Context(), actor(r), id, def); err != nil {
		h.fail(w, r, err)
		return
	}
	b, err := h.store.GetBook(r.Context(), actor(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, b)
}

func (h *handler) deleteField(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	h.noContent(w, r, h.store.DeleteField(r.Context(), actor(r), id, chi.URLParam(r, "key")))
}
