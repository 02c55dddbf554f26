package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// Consents signed in person (issue #5, part 4): staff upload the scanned signed form with
// the consent's particulars as multipart/form-data; users holding the scans permission
// download it again.

// defaultScanMaxBytes is the scan size limit when Options.ScanMaxBytes is not set.
const defaultScanMaxBytes = 10 << 20

// scanFormOverhead is what a signed-consent upload may hold besides the scan: its other
// fields and the multipart framing.
const scanFormOverhead = 64 << 10

// maxScanField bounds each text field of the upload.
const maxScanField = 1024

func (h *handler) scanMaxBytes() int64 {
	if h.opt.ScanMaxBytes > 0 {
		return h.opt.ScanMaxBytes
	}
	return defaultScanMaxBytes
}

// isScanUpload reports a POST to /api/contacts/{id}/consents/signed, whose body limit is
// the scan's rather than MaxBodyBytes.
func isScanUpload(r *http.Request) bool {
	rest, ok := strings.CutPrefix(r.URL.Path, "/api/contacts/")
	return ok && r.Method == http.MethodPost && strings.Count(rest, "/") == 2 && strings.HasSuffix(rest, "/consents/signed")
}

// signedUpload is the parsed form of a signed-consent upload.
type signedUpload struct {
	fields map[string]string
	scan   []byte
}

// scanFields are the text fields a signed-consent upload may carry besides the file scan.
var scanFields = []string{"purpose_id", "signed_on", "valid_until", "branch"}

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
	up, err := h.readSignedUpload(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	rec, err := up.record(id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.virusScan(r, id, up.scan); err != nil {
		h.fail(w, r, err)
		return
	}
	c, err := h.store.RecordSignedConsent(r.Context(), actor(r), rec)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, c)
}

// readSignedUpload reads the multipart body: the known text fields once each, and the file
// scan up to the size limit.
func (h *handler) readSignedUpload(r *http.Request) (signedUpload, error) {
	up := signedUpload{fields: map[string]string{}}
	mr, err := r.MultipartReader()
	if err != nil {
		return up, &decodeError{http.StatusBadRequest, "malformed multipart body", ""}
	}
	max := h.scanMaxBytes()
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return up, multipartError(err)
		}
		name := part.FormName()
		switch {
		case name == "scan":
			if up.scan != nil {
				return up, &decodeError{http.StatusBadRequest, "send one scan", "scan"}
			}
			b, err := io.ReadAll(io.LimitReader(part, max+1))
			if err != nil {
				return up, multipartError(err)
			}
			if int64(len(b)) > max {
				return up, &decodeError{http.StatusRequestEntityTooLarge, fmt.Sprintf("scan larger than %d bytes", max), "scan"}
			}
			up.scan = b
		case slices.Contains(scanFields, name):
			if _, dup := up.fields[name]; dup {
				return up, &decodeError{http.StatusBadRequest, "send this field once", name}
			}
			b, err := io.ReadAll(io.LimitReader(part, maxScanField+1))
			if err != nil {
				return up, multipartError(err)
			}
			if len(b) > maxScanField {
				return up, &decodeError{http.StatusBadRequest, fmt.Sprintf("longer than %d bytes", maxScanField), name}
			}
			up.fields[name] = strings.TrimSpace(string(b))
		default:
			return up, &decodeError{http.StatusBadRequest, "unknown field", name}
		}
	}
	return up, nil
}

// multipartError turns a failure to read the body into a 413 (over the limit) or a 400.
func multipartError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return &decodeError{http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", tooBig.Limit), ""}
	}
	return &decodeError{http.StatusBadRequest, "malformed multipart body", ""}
}

// record validates the upload and makes the store's record of it.
func (up signedUpload) record(contactID string) (store.ConsentRecord, error) {
	rec := store.ConsentRecord{ContactID: contactID, Source: model.SourceBranch, Evidence: map[string]any{}}
	rec.PurposeID = up.fields["purpose_id"]
	if rec.PurposeID == "" {
		return rec, &model.FieldError{Field: "purpose_id", Msg: "required"}
	}
	signed, err := parseDay(up.fields["signed_on"], "signed_on")
	if err != nil {
		return rec, err
	}
	if signed == nil {
		return rec, &model.FieldError{Field: "signed_on", Msg: "required: the date the form was signed (YYYY-MM-DD)"}
	}
	if signed.After(time.Now()) {
		return rec, &model.FieldError{Field: "signed_on", Msg: "must not be in the future"}
	}
	rec.GivenAt = *signed
	rec.Evidence["signed_on"] = up.fields["signed_on"]
	until, err := parseDay(up.fields["valid_until"], "valid_until")
	if err != nil {
		return rec, err
	}
	if until != nil {
		end := until.AddDate(0, 0, 1) // the consent holds through that day
		rec.ValidUntil = &end
	}
	if b := up.fields["branch"]; b != "" {
		if utf8.RuneCountInString(b) > 200 || !printable(b) {
			return rec, &model.FieldError{Field: "branch", Msg: "up to 200 printable characters"}
		}
		rec.Evidence["branch"] = b
	}
	if len(up.scan) == 0 {
		return rec, &model.FieldError{Field: "scan", Msg: "required: the scanned signed form (PDF, JPEG or PNG)"}
	}
	ct := sniffScan(up.scan)
	if ct == "" {
		return rec, &decodeError{http.StatusUnsupportedMediaType, "the scan must be a PDF, JPEG or PNG", "scan"}
	}
	rec.Scan = &store.Scan{ContentType: ct, Data: up.scan}
	return rec, nil
}

// parseDay reads an optional YYYY-MM-DD date as midnight UTC; nil when empty.
func parseDay(s, field string) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return nil, &model.FieldError{Field: field, Msg: "must be a date (YYYY-MM-DD)"}
	}
	return &d, nil
}

// printable reports valid UTF-8 without control characters.
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// sniffScan returns the content type of a scan from its first bytes (the formats' magic
// numbers, whatever the client claimed), or "" when it is none of PDF, JPEG and PNG.
func sniffScan(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("%PDF-")):
		return "application/pdf"
	case bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}):
		return "image/jpeg"
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
	}
	return ""
}

// scanExtensions name downloaded scans.
var scanExtensions = map[string]string{"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}

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
	sum := sha256.Sum256(f.Data)
	hd := w.Header()
	hd.Set("Content-Type", f.ContentType)
	hd.Set("Content-Length", strconv.Itoa(len(f.Data)))
	hd.Set("Content-Disposition", mime.FormatMediaType("attachment",
		map[string]string{"filename": "consent-" + f.ConsentID + "-scan." + scanExtensions[f.ContentType]}))
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	hd.Set("Repr-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(sum[:])+":") // RFC 9530
	w.WriteHeader(http.StatusOK)
	w.Write(f.Data) //nolint:errcheck // the client went away
}
