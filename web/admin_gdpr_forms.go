package web

// Purposes and web forms, for admins (the store refuses everyone else, as in the API):
// purposes with the description and wording shown to the person, validity and reminder;
// forms with their book, purposes, origins, pages and confirmation timeout, the public key
// with a ready-to-paste HTML snippet, and the HMAC secret, shown once when it is made.

import (
	"errors"
	"fmt"
	"html"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// ---- Purposes ----

// purposeForm is the purpose form as typed (numbers as text, to show them again).
type purposeForm struct {
	Key, Name, Description, Wording string
	ValidityMonths, ReminderDays    string
}

type purposesData struct {
	Purposes []model.Purpose
	Form     purposeForm
	Error    string
}

type purposeData struct {
	Purpose model.Purpose
	Form    purposeForm
	Error   string
}

func purposeFormOf(p model.Purpose) purposeForm {
	return purposeForm{Key: p.Key, Name: p.Name, Description: p.Description, Wording: p.Wording,
		ValidityMonths: strconv.Itoa(p.ValidityMonths), ReminderDays: strconv.Itoa(p.ReminderDays)}
}

// readPurposeForm reads the posted purpose; numbers that are not numbers answer false.
func readPurposeForm(r *http.Request) (purposeForm, model.Purpose, bool) {
	f := purposeForm{Key: strings.TrimSpace(r.PostFormValue("key")), Name: r.PostFormValue("name"),
		Description: r.PostFormValue("description"), Wording: r.PostFormValue("wording"),
		ValidityMonths: strings.TrimSpace(r.PostFormValue("validity_months")), ReminderDays: strings.TrimSpace(r.PostFormValue("reminder_days"))}
	p := model.Purpose{Key: f.Key, Name: f.Name, Description: strings.TrimSpace(f.Description), Wording: f.Wording}
	var err1, err2 error
	p.ValidityMonths, err1 = strconv.Atoi(f.ValidityMonths)
	p.ReminderDays, err2 = strconv.Atoi(f.ReminderDays)
	return f, p, err1 == nil && err2 == nil
}

func (h *handler) purposesPage(w http.ResponseWriter, r *http.Request) {
	if h.requireAdminPage(w, r) {
		h.showPurposes(w, r, http.StatusOK, purposesData{Form: purposeForm{ValidityMonths: "24", ReminderDays: "30"}})
	}
}

func (h *handler) showPurposes(w http.ResponseWriter, r *http.Request, status int, d purposesData) {
	var err error
	if d.Purposes, err = h.store.ListPurposes(r.Context()); err != nil {
		h.serverError(w, r, err)
		return
	}
	h.render(w, r, status, "gdpr_purposes.html", h.newPage(r, "gdpr.purposes", d))
}

// createPurpose defines a purpose (admins, as the store checks).
func (h *handler) createPurpose(w http.ResponseWriter, r *http.Request) {
	if !h.requireAdminPage(w, r) || !h.checkForm(w, r) {
		return
	}
	f, p, ok := readPurposeForm(r)
	if !ok {
		h.showPurposes(w, r, http.StatusBadRequest, purposesData{Form: f, Error: h.newPage(r, "app", nil).T("gdpr.purpose.badnumber")})
		return
	}
	created, err := h.store.CreatePurpose(r.Context(), actor(r), p)
	var ce *store.ConflictError
	if errors.As(err, &ce) {
		h.showPurposes(w, r, http.StatusConflict, purposesData{Form: f, Error: h.newPage(r, "app", nil).T("gdpr.purpose.taken")})
		return
	}
	if err != nil {
		h.failForm(w, r, err, func(status int, msg string) {
			h.showPurposes(w, r, status, purposesData{Form: f, Error: msg})
		})
		return
	}
	http.Redirect(w, r, "/admin/purposes/"+created.ID, http.StatusSeeOther)
}

// adminPurpose is the {id} purpose for an admin, or false after answering 404.
func (h *handler) adminPurpose(w http.ResponseWriter, r *http.Request) (model.Purpose, bool) {
	if !h.requireAdminPage(w, r) {
		return model.Purpose{}, false
	}
	id, ok := h.pathID(w, r)
	if !ok {
		return model.Purpose{}, false
	}
	ps, err := h.store.ListPurposes(r.Context())
	if err != nil {
		h.serverError(w, r, err)
		return model.Purpose{}, false
	}
	i := slices.IndexFunc(ps, func(p model.Purpose) bool { return p.ID == id })
	if i < 0 {
		h.notFound(w, r)
		return model.Purpose{}, false
	}
	return ps[i], true
}

func (h *handler) purposePage(w http.ResponseWriter, r *http.Request) {
	if p, ok := h.adminPurpose(w, r); ok {
		h.showPurpose(w, r, http.StatusOK, purposeData{Purpose: p, Form: purposeFormOf(p)})
	}
}

func (h *handler) showPurpose(w http.ResponseWriter, r *http.Request, status int, d purposeData) {
	p := h.newPage(r, "gdpr.purpose", d)
	p.Title = p.T("gdpr.purpose") + ": " + d.Purpose.Name
	h.render(w, r, status, "gdpr_purpose.html", p)
}

// updatePurpose saves a purpose; a new wording raises its version (the store decides).
func (h *handler) updatePurpose(w http.ResponseWriter, r *http.Request) {
	cur, ok := h.adminPurpose(w, r)
	if !ok || !h.checkForm(w, r) {
		return
	}
	f, p, ok := readPurposeForm(r)
	f.Key = cur.Key
	if !ok {
		h.showPurpose(w, r, http.StatusBadRequest, purposeData{Purpose: cur, Form: f, Error: h.newPage(r, "app", nil).T("gdpr.purpose.badnumber")})
		return
	}
	_, err := h.store.UpdatePurpose(r.Context(), actor(r), cur.ID, store.PurposePatch{Name: &p.Name, Description: &p.Description,
		Wording: &p.Wording, ValidityMonths: &p.ValidityMonths, ReminderDays: &p.ReminderDays})
	if err != nil {
		h.failForm(w, r, err, func(status int, msg string) {
			h.showPurpose(w, r, status, purposeData{Purpose: cur, Form: f, Error: msg})
		})
		return
	}
	http.Redirect(w, r, "/admin/purposes/"+cur.ID, http.StatusSeeOther)
}

// ---- Web forms ----

// webForm is the web form as typed (lists and numbers as text, to show them again).
type webForm struct {
	Name, BookID, Language, Origins, SuccessURL, ConfirmedURL string
	ConfirmHours, HoneypotField, Organisation                 string
	PurposeIDs                                                []string
	NoConsentMail, RevocationMail, WithSecret                 bool
}

// HasPurpose reports whether the form offers purpose id.
func (f webForm) HasPurpose(id string) bool { return slices.Contains(f.PurposeIDs, id) }

func webFormOf(f model.Form) webForm {
	return webForm{Name: f.Name, BookID: f.BookID, Language: f.Language, Origins: strings.Join(f.AllowedOrigins, "\n"),
		SuccessURL: f.SuccessURL, ConfirmedURL: f.ConfirmedURL, ConfirmHours: strconv.Itoa(f.ConfirmHours),
		HoneypotField: f.HoneypotField, Organisation: f.Organisation, PurposeIDs: f.PurposeIDs,
		NoConsentMail: f.NoConsentMail, RevocationMail: f.RevocationMail}
}

// readWebForm reads the posted form settings; a timeout that is not a number answers false.
func readWebForm(r *http.Request) (webForm, model.Form, bool) {
	in := webForm{Name: r.PostFormValue("name"), BookID: r.PostFormValue("book_id"), Language: r.PostFormValue("language"),
		Origins: r.PostFormValue("allowed_origins"), SuccessURL: strings.TrimSpace(r.PostFormValue("success_url")),
		ConfirmedURL: strings.TrimSpace(r.PostFormValue("confirmed_url")), ConfirmHours: strings.TrimSpace(r.PostFormValue("confirm_hours")),
		HoneypotField: strings.TrimSpace(r.PostFormValue("honeypot_field")), Organisation: strings.TrimSpace(r.PostFormValue("organisation")),
		PurposeIDs: r.PostForm["purpose_ids"], NoConsentMail: r.PostFormValue("no_consent_mail") == "on",
		RevocationMail: r.PostFormValue("revocation_mail") == "on", WithSecret: r.PostFormValue("with_hmac_secret") == "on"}
	f := model.Form{Name: in.Name, BookID: in.BookID, PurposeIDs: in.PurposeIDs, Language: in.Language,
		AllowedOrigins: strings.Fields(in.Origins), SuccessURL: in.SuccessURL, ConfirmedURL: in.ConfirmedURL,
		HoneypotField: in.HoneypotField, Organisation: in.Organisation, NoConsentMail: in.NoConsentMail, RevocationMail: in.RevocationMail}
	if f.PurposeIDs == nil {
		f.PurposeIDs = []string{}
	}
	n, err := strconv.Atoi(in.ConfirmHours)
	f.ConfirmHours = n
	return in, f, err == nil
}

type formRow struct {
	model.Form
	BookName string
}

type formsData struct {
	Forms []formRow
}

type formData struct {
	Form     model.Form // the stored form (zero for a new one)
	Input    webForm
	Books    []model.Book
	Purposes []model.Purpose
	// Secret is the HMAC secret just made, shown this once.
	Secret  string
	Action  string // the public endpoint the snippet posts to
	Snippet string
	Error   string
}

func (h *handler) formsPage(w http.ResponseWriter, r *http.Request) {
	if !h.requireAdminPage(w, r) {
		return
	}
	fs, err := h.store.ListForms(r.Context(), actor(r))
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	names, err := h.bookNames(r)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	d := formsData{}
	for _, f := range fs {
		d.Forms = append(d.Forms, formRow{Form: f, BookName: names[f.BookID]})
	}
	h.render(w, r, http.StatusOK, "gdpr_forms.html", h.newPage(r, "gdpr.forms", d))
}

func (h *handler) newFormPage(w http.ResponseWriter, r *http.Request) {
	if h.requireAdminPage(w, r) {
		h.showForm(w, r, http.StatusOK, formData{Input: webForm{Language: "cs", ConfirmHours: "168", RevocationMail: true}})
	}
}

// showForm renders the form page: a new form's when d.Form has no id.
func (h *handler) showForm(w http.ResponseWriter, r *http.Request, status int, d formData) {
	var err error
	if d.Books, err = h.store.ListBooks(r.Context(), actor(r)); err != nil {
		h.serverError(w, r, err)
		return
	}
	if d.Purposes, err = h.store.ListPurposes(r.Context()); err != nil {
		h.serverError(w, r, err)
		return
	}
	p := h.newPage(r, "gdpr.form.new", nil)
	if d.Form.ID != "" {
		d.Action, d.Snippet = h.formSnippet(r, d.Form, d.Purposes, p)
		p.Title = p.T("gdpr.form") + ": " + d.Form.Name
	}
	p.Data = d
	h.render(w, r, status, "gdpr_form.html", p)
}

// formSnippet is the form's public endpoint and a plain HTML form posting to it, with a
// checkbox per purpose it offers, in the form's language.
func (h *handler) formSnippet(r *http.Request, f model.Form, all []model.Purpose, p page) (string, string) {
	base := strings.TrimRight(h.gdpr.PublicURL, "/")
	if base == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		base = scheme + "://" + r.Host
	}
	action := base + "/public/forms/" + f.Key + "/consents"
	lang := f.Language
	if lang != "cs" && lang != "en" {
		lang = p.Lang
	}
	t := func(k string) string { return html.EscapeString(h.msgs.text(lang, k)) }
	var b strings.Builder
	fmt.Fprintf(&b, "<form method=\"post\" action=\"%s\">\n", html.EscapeString(action))
	fmt.Fprintf(&b, "  <label>%s <input name=\"email\" type=\"email\" required></label>\n", t("gdpr.snippet.email"))
	fmt.Fprintf(&b, "  <label>%s <input name=\"name\"></label>\n", t("gdpr.snippet.name"))
	for _, id := range f.PurposeIDs {
		i := slices.IndexFunc(all, func(p model.Purpose) bool { return p.ID == id })
		if i < 0 {
			continue
		}
		pp := all[i]
		fmt.Fprintf(&b, "  <label><input type=\"checkbox\" name=\"purposes\" value=\"%s\"> %s</label>\n",
			html.EscapeString(pp.Key), html.EscapeString(pp.Name))
		if pp.Description != "" {
			fmt.Fprintf(&b, "  <p>%s</p>\n", html.EscapeString(pp.Description))
		}
	}
	if f.HoneypotField != "" {
		fmt.Fprintf(&b, "  <input name=\"%s\" type=\"text\" tabindex=\"-1\" autocomplete=\"off\" hidden>\n", html.EscapeString(f.HoneypotField))
	}
	fmt.Fprintf(&b, "  <button type=\"submit\">%s</button>\n</form>", t("gdpr.snippet.submit"))
	return action, b.String()
}

