package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// contactCreate is the body of POST /api/contacts: the contact without server-set fields.
type contactCreate struct {
	BookID         string            `json:"book_id"`
	Kind           model.ContactKind `json:"kind"`
	Type           model.ContactType `json:"type"`
	Prefix         string            `json:"prefix"`
	GivenName      string            `json:"given_name"`
	AdditionalName string            `json:"additional_name"`
	FamilyName     string            `json:"family_name"`
	Suffix         string            `json:"suffix"`
	OrgName        string            `json:"org_name"`
	JobTitle       string            `json:"job_title"`
	Birthday       *string           `json:"birthday"`
	Tags           []string          `json:"tags"`
	Custom         map[string]any    `json:"custom"`
	Emails         []model.Email     `json:"emails"`
	Phones         []model.Phone     `json:"phones"`
	Addresses      []model.Address   `json:"addresses"`
	Websites       []model.Website   `json:"websites"`
	Socials        []model.Social    `json:"socials"`
}

func (in contactCreate) contact() model.Contact {
	return model.Contact{
		BookID: in.BookID, Kind: in.Kind, Type: in.Type, Prefix: in.Prefix, GivenName: in.GivenName,
		AdditionalName: in.AdditionalName, FamilyName: in.FamilyName, Suffix: in.Suffix, OrgName: in.OrgName,
		JobTitle: in.JobTitle, Birthday: in.Birthday, Tags: in.Tags, Custom: in.Custom, Emails: in.Emails,
		Phones: in.Phones, Addresses: in.Addresses, Websites: in.Websites, Socials: in.Socials,
	}
}

// contactFilter reads the list and search parameters.
func contactFilter(r *http.Request) (store.ContactFilter, error) {
	q := r.URL.Query()
	f := store.ContactFilter{
		Query: q.Get("q"), BookID: q.Get("book"), Type: q.Get("type"), Kind: q.Get("kind"),
		Tag: q.Get("tag"), OrganisationID: q.Get("organisation"), Cursor: q.Get("cursor"),
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 500 {
			return f, &model.FieldError{Field: "limit", Msg: "must be a number from 1 to 500"}
		}
		f.Limit = n
	}
	return f, nil
}

