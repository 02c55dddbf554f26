package api

import (
	"context"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
	"github.com/kontakt/kontakt/workflows"
)

// Lifecycle tells a consent's ConsentLifecycle workflow that the consent changed, starting
// it if needed (workflows.LifecycleTeller); nil leaves the telling to the lifecycle outbox.
type Lifecycle interface {
	TellLifecycle(ctx context.Context, consentID string) error
}

// consentRecordRequest is the body of POST /api/contacts/{id}/consents: a consent collected
// outside a web form, by staff or at a branch. Times are RFC 3339, or a date (YYYY-MM-DD)
// meaning its midnight UTC.
type consentRecordRequest struct {
	PurposeID  string            `json:"purpose_id"`
	Source     string            `json:"source"`
	GivenAt    string            `json:"given_at"`
	ValidUntil *string           `json:"valid_until"`
	Evidence   map[string]string `json:"evidence"`
}

// Limits of the evidence staff add to a recorded consent: short facts such as the branch
// or the number of the signed form, not notes about the person.
const (
	maxEvidenceKeys  = 10
	maxEvidenceValue = 200
)

var evidenceKeyRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// reservedEvidence are keys the store writes itself, and keys that would invite notes
// about the person (kept in notes, with their audience, not in consent evidence).
var reservedEvidence = []string{"recorded_by", "wording_version", "wording_sha256", "scan_id", "scan_sha256",
	"note", "notes", "comment", "comments", "remark"}

// parseAPITime reads an RFC 3339 time or a date.
func parseAPITime(field, s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, &model.FieldError{Field: field, Msg: "an RFC 3339 time (2026-05-01T09:30:00+02:00) or a date (2026-05-01) is required"}
}

func (in consentRecordRequest) record(contactID string, now time.Time) (store.ConsentRecord, error) {
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
	if rec.GivenAt, err = parseAPITime("given_at", in.GivenAt); err != nil {
		return rec, err
	}
	if in.ValidUntil != nil {
		until, err := parseAPITime("valid_until", *in.ValidUntil)
		if err != nil {
			return rec, err
		}
		if !until.After(now) {
			return rec, &model.FieldError{Field: "valid_until", Msg: "must be in the future"}
		}
		rec.ValidUntil = &until
	}
	if len(in.Evidence) > maxEvidenceKeys {
		return rec, &model.FieldError{Field: "evidence", Msg: "at most 10 entries"}
	}
	for k, v := range in.Evidence {
		switch {
		case !evidenceKeyRE.MatchString(k):
			return rec, &model.FieldError{Field: "evidence", Msg: "keys are 1 to 40 characters a-z, 0-9 and _, starting with a letter"}
		case slices.Contains(reservedEvidence, k):
			return rec, &model.FieldError{Field: "evidence", Msg: "key " + k + " is not allowed (Kontakt records it, or it belongs in a note)"}
		case strings.TrimSpace(v) == "" || utf8.RuneCountInString(v) > maxEvidenceValue:
			return rec, &model.FieldError{Field: "evidence", Msg: "values are 1 to 200 characters"}
		}
		rec.Evidence[k] = strings.TrimSpace(v)
	}
	return rec, nil
}

// recordConsent records a consent collected outside a web form (staff, branch) and answers
// 201 with it. Editors of the contact's book may, also while the contact is hidden for
// lacking exactly this consent.
func (h *handler) recordConsent(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	var in consentRecordRequest
	if err := decode(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	rec, err := in.record(id, time.Now())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	consentID, err := h.store.RecordConsent(r.Context(), actor(r), rec)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.tellLifecycle(consentID)
	c, err := h.store.GetConsent(r.Context(), actor(r), consentID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, withWorkflowIDs(c))
}

// getConsent shows one consent with its history and workflows; the book's editors see it
// also while its contact is hidden, which is how they learn why.
func (h *handler) getConsent(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	c, err := h.store.GetConsent(r.Context(), actor(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, withWorkflowIDs(c))
}

// revokeConsent marks a consent revoked on the person's behalf, with the reason given.
func (h *handler) revokeConsent(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	var in struct {
		Reason string `json:"reason"`
	}
	if err := decode(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	c, err := h.store.RevokeConsent(r.Context(), actor(r), id, in.Reason)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.tellLifecycle(c.ID)
	writeJSON(w, http.StatusOK, withWorkflowIDs(c))
}

// tellLifecycle tells the consent's lifecycle workflow of a committed change, after the
// answer, best effort: the lifecycle outbox tells it otherwise.
func (h *handler) tellLifecycle(consentID string) {
	if h.lifecycle == nil {
		return
	}
	h.afterCommit(func(ctx context.Context) error { return h.lifecycle.TellLifecycle(ctx, consentID) })
}

// withWorkflowIDs names the Temporal workflows behind a consent: the verification of the
// request it came from, and its lifecycle once it was ever active.
func withWorkflowIDs(c model.Consent) model.Consent {
	if c.RequestID != nil {
		c.WorkflowID = workflows.ConsentVerificationID(*c.RequestID)
	}
	if c.ConfirmedAt != nil {
		c.LifecycleWorkflowID = workflows.ConsentLifecycleID(c.ID)
	}
	return c
}
