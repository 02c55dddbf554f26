// Package staffconsent holds the checks of consents that staff record outside a web form,
// shared by the JSON API (package api) and the staff web pages (package web) so that both
// channels accept exactly the same input: a consent given to staff or at a branch
// (Request), and a consent signed in person with the scan of the signed form (Upload): its
// multipart body read within limits, its content type sniffed from the bytes, and the
// optional virus-scan hook (Hook). Refusals are *Error (with the HTTP status that fits) or
// *model.FieldError; the store does the rest (store.RecordConsent, RecordSignedConsent).
package staffconsent

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// Error is a refused request that is not a plain bad field: a body too large (413), a scan
// of the wrong type (415), rejected by the virus scan (422) or that could not be scanned
// (503), or a malformed body (400). Field names the part at fault, if one is.
type Error struct {
	Status int
	Msg    string
	Field  string
}

func (e *Error) Error() string { return "staffconsent: " + e.Msg }

// ---- Consents given to staff or at a branch ----

// Request is a consent collected outside a web form, by staff or at a branch (the body of
// POST /api/contacts/{id}/consents). Times are RFC 3339, or a date (YYYY-MM-DD) meaning
// its midnight UTC.
type Request struct {
	PurposeID  string            `json:"purpose_id"`
	Source     string            `json:"source"`
	GivenAt    string            `json:"given_at"`
	ValidUntil *string           `json:"valid_until"`
	Evidence   map[string]string `json:"evidence"`
}

// Limits of the evidence staff add to a recorded consent: short facts such as the branch
// or the number of the signed form, not notes about the person.
const (
	MaxEvidenceKeys  = 10
	MaxEvidenceValue = 200
)

var evidenceKeyRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// ReservedEvidence are keys the store writes itself, and keys that would invite notes
// about the person (kept in notes, with their audience, not in consent evidence).
var ReservedEvidence = []string{"recorded_by", "wording_version", "wording_sha256", "scan_id", "scan_sha256",
	"note", "notes", "comment", "comments", "remark"}

// ParseTime reads an RFC 3339 time or a date.
func ParseTime(field, s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, &model.FieldError{Field: field, Msg: "an RFC 3339 time (2026-05-01T09:30:00+02:00) or a date (2026-05-01) is required"}
}

// Record checks the request and makes the store's record of it for the contact.
func (in Request) Record(contactID string, now time.Time) (store.ConsentRecord, error) {
	rec := store.ConsentRecord{ContactID: contactID, PurposeID: strings.TrimSpace(in.PurposeID), Evidence: map[string]any{}}
	if rec.PurposeID == "" {
		return rec, &model.FieldError{Field: "purpose_id", Msg: "the purpose is required"}
	}
	switch model.ConsentSource(in.Source) {
	case model.SourceStaff, model.SourceBranch:
		rec.Source = model.ConsentSource(in.Source)
	default:
		return rec, &model.FieldError{Field: "source", Msg: `must be "staff" or "branch"`}
	}
	var err error
	if rec.GivenAt, err = ParseTime("given_at", in.GivenAt); err != nil {
		return rec, err
	}
	if in.ValidUntil != nil {
		until, err := ParseTime("valid_until", *in.ValidUntil)
		if err != nil {
			return rec, err
		}
		if !until.After(now) {
			return rec, &model.FieldError{Field: "valid_until", Msg: "must be in the future"}
		}
		rec.ValidUntil = &until
	}
	if len(in.Evidence) > MaxEvidenceKeys {
		return rec, &model.FieldError{Field: "evidence", Msg: "at most 10 entries"}
	}
	for k, v := range in.Evidence {
		switch {
		case !evidenceKeyRE.MatchString(k):
			return rec, &model.FieldError{Field: "evidence", Msg: "keys are 1 to 40 characters a-z, 0-9 and _, starting with a letter"}
		case slices.Contains(ReservedEvidence, k):
			return rec, &model.FieldError{Field: "evidence", Msg: "key " + k + " is not allowed (Kontakt records it, or it belongs in a note)"}
		case strings.TrimSpace(v) == "" || utf8.RuneCountInString(v) > MaxEvidenceValue:
			return rec, &model.FieldError{Field: "evidence", Msg: "values are 1 to 200 characters"}
		}
		rec.Evidence[k] = strings.TrimSpace(v)
	}
	return rec, nil
}

// ---- Consents signed in person, with the scan ----

// DefaultMaxBytes is the scan size limit when none is configured.
const DefaultMaxBytes = 10 << 20

// FormOverhead is what a signed-consent upload may hold besides the scan: its other fields
// and the multipart framing. A body limit of the scan's limit plus FormOverhead fits.
const FormOverhead = 64 << 10

// MaxField bounds each text field of the upload.
const MaxField = 1024

// Fields are the text fields a signed-consent upload may carry besides the file "scan".
var Fields = []string{"purpose_id", "signed_on", "valid_until", "branch"}

// Upload is the parsed body of a signed-consent upload.
type Upload struct {
	Fields map[string]string
	Scan   []byte
}

