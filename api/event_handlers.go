package api

import (
	"errors"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/kontakt/kontakt/eventdoc"
	"github.com/kontakt/kontakt/model"
)

func (h *handler) createEvent(w http.ResponseWriter, r *http.Request) {
	var in model.EventInput
	if err := decode(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	e, err := h.store.CreateEvent(r.Context(), actor(r), in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, e)
}

func (h *handler) updateEvent(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	var in model.EventInput
	if err := decode(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	e, err := h.store.UpdateEvent(r.Context(), actor(r), id, in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, e)
}

func (h *handler) deleteEvent(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	h.noContent(w, r, h.store.DeleteEvent(r.Context(), actor(r), id))
}

func (h *handler) putInvitation(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	contactID, ok := pathID(w, r, "contactID")
	if !ok {
		return
	}
	inv, err := h.store.PutInvitation(r.Context(), actor(r), id, contactID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, inv)
}

// invitationStatus is the body of PATCH /api/events/{id}/invitations/{contactID}.
type invitationStatus struct {
	Status model.InvitationStatus `json:"status"`
}

func (h *handler) patchInvitation(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	contactID, ok := pathID(w, r, "contactID")
	if !ok {
		return
	}
	var in invitationStatus
	if err := decode(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	inv, err := h.store.SetInvitationStatus(r.Context(), actor(r), id, contactID, in.Status)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, inv)
}

// isDocumentUpload reports whether r uploads an event document, whose body may be larger
// than MaxBodyBytes.
func isDocumentUpload(r *http.Request) bool {
	rest, ok := strings.CutPrefix(r.URL.Path, "/api/events/")
	return ok && r.Method == http.MethodPost && strings.Count(rest, "/") == 1 && strings.HasSuffix(rest, "/documents")
}

// uploadEventDocument stores the part "file" of a multipart/form-data upload (at most
// eventdoc.MaxBytes) as a document of the event; its content type is sniffed from its
// bytes, never taken from the upload, and must be one the store accepts. The web pages
// read uploads through the same package.
func (h *handler) uploadEventDocument(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	up, err := eventdoc.Read(r)
	var ee *eventdoc.Error
	if errors.As(err, &ee) {
		writeError(w, ee.Status, ee.Msg, ee.Field)
		return
	}
	d, err := h.store.AddEventDocument(r.Context(), actor(r), id, up.Name, up.ContentType, up.Data)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, d)
}

// downloadEventDocument serves a document's bytes as an attachment with its sniffed type.
func (h *handler) downloadEventDocument(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	docID, ok := pathID(w, r, "docID")
	if !ok {
		return
	}
	d, data, err := h.store.EventDocument(r.Context(), actor(r), id, docID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", d.ContentType)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": d.Name}))
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Write(data) //nolint:errcheck // the client went away
}
