package web

import "github.com/go-chi/chi/v5"

// mountProjects routes this room's pages (nothing yet).
func (h *handler) mountProjects(r chi.Router) {}

// projectMessages are this room's strings: Creating tasks, projects, meetings, ratings and events (projects_edit.go, events.go).
func projectMessages() catalogue { return catalogue{"en": {}, "cs": {}} }
