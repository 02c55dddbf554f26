package web

// A contact's consents: each with its status, validity, source, full history and evidence,
// its scans (downloadable by holders of the scans permission only, audited by the store)
// and the Temporal workflows behind it; recording a consent given to staff, or signed in
// person with the scan of the form (the API's checks, package staffconsent); revoking one,
// which appends to its history. And the double opt-ins still waiting for confirmation.

import (
	"context"
	"crypto/hmac"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/session"
	"github.com/kontakt/kontakt/staffconsent"
	"github.com/kontakt/kontakt/store"
	"github.com/kontakt/kontakt/workflows"
)

// evidenceOrder is the order the evidence of a consent is shown in; other keys follow by
// name.
var evidenceOrder = []string{"form_id", "page_url", "ip", "user_agent", "wording_version", "wording_sha256",
	"confirmed_at", "confirm_ip", "confirm_user_agent", "recorded_by", "signed_on", "branch", "scan_id", "scan_sha256",
	"renewal_of_request", "renewal_request_id"}

// fact is one labelled value shown on the page.
type fact struct {
	Key, Label, Value string
}

type historyRow struct {
	model.ConsentEvent
	Who   string
	Facts []fact
}

type consentRow struct {
	model.Consent
	Facts           []fact
	Events          []historyRow
	LifecycleURL    string
	VerificationURL string
}

// consentInput is what the recording forms held, to show them again after a refusal.
type consentInput struct {
	PurposeID, Source, GivenAt, ValidUntil string
	EvKeys, EvValues                       []string
	SignedOn, Branch                       string
}

type consentsData struct {
	Contact  model.Contact
	Consents []consentRow
	Purposes []model.Purpose
	// CanRecord: the user is an editor of the contact's book (the store checks again).
	CanRecord bool
	// CanScans: the user holds the scans permission and gets download links.
	CanScans  bool
	Today     string
	MaxScanMB string
	Input     consentInput
	// Error is shown at the form named by ErrorAt: "record", "signed" or a consent's id.
	Error, ErrorAt string
}

// tellLifecycle tells a consent's lifecycle workflow of a committed change, after the
// answer and best effort; the lifecycle outbox does it otherwise.
func (h *handler) tellLifecycle(consentID string) {
	if h.gdpr.Lifecycle == nil {
		return
	}
	h.followups.Go(func(ctx context.Context) error { return h.gdpr.Lifecycle.TellLifecycle(ctx, consentID) })
}

func (h *handler) scanMaxBytes() int64 {
	if h.gdpr.ScanMaxBytes > 0 {
		return h.gdpr.ScanMaxBytes
	}
	return staffconsent.DefaultMaxBytes
}

func (h *handler) consentsPage(w http.ResponseWriter, r *http.Request) {
	if id, ok := h.pathID(w, r); ok {
		h.showConsents(w, r, id, http.StatusOK, consentsData{Input: consentInput{Source: string(model.SourceStaff)}})
	}
}

