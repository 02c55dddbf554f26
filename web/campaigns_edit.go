package web

import "github.com/go-chi/chi/v5"

// mountCampaigns routes this room's pages (nothing yet).
func (h *handler) mountCampaigns(r chi.Router) {}

// campaignMessages are this room's strings: Defining campaigns, imports and exports (campaigns_edit.go, imports.go, exports.go).
func campaignMessages() catalogue { return catalogue{"en": {}, "cs": {}} }
