package api

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/kontakt/kontakt/auth"
	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
	"github.com/kontakt/kontakt/workflows"
)

// Verifier starts and signals the double opt-in workflows (Temporal in production); nil
// leaves every request to the reconciler.
type Verifier interface {
	StartVerification(ctx context.Context, requestID string) error
	SignalVerification(ctx context.Context, requestID, signal string) error
}

// Limits of the public endpoints, per client address and per email address.
const (
	publicPerIP     = 30
	publicPerEmail  = 5
	publicWindow    = 10 * time.Minute
	signatureHeader = "X-Kontakt-Signature"
)

// consentPost is a web-form submission: a JSON body or an HTML form's fields (purposes as
// repeated "purposes" fields or one comma-separated value).
type consentPost struct {
	Email    string   `json:"email"`
	Name     string   `json:"name"`
	Purposes []string `json:"purposes"`
	PageURL  string   `json:"page_url"`
}

// publicRoutes are the endpoints websites and the people they send here use.
func (h *handler) publicRoutes(r chi.Router) {
	r.Post("/forms/{key}/consents", h.submitConsent)
	r.Options("/forms/{key}/consents", h.formPreflight)
	r.Get("/confirm/{token}", h.confirmPage)
	r.Post("/confirm/{token}", h.confirm)

	r.Post("/forms/{key}/consent-status", h.requestConsentStatus)
	r.Options("/forms/{key}/consent-status", h.formPreflight)
	r.Post("/forms/{key}/revocations", h.requestRevocation)
	r.Options("/forms/{key}/revocations", h.formPreflight)
	r.Get("/subject/{token}", h.subjectPage)
	r.Post("/subject/{token}", h.revokeOnSubjectPage)
	r.Post("/subject/{token}/erasure", h.eraseOnSubjectPage)

	r.Get("/rsvp/{token}", h.rsvpPage)
	r.Post("/rsvp/{token}", h.rsvp)
}

// formCORS checks the Origin of a browser post against the form's allowed origins and sets
// the CORS headers; a request without Origin (server to server) passes here.
func formCORS(w http.ResponseWriter, r *http.Request, f store.PublicForm) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	if !slices.Contains(f.AllowedOrigins, strings.ToLower(origin)) {
		return false
	}
	w.Header().Set("Access-Control-Allow-Origin", origin)
	w.Header().Set("Vary", "Origin")
	return true
}

