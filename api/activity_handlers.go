package api

import (
	"net/http"
	"time"

	"github.com/kontakt/kontakt/model"
)

// activityCreate is the body of POST /api/contacts/{id}/activities.
type activityCreate struct {
	Type            model.ActivityType `json:"type"`
	OccurredAt      time.Time          `json:"occurred_at"`
	DurationMinutes *int               `json:"duration_minutes"`
	Outcome         string             `json:"outcome"`
	Body            string             `json:"body"`
	Participants    []string           `json:"participants"`
	Audience        model.AudienceKind `json:"audience"`
	Users           []string           `json:"users"`
	Groups          []string           `json:"groups"`
}

// createActivity records an activity on the contact {id}: any reader of the contact may;
// the audience (default: who sees the contact) decides who else sees it.
func (h *handler) createActivity(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	var in activityCreate
	if err := decode(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	a, err := h.store.CreateActivity(r.Context(), actor(r), model.Activity{ContactID: id, Type: in.Type,
		OccurredAt: in.OccurredAt, DurationMinutes: in.DurationMinutes, Outcome: in.Outcome, Body: in.Body,
		Participants: in.Participants, Audience: in.Audience, Users: in.Users, Groups: in.Groups})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, a)
}

func (h *handler) updateActivity(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	var in model.ActivityPatch
	if err := decode(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	a, err := h.store.UpdateActivity(r.Context(), actor(r), id, in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

func (h *handler) deleteActivity(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	h.noContent(w, r, h.store.DeleteActivity(r.Context(), actor(r), id))
}
