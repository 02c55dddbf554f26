package web

// Exports for newsletter tools (issue #8, work screens): the user picks books (and, as
// the API allows, tags, contact types, organisations), a consent purpose and the tool's
// format; store.CreateExport writes the CSV of the contacts the user sees that hold an
// active consent for the purpose, audited, exactly as the API does. The download link's
// token, which the store keeps only as a hash, goes to the creating browser as an HttpOnly
// cookie limited to /exports, so it never shows in a URL, a history or a log; the list
// offers the download where that browser holds it. Downloads are audited by the store.

import (
	"errors"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// defaultExportTTL is how long a download lives when Deps.ExportTTL is 0 (the API's).
const defaultExportTTL = 24 * time.Hour

// exportCookiePrefix names the cookie that holds an export's download token.
const exportCookiePrefix = "kontakt_export_"

func (h *handler) mountExports(r chi.Router) {
	r.Get("/exports", h.exportsPage)
	r.Post("/exports", h.createExport)
	r.Get("/exports/{id}/download", h.downloadExport)
}

func (h *handler) exportTTL() time.Duration {
	if h.files.exportTTL > 0 {
		return h.files.exportTTL
	}
	return defaultExportTTL
}

// exportForm is the export form as entered.
type exportForm struct {
	Filter    filterForm
	PurposeID string
	Format    string
}

type exportRow struct {
	store.Export
	PurposeName  string
	BookNames    []string
	Downloadable bool // available, and this browser holds its token
}

type exportsData struct {
	Form     exportForm
	Options  filterOptions
	Purposes []model.Purpose
	Formats  []string
	Exports  []exportRow
	Created  string // the id of the export just created
	Error    string
}

func (h *handler) exportsPage(w http.ResponseWriter, r *http.Request) {
	h.showExports(w, r, http.StatusOK, exportsData{Form: exportForm{Format: store.ExportListmonk}, Created: r.URL.Query().Get("created")})
}

func (h *handler) showExports(w http.ResponseWriter, r *http.Request, status int, d exportsData) {
	var err error
	if d.Options, err = h.filterChoices(r, d.Form.Filter); err != nil {
		h.serverError(w, r, err)
		return
	}
	if d.Purposes, err = h.store.ListPurposes(r.Context()); err != nil {
		h.serverError(w, r, err)
		return
	}
	list, err := h.store.ListExports(r.Context(), actor(r))
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	purposes := map[string]string{}
	for _, p := range d.Purposes {
		purposes[p.ID] = p.Name
	}
	books := map[string]string{}
	for _, b := range d.Options.Books {
		books[b.ID] = b.Name
	}
	for _, e := range list {
		row := exportRow{Export: e, PurposeName: purposes[e.PurposeID]}
		for _, id := range e.Filter.BookIDs {
			if n := books[id]; n != "" {
				row.BookNames = append(row.BookNames, n)
			}
		}
		if c, err := r.Cookie(exportCookiePrefix + e.ID); err == nil && c.Value != "" {
			row.Downloadable = e.Available
		}
		d.Exports = append(d.Exports, row)
	}
	d.Formats = []string{store.ExportListmonk, store.ExportMailchimp}
	h.render(w, r, status, "exp_exports.html", h.newPage(r, "exp.title", d))
}

// createExport builds the file and gives this browser its download token.
func (h *handler) createExport(w http.ResponseWriter, r *http.Request) {
	if !h.checkForm(w, r) {
		return
	}
	f := exportForm{Filter: readFilter(r), PurposeID: r.PostFormValue("purpose_id"), Format: r.PostFormValue("format")}
	again := func(status int, msg string) { h.showExports(w, r, status, exportsData{Form: f, Error: msg}) }
	if f.PurposeID == "" {
		again(http.StatusBadRequest, h.newPage(r, "app", nil).T("exp.nopurpose"))
		return
	}
	req := store.ExportRequest{Filter: store.ExportFilter{BookIDs: f.Filter.BookIDs, Tags: f.Filter.Tags, Types: f.Filter.Types,
		OrganisationIDs: f.Filter.OrganisationIDs}, PurposeID: f.PurposeID, Format: f.Format}
	exp, token, err := h.store.CreateExport(r.Context(), actor(r), req, h.exportTTL())
	if err != nil {
		h.failForm(w, r, err, again)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: exportCookiePrefix + exp.ID, Value: token, Path: "/exports", Expires: exp.ExpiresAt,
		HttpOnly: true, Secure: h.sessions.Options().CookieSecure, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/exports?created="+exp.ID+"#export-"+exp.ID, http.StatusSeeOther)
}

// downloadExport serves the CSV to its creator in the browser that holds its token; 404
// for anyone else's, or without the token, and 410 once expired.
func (h *handler) downloadExport(w http.ResponseWriter, r *http.Request) {
	id, ok := h.pathID(w, r)
	if !ok {
		return
	}
	token := ""
	if c, err := r.Cookie(exportCookiePrefix + id); err == nil {
		token = c.Value
	}
	exp, data, err := h.store.DownloadExport(r.Context(), actor(r), id, token)
	if errors.Is(err, store.ErrGone) {
		h.errorPage(w, r, http.StatusGone, "exp.gone")
		return
	}
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": store.ExportFileName(exp)}))
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Header().Set("X-Content-SHA256", exp.SHA256)
	w.WriteHeader(http.StatusOK)
	w.Write(data) //nolint:errcheck // the client went away
}
