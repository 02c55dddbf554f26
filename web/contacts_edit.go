package web

import "github.com/go-chi/chi/v5"

// mountContacts routes this room's pages (nothing yet).
func (h *handler) mountContacts(r chi.Router) {}

// contactMessages are this room's strings: Contact editing, notes, relations and the user's own settings (contacts_edit.go, me.go).
func contactMessages() catalogue { return catalogue{"en": {}, "cs": {}} }