// createForm registers a web form; with an HMAC secret, the page shows it this once
// (answered directly, not redirected: a secret belongs in no URL and no later page).
func (h *handler) createForm(w http.ResponseWriter, r *http.Request) {
	if !h.requireAdminPage(w, r) || !h.checkForm(w, r) {
		return
	}
	in, f, ok := readWebForm(r)
	if !ok {
		h.showForm(w, r, http.StatusBadRequest, formData{Input: in, Error: h.newPage(r, "app", nil).T("gdpr.form.badhours")})
		return
	}
	created, err := h.store.CreateForm(r.Context(), actor(r), f, in.WithSecret)
	if err != nil {
		h.failForm(w, r, err, func(status int, msg string) { h.showForm(w, r, status, formData{Input: in, Error: msg}) })
		return
	}
	if created.HMACSecret != "" {
		h.showForm(w, r, http.StatusCreated, formData{Form: created, Input: webFormOf(created), Secret: created.HMACSecret})
		return
	}
	http.Redirect(w, r, "/admin/forms/"+created.ID, http.StatusSeeOther)
}

// adminForm is the {id} web form for an admin, or false after answering 404.
func (h *handler) adminForm(w http.ResponseWriter, r *http.Request) (model.Form, bool) {
	if !h.requireAdminPage(w, r) {
		return model.Form{}, false
	}
	id, ok := h.pathID(w, r)
	if !ok {
		return model.Form{}, false
	}
	fs, err := h.store.ListForms(r.Context(), actor(r))
	if err != nil {
		h.storeError(w, r, err)
		return model.Form{}, false
	}
	i := slices.IndexFunc(fs, func(f model.Form) bool { return f.ID == id })
	if i < 0 {
		h.notFound(w, r)
		return model.Form{}, false
	}
	return fs[i], true
}

