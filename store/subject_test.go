package store_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kontakt/kontakt/auth"
	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// subjectEnv is the double opt-in fixture plus a second book and three people: Jana has
// the asked-for address in both books (in different cases), Petr has another address.
type subjectEnv struct {
	*doi
	form               model.Form // revocation_mail on
	book2              model.Book
	janaA, janaB, petr string // contact ids
	consents           map[string]string
}

const janaEmail = "Jana.Nova@Posta.example"

func newSubjectEnv(t *testing.T) *subjectEnv {
	t.Helper()
	ctx := context.Background()
	e := &subjectEnv{doi: newDOI(t), consents: map[string]string{}}
	var err error
	e.book2, err = e.st.CreateBook(ctx, e.admin, "Partneři", "")
	if err != nil {
		t.Fatal(err)
	}
	e.form, err = e.st.CreateForm(ctx, e.admin, model.Form{Name: "Odvolání", BookID: e.book.ID,
		PurposeIDs: e.ids(formKeys...), Language: "cs", Organisation: "Pekárna Novák s.r.o.", RevocationMail: true}, false)
	if err != nil {
		t.Fatal(err)
	}
	person := func(book, name, email string) string {
		c, err := e.st.CreateContact(ctx, e.admin, model.Contact{BookID: book, Kind: model.KindPerson, FamilyName: name,
			Emails: []model.Email{{Value: "jana@work.example"}, {Value: email}}})
		if err != nil {
			t.Fatal(err)
		}
		return c.ID
	}
	e.janaA = person(e.book.ID, "Nová", "jana.nova@posta.example")
	e.janaB = person(e.book2.ID, "Nová", "JANA.NOVA@posta.example")
	e.petr = person(e.book.ID, "Novák", "petr@posta.example")
	consent := func(contact, key string) string {
		id, err := e.st.RecordConsent(ctx, e.admin, store.ConsentRecord{ContactID: contact, PurposeID: e.purposes[key].ID,
			Source: model.SourceBranch, GivenAt: time.Now().Add(-time.Hour), Evidence: map[string]any{"branch": "Brno"}})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	e.consents["janaA/newsletter"] = consent(e.janaA, "newsletter")
	e.consents["janaA/events"] = consent(e.janaA, "events")
	e.consents["janaB/surveys"] = consent(e.janaB, "surveys")
	e.consents["petr/newsletter"] = consent(e.petr, "newsletter")
	return e
}

func (e *subjectEnv) request(t *testing.T, kind, email string, purposes ...string) string {
	t.Helper()
	id, err := e.st.RecordSubjectRequest(context.Background(), store.SubjectPost{FormID: e.form.ID, Kind: kind, Email: email,
		PurposeIDs: e.ids(purposes...), IP: "198.51.100.7", UserAgent: "Mozilla/5.0 (subject)", PageURL: "https://www.example.cz/odvolani"})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (e *subjectEnv) status(t *testing.T, consentID string) (string, int) {
	t.Helper()
	var status string
	var events int
	if err := e.pool.QueryRow(context.Background(), `SELECT status, (SELECT count(*) FROM consent_events WHERE consent_id = c.id)
		FROM consents c WHERE id = $1`, consentID).Scan(&status, &events); err != nil {
		t.Fatal(err)
	}
	return status, events
}

func consentIDs(cs []store.SubjectConsent) []string {
	var ids []string
	for _, c := range cs {
		ids = append(ids, c.ID)
	}
	slices.Sort(ids)
	return ids
}

// An access request finds the address's contacts in every book, lists their consents, stores
// only the link token's hash, mails once, and forgets the address when done.
func TestSubjectAccess(t *testing.T) {
	ctx := context.Background()
	e := newSubjectEnv(t)
	id := e.request(t, store.SubjectKindAccess, janaEmail)

	plan, err := e.st.PlanSubjectRequest(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Kind != "access" || plan.Done || plan.Consents != 3 || !slices.Equal(plan.ContactIDs, sorted([]string{e.janaA, e.janaB})) || !plan.RevocationMail || plan.NoConsentMail {
		t.Fatalf("plan %+v", plan)
	}

	token := newSecret(t)
	m, err := e.st.SubjectAccessMail(ctx, id, plan.ContactIDs, auth.HashSecret(token), 7*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if m.To != janaEmail || m.Language != "cs" || m.Organisation != "Pekárna Novák s.r.o." || time.Until(m.ExpiresAt) < 167*time.Hour {
		t.Fatalf("mail %+v", m)
	}
	if got, want := consentIDs(m.Consents), sorted([]string{e.consents["janaA/newsletter"], e.consents["janaA/events"], e.consents["janaB/surveys"]}); !slices.Equal(got, want) {
		t.Fatalf("listed %v, want %v", got, want)
	}
	if c := m.Consents[0]; c.Status != model.ConsentActive || c.Source != model.SourceBranch || c.ValidUntil == nil || c.PurposeName == "" {
		t.Errorf("consent %+v", c)
	}
	// A second attempt before the mail went out replaces the token: one link per request.
	token = newSecret(t)
	if _, err := e.st.SubjectAccessMail(ctx, id, plan.ContactIDs, auth.HashSecret(token), 7*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	var n int
	var row string
	var hashOK, emailHashOK bool
	if err := e.pool.QueryRow(ctx, `SELECT count(*) OVER (), t::text, t.token_hash = $1,
			t.email_sha256 = sha256(convert_to(lower($2), 'UTF8'))
		FROM subject_tokens t`, auth.HashSecret(token), janaEmail).Scan(&n, &row, &hashOK, &emailHashOK); err != nil {
		t.Fatal(err)
	}
	if n != 1 || !hashOK || !emailHashOK {
		t.Fatalf("%d tokens, hash %v, email hash %v", n, hashOK, emailHashOK)
	}
	if strings.Contains(row, token) || strings.Contains(strings.ToLower(row), "posta") {
		t.Fatalf("the token row holds the token or the address: %s", row)
	}
	sum := sha256.Sum256([]byte(token))
	if !slices.Equal(auth.HashSecret(token), sum[:]) {
		t.Fatal("HashSecret is not SHA-256")
	}

	if err := e.st.MarkSubjectMailSent(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.SubjectAccessMail(ctx, id, plan.ContactIDs, auth.HashSecret(newSecret(t)), time.Hour); !errors.Is(err, store.ErrMailSent) {
		t.Fatalf("after the mail went out: %v, want ErrMailSent", err)
	}
	if err := e.st.FinishSubjectRequest(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := e.st.FinishSubjectRequest(ctx, id); err != nil {
		t.Fatal(err)
	}
	var email, ip, status string
	var hash []byte
	if err := e.pool.QueryRow(ctx, `SELECT email, ip, status, email_sha256 FROM subject_requests WHERE id = $1`, id).Scan(&email, &ip, &status, &hash); err != nil {
		t.Fatal(err)
	}
	if email != "" || ip != "" || status != "done" || hash != nil {
		t.Fatalf("done request keeps %q %q %q %x", email, ip, status, hash)
	}
	if plan, err := e.st.PlanSubjectRequest(ctx, id); err != nil || !plan.Done {
		t.Fatalf("plan after done: %+v %v", plan, err)
	}
	// The link still works after the request is done, until it expires.
	v, err := e.st.SubjectLink(ctx, auth.HashSecret(token))
	if err != nil || len(v.Consents) != 3 || v.Language != "cs" {
		t.Fatalf("link view %+v %v", v, err)
	}
	if _, err := e.st.SubjectLink(ctx, auth.HashSecret("unknown")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown link: %v", err)
	}
	if _, err := e.pool.Exec(ctx, `UPDATE subject_tokens SET expires_at = now() - interval '1 second'`); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.SubjectLink(ctx, auth.HashSecret(token)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired link: %v", err)
	}
	if _, err := e.st.RevokeByLink(ctx, auth.HashSecret(token), []string{e.consents["janaA/newsletter"]}, "1.2.3.4", "UA"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoke by expired link: %v", err)
	}
}

// An address without contacts or consents plans nothing and may get the "no consent" mail.
func TestSubjectAccessUnknown(t *testing.T) {
	ctx := context.Background()
	e := newSubjectEnv(t)
	id := e.request(t, store.SubjectKindAccess, "nikdo@posta.example")
	plan, err := e.st.PlanSubjectRequest(ctx, id)
	if err != nil || plan.Consents != 0 || len(plan.ContactIDs) != 0 {
		t.Fatalf("plan %+v %v", plan, err)
	}
	if _, err := e.st.SubjectAccessMail(ctx, id, plan.ContactIDs, auth.HashSecret(newSecret(t)), time.Hour); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("access mail with nothing to list: %v", err)
	}
	m, err := e.st.SubjectNoConsentMail(ctx, id)
	if err != nil || m.To != "nikdo@posta.example" || len(m.Consents) != 0 {
		t.Fatalf("no-consent mail %+v %v", m, err)
	}
	var tokens int
	if err := e.pool.QueryRow(ctx, `SELECT count(*) FROM subject_tokens`).Scan(&tokens); err != nil || tokens != 0 {
		t.Fatalf("%d tokens for an unknown address", tokens)
	}
}

// The page's revocation touches only active consents of the link's contacts, appends to
// their history with the evidence, hides the contact where its book requires the purpose,
// and commits the request that carries the confirmation mail.
func TestRevokeByLink(t *testing.T) {
	ctx := context.Background()
	e := newSubjectEnv(t)
	required := e.purposes["newsletter"].ID
	if _, err := e.st.UpdateBook(ctx, e.admin, e.book.ID, store.BookPatch{RequiredPurposeID: &required}); err != nil {
		t.Fatal(err)
	}
	id := e.request(t, store.SubjectKindAccess, janaEmail)
	plan, err := e.st.PlanSubjectRequest(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	token := newSecret(t)
	if _, err := e.st.SubjectAccessMail(ctx, id, plan.ContactIDs, auth.HashSecret(token), time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.GetContact(ctx, e.admin, e.janaA); err != nil {
		t.Fatalf("before: %v", err)
	}
	var seqBefore int64
	if err := e.pool.QueryRow(ctx, `SELECT coalesce(max(seq), 0) FROM book_changes`).Scan(&seqBefore); err != nil {
		t.Fatal(err)
	}
	var updatedBefore time.Time
	if err := e.pool.QueryRow(ctx, `SELECT updated_at FROM consents WHERE id = $1`, e.consents["janaA/newsletter"]).Scan(&updatedBefore); err != nil {
		t.Fatal(err)
	}

	petrBefore, petrEvents := e.status(t, e.consents["petr/newsletter"])
	res, err := e.st.RevokeByLink(ctx, auth.HashSecret(token), []string{
		e.consents["janaA/newsletter"], e.consents["janaB/surveys"],
		e.consents["petr/newsletter"], // not the link's: ignored
		"not-an-id", "00000000-0000-4000-8000-000000000000",
	}, "203.0.113.5", "Mozilla/5.0 (page)")
	if err != nil {
		t.Fatal(err)
	}
	if res.Revoked != 2 || res.RequestID == "" {
		t.Fatalf("revocation %+v", res)
	}
	if s, n := e.status(t, e.consents["petr/newsletter"]); s != petrBefore || n != petrEvents {
		t.Fatalf("another person's consent changed: %s, %d events", s, n)
	}
	if s, n := e.status(t, e.consents["janaA/events"]); s != "active" || n != 1 {
		t.Fatalf("an unticked consent changed: %s, %d events", s, n)
	}
	for _, k := range []string{"janaA/newsletter", "janaB/surveys"} {
		s, n := e.status(t, e.consents[k])
		if s != "revoked" || n != 2 {
			t.Fatalf("%s: %s with %d events", k, s, n)
		}
	}
	var ev map[string]any
	var channel, reason string
	var updatedAfter time.Time
	if err := e.pool.QueryRow(ctx, `SELECT e.evidence, e.channel, e.reason, c.updated_at FROM consent_events e JOIN consents c ON c.id = e.consent_id
		WHERE e.consent_id = $1 AND e.status = 'revoked'`, e.consents["janaA/newsletter"]).Scan(&ev, &channel, &reason, &updatedAfter); err != nil {
		t.Fatal(err)
	}
	if ev["ip"] != "203.0.113.5" || ev["user_agent"] != "Mozilla/5.0 (page)" || ev["subject_request_id"] != id || ev["form_id"] != e.form.ID || channel != "web" {
		t.Fatalf("evidence %v on %s (%s)", ev, channel, reason)
	}
	if !updatedAfter.After(updatedBefore) {
		t.Error("updated_at did not move: the lifecycle outbox would not see the revocation")
	}
	// Visibility follows at once, and the change feed tells the book's devices.
	if _, err := e.st.GetContact(ctx, e.admin, e.janaA); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("contact without the required consent: %v", err)
	}
	var fed int
	if err := e.pool.QueryRow(ctx, `SELECT count(*) FROM book_changes WHERE seq > $1 AND contact_id = $2 AND book_id = $3`,
		seqBefore, e.janaA, e.book.ID).Scan(&fed); err != nil || fed != 1 {
		t.Fatalf("%d changes fed (%v)", fed, err)
	}
	var audited int
	if err := e.pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'consent.revoke' AND channel = 'web'
		AND contact_ids @> ARRAY[$1::uuid, $2::uuid]`, e.janaA, e.janaB).Scan(&audited); err != nil || audited != 1 {
		t.Fatalf("%d audit entries (%v)", audited, err)
	}

	// Revoking again revokes nothing and commits no mail.
	again, err := e.st.RevokeByLink(ctx, auth.HashSecret(token), []string{e.consents["janaA/newsletter"]}, "203.0.113.5", "UA")
	if err != nil || again.Revoked != 0 || again.RequestID != "" {
		t.Fatalf("second revocation %+v %v", again, err)
	}

	// The confirmation goes to the contact point the link was mailed to, found by its hash.
	plan, err = e.st.PlanSubjectRequest(ctx, res.RequestID)
	if err != nil || plan.Kind != store.SubjectKindRevokeLink || !plan.RevocationMail {
		t.Fatalf("revoke_link plan %+v %v", plan, err)
	}
	m, err := e.st.SubjectRevocationMail(ctx, res.RequestID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.EqualFold(m.To, janaEmail) || len(m.Consents) != 2 || m.Consents[0].Status != model.ConsentRevoked {
		t.Fatalf("revocation mail %+v", m)
	}
	if err := e.st.MarkSubjectMailSent(ctx, res.RequestID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.SubjectRevocationMail(ctx, res.RequestID); !errors.Is(err, store.ErrMailSent) {
		t.Fatalf("second revocation mail: %v", err)
	}
}

// Without the form's revocation mail, a link's revocation commits no request.
func TestRevokeByLinkWithoutMail(t *testing.T) {
	ctx := context.Background()
	e := newSubjectEnv(t)
	e.form.RevocationMail = false
	if _, err := e.st.UpdateForm(ctx, e.admin, e.form.ID, e.form); err != nil {
		t.Fatal(err)
	}
	id := e.request(t, store.SubjectKindAccess, janaEmail)
	plan, _ := e.st.PlanSubjectRequest(ctx, id)
	token := newSecret(t)
	if _, err := e.st.SubjectAccessMail(ctx, id, plan.ContactIDs, auth.HashSecret(token), time.Hour); err != nil {
		t.Fatal(err)
	}
	res, err := e.st.RevokeByLink(ctx, auth.HashSecret(token), []string{e.consents["janaA/events"]}, "203.0.113.5", "UA")
	if err != nil || res.Revoked != 1 || res.RequestID != "" {
		t.Fatalf("%+v %v", res, err)
	}
}

// A revoke request revokes the active consents for its purposes of every contact with its
// address, once, whatever the retries.
func TestRevokeForSubjectRequest(t *testing.T) {
	ctx := context.Background()
	e := newSubjectEnv(t)
	id := e.request(t, store.SubjectKindRevoke, janaEmail, "newsletter", "surveys")
	n, err := e.st.RevokeForSubjectRequest(ctx, id)
	if err != nil || n != 2 {
		t.Fatalf("revoked %d (%v), want 2", n, err)
	}
	for k, want := range map[string]string{"janaA/newsletter": "revoked", "janaB/surveys": "revoked", "janaA/events": "active", "petr/newsletter": "active"} {
		if s, _ := e.status(t, e.consents[k]); s != want {
			t.Errorf("%s is %s, want %s", k, s, want)
		}
	}
	var ev map[string]any
	if err := e.pool.QueryRow(ctx, `SELECT evidence FROM consent_events WHERE consent_id = $1 AND status = 'revoked'`,
		e.consents["janaB/surveys"]).Scan(&ev); err != nil {
		t.Fatal(err)
	}
	if ev["page_url"] != "https://www.example.cz/odvolani" || ev["ip"] != "198.51.100.7" || ev["subject_request_id"] != id || ev["form_id"] != e.form.ID {
		t.Fatalf("evidence %v", ev)
	}
	// A retry reports the same count and appends nothing.
	if n, err := e.st.RevokeForSubjectRequest(ctx, id); err != nil || n != 2 {
		t.Fatalf("retry: %d %v", n, err)
	}
	if _, events := e.status(t, e.consents["janaA/newsletter"]); events != 2 {
		t.Fatalf("%d events after a retry", events)
	}
	m, err := e.st.SubjectRevocationMail(ctx, id)
	if err != nil || m.To != janaEmail || len(m.Consents) != 2 {
		t.Fatalf("revocation mail %+v %v", m, err)
	}

	// An unknown address revokes nothing and has nothing to confirm.
	other := e.request(t, store.SubjectKindRevoke, "nikdo@posta.example", "newsletter")
	if n, err := e.st.RevokeForSubjectRequest(ctx, other); err != nil || n != 0 {
		t.Fatalf("unknown address revoked %d (%v)", n, err)
	}
	if _, err := e.st.SubjectRevocationMail(ctx, other); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revocation mail for nothing: %v", err)
	}
}

// The outbox lane of subject requests.
func TestSubjectRequestOutbox(t *testing.T) {
	ctx := context.Background()
	e := newSubjectEnv(t)
	a := e.request(t, store.SubjectKindAccess, janaEmail)
	b := e.request(t, store.SubjectKindRevoke, janaEmail, "events")
	ids, err := e.st.UnstartedSubjectRequests(ctx, 10)
	if err != nil || !slices.Equal(ids, []string{a, b}) {
		t.Fatalf("unstarted %v %v", ids, err)
	}
	if err := e.st.MarkSubjectRequestStarted(ctx, a); err != nil {
		t.Fatal(err)
	}
	if ids, _ := e.st.UnstartedSubjectRequests(ctx, 10); !slices.Equal(ids, []string{b}) {
		t.Fatalf("after marking: %v", ids)
	}
}
