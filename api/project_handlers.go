package api

import (
	"net/http"

	"github.com/kontakt/kontakt/store"
)

// Projects: any user may create one (and leads it); its lead, members and organisation
// admins read it; the lead and admins change it, its members and its involved contacts.
// Everyone else gets 404 for it.

// projectMember is the body of PUT /api/projects/{id}/members/{userID}; an empty body is
// a member without project sync.
type projectMember struct {
	SyncMode *string `json:"sync_mode"`
}

func (h *handler) createProject(w http.ResponseWriter, r *http.Request) {
	var in store.ProjectInput
	if err := decode(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	p, err := h.store.CreateProject(r.Context(), actor(r), in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/projects/"+p.ID)
	writeJSON(w, http.StatusCreated, p)
}

func (h *handler) updateProject(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	var in store.ProjectInput
	if err := decode(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	p, err := h.store.UpdateProject(r.Context(), actor(r), id, in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (h *handler) putProjectMember(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	userID, ok := pathID(w, r, "userID")
	if !ok {
		return
	}
	var in projectMember
	if r.ContentLength != 0 {
		if err := decode(r, &in); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	h.noContent(w, r, h.store.PutProjectMember(r.Context(), actor(r), id, userID, in.SyncMode))
}

func (h *handler) putProjectContact(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	contactID, ok := pathID(w, r, "contactID")
	if !ok {
		return
	}
	var in store.ProjectContactInput
	if r.ContentLength != 0 {
		if err := decode(r, &in); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	h.noContent(w, r, h.store.PutProjectContact(r.Context(), actor(r), id, contactID, in))
}
