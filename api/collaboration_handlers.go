package api

import (
	"encoding/csv"
	"net/http"
	"strconv"

	"github.com/kontakt/kontakt/model"
)

// Collaboration records of a project's involved contacts, a contact's collaboration
// summary and the supplier quality report. What a caller may see of them is decided by the
// store's policy; the rest is absent (404, or left out of lists, summaries and reports).

// collaborationCreate is the body of POST /api/projects/{id}/collaboration.
type collaborationCreate struct {
	ContactID     string  `json:"contact_id"`
	Delivered     string  `json:"delivered"`
	PeriodFrom    *string `json:"period_from"`
	PeriodTo      *string `json:"period_to"`
	Quality       *int    `json:"quality"`
	Timeliness    *int    `json:"timeliness"`
	Communication *int    `json:"communication"`
	Comment       string  `json:"comment"`
}

func (h *handler) createCollaboration(w http.ResponseWriter, r *http.Request) {
	projectID, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	var in collaborationCreate
	if err := decode(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	rec, err := h.store.CreateCollaboration(r.Context(), actor(r), model.CollaborationRecord{
		ProjectID: projectID, ContactID: in.ContactID, Delivered: in.Delivered, PeriodFrom: in.PeriodFrom, PeriodTo: in.PeriodTo,
		Quality: in.Quality, Timeliness: in.Timeliness, Communication: in.Communication, Comment: in.Comment,
	})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/collaboration/"+rec.ID)
	writeJSON(w, http.StatusCreated, rec)
}

func (h *handler) updateCollaboration(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	var in model.CollaborationPatch
	if err := decode(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	rec, err := h.store.UpdateCollaboration(r.Context(), actor(r), id, in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rec)
}

func (h *handler) deleteCollaboration(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	h.noContent(w, r, h.store.DeleteCollaboration(r.Context(), actor(r), id))
}

// supplierQualityHeader names the columns of the supplier quality report.
var supplierQualityHeader = []string{"organisation_id", "organisation", "type", "records", "own_records", "person_records",
	"projects", "last", "quality_avg", "quality_n", "timeliness_avg", "timeliness_n", "communication_avg", "communication_n"}

// supplierQuality answers the supplier quality report as CSV (RFC 4180, UTF-8 with a byte
// order mark so spreadsheets read the diacritics): one row per organisation the caller sees
// with collaboration records they may see, on it or on persons related to it.
func (h *handler) supplierQuality(w http.ResponseWriter, r *http.Request) {
	rows, err := h.store.SupplierQuality(r.Context(), actor(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="supplier-quality.csv"`)
	w.WriteHeader(http.StatusOK)
	w.Write([]byte("\uFEFF")) //nolint:errcheck // the client went away
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	cw.Write(supplierQualityHeader) //nolint:errcheck
	for _, q := range rows {
		rec := []string{q.OrganisationID, q.Name, string(q.Type), strconv.Itoa(q.Records), strconv.Itoa(q.OwnRecords),
			strconv.Itoa(q.PersonRecords), strconv.Itoa(q.Projects), q.Last}
		for _, rt := range []model.Rating{q.Quality, q.Timeliness, q.Communication} {
			rec = append(rec, formatAverage(rt.Average), strconv.Itoa(rt.Count))
		}
		cw.Write(csvSafe(rec)) //nolint:errcheck
	}
	cw.Flush()
}

// formatAverage writes an average with two decimals and a point, "" for none.
func formatAverage(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', 2, 64)
}

// csvSafe defuses formula injection in a CSV record (model.DefuseCSV, shared with exports).
func csvSafe(rec []string) []string { return model.DefuseCSV(rec) }
