package api

import (
	"context"
	"net/http"
	"strings"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

type groupCreate struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

func checkName(field string, name *string) error {
	if name == nil {
		return nil
	}
	*name = strings.TrimSpace(*name)
	if *name == "" || len([]rune(*name)) > 200 {
		return &model.FieldError{Field: field, Msg: "a name of 1 to 200 characters is required"}
	}
	return nil
}

func (h *handler) listGroups(w http.ResponseWriter, r *http.Request) {
	gs, err := h.store.ListGroups(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, gs)
}

func (h *handler) getGroup(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	g, err := h.store.GetGroup(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, g)
}

func (h *handler) createGroup(w http.ResponseWriter, r *http.Request) {
	if !requireAdmin(w, r) {
		return
	}
	var in groupCreate
	if err := decode(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := checkName("name", &in.Name); err != nil {
		h.fail(w, r, err)
		return
	}
	g, err := h.store.CreateGroup(r.Context(), actor(r), in.Name, in.Description)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, g)
}

func (h *handler) updateGroup(w http.ResponseWriter, r *http.Request) {
	if !requireAdmin(w, r) {
		return
	}
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	var in store.GroupPatch
	if err := decode(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := checkName("name", in.Name); err != nil {
		h.fail(w, r, err)
		return
	}
	g, err := h.store.UpdateGroup(r.Context(), actor(r), id, in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, g)
}

func (h *handler) deleteGroup(w http.ResponseWriter, r *http.Request) {
	if !requireAdmin(w, r) {
		return
	}
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	h.noContent(w, r, h.store.DeleteGroup(r.Context(), actor(r), id))
}

func (h *handler) addGroupMember(w http.ResponseWriter, r *http.Request) {
	h.groupMember(w, r, h.store.AddGroupMember)
}

func (h *handler) removeGroupMember(w http.ResponseWriter, r *http.Request) {
	h.groupMember(w, r, h.store.RemoveGroupMember)
}

func (h *handler) groupMember(w http.ResponseWriter, r *http.Request, op func(context.Context, store.Actor, string, string) error) {
	if !requireAdmin(w, r) {
		return
	}
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	userID, ok := pathID(w, r, "userID")
	if !ok {
		return
	}
	h.noContent(w, r, op(r.Context(), actor(r), id, userID))
}

// noContent answers 204 on success.
func (h *handler) noContent(w http.ResponseWriter, r *http.Request, err error) {
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
