package api

import (
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/kontakt/kontakt/store"
)

// defaultExportTTL is how long a download link lives when Options.ExportTTL is 0.
const defaultExportTTL = 24 * time.Hour

// exportCreated is the answer to a new export: the record and where to fetch the file,
// once or more, until it expires.
type exportCreated struct {
	store.Export
	DownloadURL string `json:"download_url"`
}

// createExport builds a newsletter export: POST /api/exports.
func (h *handler) createExport(w http.ResponseWriter, r *http.Request) {
	var req store.ExportRequest
	if err := decode(r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	ttl := h.opt.ExportTTL
	if ttl <= 0 {
		ttl = defaultExportTTL
	}
	exp, token, err := h.store.CreateExport(r.Context(), actor(r), req, ttl)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, exportCreated{Export: exp,
		DownloadURL: "/api/exports/" + exp.ID + "/download?token=" + url.QueryEscape(token)})
}

// listExports lists the caller's exports: GET /api/exports.
func (h *handler) listExports(w http.ResponseWriter, r *http.Request) {
	list, err := h.store.ListExports(r.Context(), actor(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if list == nil {
		list = []store.Export{}
	}
	writeJSON(w, http.StatusOK, list)
}

// downloadExport serves an export's CSV to its creator with its token: GET
// /api/exports/{id}/download?token=…; 410 once the link has expired or the file is gone.
func (h *handler) downloadExport(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	exp, data, err := h.store.DownloadExport(r.Context(), actor(r), id, r.URL.Query().Get("token"))
	if errors.Is(err, store.ErrGone) {
		writeError(w, http.StatusGone, "this export's download link has expired", "")
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": store.ExportFileName(exp)}))
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Header().Set("X-Content-SHA256", exp.SHA256)
	w.WriteHeader(http.StatusOK)
	w.Write(data) //nolint:errcheck // the client went away
}
