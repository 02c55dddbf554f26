package api

import (
	"errors"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/kontakt/kontakt/staffconsent"
)

// Consents signed in person (issue #5, part 4): staff upload the scanned signed form with
// the consent's particulars as multipart/form-data; users holding the scans permission
// download it again.

// scanFormOverhead is what an upload may hold besides its file: its other fields and the
// multipart framing.
const scanFormOverhead = staffconsent.FormOverhead

func (h *handler) scanMaxBytes() int64 {
	if h.opt.ScanMaxBytes > 0 {
		return h.opt.ScanMaxBytes
	}
	return staffconsent.DefaultMaxBytes
}

// isScanUpload reports a POST to /api/contacts/{id}/consents/signed, whose body limit is
// the scan's rather than MaxBodyBytes.
func isScanUpload(r *http.Request) bool {
	rest, ok := strings.CutPrefix(r.URL.Path, "/api/contacts/")
	return ok && r.Method == http.MethodPost && strings.Count(rest, "/") == 2 && strings.HasSuffix(rest, "/consents/signed")
}

// uploadError answers a refusal of package staffconsent as the API's error.
func uploadError(err error) error {
	var se *staffconsent.Error
	if errors.As(err, &se) {
		return &decodeError{se.Status, se.Msg, se.Field}
	}
	return err
}

// recordSignedConsent records a consent signed in person at a branch, with the scan of the
// signed form: POST /api/contacts/{id}/consents/signed as multipart/form-data. The scan's
// type is sniffed from its content (PDF, JPEG or PNG), its size is limited, and the
// virus-scan hook, when configured, must accept it; only then is anything stored.
func (h *handler) recordSignedConsent(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "multipart/form-data" {
		writeError(w, http.StatusUnsupportedMediaType, "send multipart/form-data", "")
		return
	}
	// Refuse those who may not record before reading what may be megabytes.
	if err := h.store.CheckConsentRecorder(r.Context(), actor(r), id); err != nil {
		h.fail(w, r, err)
		return
	}
	mr, err := r.MultipartReader()
	if err != nil {
		h.fail(w, r, uploadError(staffconsent.ErrMalformed))
		return
	}
	up, err := staffconsent.ReadUpload(mr, h.scanMaxBytes())
	if err != nil {
		h.fail(w, r, uploadError(err))
		return
	}
	rec, err := up.Record(id, time.Now())
	if err != nil {
		h.fail(w, r, uploadError(err))
		return
	}
	if err := h.scanHook().Check(r.Context(), id, up.Scan); err != nil {
		h.fail(w, r, uploadError(err))
		return
	}
	c, err := h.store.RecordSignedConsent(r.Context(), actor(r), rec)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, c)
}

// downloadScan sends a consent's scanned signed form (the latest, or ?scan_id=) to a user
// holding the scans permission who may see the contact's book; every download is audited
// before the first byte leaves. Everyone else gets 404.
func (h *handler) downloadScan(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	f, err := h.store.ConsentScan(r.Context(), actor(r), id, r.URL.Query().Get("scan_id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	staffconsent.WriteScan(w, f)
}
