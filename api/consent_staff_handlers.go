package api

import (
	"context"
	"net/http"
	"time"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/staffconsent"
	"github.com/kontakt/kontakt/workflows"
)

// Lifecycle tells a consent's ConsentLifecycle workflow that the consent changed, starting
// it if needed (workflows.LifecycleTeller); nil leaves the telling to the lifecycle outbox.
type Lifecycle interface {
	TellLifecycle(ctx context.Context, consentID string) error
}

// recordConsent records a consent collected outside a web form (staff, branch) and answers
// 201 with it. Editors of the contact's book may, also while the contact is hidden for
// lacking exactly this consent.
func (h *handler) recordConsent(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	var in staffconsent.Request
	if err := decode(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	rec, err := in.Record(id, time.Now())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	consentID, err := h.store.RecordConsent(r.Context(), actor(r), rec)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.tellLifecycle(consentID)
	c, err := h.store.GetConsent(r.Context(), actor(r), consentID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, withWorkflowIDs(c))
}

// getConsent shows one consent with its history and workflows; the book's editors see it
// also while its contact is hidden, which is how they learn why.
func (h *handler) getConsent(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	c, err := h.store.GetConsent(r.Context(), actor(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, withWorkflowIDs(c))
}

// revokeConsent marks a consent revoked on the person's behalf, with the reason given.
func (h *handler) revokeConsent(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	var in struct {
		Reason string `json:"reason"`
	}
	if err := decode(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	c, err := h.store.RevokeConsent(r.Context(), actor(r), id, in.Reason)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.tellLifecycle(c.ID)
	writeJSON(w, http.StatusOK, withWorkflowIDs(c))
}

// tellLifecycle tells the consent's lifecycle workflow of a committed change, after the
// answer, best effort: the lifecycle outbox tells it otherwise.
func (h *handler) tellLifecycle(consentID string) {
	if h.lifecycle == nil {
		return
	}
	h.followups.Go(func(ctx context.Context) error { return h.lifecycle.TellLifecycle(ctx, consentID) })
}

// withWorkflowIDs names the Temporal workflows behind a consent: the verification of the
// request it came from, and its lifecycle once it was ever active.
func withWorkflowIDs(c model.Consent) model.Consent {
	if c.RequestID != nil {
		c.WorkflowID = workflows.ConsentVerificationID(*c.RequestID)
	}
	if c.ConfirmedAt != nil {
		c.LifecycleWorkflowID = workflows.ConsentLifecycleID(c.ID)
	}
	return c
}
