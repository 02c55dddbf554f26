package api

import (
	"net/http"

	"github.com/kontakt/kontakt/model"
)

// Meetings of a project. A meeting the caller is not in the audience of answers 404 and is
// left out of every list, as if it did not exist.

func (h *handler) createMeeting(w http.ResponseWriter, r *http.Request) {
	projectID, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	var in model.MeetingInput
	if err := decode(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	m, err := h.store.CreateMeeting(r.Context(), actor(r), projectID, in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/meetings/"+m.ID)
	writeJSON(w, http.StatusCreated, m)
}

func (h *handler) updateMeeting(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	var in model.MeetingPatch
	if err := decode(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	m, err := h.store.UpdateMeeting(r.Context(), actor(r), id, in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, m)
}

func (h *handler) deleteMeeting(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	h.noContent(w, r, h.store.DeleteMeeting(r.Context(), actor(r), id))
}