func (h *handler) formPreflight(w http.ResponseWriter, r *http.Request) {
	f, err := h.store.FormByKey(r.Context(), chi.URLParam(r, "key"))
	if err != nil || !formCORS(w, r, f) {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	w.Header().Set("Access-Control-Allow-Methods", "POST")
	w.Header().Set("Access-Control-Allow-Headers", "Content-Type, "+signatureHeader)
	w.Header().Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
}

// publicPost is a post to one of a form's public endpoints, read and checked against the
// form: its origin, its signature, its body and the honeypot.
type publicPost struct {
	form     store.PublicForm
	in       consentPost
	htmlForm bool
	// honeypot: a bot filled the hidden field; answer as if accepted and keep nothing.
	honeypot bool
}

// readPublicPost does what every form endpoint does first: it finds the form, checks the
// Origin (setting the CORS headers) and the HMAC signature, and reads the JSON or HTML-form
// body. On false the error answer is written.
func (h *handler) readPublicPost(w http.ResponseWriter, r *http.Request) (publicPost, bool) {
	var p publicPost
	var err error
	if p.form, err = h.store.FormByKey(r.Context(), chi.URLParam(r, "key")); err != nil {
		h.fail(w, r, err)
		return p, false
	}
	if !formCORS(w, r, p.form) {
		writeError(w, http.StatusForbidden, "this form does not accept posts from that origin", "")
		return p, false
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		h.fail(w, r, jsonError(err))
		return p, false
	}
	if f := p.form; f.HMACSecret != "" && (r.Header.Get("Origin") == "" || r.Header.Get(signatureHeader) != "") && !validSignature(f.HMACSecret, body, r.Header.Get(signatureHeader)) {
		writeError(w, http.StatusUnauthorized, "missing or wrong "+signatureHeader+" (sha256=<hex HMAC of the body>)", "")
		return p, false
	}
	if p.in, p.honeypot, p.htmlForm, err = parseConsentPost(r, body, p.form.HoneypotField); err != nil {
		h.fail(w, r, err)
		return p, false
	}
	return p, true
}

// publicLimits are the rate limits of a public submission: per client address and per
// e-mail address.
func publicLimits(r *http.Request, email string) []store.RateRule {
	return []store.RateRule{{Key: "public-ip:" + clientIP(r), Limit: publicPerIP, Window: publicWindow},
		{Key: emailRateKey(email), Limit: publicPerEmail, Window: publicWindow}}
}

// allowPublic counts a public submission against publicLimits; on false the 429 is written.
func (h *handler) allowPublic(w http.ResponseWriter, r *http.Request, email string) bool {
	ok, err := h.store.RateAllow(r.Context(), publicLimits(r, email))
	if err != nil {
		h.fail(w, r, err)
		return false
	}
	if !ok {
		tooMany(w)
	}
	return ok
}

// tooMany answers a submission over a rate limit.
func tooMany(w http.ResponseWriter) {
	w.Header().Set("Retry-After", strconv.Itoa(int(publicWindow.Seconds())))
	writeError(w, http.StatusTooManyRequests, "too many submissions; try again later", "")
}

// submitConsent takes a consent from a website. The submission is committed before the
// answer (ARCHITECTURE.md, invariant 3); the verification workflow starts after. The answer
// is the same whether the email was known or not.
func (h *handler) submitConsent(w http.ResponseWriter, r *http.Request) {
	p, ok := h.readPublicPost(w, r)
	if !ok {
		return
	}
	if p.honeypot {
		h.intakeAccepted(w, r, p.form, p.htmlForm) // a bot filled the hidden field: pretend, keep nothing
		return
	}
	intake, err := validateIntake(p.form, p.in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	intake.IP, intake.UserAgent = clientIP(r), truncate(r.UserAgent(), 500)
	if intake.PageURL == "" {
		intake.PageURL = truncate(r.Referer(), 2000)
	}
	intake.Limits = publicLimits(r, intake.Email)
	res, err := h.store.RecordIntake(r.Context(), intake)
	if errors.Is(err, store.ErrRateLimited) {
		tooMany(w)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.followups.Go(func(ctx context.Context) error {
		if h.verifier == nil {
			return nil // no Temporal: the reconciler of a worker starts it
		}
		if res.Resend {
			return h.verifier.SignalVerification(ctx, res.RequestID, workflows.SignalResend)
		}
		if err := h.verifier.StartVerification(ctx, res.RequestID); err != nil {
			return err
		}
		return h.store.MarkVerificationStarted(ctx, res.RequestID)
	})
	h.intakeAccepted(w, r, p.form, p.htmlForm)
}

// intakeAccepted answers an accepted submission: a redirect to the form's success page for
// HTML forms that have one, else 202.
func (h *handler) intakeAccepted(w http.ResponseWriter, r *http.Request, f store.PublicForm, htmlForm bool) {
	if htmlForm && f.SuccessURL != "" {
		http.Redirect(w, r, f.SuccessURL, http.StatusSeeOther)
		return
	}
	if htmlForm {
		h.renderPage(w, http.StatusAccepted, "submitted", f.Language, pageData{Organisation: f.Organisation})
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "accepted",
		"message": "If the address is valid, a confirmation mail is on its way."})
}

func validSignature(secret string, body []byte, header string) bool {
	sig, ok := strings.CutPrefix(header, "sha256=")
	if !ok {
		return false
	}
	got, err := hex.DecodeString(sig)
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}

// parseConsentPost reads a JSON or urlencoded body. honeypot reports a filled honeypot
// field; htmlForm an urlencoded post from a plain HTML form.
func parseConsentPost(r *http.Request, body []byte, honeypotField string) (in consentPost, honeypot, htmlForm bool, err error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "application/x-www-form-urlencoded":
		vals, perr := url.ParseQuery(string(body))
		if perr != nil {
			return in, false, true, &decodeError{http.StatusBadRequest, "malformed form data", ""}
		}
		in.Email, in.Name, in.PageURL = vals.Get("email"), vals.Get("name"), vals.Get("page_url")
		for _, p := range vals["purposes"] {
			for _, k := range strings.Split(p, ",") {
				if k = strings.TrimSpace(k); k != "" {
					in.Purposes = append(in.Purposes, k)
				}
			}
		}
		return in, honeypotField != "" && vals.Get(honeypotField) != "", true, nil
	case "application/json", "":
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(body, &raw); err != nil {
			return in, false, false, jsonError(err)
		}
		if honeypotField != "" {
			if v, ok := raw[honeypotField]; ok && string(v) != `""` && string(v) != "null" {
				return in, true, false, nil
			}
			delete(raw, honeypotField)
		}
		clean, _ := json.Marshal(raw)
		dec := json.NewDecoder(strings.NewReader(string(clean)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil {
			return in, false, false, jsonError(err)
		}
		return in, false, false, nil
	}
	return in, false, false, &decodeError{http.StatusUnsupportedMediaType, "send application/json or application/x-www-form-urlencoded", ""}
}

// validateIntake checks a submission against its form: a valid email, a name of sane
// length, and purposes (by key) that the form offers; none given means all it offers.
func validateIntake(f store.PublicForm, in consentPost) (store.Intake, error) {
	email, err := model.NormalizeEmail(in.Email)
	if strings.TrimSpace(in.Email) == "" {
		return store.Intake{}, &model.FieldError{Field: "email", Msg: "an email address is required"}
	}
	if err != nil {
		return store.Intake{}, &model.FieldError{Field: "email", Msg: "not a valid email address"}
	}
	name := strings.Join(strings.Fields(in.Name), " ")
	if len([]rune(name)) > 200 {
		return store.Intake{}, &model.FieldError{Field: "name", Msg: "longer than 200 characters"}
	}
	out := store.Intake{FormID: f.ID, Email: email, Name: name, Language: f.Language, PageURL: truncate(in.PageURL, 2000)}
	if len(in.Purposes) == 0 {
		out.PurposeIDs = f.PurposeIDs
		return out, nil
	}
	for _, key := range in.Purposes {
		if !slices.ContainsFunc(f.Purposes, func(p model.Purpose) bool { return p.Key == key || p.ID == key }) {
			return store.Intake{}, &model.FieldError{Field: "purposes", Msg: "this form does not offer purpose " + strconv.Quote(truncate(key, 50))}
		}
	}
	for _, p := range f.Purposes { // in the form's order
		if slices.Contains(in.Purposes, p.Key) || slices.Contains(in.Purposes, p.ID) {
			out.PurposeIDs = append(out.PurposeIDs, p.ID)
		}
	}
	return out, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

// clientIP is the address the request came from (no proxy headers are trusted).
func clientIP(r *http.Request) string {
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return ip
}

// confirmPage shows what the person is about to confirm. Only the POST confirms: mail
// scanners follow links with GET.
func (h *handler) confirmPage(w http.ResponseWriter, r *http.Request) {
	p, err := h.store.PreviewConfirmation(r.Context(), auth.HashSecret(chi.URLParam(r, "token")))
	if errors.Is(err, store.ErrNotFound) {
		h.renderPage(w, http.StatusNotFound, "invalid", preferredLang(r), pageData{})
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	data := pageData{Organisation: p.Organisation, Purposes: p.Purposes}
	switch {
	case p.Status == "confirmed":
		h.renderPage(w, http.StatusOK, "confirmed", p.Language, data)
	case p.Expired || p.Status != "pending":
		h.renderPage(w, http.StatusGone, "expired", p.Language, data)
	default:
		h.renderPage(w, http.StatusOK, "confirm", p.Language, data)
	}
}

// confirm records the confirmation durably, answers, then signals the workflow.
func (h *handler) confirm(w http.ResponseWriter, r *http.Request) {
	hash := auth.HashSecret(chi.URLParam(r, "token"))
	p, err := h.store.PreviewConfirmation(r.Context(), hash)
	if errors.Is(err, store.ErrNotFound) {
		h.renderPage(w, http.StatusNotFound, "invalid", preferredLang(r), pageData{})
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	data := pageData{Organisation: p.Organisation, Purposes: p.Purposes}
	requestID, already, err := h.store.Confirm(r.Context(), hash, clientIP(r), truncate(r.UserAgent(), 500))
	if errors.Is(err, store.ErrLinkExpired) {
		h.renderPage(w, http.StatusGone, "expired", p.Language, data)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !already {
		h.followups.Go(func(ctx context.Context) error {
			if h.verifier == nil {
				return nil
			}
			if err := h.verifier.SignalVerification(ctx, requestID, workflows.SignalConfirm); err != nil {
				return err
			}
			return h.store.MarkConfirmSignalled(ctx, requestID)
		})
	}
	if p.ConfirmedURL != "" {
		http.Redirect(w, r, p.ConfirmedURL, http.StatusSeeOther)
		return
	}
	h.renderPage(w, http.StatusOK, "confirmed", p.Language, data)
}

// preferredLang picks cs or en from Accept-Language.
func preferredLang(r *http.Request) string {
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		switch {
		case strings.HasPrefix(tag, "cs"), strings.HasPrefix(tag, "sk"):
			return "cs"
		case strings.HasPrefix(tag, "en"):
			return "en"
		}
	}
	return "en"
}

// emailRateKey is the rate-limit key of an e-mail address: its SHA-256, so that the rate
// table holds no address a forgotten person could be found by.
func emailRateKey(email string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(email)))
	return "public-email:" + hex.EncodeToString(sum[:16])
}