// showConsents renders a contact's consents; a contact the user may not see is 404.
func (h *handler) showConsents(w http.ResponseWriter, r *http.Request, id string, status int, d consentsData) {
	c, err := h.store.GetContact(r.Context(), actor(r), id)
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	consents, err := h.store.ListContactConsents(r.Context(), actor(r), id)
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	if d.Purposes, err = h.store.ListPurposes(r.Context()); err != nil {
		h.serverError(w, r, err)
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
	b, err := h.store.GetBook(r.Context(), actor(r), c.BookID)
	switch {
	case err == nil:
		d.CanRecord = b.Role.AtLeast(model.RoleEditor)
	case errors.Is(err, store.ErrNotFound): // seen through a project, not the book
	default:
		h.serverError(w, r, err)
		return
	}
	p := h.newPage(r, "gdpr.consents", nil)
	d.Contact, d.CanScans = c, currentUser(r).HasPermission(model.PermScans)
	d.Today = time.Now().Format(time.DateOnly)
	d.MaxScanMB = strconv.FormatFloat(float64(h.scanMaxBytes())/(1<<20), 'f', -1, 64)
	for _, k := range consents {
		d.Consents = append(d.Consents, h.consentRow(p, k, names))
	}
	p.Title = p.T("gdpr.consents") + ": " + c.DisplayName
	p.Data = d
	h.render(w, r, status, "gdpr_consents.html", p)
}

// consentRow adds the labelled evidence, the history's actors and the workflow links (as
// the API names them) to a consent.
func (h *handler) consentRow(p page, c model.Consent, names map[string]string) consentRow {
	row := consentRow{Consent: c, Facts: h.facts(p, c.Evidence, names)}
	if c.RequestID != nil {
		row.VerificationURL = h.work.workflowURL(workflows.ConsentVerificationID(*c.RequestID))
	}
	if c.ConfirmedAt != nil {
		row.LifecycleURL = h.work.workflowURL(workflows.ConsentLifecycleID(c.ID))
	}
	for i := len(c.History) - 1; i >= 0; i-- { // newest first
		e := c.History[i]
		// An event's evidence is shown where it differs from the consent's own.
		ev := map[string]any{}
		for k, v := range e.Evidence {
			if cur, ok := c.Evidence[k]; !ok || fmt.Sprint(cur) != fmt.Sprint(v) {
				ev[k] = v
			}
		}
		hr := historyRow{ConsentEvent: e, Facts: h.facts(p, ev, names)}
		if e.ActorID != nil {
			hr.Who = names[*e.ActorID]
		}
		row.Events = append(row.Events, hr)
	}
	return row
}

// facts labels evidence in the page's language, known keys first; user ids become names.
func (h *handler) facts(p page, ev map[string]any, names map[string]string) []fact {
	keys := make([]string, 0, len(ev))
	for k := range ev {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		ia, ib := slices.Index(evidenceOrder, a), slices.Index(evidenceOrder, b)
		switch {
		case ia >= 0 && ib >= 0:
			return ia - ib
		case ia >= 0:
			return -1
		case ib >= 0:
			return 1
		}
		return strings.Compare(a, b)
	})
	out := make([]fact, 0, len(keys))
	for _, k := range keys {
		v := fmt.Sprint(ev[k])
		if ev[k] == nil {
			v = ""
		}
		if n := names[v]; n != "" && k == "recorded_by" {
			v = n
		}
		if k == "previous_status" && v != "" {
			v = p.T("consent." + v)
		}
		if k == "confirmed_at" {
			if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
				v = p.Time(t)
			}
		}
		label := k
		if s, ok := h.msgs[p.Lang]["gdpr.ev."+k]; ok {
			label = s
		}
		out = append(out, fact{Key: k, Label: label, Value: v})
	}
	return out
}

// Source is a consent source's name in the page's language.
func (p page) Source(s model.ConsentSource) string { return p.T("gdpr.source." + string(s)) }

// recordConsent records a consent given to staff or at a branch (without a scan): the
// API's checks (staffconsent.Request), then the store's (editors of the contact's book).
func (h *handler) recordConsent(w http.ResponseWriter, r *http.Request) {
	id, ok := h.pathID(w, r)
	if !ok || !h.checkForm(w, r) {
		return
	}
	in := consentInput{PurposeID: r.PostFormValue("purpose_id"), Source: r.PostFormValue("source"),
		GivenAt: strings.TrimSpace(r.PostFormValue("given_at")), ValidUntil: strings.TrimSpace(r.PostFormValue("valid_until")),
		EvKeys: r.PostForm["ev_key"], EvValues: r.PostForm["ev_value"]}
	req := staffconsent.Request{PurposeID: in.PurposeID, Source: in.Source, GivenAt: in.GivenAt, Evidence: map[string]string{}}
	if in.ValidUntil != "" {
		req.ValidUntil = &in.ValidUntil
	}
	for i, k := range in.EvKeys {
		k = strings.TrimSpace(k)
		v := ""
		if i < len(in.EvValues) {
			v = in.EvValues[i]
		}
		if k == "" && strings.TrimSpace(v) == "" {
			continue
		}
		req.Evidence[k] = v
	}
	again := func(status int, msg string) {
		h.showConsents(w, r, id, status, consentsData{Input: in, Error: msg, ErrorAt: "record"})
	}
	rec, err := req.Record(id, time.Now())
	if err == nil {
		var consentID string
		if consentID, err = h.store.RecordConsent(r.Context(), actor(r), rec); err == nil {
			h.tellLifecycle(consentID)
			http.Redirect(w, r, "/contacts/"+id+"/consents#consent-"+consentID, http.StatusSeeOther)
			return
		}
	}
	h.failForm(w, r, err, again)
}

