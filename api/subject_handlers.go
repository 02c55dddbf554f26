package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/kontakt/kontakt/auth"
	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// The person's side of the GDPR lifecycle: asking, by e-mail address, which consents are
// held (Art. 15), and revoking them (Art. 7(3)) on the page behind the link that mail
// carries or by a form post. The endpoints that take an address never look it up: they
// commit the request and answer the same bytes, in the same time, whatever the address
// (ARCHITECTURE.md, invariant 2); the SubjectAccess workflow does the rest.

// SubjectStarter starts the SubjectAccess workflow of a committed subject request
// (Temporal in production); nil leaves every request to the outbox reconciler.
type SubjectStarter interface {
	StartSubjectRequest(ctx context.Context, requestID string) error
}

// requestConsentStatus takes a person's question "which consents do you hold for this
// address?". The answer is committed, never looked up.
func (h *handler) requestConsentStatus(w http.ResponseWriter, r *http.Request) {
	h.subjectRequest(w, r, store.SubjectKindAccess)
}

// requestRevocation takes a person's revocation of their consents for some purposes (all
// the form offers when none are named), by address.
func (h *handler) requestRevocation(w http.ResponseWriter, r *http.Request) {
	h.subjectRequest(w, r, store.SubjectKindRevoke)
}

// subjectRequest commits a subject request of kind and answers 202. What happens up to the
// answer depends on the post, never on whether the address is known.
func (h *handler) subjectRequest(w http.ResponseWriter, r *http.Request, kind string) {
	p, ok := h.readPublicPost(w, r)
	if !ok {
		return
	}
	if p.honeypot {
		h.subjectAccepted(w, kind, p.form, p.htmlForm)
		return
	}
	if kind == store.SubjectKindAccess && len(p.in.Purposes) > 0 {
		h.fail(w, r, &model.FieldError{Field: "purposes", Msg: "consent-status lists every consent held; it takes no purposes"})
		return
	}
	in, err := validateIntake(p.form, p.in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !h.allowPublic(w, r, in.Email) {
		return
	}
	post := store.SubjectPost{FormID: p.form.ID, Kind: kind, Email: in.Email, IP: clientIP(r),
		UserAgent: truncate(r.UserAgent(), 500), PageURL: in.PageURL}
	if kind == store.SubjectKindRevoke {
		post.PurposeIDs = in.PurposeIDs
	}
	if post.PageURL == "" {
		post.PageURL = truncate(r.Referer(), 2000)
	}
	id, err := h.store.RecordSubjectRequest(r.Context(), post)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.startSubject(id)
	h.subjectAccepted(w, kind, p.form, p.htmlForm)
}

// subjectAccepted answers a committed (or discarded) subject request: the same bytes for
// every address. HTML forms get Kontakt's own page in the form's language; the form's
// success_url is for consent posts and is not used here.
func (h *handler) subjectAccepted(w http.ResponseWriter, kind string, f store.PublicForm, htmlForm bool) {
	page, msg := "status-requested", "Request received. If consents are held for this address, a mail listing them is on its way to it."
	if kind == store.SubjectKindRevoke {
		page, msg = "revoke-requested", "Request received. Consents held for this address for these purposes are being withdrawn."
	}
	if htmlForm {
		h.renderPage(w, http.StatusAccepted, page, f.Language, pageData{Organisation: f.Organisation})
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "accepted", "message": msg})
}

// startSubject starts the request's workflow after the answer and records the start; the
// outbox reconciler starts it otherwise.
func (h *handler) startSubject(requestID string) {
	if h.subjects == nil {
		return
	}
	h.followups.Go(func(ctx context.Context) error {
		if err := h.subjects.StartSubjectRequest(ctx, requestID); err != nil {
			return err
		}
		return h.store.MarkSubjectRequestStarted(ctx, requestID)
	})
}

// subjectPage shows the consents behind a subject-access link, with a checkbox for each
// active one. Showing changes nothing (mail scanners follow links); only the POST revokes.
// Unknown and expired links get the same page.
func (h *handler) subjectPage(w http.ResponseWriter, r *http.Request) {
	v, err := h.store.SubjectLink(r.Context(), auth.HashSecret(chi.URLParam(r, "token")))
	if errors.Is(err, store.ErrNotFound) {
		h.renderPage(w, http.StatusNotFound, "subject-invalid", preferredLang(r), pageData{})
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.renderPage(w, http.StatusOK, "subject", v.Language, subjectPageData(v, "", chi.URLParam(r, "token")))
}

// revokeOnSubjectPage revokes the ticked consents (form fields "consent", repeated): only
// active consents of the link's contacts; other ids are ignored. The revocation is
// committed before the answer; its confirmation mail, when the form sends one, goes
// through the SubjectAccess workflow.
func (h *handler) revokeOnSubjectPage(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.fail(w, r, jsonError(err))
			return
		}
		h.fail(w, r, &decodeError{http.StatusBadRequest, "malformed form data", ""})
		return
	}
	hash := auth.HashSecret(chi.URLParam(r, "token"))
	res, err := h.store.RevokeByLink(r.Context(), hash, r.PostForm["consent"], clientIP(r), truncate(r.UserAgent(), 500))
	if errors.Is(err, store.ErrNotFound) {
		h.renderPage(w, http.StatusNotFound, "subject-invalid", preferredLang(r), pageData{})
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if res.RequestID != "" {
		h.startSubject(res.RequestID)
	}
	v, err := h.store.SubjectLink(r.Context(), hash)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.renderPage(w, http.StatusOK, "subject", v.Language, subjectPageData(v, revokedNotice(v.Language, res), chi.URLParam(r, "token")))
}

