package web

// Event documents: upload (the API's limits and sniffing, package eventdoc), list, download
// and delete the documents of an event the user sees (organisation admins, its owner and
// its staff; the store's rule, as for /api/events/{id}/documents). An event the user may
// not see has no documents for them: 404.

import (
	"errors"
	"mime"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/kontakt/kontakt/eventdoc"
	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// mountEventDocs routes the event document pages (from mountGrants).
func (h *handler) mountEventDocs(r chi.Router) {
	r.Get("/events/{id}/documents", h.evdocPage)
	r.Post("/events/{id}/documents", h.evdocUpload)
	r.Get("/events/{id}/documents/{doc}", h.evdocDownload)
	r.Post("/events/{id}/documents/{doc}/delete", h.evdocDelete)
}

type evdocRow struct {
	model.EventDocument
	By string // the uploader's name
}

type evdocData struct {
	Event model.Event
	Docs  []evdocRow
	Max   int
	Error string
}

func (h *handler) evdocPage(w http.ResponseWriter, r *http.Request) {
	if e, ok := h.evtEvent(w, r); ok {
		h.evdocShow(w, r, http.StatusOK, e, "")
	}
}

func (h *handler) evdocShow(w http.ResponseWriter, r *http.Request, status int, e model.Event, msg string) {
	docs, err := h.store.ListEventDocuments(r.Context(), actor(r), e.ID)
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	users, err := h.store.ListUsers(r.Context())
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	names := map[string]string{}
	for _, u := range users {
		names[u.ID] = u.Name
	}
	d := evdocData{Event: e, Max: eventdoc.MaxBytes, Error: msg}
	for _, doc := range docs {
		row := evdocRow{EventDocument: doc}
		if doc.UploadedBy != nil {
			row.By = names[*doc.UploadedBy]
		}
		d.Docs = append(d.Docs, row)
	}
	p := h.newPage(r, "evdoc.title", d)
	p.Title = p.T("evdoc.title") + ": " + e.Name
	h.render(w, r, status, "evdoc_list.html", p)
}

// evdocUpload stores the file of the upload form. The CSRF token is a field before the
// file (the form puts it first); the body is read within the API's limit.
func (h *handler) evdocUpload(w http.ResponseWriter, r *http.Request) {
	e, ok := h.evtEvent(w, r)
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, eventdoc.MaxBytes+eventdoc.FormOverhead)
	up, err := eventdoc.Read(r, "csrf")
	if errors.Is(err, eventdoc.ErrNotMultipart) {
		if h.checkForm(w, r) {
			h.evdocShow(w, r, err.(*eventdoc.Error).Status, e, h.newPage(r, "app", nil).T("evdoc.err.multipart"))
		}
		return
	}
	if !validCSRFValue(r, up.Fields["csrf"]) {
		h.errorPage(w, r, http.StatusForbidden, "err.forbidden")
		return
	}
	pg := h.newPage(r, "app", nil)
	var ee *eventdoc.Error
	if errors.As(err, &ee) {
		key := map[*eventdoc.Error]string{eventdoc.ErrNoFile: "evdoc.err.nofile", eventdoc.ErrTooLarge: "evdoc.err.toolarge"}[ee]
		if key == "" {
			key = "evdoc.err.malformed"
		}
		h.evdocShow(w, r, ee.Status, e, pg.T(key))
		return
	}
	if up.Name == "" && len(up.Data) == 0 { // the form sent without a file chosen
		h.evdocShow(w, r, http.StatusBadRequest, e, pg.T("evdoc.err.nofile"))
		return
	}
	_, err = h.store.AddEventDocument(r.Context(), actor(r), e.ID, up.Name, up.ContentType, up.Data)
	var fe *model.FieldError
	switch {
	case errors.As(err, &fe):
		key := "evdoc.err.type"
		if fe.Field == "name" {
			key = "evdoc.err.name"
		} else if len(up.Data) == 0 {
			key = "evdoc.err.empty"
		}
		h.evdocShow(w, r, http.StatusBadRequest, e, pg.T(key))
		return
	case err != nil:
		h.storeError(w, r, err)
		return
	}
	http.Redirect(w, r, "/events/"+e.ID+"/documents", http.StatusSeeOther)
}

// evdocDownload sends a document as an attachment with its sniffed type, as the API does;
// no browser renders or sniffs it in the app's origin.
func (h *handler) evdocDownload(w http.ResponseWriter, r *http.Request) {
	id, ok := h.pathID(w, r)
	if !ok {
		return
	}
	d, data, err := h.store.EventDocument(r.Context(), actor(r), id, chi.URLParam(r, "doc"))
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", d.ContentType)
	hd.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": d.Name}))
	hd.Set("Content-Length", strconv.Itoa(len(data)))
	hd.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	w.WriteHeader(http.StatusOK)
	w.Write(data) //nolint:errcheck // the client went away
}

func (h *handler) evdocDelete(w http.ResponseWriter, r *http.Request) {
	e, ok := h.evtEvent(w, r)
	if !ok || !h.checkForm(w, r) {
		return
	}
	doc := chi.URLParam(r, "doc")
	if !store.ValidID(doc) {
		h.notFound(w, r)
		return
	}
	if err := h.store.DeleteEventDocument(r.Context(), actor(r), e.ID, doc); err != nil {
		h.storeError(w, r, err)
		return
	}
	http.Redirect(w, r, "/events/"+e.ID+"/documents", http.StatusSeeOther)
}