// listContacts lists or searches the contacts the caller may see.
func (h *handler) listContacts(w http.ResponseWriter, r *http.Request) {
	f, err := contactFilter(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.writeContactPage(w, r, f)
}

func (h *handler) writeContactPage(w http.ResponseWriter, r *http.Request, f store.ContactFilter) {
	page, err := h.store.ListContacts(r.Context(), actor(r), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

func (h *handler) listOrganisations(w http.ResponseWriter, r *http.Request) {
	f, err := contactFilter(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	f.Kind = "organisation"
	h.writeContactPage(w, r, f)
}

// listOrganisationPeople lists the visible persons related to a visible organisation.
func (h *handler) listOrganisationPeople(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	f, err := contactFilter(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	org, err := h.store.GetContact(r.Context(), actor(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if org.Kind != "organisation" {
		writeError(w, http.StatusNotFound, "not found", "")
		return
	}
	f.OrganisationID = id
	h.writeContactPage(w, r, f)
}

func (h *handler) getContact(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	c, err := h.store.GetContact(r.Context(), actor(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(c.Version))
	writeJSON(w, http.StatusOK, c)
}

func etag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

func (h *handler) createContact(w http.ResponseWriter, r *http.Request) {
	var in contactCreate
	if err := decode(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	c, err := h.store.CreateContact(r.Context(), actor(r), in.contact())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/contacts/"+c.ID)
	w.Header().Set("ETag", etag(c.Version))
	writeJSON(w, http.StatusCreated, c)
}

// updateContact applies a PATCH; If-Match with the contact's ETag guards against lost
// updates.
func (h *handler) updateContact(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	var in model.ContactPatch
	if err := decode(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	var ifVersion int64
	if m := r.Header.Get("If-Match"); m != "" {
		v, err := strconv.ParseInt(strings.Trim(strings.TrimPrefix(m, "W/"), `"`), 10, 64)
		if err != nil || v < 1 {
			writeError(w, http.StatusPreconditionFailed, "If-Match must be an ETag of this contact", "")
			return
		}
		ifVersion = v
	}
	c, err := h.store.UpdateContact(r.Context(), actor(r), id, in, ifVersion)
	if ce, isConflict := err.(*store.ConflictError); isConflict && ce.Field == "version" {
		writeError(w, http.StatusPreconditionFailed, ce.Msg, "")
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(c.Version))
	writeJSON(w, http.StatusOK, c)
}

func (h *handler) deleteContact(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	h.noContent(w, r, h.store.DeleteContact(r.Context(), actor(r), id))
}

type relationCreate struct {
	PersonID       string  `json:"person_id"`
	OrganisationID string  `json:"organisation_id"`
	Role           string  `json:"role"`
	ValidFrom      *string `json:"valid_from"`
	ValidTo        *string `json:"valid_to"`
}

func (h *handler) createRelation(w http.ResponseWriter, r *http.Request) {
	var in relationCreate
	if err := decode(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	if !store.ValidID(in.PersonID) {
		writeError(w, http.StatusBadRequest, "not an id", "person_id")
		return
	}
	if !store.ValidID(in.OrganisationID) {
		writeError(w, http.StatusBadRequest, "not an id", "organisation_id")
		return
	}
	rel, err := h.store.AddRelation(r.Context(), actor(r), model.Relation{
		PersonID: in.PersonID, OrganisationID: in.OrganisationID, Role: in.Role, ValidFrom: in.ValidFrom, ValidTo: in.ValidTo,
	})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, rel)
}

func (h *handler) deleteRelation(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	h.noContent(w, r, h.store.DeleteRelation(r.Context(), actor(r), id))
}

type noteCreate struct {
	Body     string             `json:"body"`
	Audience model.AudienceKind `json:"audience"`
	Users    []string           `json:"users"`
	Groups   []string           `json:"groups"`
}

func (h *handler) createNote(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	var in noteCreate
	if err := decode(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	n, err := h.store.CreateNote(r.Context(), actor(r), model.Note{
		ContactID: id, Body: in.Body, Audience: in.Audience, Users: in.Users, Groups: in.Groups,
	})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, n)
}

func (h *handler) updateNote(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	var in store.NotePatch
	if err := decode(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	n, err := h.store.UpdateNote(r.Context(), actor(r), id, in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, n)
}

func (h *handler) deleteNote(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	h.noContent(w, r, h.store.DeleteNote(r.Context(), actor(r), id))
}

// listAudit lets admins read the audit log, filtered by contact, actor, action, channel and
// time, newest first; pass the last id seen as before= for the next page.
func (h *handler) listAudit(w http.ResponseWriter, r *http.Request) {
	if !requireAdmin(w, r) {
		return
	}
	q := r.URL.Query()
	f := store.AuditFilter{ContactID: q.Get("contact"), ActorID: q.Get("actor"), Action: q.Get("action"), Channel: q.Get("channel")}
	for _, p := range []struct{ name, v string }{{"contact", f.ContactID}, {"actor", f.ActorID}} {
		if p.v != "" && !store.ValidID(p.v) {
			writeError(w, http.StatusBadRequest, "not an id", p.name)
			return
		}
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 500 {
			writeError(w, http.StatusBadRequest, "must be a number from 1 to 500", "limit")
			return
		}
		f.Limit = n
	}
	if s := q.Get("before"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 1 {
			writeError(w, http.StatusBadRequest, "must be an audit entry id", "before")
			return
		}
		f.Before = n
	}
	for _, p := range []struct {
		name string
		dst  **time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		if s := q.Get(p.name); s != "" {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				writeError(w, http.StatusBadRequest, "must be an RFC 3339 time", p.name)
				return
			}
			*p.dst = &t
		}
	}
	es, err := h.store.ListAudit(r.Context(), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, es)
}
