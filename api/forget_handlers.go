package api

import (
	"context"
	"net/http"

	"github.com/kontakt/kontakt/workflows"
)

// Forgetter starts the ForgetContact workflow of a committed erasure request
// (workflows.Forgetter); starting twice is harmless. Nil without Temporal: the worker's
// reconciler starts it then.
type Forgetter interface {
	StartForget(ctx context.Context, contactID string) error
}

type forgetRequest struct {
	LegalBasis string `json:"legal_basis"`
}

// forgetContact records a request to forget a contact and answers 202 with the erasure
// once it is committed; the ForgetContact workflow carries it out.
func (h *handler) forgetContact(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	var in forgetRequest
	if err := decode(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	e, err := h.store.RequestErasure(r.Context(), actor(r), id, in.LegalBasis)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.startForget(id)
	e.WorkflowID = workflows.ForgetContactID(id)
	writeJSON(w, http.StatusAccepted, e)
}

// startForget starts the erasure's workflow after the answer, as the outbox would.
func (h *handler) startForget(contactID string) {
	if h.forgetter == nil {
		return
	}
	h.followups.Go(func(ctx context.Context) error {
		if err := h.forgetter.StartForget(ctx, contactID); err != nil {
			return err
		}
		return h.store.MarkErasureStarted(ctx, contactID)
	})
}

func (h *handler) getErasure(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	e, err := h.store.GetErasure(r.Context(), actor(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	e.WorkflowID = workflows.ForgetContactID(id)
	writeJSON(w, http.StatusOK, e)
}

func (h *handler) listErasures(w http.ResponseWriter, r *http.Request) {
	es, err := h.store.ListErasures(r.Context(), actor(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for i := range es {
		es[i].WorkflowID = workflows.ForgetContactID(es[i].ContactID)
	}
	writeJSON(w, http.StatusOK, es)
}
