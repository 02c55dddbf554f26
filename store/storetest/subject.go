package storetest

import (
	"context"
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// Subject is a person seeded into every section of the access and portability export
// (model.SubjectExport), with the users who may and may not export them.
//
//	Book "Členové": Manager manager, Viewer viewer; Admin an admin; Stranger no grant;
//	DPO no grant but the gdpr permission. OtherBook "Partneři": no grants.
//	Person in Book: contact points of every kind, tags, a custom field, a relation to Org
//	in OtherBook, an open note and a restricted note only its author (Admin) sees, a
//	consent signed in person with a scan and one confirmed by double opt-in, a pending
//	request on Book's form and one on OtherBook's form (not theirs to export), subject
//	requests by e-mail and by token, a read by Viewer, and a device of Manager that holds
//	the contact.
type Subject struct {
	Admin, Manager, Viewer, Stranger, DPO model.User
	Book, OtherBook                       model.Book
	Person, Org                           model.Contact
	Newsletter, Events                    model.Purpose
	Form, OtherForm                       model.Form
	DeviceID                              string
	Scan                                  []byte

	// Found are values the export must show, by section; Absent what it must not.
	Found  map[string][]string
	Absent []string
}

// SubjectEmail is the person's e-mail address.
const SubjectEmail = "katerina.exportova@example.org"

// SeedSubject builds the fixture through the store, and through pool for the subject
// requests whose store methods live elsewhere. hash is every user's password hash.
func SeedSubject(ctx context.Context, st *store.Store, pool *pgxpool.Pool, hash string) (*Subject, error) {
	s := &Subject{Scan: []byte("%PDF-1.4\n% podepsaný souhlas Kateřiny\n%%EOF\n")}
	sys := store.Actor{Channel: "system"}
	users := map[string]*model.User{"s-admin": &s.Admin, "s-manager": &s.Manager, "s-viewer": &s.Viewer,
		"s-stranger": &s.Stranger, "s-dpo": &s.DPO}
	for _, login := range []string{"s-admin", "s-manager", "s-viewer", "s-stranger", "s-dpo"} {
		u, err := st.CreateUser(ctx, sys, model.User{Login: login, Name: "Uživatel " + login, IsAdmin: login == "s-admin"}, hash)
		if err != nil {
			return nil, fmt.Errorf("user %s: %w", login, err)
		}
		*users[login] = u
	}
	admin := store.Actor{UserID: s.Admin.ID, Channel: "api"}
	manager := store.Actor{UserID: s.Manager.ID, Channel: "api"}
	dpo, err := st.UpdateUser(ctx, admin, s.DPO.ID, store.UserPatch{Permissions: &[]string{model.PermGDPR}})
	if err != nil {
		return nil, err
	}
	s.DPO = dpo
	if s.Book, err = st.CreateBook(ctx, admin, "Členové", ""); err != nil {
		return nil, err
	}
	if s.OtherBook, err = st.CreateBook(ctx, admin, "Partneři", ""); err != nil {
		return nil, err
	}
	for id, role := range map[string]model.Role{s.Manager.ID: "manager", s.Viewer.ID: "viewer"} {
		if _, err := st.PutGrant(ctx, admin, model.Grant{BookID: s.Book.ID, UserID: &id, Role: role}); err != nil {
			return nil, err
		}
	}
	if err := st.PutField(ctx, admin, s.Book.ID, model.FieldDef{Key: "member_no", Label: "Členské číslo", Type: "text"}); err != nil {
		return nil, err
	}
	birthday := "1984-05-17"
	if s.Person, err = st.CreateContact(ctx, manager, model.Contact{BookID: s.Book.ID, Kind: "person", GivenName: "Kateřina",
		FamilyName: "Exportová", JobTitle: "Účetní", Birthday: &birthday, Tags: []string{"členka"},
		Custom:    map[string]any{"member_no": "A-117"},
		Emails:    []model.Email{{Value: SubjectEmail, Preferred: true}},
		Phones:    []model.Phone{{Value: "+420 601 234 567"}},
		Addresses: []model.Address{{Street: "Lipová 12", Locality: "Olomouc", PostalCode: "779 00", Country: "CZ"}},
		Websites:  []model.Website{{URL: "https://exportova.example.org"}},
		Socials:   []model.Social{{Network: model.SocialMastodon, Handle: "@katerina@example.social"}},
	}); err != nil {
		return nil, fmt.Errorf("person: %w", err)
	}
	if s.Org, err = st.CreateContact(ctx, admin, model.Contact{BookID: s.OtherBook.ID, Kind: "organisation", OrgName: "Exportní družstvo"}); err != nil {
		return nil, err
	}
	if _, err := st.AddRelation(ctx, admin, model.Relation{PersonID: s.Person.ID, OrganisationID: s.Org.ID, Role: "předsedkyně"}); err != nil {
		return nil, err
	}
	if _, err := st.CreateNote(ctx, manager, model.Note{ContactID: s.Person.ID, Body: "Volala kvůli příspěvkům.", Audience: model.AudienceContact}); err != nil {
		return nil, err
	}
	if _, err := st.CreateNote(ctx, admin, model.Note{ContactID: s.Person.ID, Body: "Dluží 300 Kč za rok 2025.", Audience: model.AudienceRestricted}); err != nil {
		return nil, err
	}

	if s.Newsletter, err = st.CreatePurpose(ctx, admin, model.Purpose{Key: "s-newsletter", Name: "Zpravodaj", Wording: "Zasílejte mi zpravodaj."}); err != nil {
		return nil, err
	}
	if s.Events, err = st.CreatePurpose(ctx, admin, model.Purpose{Key: "s-events", Name: "Akce", Wording: "Zvěte mě na akce."}); err != nil {
		return nil, err
	}
	if _, err := st.RecordSignedConsent(ctx, manager, store.ConsentRecord{ContactID: s.Person.ID, PurposeID: s.Events.ID,
		Source: model.SourceBranch, GivenAt: time.Now().AddDate(0, 0, -3), Evidence: map[string]any{"branch": "Pobočka Olomouc"},
		Scan: &store.Scan{ContentType: "application/pdf", Data: s.Scan}}); err != nil {
		return nil, fmt.Errorf("signed consent: %w", err)
	}
	form := func(book model.Book) (model.Form, error) {
		return st.CreateForm(ctx, admin, model.Form{Name: "Přihláška " + book.Name, BookID: book.ID,
			PurposeIDs: []string{s.Newsletter.ID}, Language: "cs"}, false)
	}
	if s.Form, err = form(s.Book); err != nil {
		return nil, err
	}
	if s.OtherForm, err = form(s.OtherBook); err != nil {
		return nil, err
	}
	intake := func(f model.Form, ip string) (string, error) {
		res, err := st.RecordIntake(ctx, store.Intake{FormID: f.ID, Email: SubjectEmail, Name: "Kateřina Exportová",
			PurposeIDs: []string{s.Newsletter.ID}, Language: "cs", IP: ip, UserAgent: "Mozilla/5.0 (Kateřina)",
			PageURL: "https://www.example.org/prihlaska"})
		return res.RequestID, err
	}
	// A double opt-in confirmed and activated.
	reqID, err := intake(s.Form, "198.51.100.23")
	if err != nil {
		return nil, err
	}
	if _, err := st.PrepareVerification(ctx, reqID); err != nil {
		return nil, err
	}
	token := sha256.Sum256([]byte("subject-token-" + reqID))
	if _, err := st.ConfirmationMail(ctx, reqID, token[:]); err != nil {
		return nil, err
	}
	if _, _, err := st.Confirm(ctx, token[:], "203.0.113.45", "Mozilla/5.0 (potvrzení)"); err != nil {
		return nil, err
	}
	if _, err := st.ActivateConsents(ctx, reqID); err != nil {
		return nil, err
	}
	// A second submission, pending and not matched to the contact yet, and one on the other
	// book's form, which belongs to that book's records.
	if _, err := intake(s.Form, "198.51.100.24"); err != nil {
		return nil, err
	}
	if _, err := intake(s.OtherForm, "192.0.2.99"); err != nil {
		return nil, err
	}

	// Subject requests: one by the person's address, one linked by a token naming the contact.
	var tokenReq string
	if _, err := pool.Exec(ctx, `INSERT INTO subject_requests (form_id, kind, email, ip, user_agent)
		VALUES ($1, 'access', $2, '198.51.100.31', 'Mozilla/5.0 (přístup)')`, s.Form.ID, SubjectEmail); err != nil {
		return nil, err
	}
	if err := pool.QueryRow(ctx, `INSERT INTO subject_requests (form_id, kind, email, purpose_ids, ip, status, done_at)
		VALUES ($1, 'revoke', '', $2, '198.51.100.32', 'done', now()) RETURNING id`, s.Form.ID, []string{s.Events.ID}).Scan(&tokenReq); err != nil {
		return nil, err
	}
	if _, err := pool.Exec(ctx, `INSERT INTO subject_tokens (token_hash, request_id, form_id, contact_ids, expires_at)
		VALUES ($1, $2, $3, $4, now() + interval '7 days')`, token[:16], tokenReq, s.Form.ID, []string{s.Person.ID}); err != nil {
		return nil, err
	}

	d, err := st.CreateDevice(ctx, manager, "iPhone správkyně", "kt_dev_", []byte("subject-device-secret-hash"))
	if err != nil {
		return nil, err
	}
	s.DeviceID = d.ID
	if err := st.RecordServed(ctx, d.ID, s.Book.ID, []store.ContactVersion{{ContactID: s.Person.ID, Version: 1}}, nil); err != nil {
		return nil, err
	}
	if _, err := st.GetContact(ctx, store.Actor{UserID: s.Viewer.ID, Channel: "api"}, s.Person.ID); err != nil {
		return nil, err
	}

	s.Found = map[string][]string{
		"contact":          {"Exportová", SubjectEmail, "+420601234567", "Lipová 12", "https://exportova.example.org", "katerina@example.social", "členka", "A-117", "1984-05-17", "předsedkyně", "Exportní družstvo"},
		"book":             {"Členové"},
		"custom_fields":    {"Členské číslo"},
		"notes":            {"Volala kvůli příspěvkům.", "Dluží 300 Kč za rok 2025."},
		"consents":         {"Pobočka Olomouc", "203.0.113.45", "s-newsletter", "s-events"},
		"consent_requests": {"198.51.100.23", "198.51.100.24", "Mozilla/5.0 (potvrzení)"},
		"subject_requests": {"198.51.100.31", "198.51.100.32"},
		"access":           {"Uživatel s-viewer", "contact.read", "carddav.sync"},
		"devices":          {"iPhone správkyně", "Uživatel s-manager"},
	}
	s.Absent = []string{"192.0.2.99", "podepsaný souhlas Kateřiny"}
	return s, nil
}