// consentRow is one consent on the subject page, worded for its language.
type consentRow struct {
	ID          string
	Purpose     string
	Description string
	Status      string
	Active      bool
	Detail      string
}

// subjectPageData words the consents of a link for its page, with the erasure form below
// them (posting to the link's erasure address, relative to the page).
func subjectPageData(v store.SubjectView, notice, token string) pageData {
	lang := v.Language
	if lang != "cs" {
		lang = "en"
	}
	w := subjectWords[lang]
	d := pageData{Organisation: v.Organisation, ConsentForm: true, Notice: notice, Consents: []consentRow{},
		Erase: eraseTexts[lang], EraseAction: token + "/erasure"}
	for _, c := range v.Consents {
		row := consentRow{ID: c.ID, Purpose: c.PurposeName, Description: c.PurposeDescription,
			Status: w.status[c.Status], Active: c.Status == model.ConsentActive}
		row.Detail = fmt.Sprintf("%s %s (%s)", w.given, pageDate(lang, c.GivenAt), w.source[c.Source])
		if c.ValidUntil != nil {
			row.Detail += fmt.Sprintf(", %s %s", w.validUntil, pageDate(lang, *c.ValidUntil))
		}
		if row.Active {
			d.CanRevoke = true
		}
		d.Consents = append(d.Consents, row)
	}
	return d
}

// revokedNotice tells the person what their revocation did.
func revokedNotice(lang string, res store.LinkRevocation) string {
	if lang != "cs" {
		lang = "en"
	}
	var s string
	switch {
	case res.Revoked == 0 && lang == "cs":
		return "Nic nebylo odvoláno: nevybrali jste žádný platný souhlas."
	case res.Revoked == 0:
		return "Nothing was withdrawn: no valid consent was selected."
	case lang == "cs":
		s = fmt.Sprintf("Odvolali jste %d %s.", res.Revoked, czechPlural(res.Revoked, "souhlas", "souhlasy", "souhlasů"))
		if res.RequestID != "" {
			s += " Potvrzení vám přijde e-mailem."
		}
	default:
		s = fmt.Sprintf("You have withdrawn %d consent%s.", res.Revoked, map[bool]string{true: "", false: "s"}[res.Revoked == 1])
		if res.RequestID != "" {
			s += " A confirmation is on its way by mail."
		}
	}
	return s
}

func czechPlural(n int, one, few, many string) string {
	switch {
	case n == 1:
		return one
	case n >= 2 && n <= 4:
		return few
	}
	return many
}

// pageDate writes a date the way the language does: cs "3. 3. 2025", en "3 March 2025".
func pageDate(lang string, t time.Time) string {
	if lang == "cs" {
		return fmt.Sprintf("%d. %d. %d", t.Day(), int(t.Month()), t.Year())
	}
	return fmt.Sprintf("%d %s %d", t.Day(), t.Month(), t.Year())
}

// subjectWords words consent statuses and sources on the subject page.
var subjectWords = map[string]struct {
	status            map[model.ConsentStatus]string
	source            map[model.ConsentSource]string
	given, validUntil string
}{
	"cs": {
		status: map[model.ConsentStatus]string{model.ConsentActive: "platný", model.ConsentPending: "čeká na potvrzení",
			model.ConsentRevoked: "odvolaný", model.ConsentExpired: "vypršel"},
		source: map[model.ConsentSource]string{model.SourceWebForm: "webový formulář", model.SourceBranch: "podpis na pobočce",
			model.SourceImport: "převzato z dřívější evidence", model.SourceStaff: "zaznamenal pracovník"},
		given: "uděleno", validUntil: "platnost do",
	},
	"en": {
		status: map[model.ConsentStatus]string{model.ConsentActive: "valid", model.ConsentPending: "awaiting confirmation",
			model.ConsentRevoked: "withdrawn", model.ConsentExpired: "expired"},
		source: map[model.ConsentSource]string{model.SourceWebForm: "web form", model.SourceBranch: "signed at a branch",
			model.SourceImport: "taken over from earlier records", model.SourceStaff: "recorded by staff"},
		given: "given", validUntil: "valid until",
	},
}

// eraseOnSubjectPage asks, for the person who holds the link (they proved they read the
// address's mail), that every person the link names be forgotten: committed as erasure
// requests before the answer, then carried out by the ForgetContact workflows. The
// confirmation box must be ticked; an unknown or expired link gets the invalid-link page.
func (h *handler) eraseOnSubjectPage(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, &decodeError{http.StatusBadRequest, "malformed form data", ""})
		return
	}
	hash := auth.HashSecret(chi.URLParam(r, "token"))
	if r.PostForm.Get("confirm") != "yes" {
		v, err := h.store.SubjectLink(r.Context(), hash)
		if errors.Is(err, store.ErrNotFound) {
			h.renderPage(w, http.StatusNotFound, "subject-invalid", preferredLang(r), pageData{})
			return
		} else if err != nil {
			h.fail(w, r, err)
			return
		}
		notice := map[bool]string{true: "Pro výmaz zaškrtněte potvrzení.", false: "To erase your data, tick the confirmation."}[v.Language == "cs"]
		h.renderPage(w, http.StatusBadRequest, "subject", v.Language, subjectPageData(v, notice, chi.URLParam(r, "token")))
		return
	}
	lang, ids, err := h.store.RequestErasureByLink(r.Context(), hash)
	if errors.Is(err, store.ErrNotFound) {
		h.renderPage(w, http.StatusNotFound, "subject-invalid", preferredLang(r), pageData{})
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for _, id := range ids {
		h.startForget(id)
	}
	h.renderPage(w, http.StatusAccepted, "erasure-requested", lang, pageData{})
}