// ReadUpload reads a multipart body: the known text fields (Fields and extra) once each,
// and the file "scan" up to max bytes. Any other part refuses the body.
func ReadUpload(mr *multipart.Reader, max int64, extra ...string) (Upload, error) {
	up := Upload{Fields: map[string]string{}}
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
			if up.Scan != nil {
				return up, &Error{http.StatusBadRequest, "send one scan", "scan"}
			}
			b, err := io.ReadAll(io.LimitReader(part, max+1))
			if err != nil {
				return up, multipartError(err)
			}
			if int64(len(b)) > max {
				return up, &Error{http.StatusRequestEntityTooLarge, fmt.Sprintf("scan larger than %d bytes", max), "scan"}
			}
			up.Scan = b
		case slices.Contains(Fields, name) || slices.Contains(extra, name):
			if _, dup := up.Fields[name]; dup {
				return up, &Error{http.StatusBadRequest, "send this field once", name}
			}
			b, err := io.ReadAll(io.LimitReader(part, MaxField+1))
			if err != nil {
				return up, multipartError(err)
			}
			if len(b) > MaxField {
				return up, &Error{http.StatusBadRequest, fmt.Sprintf("longer than %d bytes", MaxField), name}
			}
			up.Fields[name] = strings.TrimSpace(string(b))
		default:
			return up, &Error{http.StatusBadRequest, "unknown field", name}
		}
	}
	return up, nil
}

// ErrMalformed is a body that is not multipart/form-data as announced.
var ErrMalformed = &Error{http.StatusBadRequest, "malformed multipart body", ""}

// multipartError turns a failure to read the body into a 413 (over the limit) or a 400.
func multipartError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return &Error{http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", tooBig.Limit), ""}
	}
	return ErrMalformed
}

// Record checks the upload and makes the store's record of it for the contact: a branch
// consent given on signed_on (not in the future), valid through valid_until if given, with
// the branch and the sniffed scan.
func (up Upload) Record(contactID string, now time.Time) (store.ConsentRecord, error) {
	rec := store.ConsentRecord{ContactID: contactID, Source: model.SourceBranch, Evidence: map[string]any{}}
	rec.PurposeID = up.Fields["purpose_id"]
	if rec.PurposeID == "" {
		return rec, &model.FieldError{Field: "purpose_id", Msg: "required"}
	}
	signed, err := parseDay(up.Fields["signed_on"], "signed_on")
	if err != nil {
		return rec, err
	}
	if signed == nil {
		return rec, &model.FieldError{Field: "signed_on", Msg: "required: the date the form was signed (YYYY-MM-DD)"}
	}
	if signed.After(now) {
		return rec, &model.FieldError{Field: "signed_on", Msg: "must not be in the future"}
	}
	rec.GivenAt = *signed
	rec.Evidence["signed_on"] = up.Fields["signed_on"]
	until, err := parseDay(up.Fields["valid_until"], "valid_until")
	if err != nil {
		return rec, err
	}
	if until != nil {
		end := until.AddDate(0, 0, 1) // the consent holds through that day
		rec.ValidUntil = &end
	}
	if b := up.Fields["branch"]; b != "" {
		if utf8.RuneCountInString(b) > 200 || !printable(b) {
			return rec, &model.FieldError{Field: "branch", Msg: "up to 200 printable characters"}
		}
		rec.Evidence["branch"] = b
	}
	if len(up.Scan) == 0 {
		return rec, &model.FieldError{Field: "scan", Msg: "required: the scanned signed form (PDF, JPEG or PNG)"}
	}
	ct := Sniff(up.Scan)
	if ct == "" {
		return rec, &Error{http.StatusUnsupportedMediaType, "the scan must be a PDF, JPEG or PNG", "scan"}
	}
	rec.Scan = &store.Scan{ContentType: ct, Data: up.Scan}
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

// Sniff returns the content type of a scan from its first bytes (the formats' magic
// numbers, whatever the client claimed), or "" when it is none of PDF, JPEG and PNG.
func Sniff(b []byte) string {
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

// Extensions name downloaded scans by their content type.
var Extensions = map[string]string{"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}

// WriteScan sends a scan (already audited by store.ConsentScan) as a download that no
// browser renders or sniffs, with its SHA-256 (RFC 9530 Repr-Digest).
func WriteScan(w http.ResponseWriter, f store.ScanFile) {
	sum := sha256.Sum256(f.Data)
	hd := w.Header()
	hd.Set("Content-Type", f.ContentType)
	hd.Set("Content-Length", strconv.Itoa(len(f.Data)))
	hd.Set("Content-Disposition", mime.FormatMediaType("attachment",
		map[string]string{"filename": "consent-" + f.ConsentID + "-scan." + Extensions[f.ContentType]}))
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	hd.Set("Repr-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(sum[:])+":")
	w.WriteHeader(http.StatusOK)
	w.Write(f.Data) //nolint:errcheck // the client went away
}
