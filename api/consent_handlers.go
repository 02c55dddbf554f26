package api

import (
	"net/http"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
	"github.com/kontakt/kontakt/workflows"
)

type purposeCreate struct {
	Key            string `json:"key"`
	Name           string `json:"name"`
	Description    string `json:"description"`
	Wording        string `json:"wording"`
	ValidityMonths int    `json:"validity_months"`
	ReminderDays   int    `json:"reminder_days"`
}

// formRequest is the body of POST and PUT /api/forms: the settings an admin chooses.
type formRequest struct {
	Name           string   `json:"name"`
	BookID         string   `json:"book_id"`
	PurposeIDs     []string `json:"purpose_ids"`
	Language       string   `json:"language"`
	AllowedOrigins []string `json:"allowed_origins"`
	SuccessURL     string   `json:"success_url"`
	ConfirmedURL   string   `json:"confirmed_url"`
	HoneypotField  string   `json:"honeypot_field"`
	ConfirmHours   int      `json:"confirm_hours"`
	Organisation   string   `json:"organisation"`
	WithSecret     bool     `json:"with_hmac_secret"`
	// NoConsentMail and RevocationMail default to false and true when absent.
	NoConsentMail  *bool `json:"no_consent_mail"`
	RevocationMail *bool `json:"revocation_mail"`
}

func (in formRequest) form() model.Form {
	return model.Form{Name: in.Name, BookID: in.BookID, PurposeIDs: in.PurposeIDs, Language: in.Language,
		AllowedOrigins: in.AllowedOrigins, SuccessURL: in.SuccessURL, ConfirmedURL: in.ConfirmedURL,
		HoneypotField: in.HoneypotField, ConfirmHours: in.ConfirmHours, Organisation: in.Organisation,
		NoConsentMail: in.NoConsentMail != nil && *in.NoConsentMail, RevocationMail: in.RevocationMail == nil || *in.RevocationMail}
}

func (h *handler) listPurposes(w http.ResponseWriter, r *http.Request) {
	ps, err := h.store.ListPurposes(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ps)
}

func (h *handler) createPurpose(w http.ResponseWriter, r *http.Request) {
	var in purposeCreate
	if err := decode(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	p, err := h.store.CreatePurpose(r.Context(), actor(r), model.Purpose{Key: in.Key, Name: in.Name,
		Description: in.Description, Wording: in.Wording, ValidityMonths: in.ValidityMonths, ReminderDays: in.ReminderDays})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, p)
}

func (h *handler) updatePurpose(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	var in store.PurposePatch
	if err := decode(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	p, err := h.store.UpdatePurpose(r.Context(), actor(r), id, in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// createForm registers a web form; the answer holds its public key and, when asked for,
// the HMAC secret for server-to-server posts.
func (h *handler) createForm(w http.ResponseWriter, r *http.Request) {
	var in formRequest
	if err := decode(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	f, err := h.store.CreateForm(r.Context(), actor(r), in.form(), in.WithSecret)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, f)
}

func (h *handler) updateForm(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	var in formRequest
	if err := decode(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	f, err := h.store.UpdateForm(r.Context(), actor(r), id, in.form())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, f)
}

// rotateFormSecret gives a form a new HMAC secret and answers the form with it; the old
// secret stops working at once. The website's server must sign with the new one.
func (h *handler) rotateFormSecret(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	f, err := h.store.RotateFormSecret(r.Context(), actor(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, f)
}

// listContactConsents shows a contact's consents with history, evidence and the Temporal
// workflows behind each: the verification of its request and its lifecycle.
func (h *handler) listContactConsents(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	cs, err := h.store.ListContactConsents(r.Context(), actor(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for i := range cs {
		cs[i] = withWorkflowIDs(cs[i])
	}
	writeJSON(w, http.StatusOK, cs)
}

// listVerifications lists double opt-ins still waiting for confirmation.
func (h *handler) listVerifications(w http.ResponseWriter, r *http.Request) {
	vs, err := h.store.ListPendingVerifications(r.Context(), actor(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for i := range vs {
		vs[i].WorkflowID = workflows.ConsentVerificationID(vs[i].ID)
	}
	writeJSON(w, http.StatusOK, vs)
}