func (h *handler) formPage(w http.ResponseWriter, r *http.Request) {
	if f, ok := h.adminForm(w, r); ok {
		h.showForm(w, r, http.StatusOK, formData{Form: f, Input: webFormOf(f)})
	}
}

// updateForm saves a form's settings (not its key or secret).
func (h *handler) updateForm(w http.ResponseWriter, r *http.Request) {
	cur, ok := h.adminForm(w, r)
	if !ok || !h.checkForm(w, r) {
		return
	}
	in, f, ok := readWebForm(r)
	if !ok {
		h.showForm(w, r, http.StatusBadRequest, formData{Form: cur, Input: in, Error: h.newPage(r, "app", nil).T("gdpr.form.badhours")})
		return
	}
	if _, err := h.store.UpdateForm(r.Context(), actor(r), cur.ID, f); err != nil {
		h.failForm(w, r, err, func(status int, msg string) { h.showForm(w, r, status, formData{Form: cur, Input: in, Error: msg}) })
		return
	}
	http.Redirect(w, r, "/admin/forms/"+cur.ID, http.StatusSeeOther)
}

// rotateFormSecret gives the form a new HMAC secret and shows it this once; the old one
// stops working at once.
func (h *handler) rotateFormSecret(w http.ResponseWriter, r *http.Request) {
	cur, ok := h.adminForm(w, r)
	if !ok || !h.checkForm(w, r) {
		return
	}
	f, err := h.store.RotateFormSecret(r.Context(), actor(r), cur.ID)
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	h.showForm(w, r, http.StatusOK, formData{Form: f, Input: webFormOf(f), Secret: f.HMACSecret})
}
