package store_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// The consent lifecycle at the store level: expiry (by the workflow and by the sweep),
// revocation by staff, who may record and revoke, the change feed of a book that requires
// a consent, the lifecycle outbox, and the reminder that renews a consent.

// lc is a doi fixture plus a book "Newsletter" that requires the newsletter purpose, with
// an editor and a viewer on it.
type lc struct {
	*doi
	book           model.Book // requires newsletter
	editor, viewer store.Actor
}

func newLC(t *testing.T) *lc {
	t.Helper()
	ctx := context.Background()
	e := &lc{doi: newDOI(t)}
	var err error
	if e.book, err = e.st.CreateBook(ctx, e.admin, "Newsletter", ""); err != nil {
		t.Fatal(err)
	}
	pid := e.purposes["newsletter"].ID
	if _, err := e.st.UpdateBook(ctx, e.admin, e.book.ID, store.BookPatch{RequiredPurposeID: &pid}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []struct {
		login string
		role  model.Role
		to    *store.Actor
	}{{"editor", model.RoleEditor, &e.editor}, {"viewer", model.RoleViewer, &e.viewer}} {
		created, err := e.st.CreateUser(ctx, e.admin, model.User{Login: u.login, Name: u.login}, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.st.PutGrant(ctx, e.admin, model.Grant{BookID: e.book.ID, UserID: &created.ID, Role: u.role}); err != nil {
			t.Fatal(err)
		}
		*u.to = store.Actor{UserID: created.ID, Channel: model.ChannelAPI}
	}
	return e
}

// contact makes a person in the requiring book.
func (e *lc) contact(t *testing.T, name string) string {
	t.Helper()
	c, err := e.st.CreateContact(context.Background(), e.admin, model.Contact{BookID: e.book.ID, Kind: "person", FamilyName: name,
		Emails: []model.Email{{Value: name + "@example.cz"}}})
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// record records a newsletter consent given an hour ago, valid until until.
func (e *lc) record(t *testing.T, actor store.Actor, contactID string, until time.Time) (string, error) {
	t.Helper()
	return e.st.RecordConsent(context.Background(), actor, store.ConsentRecord{ContactID: contactID,
		PurposeID: e.purposes["newsletter"].ID, Source: model.SourceStaff, GivenAt: time.Now().Add(-time.Hour), ValidUntil: &until,
		Evidence: map[string]any{"branch": "Brno"}})
}

func (e *lc) mustRecord(t *testing.T, contactID string, until time.Time) string {
	t.Helper()
	id, err := e.record(t, e.editor, contactID, until)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// visible reports whether the actor sees the contact in lists and by id.
func (e *lc) visible(t *testing.T, a store.Actor, contactID string) bool {
	t.Helper()
	page, err := e.st.ListContacts(context.Background(), a, store.ContactFilter{BookID: e.book.ID})
	if err != nil {
		t.Fatal(err)
	}
	listed := slices.ContainsFunc(page.Contacts, func(c model.Contact) bool { return c.ID == contactID })
	_, err = e.st.GetContact(context.Background(), a, contactID)
	if listed != (err == nil) {
		t.Fatalf("contact listed %v but read by id: %v", listed, err)
	}
	return listed
}

func (e *lc) feed(t *testing.T, contactID string) int {
	t.Helper()
	return e.count(t, `SELECT count(*) FROM book_changes WHERE book_id = $1 AND contact_id = $2`, e.book.ID, contactID)
}

func (e *lc) backdate(t *testing.T, consentID string, until time.Time) {
	t.Helper()
	if _, err := e.pool.Exec(context.Background(), `UPDATE consents SET valid_until = $2, updated_at = now() WHERE id = $1`,
		consentID, until); err != nil {
		t.Fatal(err)
	}
}

func (e *lc) consent(t *testing.T, id string) model.Consent {
	t.Helper()
	c, err := e.st.GetConsent(context.Background(), e.admin, id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func statuses(c model.Consent) []model.ConsentStatus { return historyStatuses(c) }

func TestExpireConsent(t *testing.T) {
	ctx := context.Background()
	e := newLC(t)
	contact := e.contact(t, "vesela")
	id := e.mustRecord(t, contact, time.Now().Add(time.Hour))

	if expired, err := e.st.ExpireConsent(ctx, id); err != nil || expired {
		t.Fatalf("ExpireConsent before valid_until: %v %v", expired, err)
	}
	if c := e.consent(t, id); c.Status != model.ConsentActive || len(c.History) != 1 {
		t.Fatalf("after an early expiry: %+v", c)
	}
	if !e.visible(t, e.viewer, contact) {
		t.Fatal("contact with an active consent hidden")
	}

	past := time.Now().Add(-time.Second)
	e.backdate(t, id, past)
	// Hidden by the policy at once, before anything marks it expired.
	if e.visible(t, e.viewer, contact) || e.visible(t, e.admin, contact) {
		t.Fatal("contact past its consent's valid_until still visible")
	}
	before := e.feed(t, contact)
	if expired, err := e.st.ExpireConsent(ctx, id); err != nil || !expired {
		t.Fatalf("ExpireConsent when due: %v %v", expired, err)
	}
	c := e.consent(t, id)
	if c.Status != model.ConsentExpired || !slices.Equal(statuses(c), []model.ConsentStatus{"active", "expired"}) {
		t.Fatalf("after expiry: %s, history %v", c.Status, statuses(c))
	}
	if ev := c.History[1]; ev.Channel != "system" || ev.ActorID != nil || ev.ValidUntil == nil || !ev.ValidUntil.Equal(*c.ValidUntil) {
		t.Errorf("expiry event %+v", ev)
	}
	if n := e.feed(t, contact); n != before+1 {
		t.Errorf("change feed rows for the contact: %d, want %d", n, before+1)
	}
	if n := e.count(t, `SELECT count(*) FROM audit_log WHERE action = 'consent.expire' AND object_id = $1 AND $2 = ANY(contact_ids)`, id, contact); n != 1 {
		t.Errorf("%d consent.expire audit entries", n)
	}
	if expired, err := e.st.ExpireConsent(ctx, id); err != nil || expired {
		t.Errorf("second ExpireConsent: %v %v", expired, err)
	}
	if c := e.consent(t, id); len(c.History) != 2 {
		t.Errorf("second expiry appended history: %v", statuses(c))
	}

	// A revoked consent past its validity is not expired.
	other := e.mustRecord(t, e.contact(t, "cerna"), time.Now().Add(time.Hour))
	if _, err := e.st.RevokeConsent(ctx, e.editor, other, "asked by phone"); err != nil {
		t.Fatal(err)
	}
	e.backdate(t, other, past)
	if expired, err := e.st.ExpireConsent(ctx, other); err != nil || expired {
		t.Errorf("ExpireConsent of a revoked consent: %v %v", expired, err)
	}
	if _, err := e.st.ExpireConsent(ctx, "00000000-0000-0000-0000-000000000000"); err != nil {
		t.Errorf("ExpireConsent of an unknown consent: %v", err)
	}

	// Re-consent brings the contact back, and feeds the book.
	before = e.feed(t, contact)
	if again := e.mustRecord(t, contact, time.Now().Add(24*time.Hour)); again != id {
		t.Errorf("re-consent made consent %s, want %s again", again, id)
	}
	if !e.visible(t, e.viewer, contact) {
		t.Error("contact hidden after re-consent")
	}
	if n := e.feed(t, contact); n != before+1 {
		t.Errorf("change feed rows after re-consent: %d, want %d", n, before+1)
	}
	if c := e.consent(t, id); !slices.Equal(statuses(c), []model.ConsentStatus{"active", "expired", "active"}) {
		t.Errorf("history after re-consent: %v", statuses(c))
	}
}

func TestExpiryVisibleOverCardDAVFeed(t *testing.T) {
	// The feed rows are what CardDAV's sync-collection reads: a removal for a device.
	ctx := context.Background()
	e := newLC(t)
	contact := e.contact(t, "novotna")
	id := e.mustRecord(t, contact, time.Now().Add(time.Hour))
	if _, err := e.st.PutSyncGrant(ctx, e.admin, model.SyncGrant{UserID: e.editor.UserID, BookID: e.book.ID, Mode: "read"}); err != nil {
		t.Fatal(err)
	}
	_, _, seq, _, err := e.st.CollectionChanges(ctx, e.editor.UserID, e.book.ID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	e.backdate(t, id, time.Now().Add(-time.Second))
	if _, err := e.st.ExpireConsent(ctx, id); err != nil {
		t.Fatal(err)
	}
	changed, removed, _, _, err := e.st.CollectionChanges(ctx, e.editor.UserID, e.book.ID, seq, 100)
	if err != nil || len(changed) != 0 || !slices.Equal(removed, []string{contact}) {
		t.Errorf("changes after expiry: changed %d, removed %v, %v; want the contact removed", len(changed), removed, err)
	}
}

func TestRevokeConsent(t *testing.T) {
	ctx := context.Background()
	e := newLC(t)
	contact := e.contact(t, "horakova")
	id := e.mustRecord(t, contact, time.Now().Add(time.Hour))
	outsider, err := e.st.CreateUser(ctx, e.admin, model.User{Login: "outsider", Name: "Outsider"}, "")
	if err != nil {
		t.Fatal(err)
	}
	oa := store.Actor{UserID: outsider.ID, Channel: "api"}

	for _, tc := range []struct {
		who    string
		actor  store.Actor
		reason string
		want   error
	}{
		{"outsider", oa, "x", store.ErrNotFound},
		{"viewer who sees it", e.viewer, "x", store.ErrForbidden},
		{"editor without a reason", e.editor, "  ", &model.FieldError{}},
	} {
		if _, err := e.st.RevokeConsent(ctx, tc.actor, id, tc.reason); !sameErr(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.who, err, tc.want)
		}
	}
	if _, err := e.st.RevokeConsent(ctx, e.editor, "not-an-id", "x"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("malformed id: %v", err)
	}
	if c := e.consent(t, id); c.Status != model.ConsentActive || len(c.History) != 1 {
		t.Fatalf("refused revocations changed the consent: %+v", c)
	}

	before := e.feed(t, contact)
	c, err := e.st.RevokeConsent(ctx, e.editor, id, "asked by phone to stop the newsletter")
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != model.ConsentRevoked || !slices.Equal(statuses(c), []model.ConsentStatus{"active", "revoked"}) {
		t.Fatalf("revoked: %s, history %v", c.Status, statuses(c))
	}
	ev := c.History[1]
	if ev.Reason != "asked by phone to stop the newsletter" || ev.Channel != "api" || ev.ActorID == nil || *ev.ActorID != e.editor.UserID ||
		ev.Evidence["previous_status"] != "active" {
		t.Errorf("revocation event %+v", ev)
	}
	if n := e.count(t, `SELECT count(*) FROM consents WHERE id = $1`, id); n != 1 {
		t.Error("revocation deleted the consent")
	}
	if e.visible(t, e.editor, contact) {
		t.Error("contact still visible after its required consent was revoked")
	}
	if n := e.feed(t, contact); n != before+1 {
		t.Errorf("change feed rows after revocation: %d, want %d", n, before+1)
	}
	if n := e.count(t, `SELECT count(*) FROM audit_log WHERE action = 'consent.revoke' AND object_id = $1 AND actor_id = $2
		AND NOT detail::text LIKE '%phone%'`, id, e.editor.UserID); n != 1 {
		t.Errorf("%d consent.revoke audit entries without the reason", n)
	}
	if _, err := e.st.RevokeConsent(ctx, e.editor, id, "again"); !errors.Is(err, store.ErrAlreadyRevoked) {
		t.Errorf("second revocation: %v, want ErrAlreadyRevoked", err)
	}
	// The contact is hidden now: the viewer no longer learns that it exists.
	if _, err := e.st.RevokeConsent(ctx, e.viewer, id, "x"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("viewer revoking on a hidden contact: %v, want ErrNotFound", err)
	}
	if _, err := e.st.GetConsent(ctx, e.viewer, id); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("viewer reading the consent of a hidden contact: %v, want ErrNotFound", err)
	}
	if c, err := e.st.GetConsent(ctx, e.editor, id); err != nil || c.Status != model.ConsentRevoked {
		t.Errorf("editor reading the consent of a hidden contact: %+v %v", c, err)
	}
	if _, err := e.st.GetConsent(ctx, oa, id); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("outsider reading a consent: %v", err)
	}
}

// sameErr compares a store error with a wanted sentinel or error type.
func sameErr(err, want error) bool {
	var fe *model.FieldError
	if _, ok := want.(*model.FieldError); ok {
		return errors.As(err, &fe)
	}
	return errors.Is(err, want)
}

// Editors record the consent that brings a hidden contact back; viewers cannot, and learn
// nothing of a contact hidden from them.
func TestRecordConsentAccess(t *testing.T) {
	e := newLC(t)
	hidden := e.contact(t, "skryta")
	shown := e.contact(t, "videna")
	e.mustRecord(t, shown, time.Now().Add(time.Hour))
	if _, err := e.record(t, e.viewer, hidden, time.Now().Add(time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("viewer recording for a hidden contact: %v, want ErrNotFound", err)
	}
	if _, err := e.record(t, e.viewer, shown, time.Now().Add(time.Hour)); !errors.Is(err, store.ErrForbidden) {
		t.Errorf("viewer recording for a visible contact: %v, want ErrForbidden", err)
	}
	if e.visible(t, e.viewer, hidden) {
		t.Fatal("contact without consent visible")
	}
	id, err := e.record(t, e.editor, hidden, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatalf("editor recording for a hidden contact: %v", err)
	}
	if !e.visible(t, e.viewer, hidden) {
		t.Error("recorded consent did not bring the contact back")
	}
	c := e.consent(t, id)
	if c.Source != model.SourceStaff || c.Evidence["branch"] != "Brno" || c.Evidence["recorded_by"] != e.editor.UserID {
		t.Errorf("recorded consent %+v", c)
	}
}

func TestLifecycleOutbox(t *testing.T) {
	ctx := context.Background()
	e := newLC(t)
	untold := func() map[string]string {
		t.Helper()
		vs, err := e.st.UntoldLifecycles(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, s := range vs {
			v, err := model.ParseConsentVersion(s)
			if err != nil {
				t.Fatal(err)
			}
			out[v.ID] = s
		}
		return out
	}
	// A pending consent, never active, has no lifecycle to tell.
	in := e.intake(t, e.form, "karel.novy@example.cz", "Karel Nový", "events")
	e.prepare(t, in.RequestID)
	if got := untold(); len(got) != 0 {
		t.Fatalf("pending consents in the lifecycle outbox: %v", got)
	}

	id := e.mustRecord(t, e.contact(t, "kralova"), time.Now().Add(time.Hour))
	got := untold()
	if len(got) != 1 || got[id] == "" {
		t.Fatalf("untold after recording: %v", got)
	}
	version := got[id]
	if v, err := e.st.ConsentVersion(ctx, id); err != nil || v != version {
		t.Errorf("ConsentVersion = %s %v, want %s", v, err, version)
	}
	// A change between the read and the mark keeps the consent in the outbox.
	time.Sleep(2 * time.Millisecond)
	if _, err := e.st.RevokeConsent(ctx, e.editor, id, "asked"); err != nil {
		t.Fatal(err)
	}
	if err := e.st.MarkLifecycleTold(ctx, version); err != nil {
		t.Fatal(err)
	}
	newer := untold()[id]
	if newer == "" || newer == version {
		t.Fatalf("after a change the outbox holds %q (marked %q)", newer, version)
	}
	if err := e.st.MarkLifecycleTold(ctx, newer); err != nil {
		t.Fatal(err)
	}
	if err := e.st.MarkLifecycleTold(ctx, version); err != nil { // an older mark, late
		t.Fatal(err)
	}
	if got := untold(); len(got) != 0 {
		t.Fatalf("after marking the latest version: %v", got)
	}
	// Told once, every later change is in the outbox, active or not: re-consent, and the
	// expiry by the sweep (which a workflow that missed it must hear of).
	e.mustRecord(t, e.consent(t, id).ContactID, time.Now().Add(time.Hour))
	v := untold()[id]
	if v == "" {
		t.Fatal("re-consent not in the outbox")
	}
	mustNoErr(t, e.st.MarkLifecycleTold(ctx, v))
	e.backdate(t, id, time.Now().Add(-time.Hour))
	mustNoErr(t, e.st.MarkLifecycleTold(ctx, untold()[id]))
	overdue, err := e.st.OverdueConsents(ctx, 10)
	if err != nil || !slices.Equal(overdue, []string{id}) {
		t.Fatalf("overdue: %v %v", overdue, err)
	}
	mustNoErr(t, e.st.ExpireOverdueConsent(ctx, id))
	if c := e.consent(t, id); c.Status != model.ConsentExpired {
		t.Fatalf("sweep left the consent %s", c.Status)
	}
	if untold()[id] == "" {
		t.Error("a consent expired by the sweep is not in the lifecycle outbox")
	}
	if overdue, _ := e.st.OverdueConsents(ctx, 10); len(overdue) != 0 {
		t.Errorf("overdue after the sweep: %v", overdue)
	}

	// The workflow's own expiry counts as told when it was told of everything before.
	other := e.mustRecord(t, e.contact(t, "dvorakova"), time.Now().Add(time.Hour))
	mustNoErr(t, e.st.MarkLifecycleTold(ctx, untold()[other]))
	e.backdate(t, other, time.Now().Add(-time.Minute))
	// backdate is a change the workflow was told of (as a signal would).
	mustNoErr(t, e.st.MarkLifecycleTold(ctx, untold()[other]))
	if overdue, _ := e.st.OverdueConsents(ctx, 10); len(overdue) != 0 {
		t.Errorf("a consent a minute past its validity is overdue for the sweep: %v", overdue)
	}
	if expired, err := e.st.ExpireConsent(ctx, other); err != nil || !expired {
		t.Fatal(expired, err)
	}
	if v := untold()[other]; v != "" {
		t.Errorf("the workflow's own expiry is in the outbox: %s", v)
	}
}

// TestRenewal: a web-form consent whose purpose has reminder_days gets a renewal request
// at the reminder; confirming it renews the still active consent.
func TestRenewal(t *testing.T) {
	ctx := context.Background()
	e := newDOI(t)
	days := 30
	p, err := e.st.UpdatePurpose(ctx, e.admin, e.purposes["newsletter"].ID, store.PurposePatch{ReminderDays: &days})
	if err != nil || p.ReminderDays != 30 {
		t.Fatalf("reminder_days: %+v %v", p, err)
	}
	in := e.intake(t, e.form, "Karel.Novy@example.cz", "Karel Nový", "newsletter", "events")
	plan := e.prepare(t, in.RequestID)
	e.confirm(t, e.mail(t, in.RequestID))
	ids, err := e.st.ActivateConsents(ctx, in.RequestID)
	if err != nil || len(ids) != 2 {
		t.Fatalf("activate: %v %v", ids, err)
	}
	nl := e.consents(t, plan.ContactID)["newsletter"]
	ev := e.consents(t, plan.ContactID)["events"]

	st, err := e.st.ConsentLifecycleState(ctx, nl.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Status != model.ConsentActive || st.ContactID != plan.ContactID || st.PurposeKey != "newsletter" ||
		!st.ValidUntil.Equal(*nl.ValidUntil) || st.ReminderAt == nil || !st.ReminderAt.Equal(nl.ValidUntil.AddDate(0, 0, -30)) {
		t.Fatalf("lifecycle state %+v (valid until %v)", st, nl.ValidUntil)
	}
	if st, err := e.st.ConsentLifecycleState(ctx, ev.ID); err != nil || st.ReminderAt != nil {
		t.Errorf("a purpose without reminder_days: %+v %v", st, err)
	}
	if r, err := e.st.StartRenewal(ctx, ev.ID); err != nil || r != (store.Renewal{}) {
		t.Errorf("StartRenewal without reminder_days: %+v %v", r, err)
	}

	r, err := e.st.StartRenewal(ctx, nl.ID)
	if err != nil || !r.Created || r.RequestID == "" {
		t.Fatalf("StartRenewal: %+v %v", r, err)
	}
	var kind, email, name string
	var contactID *string
	var purposeIDs []string
	if err := e.pool.QueryRow(ctx, `SELECT kind, email, name, contact_id, purpose_ids FROM consent_requests WHERE id = $1`, r.RequestID).
		Scan(&kind, &email, &name, &contactID, &purposeIDs); err != nil {
		t.Fatal(err)
	}
	// The address the person used, as the contact holds it.
	if kind != "renewal" || !strings.EqualFold(email, "karel.novy@example.cz") || name != "Karel Nový" || contactID == nil || *contactID != plan.ContactID ||
		!slices.Equal(purposeIDs, []string{nl.PurposeID}) {
		t.Errorf("renewal request: %s %s %s %v %v", kind, email, name, contactID, purposeIDs)
	}
	if again, err := e.st.StartRenewal(ctx, nl.ID); err != nil || again.Created || again.RequestID != r.RequestID {
		t.Errorf("second StartRenewal: %+v %v, want the same request", again, err)
	}
	if st, _ := e.st.ConsentLifecycleState(ctx, nl.ID); st.ReminderAt != nil {
		t.Errorf("reminder still due after it was sent: %v", st.ReminderAt)
	}
	if n := e.count(t, `SELECT count(*) FROM audit_log WHERE action = 'consent.renewal.request' AND object_id = $1`, r.RequestID); n != 1 {
		t.Errorf("%d renewal audit entries", n)
	}

	// The renewal's double opt-in: the mail says renew, the consent stays active meanwhile.
	if p := e.prepare(t, r.RequestID); p.ContactID != plan.ContactID || p.ContactCreated || p.Status != "pending" {
		t.Fatalf("renewal plan %+v", p)
	}
	data, err := e.st.ConfirmationMail(ctx, r.RequestID, []byte("renewal-token-hash-0123456789abcd"))
	if err != nil || data.Kind != "renewal" || data.ValidUntil == nil || !data.ValidUntil.Equal(*nl.ValidUntil) ||
		data.To != email || len(data.Purposes) != 1 {
		t.Fatalf("renewal mail data %+v %v", data, err)
	}
	if c := e.consents(t, plan.ContactID)["newsletter"]; c.Status != model.ConsentActive || len(c.History) != 3 {
		t.Fatalf("during the renewal: %s, history %v", c.Status, historyStatuses(c))
	}
	time.Sleep(5 * time.Millisecond)
	e.confirm(t, e.mail(t, r.RequestID))
	renewed, err := e.st.ActivateConsents(ctx, r.RequestID)
	if err != nil || !slices.Equal(renewed, []string{nl.ID}) {
		t.Fatalf("activate renewal: %v %v", renewed, err)
	}
	c := e.consents(t, plan.ContactID)["newsletter"]
	if c.Status != model.ConsentActive || !c.ValidUntil.After(*nl.ValidUntil) || c.RequestID == nil || *c.RequestID != r.RequestID ||
		c.Evidence["renewal_of_request"] != in.RequestID || c.Evidence["confirm_ip"] != "203.0.113.9" {
		t.Errorf("renewed consent %+v", c)
	}
	last := c.History[len(c.History)-1]
	if last.Status != model.ConsentActive || last.Reason != "renewed by double opt-in" || !last.ValidUntil.Equal(*c.ValidUntil) {
		t.Errorf("renewal event %+v", last)
	}
	if st, _ := e.st.ConsentLifecycleState(ctx, nl.ID); st.ReminderAt == nil || !st.ReminderAt.Equal(c.ValidUntil.AddDate(0, 0, -30)) {
		t.Errorf("a renewed consent has no new reminder: %+v", st)
	}
	if again, err := e.st.ActivateConsents(ctx, r.RequestID); err != nil || len(again) != 0 {
		t.Errorf("second activation of the renewal: %v %v", again, err)
	}
	// An expired request's older confirmation never renews over a newer one.
	if again, err := e.st.ActivateConsents(ctx, in.RequestID); err != nil || len(again) != 0 {
		t.Errorf("activating the first request again: %v %v", again, err)
	}

	// Recorded by staff: no reminder.
	staff, err := e.st.RecordConsent(ctx, e.admin, store.ConsentRecord{ContactID: plan.ContactID, PurposeID: nl.PurposeID,
		Source: model.SourceBranch, GivenAt: time.Now()})
	if err != nil || staff != nl.ID {
		t.Fatal(staff, err)
	}
	if st, _ := e.st.ConsentLifecycleState(ctx, nl.ID); st.ReminderAt != nil {
		t.Errorf("a branch consent has a reminder: %v", st.ReminderAt)
	}
	if r, err := e.st.StartRenewal(ctx, nl.ID); err != nil || r != (store.Renewal{}) {
		t.Errorf("StartRenewal of a branch consent: %+v %v", r, err)
	}
}

// The reminder goes to the address the contact holds now when the one used is gone, and is
// recorded as skipped when the contact has none.
func TestRenewalAddress(t *testing.T) {
	ctx := context.Background()
	e := newDOI(t)
	days := 10
	if _, err := e.st.UpdatePurpose(ctx, e.admin, e.purposes["newsletter"].ID, store.PurposePatch{ReminderDays: &days}); err != nil {
		t.Fatal(err)
	}
	activate := func(email string) (string, string) {
		in := e.intake(t, e.form, email, "", "newsletter")
		plan := e.prepare(t, in.RequestID)
		e.confirm(t, e.mail(t, in.RequestID))
		ids, err := e.st.ActivateConsents(ctx, in.RequestID)
		if err != nil || len(ids) != 1 {
			t.Fatal(ids, err)
		}
		return plan.ContactID, ids[0]
	}
	moved, movedConsent := activate("stara@example.cz")
	newAddr := []model.Email{{Value: "nova@example.cz", Preferred: true}}
	if _, err := e.st.UpdateContact(ctx, e.admin, moved, model.ContactPatch{Emails: &newAddr}, 0); err != nil {
		t.Fatal(err)
	}
	r, err := e.st.StartRenewal(ctx, movedConsent)
	if err != nil || !r.Created {
		t.Fatal(r, err)
	}
	var email string
	if err := e.pool.QueryRow(ctx, `SELECT email FROM consent_requests WHERE id = $1`, r.RequestID).Scan(&email); err != nil || email != "nova@example.cz" {
		t.Errorf("renewal to %q %v, want the contact's current address", email, err)
	}

	none, noneConsent := activate("zadna@example.cz")
	empty := []model.Email{}
	if _, err := e.st.UpdateContact(ctx, e.admin, none, model.ContactPatch{Emails: &empty}, 0); err != nil {
		t.Fatal(err)
	}
	if r, err := e.st.StartRenewal(ctx, noneConsent); err != nil || r != (store.Renewal{}) {
		t.Errorf("StartRenewal without an address: %+v %v", r, err)
	}
	if st, _ := e.st.ConsentLifecycleState(ctx, noneConsent); st.ReminderAt != nil {
		t.Errorf("reminder still due after it was skipped")
	}
	if n := e.count(t, `SELECT count(*) FROM audit_log WHERE action = 'consent.renewal.skip' AND $1 = ANY(contact_ids)`, none); n != 1 {
		t.Errorf("%d consent.renewal.skip audit entries", n)
	}
}