// recordSignedConsent records a consent signed in person with the scan of the signed form,
// as multipart/form-data, with the API's checks in the API's order: who may record first
// (before reading megabytes), then the body within the size limit, the particulars, the
// type sniffed from the content, and the virus-scan hook if configured; only then the store.
func (h *handler) recordSignedConsent(w http.ResponseWriter, r *http.Request) {
	id, ok := h.pathID(w, r)
	if !ok {
		return
	}
	pg := h.newPage(r, "app", nil)
	again := func(status int, msg string, in consentInput) {
		h.showConsents(w, r, id, status, consentsData{Input: in, Error: msg, ErrorAt: "signed"})
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "multipart/form-data" {
		again(http.StatusUnsupportedMediaType, pg.T("gdpr.scan.multipart"), consentInput{})
		return
	}
	if err := h.store.CheckConsentRecorder(r.Context(), actor(r), id); err != nil {
		h.failForm(w, r, err, func(status int, msg string) { again(status, msg, consentInput{}) })
		return
	}
	max := h.scanMaxBytes()
	r.Body = http.MaxBytesReader(w, r.Body, max+staffconsent.FormOverhead)
	mr, err := r.MultipartReader()
	if err != nil {
		again(http.StatusBadRequest, h.uploadMessage(pg, staffconsent.ErrMalformed), consentInput{})
		return
	}
	up, err := staffconsent.ReadUpload(mr, max, "csrf")
	in := consentInput{PurposeID: up.Fields["purpose_id"], SignedOn: up.Fields["signed_on"],
		ValidUntil: up.Fields["valid_until"], Branch: up.Fields["branch"]}
	if err == nil && !validCSRFValue(r, up.Fields["csrf"]) {
		h.errorPage(w, r, http.StatusForbidden, "err.forbidden")
		return
	}
	var rec store.ConsentRecord
	if err == nil {
		rec, err = up.Record(id, time.Now())
	}
	if err == nil {
		err = staffconsent.Hook{Command: h.gdpr.ScanHook, Timeout: h.gdpr.ScanHookTimeout, Log: h.log}.Check(r.Context(), id, up.Scan)
	}
	var se *staffconsent.Error
	if errors.As(err, &se) {
		again(se.Status, h.uploadMessage(pg, se), in)
		return
	}
	if err == nil {
		var c model.Consent
		if c, err = h.store.RecordSignedConsent(r.Context(), actor(r), rec); err == nil {
			h.tellLifecycle(c.ID)
			http.Redirect(w, r, "/contacts/"+id+"/consents#consent-"+c.ID, http.StatusSeeOther)
			return
		}
	}
	h.failForm(w, r, err, func(status int, msg string) { again(status, msg, in) })
}

// validCSRFValue checks a CSRF token read from a multipart body (validToken reads the
// urlencoded form).
func validCSRFValue(r *http.Request, got string) bool {
	return got != "" && hmac.Equal([]byte(got), []byte(csrfToken(session.Secret(r))))
}

// uploadMessage is the page's words for a refused upload.
func (h *handler) uploadMessage(p page, se *staffconsent.Error) string {
	switch se.Status {
	case http.StatusRequestEntityTooLarge:
		return p.T("gdpr.scan.toolarge")
	case http.StatusUnsupportedMediaType:
		return p.T("gdpr.scan.badtype")
	case http.StatusUnprocessableEntity:
		return p.T("gdpr.scan.rejected")
	case http.StatusServiceUnavailable:
		return p.T("gdpr.scan.unavailable")
	}
	msg := p.T("work.invalid") + " " + se.Msg
	if se.Field != "" {
		msg = p.T("work.invalid") + " " + se.Field + ": " + se.Msg
	}
	return msg
}

// contactConsent is the {consent} of the {id} contact, read as GetConsent reads it (whoever
// sees the contact, and its book's editors), or false after answering 404.
func (h *handler) contactConsent(w http.ResponseWriter, r *http.Request) (string, model.Consent, bool) {
	id, ok := h.pathID(w, r)
	if !ok {
		return "", model.Consent{}, false
	}
	c, err := h.store.GetConsent(r.Context(), actor(r), chi.URLParam(r, "consent"))
	if err == nil && c.ContactID != id {
		err = store.ErrNotFound
	}
	if err != nil {
		h.storeError(w, r, err)
		return "", c, false
	}
	return id, c, true
}

// revokeConsent marks a consent revoked on the person's behalf, with the reason; its
// history keeps everything before.
func (h *handler) revokeConsent(w http.ResponseWriter, r *http.Request) {
	if !h.checkForm(w, r) {
		return
	}
	id, c, ok := h.contactConsent(w, r)
	if !ok {
		return
	}
	if _, err := h.store.RevokeConsent(r.Context(), actor(r), c.ID, r.PostFormValue("reason")); err != nil {
		h.failForm(w, r, err, func(status int, msg string) {
			h.showConsents(w, r, id, status, consentsData{Error: msg, ErrorAt: c.ID, Input: consentInput{Source: string(model.SourceStaff)}})
		})
		return
	}
	h.tellLifecycle(c.ID)
	http.Redirect(w, r, "/contacts/"+id+"/consents#consent-"+c.ID, http.StatusSeeOther)
}

// downloadScan sends a consent's scan (the latest, or ?scan_id=) to a holder of the scans
// permission who may see the contact's book, as the API does; the store audits it before
// the first byte. Everyone else gets 404.
func (h *handler) downloadScan(w http.ResponseWriter, r *http.Request) {
	id, ok := h.pathID(w, r)
	if !ok {
		return
	}
	f, err := h.store.ConsentScan(r.Context(), actor(r), chi.URLParam(r, "consent"), r.URL.Query().Get("scan_id"))
	if err == nil && f.ContactID != id {
		err = store.ErrNotFound
	}
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	staffconsent.WriteScan(w, f)
}

type verificationRow struct {
	model.ConsentRequest
	FormName    string
	WorkflowURL string
}

// verificationsPage lists the double opt-ins still waiting for confirmation on forms whose
// book the user sees (GET /api/verifications), with their workflows.
func (h *handler) verificationsPage(w http.ResponseWriter, r *http.Request) {
	vs, err := h.store.ListPendingVerifications(r.Context(), actor(r))
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	forms := map[string]string{}
	if currentUser(r).IsAdmin {
		fs, err := h.store.ListForms(r.Context(), actor(r))
		if err != nil {
			h.storeError(w, r, err)
			return
		}
		for _, f := range fs {
			forms[f.ID] = f.Name
		}
	}
	rows := make([]verificationRow, 0, len(vs))
	for _, v := range vs {
		rows = append(rows, verificationRow{ConsentRequest: v, FormName: forms[v.FormID],
			WorkflowURL: h.work.workflowURL(workflows.ConsentVerificationID(v.ID))})
	}
	h.render(w, r, http.StatusOK, "gdpr_verifications.html", h.newPage(r, "gdpr.verifications", rows))
}

// EvKey is the i-th evidence key typed ("" beyond them).
func (in consentInput) EvKey(i int) string {
	if i < len(in.EvKeys) {
		return in.EvKeys[i]
	}
	return ""
}

// EvValue is the i-th evidence value typed ("" beyond them).
func (in consentInput) EvValue(i int) string {
	if i < len(in.EvValues) {
		return in.EvValues[i]
	}
	return ""
}
