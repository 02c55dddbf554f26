package web

import "github.com/go-chi/chi/v5"

// mountGdprs routes this room's pages (nothing yet).
func (h *handler) mountGdprs(r chi.Router) {}

// gdprMessages are this room's strings: Forms, purposes, consents with evidence and scans, books and custom fields (admin_gdpr.go).
func gdprMessages() catalogue { return catalogue{"en": {}, "cs": {}} }
