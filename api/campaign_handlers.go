package api

import (
	"context"
	"net/http"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
	"github.com/kontakt/kontakt/workflows"
)

// CampaignLauncher starts the CampaignLaunch workflow of a committed launch and tells it
// of a committed cancellation (workflows.Campaigns); both are harmless twice. Nil without
// Temporal: the worker's reconciler starts launches then, and a launch finds a cancellation
// at its next step or check.
type CampaignLauncher interface {
	StartLaunch(ctx context.Context, campaignID string) error
	CancelLaunch(ctx context.Context, campaignID string) error
}

// withWorkflow names the campaign's workflow once it was launched.
func withWorkflow(c model.Campaign) model.Campaign {
	if c.LaunchedAt != nil {
		c.WorkflowID = workflows.CampaignLaunchID(c.ID)
	}
	return c
}

func (h *handler) listCampaigns(w http.ResponseWriter, r *http.Request) {
	cs, err := h.store.ListCampaigns(r.Context(), actor(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for i := range cs {
		cs[i] = withWorkflow(cs[i])
	}
	writeJSON(w, http.StatusOK, cs)
}

func (h *handler) createCampaign(w http.ResponseWriter, r *http.Request) {
	var in store.CampaignInput
	if err := decode(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	c, err := h.store.CreateCampaign(r.Context(), actor(r), in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, c)
}

func (h *handler) getCampaign(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	c, err := h.store.GetCampaign(r.Context(), actor(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, withWorkflow(c))
}

func (h *handler) updateCampaign(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	var in store.CampaignInput
	if err := decode(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	c, err := h.store.UpdateCampaign(r.Context(), actor(r), id, in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

// launchCampaign commits the launch of a draft campaign and answers 202; the CampaignLaunch
// workflow is started after the commit (or by the outbox reconciler).
func (h *handler) launchCampaign(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	c, err := h.store.LaunchCampaign(r.Context(), actor(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if h.campaigns != nil {
		h.followups.Go(func(ctx context.Context) error {
			if err := h.campaigns.StartLaunch(ctx, id); err != nil {
				return err
			}
			return h.store.MarkCampaignLaunchStarted(ctx, id)
		})
	}
	writeJSON(w, http.StatusAccepted, withWorkflow(c))
}

// cancelCampaign commits the cancellation (open tasks cancelled with it) and answers 202;
// the launch workflow is told after the commit and ends.
func (h *handler) cancelCampaign(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	c, err := h.store.CancelCampaign(r.Context(), actor(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if h.campaigns != nil && c.LaunchedAt != nil {
		h.followups.Go(func(ctx context.Context) error { return h.campaigns.CancelLaunch(ctx, id) })
	}
	writeJSON(w, http.StatusAccepted, withWorkflow(c))
}
