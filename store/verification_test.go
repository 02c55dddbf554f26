package store_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kontakt/kontakt/auth"
	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// The double opt-in lifecycle at the store level: intake, preparation (matching or
// creating the contact and pending consents), the confirmation mail and link, activation,
// expiry with erasure, cancellation, the outboxes and the visibility of consents.

// doi is a fresh database with an admin, a book, three purposes and a form offering them.
type doi struct {
	st       *store.Store
	pool     *pgxpool.Pool
	admin    store.Actor
	book     model.Book
	purposes map[string]model.Purpose // by key
	form     model.Form
}

// formKeys is the order in which the test form offers its purposes: neither alphabetical
// nor (except by chance) the order of their ids.
var formKeys = []string{"newsletter", "surveys", "events"}

var wordings = map[string]string{
	"newsletter": "Souhlasím se zasíláním novinek e-mailem.",
	"surveys":    "Souhlasím s oslovením v průzkumech spokojenosti.",
	"events":     "Souhlasím se zasíláním pozvánek na akce.",
}

var validity = map[string]int{"newsletter": 24, "surveys": 12, "events": 6}

func newDOI(t *testing.T) *doi {
	t.Helper()
	ctx := context.Background()
	st, pool := newStore(t)
	a, b := fixture(t, st)
	e := &doi{st: st, pool: pool, admin: a, book: b, purposes: map[string]model.Purpose{}}
	for _, k := range []string{"events", "newsletter", "surveys"} {
		p, err := st.CreatePurpose(ctx, a, model.Purpose{Key: k, Name: "Účel " + k, Wording: wordings[k], ValidityMonths: validity[k]})
		if err != nil {
			t.Fatal(err)
		}
		e.purposes[k] = p
	}
	e.form = e.newForm(t, b.ID, formKeys...)
	return e
}

// newForm makes a form on book offering the purposes keys, in that order.
func (e *doi) newForm(t *testing.T, bookID string, keys ...string) model.Form {
	t.Helper()
	f, err := e.st.CreateForm(context.Background(), e.admin, model.Form{
		Name: "Formulář " + strings.Join(keys, "+"), BookID: bookID, PurposeIDs: e.ids(keys...), Language: "cs",
		ConfirmedURL: "https://www.example.cz/dekujeme", ConfirmHours: 48, Organisation: "Pekárna Novák s.r.o.",
	}, false)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (e *doi) ids(keys ...string) []string {
	var ids []string
	for _, k := range keys {
		ids = append(ids, e.purposes[k].ID)
	}
	return ids
}

// intake records a submission on form f for the purposes keys (all the form offers when none).
func (e *doi) intake(t *testing.T, f model.Form, email, name string, keys ...string) store.IntakeResult {
	t.Helper()
	ids := f.PurposeIDs
	if len(keys) > 0 {
		ids = e.ids(keys...)
	}
	res, err := e.st.RecordIntake(context.Background(), store.Intake{
		FormID: f.ID, Email: email, Name: name, PurposeIDs: ids, Language: "cs",
		IP: "198.51.100.7", UserAgent: "Mozilla/5.0 (intake)", PageURL: "https://www.example.cz/novinky",
	})
	if err != nil {
		t.Fatalf("RecordIntake %s: %v", email, err)
	}
	return res
}

func (e *doi) prepare(t *testing.T, requestID string) store.VerificationPlan {
	t.Helper()
	p, err := e.st.PrepareVerification(context.Background(), requestID)
	if err != nil {
		t.Fatalf("PrepareVerification: %v", err)
	}
	return p
}

// mail stores a new confirmation token for the request and returns the secret.
func (e *doi) mail(t *testing.T, requestID string) string {
	t.Helper()
	secret := newSecret(t)
	if _, err := e.st.ConfirmationMail(context.Background(), requestID, auth.HashSecret(secret)); err != nil {
		t.Fatalf("ConfirmationMail: %v", err)
	}
	return secret
}

func (e *doi) confirm(t *testing.T, secret string) string {
	t.Helper()
	id, already, err := e.st.Confirm(context.Background(), auth.HashSecret(secret), "203.0.113.9", "Mozilla/5.0 (confirm)")
	if err != nil || already {
		t.Fatalf("Confirm: already=%v, %v", already, err)
	}
	return id
}

// activate activates the request's consents and returns how many it activated.
func (e *doi) activate(ctx context.Context, requestID string) (int, error) {
	ids, err := e.st.ActivateConsents(ctx, requestID)
	return len(ids), err
}

func newSecret(t *testing.T) string {
	t.Helper()
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// count runs a count(*) query.
func (e *doi) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := e.pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// counts is the number of rows of the tables a preparation writes.
func (e *doi) counts(t *testing.T) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range []string{"contacts", "contact_points", "consents", "consent_events", "consent_requests", "confirmation_tokens"} {
		out[table] = e.count(t, `SELECT count(*) FROM `+table)
	}
	out["audit contact.create"] = e.count(t, `SELECT count(*) FROM audit_log WHERE action = 'contact.create'`)
	return out
}

// request is a consent_requests row as the tests look at it.
type request struct {
	Status, Email, Name, IP, UserAgent, PageURL string
	ContactID                                   *string
	ContactCreated                              bool
	PurposeIDs                                  []string
	ExpiresAt                                   time.Time
	ConfirmedAt                                 *time.Time
	ConfirmIP, ConfirmUserAgent                 string
	ResendRequestedAt, MailSentAt               *time.Time
	MailsSent                                   int
	WorkflowStartedAt, ConfirmSignalledAt       *time.Time
}

func (e *doi) request(t *testing.T, id string) request {
	t.Helper()
	var r request
	if err := e.pool.QueryRow(context.Background(), `SELECT status, email, name, ip, user_agent, page_url, contact_id,
			contact_created, purpose_ids, expires_at, confirmed_at, confirm_ip, confirm_user_agent, resend_requested_at,
			mail_sent_at, mails_sent, workflow_started_at, confirm_signalled_at
		FROM consent_requests WHERE id = $1`, id).Scan(&r.Status, &r.Email, &r.Name, &r.IP, &r.UserAgent, &r.PageURL,
		&r.ContactID, &r.ContactCreated, &r.PurposeIDs, &r.ExpiresAt, &r.ConfirmedAt, &r.ConfirmIP, &r.ConfirmUserAgent,
		&r.ResendRequestedAt, &r.MailSentAt, &r.MailsSent, &r.WorkflowStartedAt, &r.ConfirmSignalledAt); err != nil {
		t.Fatalf("request %s: %v", id, err)
	}
	return r
}

// consents returns the consents of a contact by purpose key, as the admin sees them.
func (e *doi) consents(t *testing.T, contactID string) map[string]model.Consent {
	t.Helper()
	cs, err := e.st.ListContactConsents(context.Background(), e.admin, contactID)
	if err != nil {
		t.Fatalf("ListContactConsents: %v", err)
	}
	out := map[string]model.Consent{}
	for _, c := range cs {
		out[c.PurposeKey] = c
	}
	return out
}

func historyStatuses(c model.Consent) []model.ConsentStatus {
	var out []model.ConsentStatus
	for _, e := range c.History {
		out = append(out, e.Status)
	}
	return out
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	sort.Strings(s)
	return s
}

func TestPrepareVerificationCreatesContact(t *testing.T) {
	ctx := context.Background()
	e := newDOI(t)
	for _, tc := range []struct {
		email, name        string
		given, family, dsp string
	}{
		{"karel.novy@example.cz", "Karel Nový", "Karel", "Nový", "Karel Nový"},
		{"jan.amos@example.cz", "Jan Amos Komenský", "Jan Amos", "Komenský", "Jan Amos Komenský"},
		{"cher@example.com", "Cher", "", "Cher", "Cher"},
		{"eva.nova@example.cz", "  Eva   Nová ", "Eva", "Nová", "Eva Nová"},
		{"bez.jmena@example.cz", "", "", "bez.jmena", "bez.jmena"},
	} {
		t.Run(tc.email, func(t *testing.T) {
			in := e.intake(t, e.form, tc.email, tc.name)
			if in.Resend || in.RequestID == "" {
				t.Fatalf("intake: %+v", in)
			}
			before := e.counts(t)
			plan := e.prepare(t, in.RequestID)
			if plan.RequestID != in.RequestID || plan.Status != "pending" || !plan.ContactCreated || plan.ContactID == "" {
				t.Fatalf("plan: %+v", plan)
			}
			if !slices.Equal(plan.PurposeKeys, formKeys) {
				t.Errorf("PurposeKeys %v, want the form's order %v", plan.PurposeKeys, formKeys)
			}
			if r := e.request(t, in.RequestID); !plan.ExpiresAt.Equal(r.ExpiresAt) || r.ContactID == nil ||
				*r.ContactID != plan.ContactID || !r.ContactCreated {
				t.Errorf("request after preparation: %+v, plan %+v", r, plan)
			}
			after := e.counts(t)
			for table, delta := range map[string]int{"contacts": 1, "contact_points": 1, "consents": 3, "consent_events": 3,
				"consent_requests": 0, "audit contact.create": 1} {
				if after[table]-before[table] != delta {
					t.Errorf("%s grew by %d, want %d", table, after[table]-before[table], delta)
				}
			}

			c, err := e.st.GetContact(ctx, e.admin, plan.ContactID)
			if err != nil {
				t.Fatal(err)
			}
			if c.BookID != e.book.ID || c.Kind != "person" || c.GivenName != tc.given || c.FamilyName != tc.family ||
				c.DisplayName != tc.dsp || len(c.Emails) != 1 || c.Emails[0].Value != tc.email || !c.Emails[0].Preferred {
				t.Errorf("created contact: %+v", c)
			}
			if page, err := e.st.ListContacts(ctx, e.admin, store.ContactFilter{Query: tc.email}); err != nil ||
				len(page.Contacts) != 1 || page.Contacts[0].ID != c.ID {
				t.Errorf("the created contact is not found by its email: %+v %v", page.Contacts, err)
			}

			cs := e.consents(t, plan.ContactID)
			if len(cs) != 3 {
				t.Fatalf("consents: %+v", cs)
			}
			for _, k := range formKeys {
				c := cs[k]
				if c.Status != model.ConsentPending || c.Source != model.SourceWebForm || c.RequestID == nil ||
					*c.RequestID != in.RequestID || c.ConfirmedAt != nil || c.ValidUntil != nil {
					t.Errorf("consent %s: %+v", k, c)
				}
				sum := sha256.Sum256([]byte(wordings[k]))
				for field, want := range map[string]any{"ip": "198.51.100.7", "user_agent": "Mozilla/5.0 (intake)",
					"page_url": "https://www.example.cz/novinky", "form_id": e.form.ID, "wording_version": float64(1),
					"wording_sha256": hex.EncodeToString(sum[:])} {
					if c.Evidence[field] != want {
						t.Errorf("consent %s evidence %s = %v, want %v", k, field, c.Evidence[field], want)
					}
				}
				if st := historyStatuses(c); !slices.Equal(st, []model.ConsentStatus{model.ConsentPending}) {
					t.Errorf("consent %s history %v", k, st)
				}
			}

			// A second preparation (a retried activity) returns the same plan and writes nothing.
			again := e.prepare(t, in.RequestID)
			if again.RequestID != plan.RequestID || again.ContactID != plan.ContactID || again.ContactCreated != plan.ContactCreated ||
				again.Status != plan.Status || !again.ExpiresAt.Equal(plan.ExpiresAt) || !slices.Equal(again.PurposeKeys, plan.PurposeKeys) {
				t.Errorf("second plan %+v, first %+v", again, plan)
			}
			if got := e.counts(t); !mapsEqual(got, after) {
				t.Errorf("second preparation wrote: %v, before %v", got, after)
			}
		})
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestPreparePurposeOrder holds the plan's purpose keys to the form's order however the
// submission listed them.
func TestPreparePurposeOrder(t *testing.T) {
	t.Run("submission in another order", func(t *testing.T) {
		e := newDOI(t)
		in := e.intake(t, e.form, "karel.novy@example.cz", "Karel Nový", "events", "surveys", "newsletter")
		got := e.prepare(t, in.RequestID).PurposeKeys
		data, err := e.st.ConfirmationMail(context.Background(), in.RequestID, auth.HashSecret(newSecret(t)))
		if err != nil {
			t.Fatal(err)
		}
		var mailed []string
		for _, p := range data.Purposes {
			mailed = append(mailed, p.Key)
		}
		if !slices.Equal(got, formKeys) || !slices.Equal(mailed, formKeys) {
			t.Fatalf("PurposeKeys %v and mailed purposes %v, want the form's order %v: PrepareVerification, "+
				"ConfirmationMail and PreviewConfirmation order purposes by the request's purpose_ids, i.e. the order "+
				"in which the submission listed them", got, mailed, formKeys)
		}
	})
	t.Run("merged resubmission", func(t *testing.T) {
		e := newDOI(t)
		// The merged order does not depend on the form, so of two forms offering the
		// purposes in opposite orders at least one shows it when the merge loses the order.
		reversed := slices.Clone(formKeys)
		slices.Reverse(reversed)
		for i, keys := range [][]string{formKeys, reversed} {
			f := e.form
			if i > 0 {
				f = e.newForm(t, e.book.ID, keys...)
			}
			first := e.intake(t, f, "karel.novy@example.cz", "Karel Nový", keys[0])
			if second := e.intake(t, f, "karel.novy@example.cz", "Karel Nový", keys[1:]...); second.RequestID != first.RequestID {
				t.Fatalf("resubmission made a new request")
			}
			if got := e.prepare(t, first.RequestID).PurposeKeys; !slices.Equal(got, keys) {
				t.Fatalf("after a merged resubmission PurposeKeys are %v, want the form's order %v: RecordIntake merges "+
					"with ARRAY(SELECT DISTINCT unnest(...)), which loses the order", got, keys)
			}
		}
	})
}

func TestPrepareVerificationMatchesContact(t *testing.T) {
	ctx := context.Background()
	// existing is a contact made before the submission, in the form's book or another.
	type existing struct {
		book   string // "form" or "other"
		emails []string
	}
	for _, tc := range []struct {
		name        string
		existing    []existing
		intakeEmail string
		reuse       int // index of the contact that should be reused; -1: a new one
	}{
		{"same email", []existing{{"form", []string{"karel.novy@example.cz"}}}, "karel.novy@example.cz", 0},
		{"other case", []existing{{"form", []string{"Karel.Novy@Example.CZ"}}}, "KAREL.NOVY@example.cz", 0},
		{"secondary email", []existing{{"form", []string{"karel@firma.cz", "karel.novy@example.cz"}}}, "karel.novy@example.cz", 0},
		{"only in another book", []existing{{"other", []string{"karel.novy@example.cz"}}}, "karel.novy@example.cz", -1},
		{"in both books", []existing{{"other", []string{"karel.novy@example.cz"}}, {"form", []string{"karel.novy@example.cz"}}}, "karel.novy@example.cz", 1},
		{"two in the form's book: the older", []existing{{"form", []string{"karel.novy@example.cz"}}, {"form", []string{"KAREL.novy@example.cz"}}}, "karel.novy@example.cz", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newDOI(t)
			other, err := e.st.CreateBook(ctx, e.admin, "Partneři", "")
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for i, x := range tc.existing {
				c := model.Contact{BookID: e.book.ID, Kind: "person", GivenName: "Karel", FamilyName: "Existující"}
				if x.book == "other" {
					c.BookID = other.ID
				}
				for _, m := range x.emails {
					c.Emails = append(c.Emails, model.Email{Value: m})
				}
				created, err := e.st.CreateContact(ctx, e.admin, c)
				if err != nil {
					t.Fatalf("contact %d: %v", i, err)
				}
				ids = append(ids, created.ID)
				time.Sleep(2 * time.Millisecond) // distinct created_at
			}
			contactsBefore := e.count(t, `SELECT count(*) FROM contacts`)
			in := e.intake(t, e.form, tc.intakeEmail, "Karel Nový")
			plan := e.prepare(t, in.RequestID)
			if tc.reuse >= 0 {
				if plan.ContactID != ids[tc.reuse] || plan.ContactCreated {
					t.Fatalf("plan %+v, want contact %d (%s) reused", plan, tc.reuse, ids[tc.reuse])
				}
				if n := e.count(t, `SELECT count(*) FROM contacts`); n != contactsBefore {
					t.Errorf("%d contacts, want %d", n, contactsBefore)
				}
				if r := e.request(t, in.RequestID); r.ContactCreated || r.ContactID == nil || *r.ContactID != ids[tc.reuse] {
					t.Errorf("request: %+v", r)
				}
			} else {
				if !plan.ContactCreated || slices.Contains(ids, plan.ContactID) {
					t.Fatalf("plan %+v, want a new contact", plan)
				}
				c, err := e.st.GetContact(ctx, e.admin, plan.ContactID)
				if err != nil || c.BookID != e.book.ID {
					t.Fatalf("new contact %+v, %v; want it in the form's book", c, err)
				}
			}
			if cs := e.consents(t, plan.ContactID); len(cs) != 3 {
				t.Errorf("consents of the matched contact: %d", len(cs))
			}
			for _, id := range ids {
				if id == plan.ContactID {
					continue
				}
				if cs := e.consents(t, id); len(cs) != 0 {
					t.Errorf("contact %s, not matched, got consents %+v", id, cs)
				}
			}
		})
	}
}

func TestRecordIntakeResend(t *testing.T) {
	ctx := context.Background()
	e := newDOI(t)
	first := e.intake(t, e.form, "karel.novy@example.cz", "Karel Nový", "newsletter")
	if first.Resend {
		t.Fatal("first submission is a resend")
	}
	r := e.request(t, first.RequestID)
	if r.Status != "pending" || r.Email != "karel.novy@example.cz" || r.Name != "Karel Nový" || r.IP != "198.51.100.7" ||
		r.ResendRequestedAt != nil || r.ContactID != nil || r.WorkflowStartedAt != nil {
		t.Fatalf("new request: %+v", r)
	}
	if d := time.Until(r.ExpiresAt); d < 47*time.Hour || d > 49*time.Hour {
		t.Errorf("expires in %v, want the form's 48 hours", d)
	}
	plan := e.prepare(t, first.RequestID)
	token1 := e.mail(t, first.RequestID)
	if err := e.st.MarkConfirmationSent(ctx, first.RequestID); err != nil {
		t.Fatal(err)
	}

	second := e.intake(t, e.form, "Karel.Novy@EXAMPLE.cz", "Karel Nový", "events", "newsletter")
	if !second.Resend || second.RequestID != first.RequestID {
		t.Fatalf("second submission: %+v, want a resend of %s", second, first.RequestID)
	}
	if n := e.count(t, `SELECT count(*) FROM consent_requests`); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
	r = e.request(t, first.RequestID)
	if want := sorted(e.ids("newsletter", "events")); !slices.Equal(sorted(r.PurposeIDs), want) {
		t.Errorf("purposes %v, want merged %v", r.PurposeIDs, want)
	}
	if r.ResendRequestedAt == nil || r.MailsSent != 1 {
		t.Errorf("after the resubmission: %+v", r)
	}
	if n := e.count(t, `SELECT count(*) FROM audit_log WHERE action = 'consent.request.resubmit' AND object_id = $1`, first.RequestID); n != 1 {
		t.Errorf("%d resubmit audit entries", n)
	}

	// The workflow prepares again (new purpose gets its pending consent) and mails again.
	again := e.prepare(t, first.RequestID)
	if again.ContactID != plan.ContactID || !again.ContactCreated || !slices.Equal(sorted(again.PurposeKeys), []string{"events", "newsletter"}) {
		t.Errorf("plan after resubmission: %+v", again)
	}
	if cs := e.consents(t, plan.ContactID); len(cs) != 2 || cs["events"].Status != model.ConsentPending ||
		cs["newsletter"].Status != model.ConsentPending || len(cs["newsletter"].History) != 1 {
		t.Errorf("consents after resubmission: %+v", cs)
	}
	token2 := e.mail(t, first.RequestID)
	if err := e.st.MarkConfirmationSent(ctx, first.RequestID); err != nil {
		t.Fatal(err)
	}
	if r := e.request(t, first.RequestID); r.ResendRequestedAt != nil || r.MailsSent != 2 || r.MailSentAt == nil {
		t.Errorf("after the second mail: %+v", r)
	}
	// Either link works until one is used.
	if id := e.confirm(t, token1); id != first.RequestID {
		t.Errorf("confirmed %s", id)
	}
	if _, already, err := e.st.Confirm(ctx, auth.HashSecret(token2), "203.0.113.10", "other"); err != nil || !already {
		t.Errorf("second link after confirmation: already=%v, %v", already, err)
	}

	// Once the request is no longer pending, a submission makes a new request.
	third := e.intake(t, e.form, "karel.novy@example.cz", "Karel Nový", "surveys")
	if third.Resend || third.RequestID == first.RequestID {
		t.Errorf("submission after confirmation: %+v", third)
	}
	// So does one after the pending request's link expired.
	if _, err := e.pool.Exec(ctx, `UPDATE consent_requests SET expires_at = now() - interval '1 minute' WHERE id = $1`, third.RequestID); err != nil {
		t.Fatal(err)
	}
	fourth := e.intake(t, e.form, "karel.novy@example.cz", "Karel Nový", "surveys")
	if fourth.Resend || fourth.RequestID == third.RequestID {
		t.Errorf("submission after expiry: %+v", fourth)
	}
	// The same email on another form is another request.
	other := e.newForm(t, e.book.ID, "events")
	if res := e.intake(t, other, "karel.novy@example.cz", "Karel Nový"); res.Resend || res.RequestID == fourth.RequestID {
		t.Errorf("submission on another form: %+v", res)
	}
	// A form that does not exist.
	if _, err := e.st.RecordIntake(ctx, store.Intake{FormID: "00000000-0000-0000-0000-000000000000", Email: "x@example.cz",
		PurposeIDs: e.ids("events"), Language: "cs"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("intake on a missing form: %v, want ErrNotFound", err)
	}
}

func TestConfirmAndActivate(t *testing.T) {
	ctx := context.Background()
	e := newDOI(t)
	in := e.intake(t, e.form, "karel.novy@example.cz", "Karel Nový")
	plan := e.prepare(t, in.RequestID)
	if n, err := e.activate(ctx, in.RequestID); err != nil || n != 0 {
		t.Fatalf("activation before confirmation: %d, %v", n, err)
	}

	secret := newSecret(t)
	hash := auth.HashSecret(secret)
	data, err := e.st.ConfirmationMail(ctx, in.RequestID, hash)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, p := range data.Purposes {
		keys = append(keys, p.Key)
	}
	if data.To != "karel.novy@example.cz" || data.Name != "Karel Nový" || data.Language != "cs" ||
		data.Organisation != "Pekárna Novák s.r.o." || !data.ExpiresAt.Equal(plan.ExpiresAt) || !slices.Equal(keys, formKeys) {
		t.Errorf("mail data: %+v (purposes %v)", data, keys)
	}
	if n := e.count(t, `SELECT count(*) FROM confirmation_tokens WHERE token_hash = $1 AND request_id = $2 AND used_at IS NULL`, hash, in.RequestID); n != 1 {
		t.Errorf("token stored %d times", n)
	}
	if n := e.count(t, `SELECT count(*) FROM confirmation_tokens WHERE token_hash = $1`, []byte(secret)); n != 0 {
		t.Error("the secret itself was stored")
	}

	pv, err := e.st.PreviewConfirmation(ctx, hash)
	if err != nil {
		t.Fatal(err)
	}
	keys = nil
	for _, p := range pv.Purposes {
		keys = append(keys, p.Key)
	}
	if pv.RequestID != in.RequestID || pv.Status != "pending" || pv.Used || pv.Expired || pv.Organisation != "Pekárna Novák s.r.o." ||
		pv.Language != "cs" || pv.ConfirmedURL != "https://www.example.cz/dekujeme" || !slices.Equal(keys, formKeys) {
		t.Errorf("preview: %+v (purposes %v)", pv, keys)
	}
	if _, err := e.st.PreviewConfirmation(ctx, auth.HashSecret("no such token")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("preview of an unknown token: %v", err)
	}
	// A preview does not use the link.
	if r := e.request(t, in.RequestID); r.Status != "pending" {
		t.Fatalf("preview changed the request: %+v", r)
	}

	id, already, err := e.st.Confirm(ctx, hash, "203.0.113.9", "Mozilla/5.0 (confirm)")
	if err != nil || already || id != in.RequestID {
		t.Fatalf("Confirm: %s already=%v %v", id, already, err)
	}
	r := e.request(t, in.RequestID)
	if r.Status != "confirmed" || r.ConfirmedAt == nil || r.ConfirmIP != "203.0.113.9" || r.ConfirmUserAgent != "Mozilla/5.0 (confirm)" {
		t.Fatalf("confirmed request: %+v", r)
	}
	if time.Since(*r.ConfirmedAt) > time.Minute {
		t.Errorf("confirmed_at %v", r.ConfirmedAt)
	}
	id, already, err = e.st.Confirm(ctx, hash, "192.0.2.1", "again")
	if err != nil || !already || id != in.RequestID {
		t.Errorf("second Confirm: %s already=%v %v", id, already, err)
	}
	if r2 := e.request(t, in.RequestID); r2.ConfirmIP != "203.0.113.9" || !r2.ConfirmedAt.Equal(*r.ConfirmedAt) {
		t.Errorf("second Confirm changed the evidence: %+v", r2)
	}
	if pv, err := e.st.PreviewConfirmation(ctx, hash); err != nil || !pv.Used || pv.Status != "confirmed" || pv.Expired {
		t.Errorf("preview after confirmation: %+v %v", pv, err)
	}
	if _, err := e.st.ConfirmationMail(ctx, in.RequestID, auth.HashSecret(newSecret(t))); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("mail for a confirmed request: %v, want ErrNotFound", err)
	}
	// Confirmation alone activates nothing.
	for k, c := range e.consents(t, plan.ContactID) {
		if c.Status != model.ConsentPending {
			t.Errorf("consent %s is %s before activation", k, c.Status)
		}
	}

	n, err := e.activate(ctx, in.RequestID)
	if err != nil || n != 3 {
		t.Fatalf("ActivateConsents: %d, %v; want 3", n, err)
	}
	for _, k := range formKeys {
		c := e.consents(t, plan.ContactID)[k]
		if c.Status != model.ConsentActive || c.ConfirmedAt == nil || !c.ConfirmedAt.Equal(*r.ConfirmedAt) || c.ValidUntil == nil {
			t.Errorf("consent %s: %+v", k, c)
			continue
		}
		want := r.ConfirmedAt.AddDate(0, validity[k], 0)
		if d := c.ValidUntil.Sub(want); d < -72*time.Hour || d > 72*time.Hour {
			t.Errorf("consent %s valid until %v, want about %v (%d months after confirmation)", k, c.ValidUntil, want, validity[k])
		}
		for field, want := range map[string]any{"confirm_ip": "203.0.113.9", "confirm_user_agent": "Mozilla/5.0 (confirm)",
			"ip": "198.51.100.7", "form_id": e.form.ID} {
			if c.Evidence[field] != want {
				t.Errorf("consent %s evidence %s = %v, want %v", k, field, c.Evidence[field], want)
			}
		}
		if at, _ := c.Evidence["confirmed_at"].(string); at == "" {
			t.Errorf("consent %s evidence lacks confirmed_at: %v", k, c.Evidence)
		}
		if st := historyStatuses(c); !slices.Equal(st, []model.ConsentStatus{model.ConsentPending, model.ConsentActive}) {
			t.Errorf("consent %s history %v, want pending, active", k, st)
		} else if ev := c.History[1]; ev.ValidUntil == nil || !ev.ValidUntil.Equal(*c.ValidUntil) || ev.Evidence["confirm_ip"] != "203.0.113.9" {
			t.Errorf("consent %s activation event %+v", k, ev)
		}
	}
	if n, err := e.activate(ctx, in.RequestID); err != nil || n != 0 {
		t.Errorf("second ActivateConsents: %d, %v; want 0", n, err)
	}
	entries, err := e.st.ListAudit(ctx, store.AuditFilter{Action: "consent.activate"})
	if err != nil || len(entries) != 1 || !slices.Equal(entries[0].ContactIDs, []string{plan.ContactID}) ||
		entries[0].ObjectID == nil || *entries[0].ObjectID != in.RequestID {
		t.Errorf("activation audit: %+v %v", entries, err)
	}
	if n := e.count(t, `SELECT count(*) FROM consent_events ev JOIN consents c ON c.id = ev.consent_id WHERE c.contact_id = $1`, plan.ContactID); n != 6 {
		t.Errorf("%d consent events, want 6", n)
	}
}

func TestActiveConsentNotDowngraded(t *testing.T) {
	ctx := context.Background()
	e := newDOI(t)
	a := e.intake(t, e.form, "karel.novy@example.cz", "Karel Nový", "newsletter")
	planA := e.prepare(t, a.RequestID)
	e.confirm(t, e.mail(t, a.RequestID))
	if n, err := e.activate(ctx, a.RequestID); err != nil || n != 1 {
		t.Fatalf("activate: %d %v", n, err)
	}
	active := e.consents(t, planA.ContactID)["newsletter"]

	b := e.intake(t, e.form, "karel.novy@example.cz", "Karel Nový", "newsletter", "events")
	if b.Resend || b.RequestID == a.RequestID {
		t.Fatalf("second request: %+v", b)
	}
	planB := e.prepare(t, b.RequestID)
	if planB.ContactID != planA.ContactID || planB.ContactCreated {
		t.Fatalf("second plan %+v, want contact %s reused", planB, planA.ContactID)
	}
	check := func(when string) {
		t.Helper()
		cs := e.consents(t, planA.ContactID)
		nl := cs["newsletter"]
		if nl.Status != model.ConsentActive || nl.RequestID == nil || *nl.RequestID != a.RequestID ||
			!nl.ValidUntil.Equal(*active.ValidUntil) || len(nl.History) != len(active.History) {
			t.Errorf("%s: active consent changed: %+v, was %+v", when, nl, active)
		}
	}
	check("after the second preparation")
	if ev := e.consents(t, planA.ContactID)["events"]; ev.Status != model.ConsentPending || ev.RequestID == nil || *ev.RequestID != b.RequestID {
		t.Errorf("new purpose: %+v", ev)
	}
	if res, err := e.st.ExpireVerification(ctx, b.RequestID); err != nil || res != (store.ExpireResult{}) {
		t.Errorf("expire second request: %+v %v", res, err)
	}
	check("after the second request expired")
	if ev := e.consents(t, planA.ContactID)["events"]; ev.Status != model.ConsentExpired {
		t.Errorf("new purpose after expiry: %+v", ev)
	}
}

func TestExpireVerification(t *testing.T) {
	ctx := context.Background()

	t.Run("erases the contact it created", func(t *testing.T) {
		e := newDOI(t)
		const email, name = "karel.novy@example.cz", "Karel Nový"
		in := e.intake(t, e.form, email, name)
		plan := e.prepare(t, in.RequestID)
		secret := e.mail(t, in.RequestID)
		var consentIDs []string
		for _, c := range e.consents(t, plan.ContactID) {
			consentIDs = append(consentIDs, c.ID)
		}

		res, err := e.st.ExpireVerification(ctx, in.RequestID)
		if err != nil || res != (store.ExpireResult{Erased: true}) {
			t.Fatalf("ExpireVerification: %+v, %v; want Erased", res, err)
		}
		if _, err := e.st.GetContact(ctx, e.admin, plan.ContactID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("erased contact still readable: %v", err)
		}
		for what, n := range map[string]int{
			"contacts":       e.count(t, `SELECT count(*) FROM contacts WHERE id = $1`, plan.ContactID),
			"contact_points": e.count(t, `SELECT count(*) FROM contact_points WHERE lower(value) = lower($1)`, email),
			"consents":       e.count(t, `SELECT count(*) FROM consents WHERE id = ANY($1::uuid[])`, consentIDs),
			"consent_events": e.count(t, `SELECT count(*) FROM consent_events WHERE consent_id = ANY($1::uuid[])`, consentIDs),
		} {
			if n != 0 {
				t.Errorf("%d %s left after erasure", n, what)
			}
		}
		r := e.request(t, in.RequestID)
		if r.Status != "expired" || r.Email != "" || r.Name != "" || r.IP != "" || r.UserAgent != "" || r.PageURL != "" || r.ContactID != nil {
			t.Errorf("request after erasure: %+v", r)
		}
		entries, err := e.st.ListAudit(ctx, store.AuditFilter{ContactID: plan.ContactID, Action: "contact.erase"})
		if err != nil || len(entries) != 1 {
			t.Fatalf("erase audit: %+v %v", entries, err)
		}
		en := entries[0]
		if !slices.Equal(en.ContactIDs, []string{plan.ContactID}) || en.ObjectID == nil || *en.ObjectID != in.RequestID || en.ActorID != nil {
			t.Errorf("erase audit entry: %+v", en)
		}
		detail, _ := json.Marshal(en.Detail)
		for _, pii := range []string{email, "Karel", "Nový", "198.51.100.7", "Mozilla"} {
			if strings.Contains(string(detail), pii) {
				t.Errorf("erase audit detail %s holds %q", detail, pii)
			}
		}
		if n := e.count(t, `SELECT count(*) FROM audit_log WHERE detail::text ILIKE '%' || $1 || '%' OR detail::text ILIKE '%novy%'`, email); n != 0 {
			t.Errorf("%d audit entries mention the erased person", n)
		}
		if _, _, err := e.st.Confirm(ctx, auth.HashSecret(secret), "203.0.113.9", "late"); !errors.Is(err, store.ErrLinkExpired) {
			t.Errorf("Confirm after erasure: %v, want ErrLinkExpired", err)
		}
		if res, err := e.st.ExpireVerification(ctx, in.RequestID); err != nil || res != (store.ExpireResult{}) {
			t.Errorf("second ExpireVerification: %+v %v", res, err)
		}
		if p, err := e.st.PrepareVerification(ctx, in.RequestID); err != nil || p.Status != "expired" || p.ContactID != "" {
			t.Errorf("preparing an erased request: %+v %v", p, err)
		}
		if n := e.count(t, `SELECT count(*) FROM contacts`); n != 0 {
			t.Errorf("%d contacts after preparing an erased request", n)
		}
	})

	// Setups under which the contact must survive the request's expiry.
	for _, tc := range []struct {
		name    string
		before  func(t *testing.T, e *doi)                   // before the intake
		after   func(t *testing.T, e *doi, contactID string) // after preparation
		created bool
	}{
		{name: "contact already existed", before: func(t *testing.T, e *doi) {
			if _, err := e.st.CreateContact(ctx, e.admin, model.Contact{BookID: e.book.ID, Kind: "person", FamilyName: "Nový",
				Emails: []model.Email{{Value: "karel.novy@example.cz"}}}); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "a note was added", created: true, after: func(t *testing.T, e *doi, id string) {
			if _, err := e.st.CreateNote(ctx, e.admin, model.Note{ContactID: id, Body: "Volal, chce nabídku."}); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "the contact was edited", created: true, after: func(t *testing.T, e *doi, id string) {
			if _, err := e.st.UpdateContact(ctx, e.admin, id, model.ContactPatch{JobTitle: ptr("Pekař")}, 0); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "a relation was added", created: true, after: func(t *testing.T, e *doi, id string) {
			org, err := e.st.CreateContact(ctx, e.admin, model.Contact{BookID: e.book.ID, Kind: "organisation", OrgName: "Mlýn a.s."})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.st.AddRelation(ctx, e.admin, model.Relation{PersonID: id, OrganisationID: org.ID, Role: "nákupčí"}); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "another request is pending", created: true, after: func(t *testing.T, e *doi, id string) {
			other := e.newForm(t, e.book.ID, "events")
			in := e.intake(t, other, "karel.novy@example.cz", "Karel Nový")
			if p := e.prepare(t, in.RequestID); p.ContactID != id {
				t.Fatalf("other request matched %s, want %s", p.ContactID, id)
			}
		}},
	} {
		t.Run("keeps the contact: "+tc.name, func(t *testing.T) {
			e := newDOI(t)
			if tc.before != nil {
				tc.before(t, e)
			}
			in := e.intake(t, e.form, "karel.novy@example.cz", "Karel Nový", "newsletter", "surveys")
			plan := e.prepare(t, in.RequestID)
			if plan.ContactCreated != tc.created {
				t.Fatalf("ContactCreated %v, want %v", plan.ContactCreated, tc.created)
			}
			if tc.after != nil {
				tc.after(t, e, plan.ContactID)
			}
			res, err := e.st.ExpireVerification(ctx, in.RequestID)
			if err != nil || res != (store.ExpireResult{}) {
				t.Fatalf("ExpireVerification: %+v, %v; want neither confirmed nor erased", res, err)
			}
			if _, err := e.st.GetContact(ctx, e.admin, plan.ContactID); err != nil {
				t.Fatalf("contact gone: %v", err)
			}
			if r := e.request(t, in.RequestID); r.Status != "expired" || r.ContactID == nil || *r.ContactID != plan.ContactID {
				t.Errorf("request: %+v", r)
			}
			cs := e.consents(t, plan.ContactID)
			for _, k := range []string{"newsletter", "surveys"} {
				c := cs[k]
				st := historyStatuses(c)
				if c.Status != model.ConsentExpired || !slices.Equal(st, []model.ConsentStatus{model.ConsentPending, model.ConsentExpired}) {
					t.Errorf("consent %s: %s, history %v", k, c.Status, st)
				} else if ev := c.History[1]; ev.Reason == "" || ev.Channel != "system" {
					t.Errorf("consent %s expiry event %+v", k, ev)
				}
			}
			if c, ok := cs["events"]; tc.name == "another request is pending" && (!ok || c.Status != model.ConsentPending) {
				t.Errorf("the other request's consent: %+v", c)
			}
			if n := e.count(t, `SELECT count(*) FROM audit_log WHERE action = 'consent.request.expire' AND object_id = $1`, in.RequestID); n != 1 {
				t.Errorf("%d expiry audit entries", n)
			}
		})
	}

	t.Run("confirmed request", func(t *testing.T) {
		e := newDOI(t)
		in := e.intake(t, e.form, "karel.novy@example.cz", "Karel Nový")
		plan := e.prepare(t, in.RequestID)
		e.confirm(t, e.mail(t, in.RequestID))
		before, beforeReq, beforeCounts := e.consents(t, plan.ContactID), e.request(t, in.RequestID), e.counts(t)
		audits := e.count(t, `SELECT count(*) FROM audit_log`)

		res, err := e.st.ExpireVerification(ctx, in.RequestID)
		if err != nil || res != (store.ExpireResult{Confirmed: true}) {
			t.Fatalf("ExpireVerification: %+v, %v; want Confirmed", res, err)
		}
		if r := e.request(t, in.RequestID); r.Status != "confirmed" || r.Email != beforeReq.Email || !r.ConfirmedAt.Equal(*beforeReq.ConfirmedAt) {
			t.Errorf("request changed: %+v", r)
		}
		after := e.consents(t, plan.ContactID)
		for k, c := range before {
			if after[k].Status != c.Status || len(after[k].History) != len(c.History) {
				t.Errorf("consent %s changed: %+v → %+v", k, c, after[k])
			}
		}
		if got := e.counts(t); !mapsEqual(got, beforeCounts) {
			t.Errorf("counts changed: %v → %v", beforeCounts, got)
		}
		if n := e.count(t, `SELECT count(*) FROM audit_log`); n != audits+1 { // +1: the consent.list read above
			t.Errorf("audit entries %d → %d", audits, n)
		}
		// The workflow then activates as usual.
		if n, err := e.activate(ctx, in.RequestID); err != nil || n != 3 {
			t.Errorf("activate after a late confirmation: %d %v", n, err)
		}
	})

	t.Run("request never prepared", func(t *testing.T) {
		e := newDOI(t)
		in := e.intake(t, e.form, "karel.novy@example.cz", "Karel Nový")
		if res, err := e.st.ExpireVerification(ctx, in.RequestID); err != nil || res != (store.ExpireResult{}) {
			t.Fatalf("ExpireVerification: %+v %v", res, err)
		}
		if r := e.request(t, in.RequestID); r.Status != "expired" {
			t.Errorf("request: %+v", r)
		}
		if _, err := e.st.ExpireVerification(ctx, "00000000-0000-0000-0000-000000000000"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown request: %v", err)
		}
	})
}

// TestCancelErasesCreatedContact: a contact that only the cancelled request created goes.
func TestCancelErasesCreatedContact(t *testing.T) {
	ctx := context.Background()
	e := newDOI(t)
	in := e.intake(t, e.form, "eva.nova@example.cz", "Eva Nová")
	plan := e.prepare(t, in.RequestID)
	if err := e.st.CancelVerification(ctx, in.RequestID); err != nil {
		t.Fatal(err)
	}
	if n := e.count(t, `SELECT count(*) FROM contacts WHERE id = $1`, plan.ContactID); n != 0 {
		t.Fatal("the contact only the cancelled request created is still there")
	}
	if n := e.count(t, `SELECT count(*) FROM consent_requests WHERE id = $1 AND email = '' AND ip = ''`, in.RequestID); n != 1 {
		t.Fatal("the cancelled request still holds the person's data")
	}
}

func TestCancelVerification(t *testing.T) {
	ctx := context.Background()
	e := newDOI(t)
	in := e.intake(t, e.form, "karel.novy@example.cz", "Karel Nový")
	plan := e.prepare(t, in.RequestID)
	secret := e.mail(t, in.RequestID)
	// A note is a basis of its own, so the contact stays and the revoked consents show.
	if _, err := e.st.CreateNote(ctx, e.admin, model.Note{ContactID: plan.ContactID, Body: "Volal na pobočku."}); err != nil {
		t.Fatal(err)
	}

	if err := e.st.CancelVerification(ctx, in.RequestID); err != nil {
		t.Fatal(err)
	}
	if r := e.request(t, in.RequestID); r.Status != "cancelled" || r.ConfirmedAt != nil {
		t.Errorf("request: %+v", r)
	}
	cs := e.consents(t, plan.ContactID)
	for _, k := range formKeys {
		c := cs[k]
		st := historyStatuses(c)
		if c.Status != model.ConsentRevoked || !slices.Equal(st, []model.ConsentStatus{model.ConsentPending, model.ConsentRevoked}) {
			t.Errorf("consent %s: %s, history %v", k, c.Status, st)
		} else if c.History[1].Reason == "" {
			t.Errorf("consent %s revocation without a reason", k)
		}
	}
	events := e.count(t, `SELECT count(*) FROM consent_events`)
	if err := e.st.CancelVerification(ctx, in.RequestID); err != nil {
		t.Errorf("second cancel: %v", err)
	}
	if n := e.count(t, `SELECT count(*) FROM consent_events`); n != events {
		t.Errorf("second cancel added %d events", n-events)
	}
	if n := e.count(t, `SELECT count(*) FROM audit_log WHERE action = 'consent.request.cancel' AND object_id = $1`, in.RequestID); n != 1 {
		t.Errorf("%d cancel audit entries", n)
	}

	if _, _, err := e.st.Confirm(ctx, auth.HashSecret(secret), "203.0.113.9", "late"); !errors.Is(err, store.ErrLinkExpired) {
		t.Errorf("Confirm after cancel: %v, want ErrLinkExpired", err)
	}
	if r := e.request(t, in.RequestID); r.Status != "cancelled" || r.ConfirmIP != "" {
		t.Errorf("request after the refused confirmation: %+v", r)
	}
	if pv, err := e.st.PreviewConfirmation(ctx, auth.HashSecret(secret)); err != nil || pv.Status != "cancelled" || pv.Used {
		t.Errorf("preview after cancel: %+v %v", pv, err)
	}
	if n, err := e.activate(ctx, in.RequestID); err != nil || n != 0 {
		t.Errorf("activate after cancel: %d %v", n, err)
	}
	if _, err := e.st.ConfirmationMail(ctx, in.RequestID, auth.HashSecret(newSecret(t))); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("mail after cancel: %v, want ErrNotFound", err)
	}
	if res, err := e.st.ExpireVerification(ctx, in.RequestID); err != nil || res != (store.ExpireResult{}) {
		t.Errorf("expire after cancel: %+v %v", res, err)
	}
	if _, err := e.st.GetContact(ctx, e.admin, plan.ContactID); err != nil {
		t.Errorf("expiring a cancelled request erased its contact: %v", err)
	}
}

func TestConfirmRejects(t *testing.T) {
	ctx := context.Background()
	e := newDOI(t)
	in := e.intake(t, e.form, "karel.novy@example.cz", "Karel Nový")
	plan := e.prepare(t, in.RequestID)
	secret := e.mail(t, in.RequestID)
	hash := auth.HashSecret(secret)
	if _, err := e.pool.Exec(ctx, `UPDATE consent_requests SET expires_at = now() - interval '1 minute' WHERE id = $1`, in.RequestID); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name string
		hash []byte
		want error
	}{
		{"expired request", hash, store.ErrLinkExpired},
		{"unknown token", auth.HashSecret("no such token"), store.ErrNotFound},
		{"the secret instead of its hash", []byte(secret), store.ErrNotFound},
		{"empty", nil, store.ErrNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, already, err := e.st.Confirm(ctx, tc.hash, "203.0.113.9", "ua"); !errors.Is(err, tc.want) || already {
				t.Errorf("Confirm: already=%v %v, want %v", already, err, tc.want)
			}
		})
	}
	r := e.request(t, in.RequestID)
	if r.Status != "pending" || r.ConfirmedAt != nil || r.ConfirmIP != "" {
		t.Errorf("a refused confirmation changed the request: %+v", r)
	}
	if n := e.count(t, `SELECT count(*) FROM confirmation_tokens WHERE used_at IS NOT NULL`); n != 0 {
		t.Errorf("%d tokens marked used", n)
	}
	if pv, err := e.st.PreviewConfirmation(ctx, hash); err != nil || !pv.Expired || pv.Used || pv.Status != "pending" {
		t.Errorf("preview of the expired link: %+v %v", pv, err)
	}
	if n, err := e.activate(ctx, in.RequestID); err != nil || n != 0 {
		t.Errorf("activate: %d %v", n, err)
	}
	for k, c := range e.consents(t, plan.ContactID) {
		if c.Status != model.ConsentPending {
			t.Errorf("consent %s: %s", k, c.Status)
		}
	}
}

func TestConsentEventsAppendOnly(t *testing.T) {
	ctx := context.Background()
	e := newDOI(t)
	in := e.intake(t, e.form, "karel.novy@example.cz", "Karel Nový")
	e.prepare(t, in.RequestID)
	before := e.count(t, `SELECT count(*) FROM consent_events WHERE status = 'pending' AND reason <> 'x'`)
	if before != 3 {
		t.Fatalf("%d events", before)
	}
	for _, sql := range []string{
		`UPDATE consent_events SET reason = 'x'`,
		`UPDATE consent_events SET status = 'active' WHERE id = (SELECT min(id) FROM consent_events)`,
	} {
		if _, err := e.pool.Exec(ctx, sql); err == nil {
			t.Errorf("%s succeeded on the append-only consent history", sql)
		}
	}
	if n := e.count(t, `SELECT count(*) FROM consent_events WHERE status = 'pending' AND reason <> 'x'`); n != before {
		t.Errorf("events changed: %d of %d left as they were", n, before)
	}
}

func TestVerificationOutboxes(t *testing.T) {
	ctx := context.Background()
	e := newDOI(t)
	var reqs []string
	for _, m := range []string{"a@example.cz", "b@example.cz", "c@example.cz"} {
		reqs = append(reqs, e.intake(t, e.form, m, "").RequestID)
	}
	unstarted := func(limit int) []string {
		t.Helper()
		ids, err := e.st.UnstartedVerifications(ctx, limit)
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	if got := unstarted(10); !slices.Equal(got, reqs) {
		t.Fatalf("unstarted %v, want %v (oldest first)", got, reqs)
	}
	if got := unstarted(2); !slices.Equal(got, reqs[:2]) {
		t.Errorf("unstarted with limit 2: %v", got)
	}
	if err := e.st.MarkVerificationStarted(ctx, reqs[1]); err != nil {
		t.Fatal(err)
	}
	if got := unstarted(10); !slices.Equal(got, []string{reqs[0], reqs[2]}) {
		t.Errorf("unstarted after marking %s: %v", reqs[1], got)
	}
	started := e.request(t, reqs[1]).WorkflowStartedAt
	if err := e.st.MarkVerificationStarted(ctx, reqs[1]); err != nil {
		t.Fatal(err)
	}
	if again := e.request(t, reqs[1]).WorkflowStartedAt; again == nil || !again.Equal(*started) {
		t.Errorf("marking again moved workflow_started_at: %v → %v", started, again)
	}
	// A resubmission does not put a started request back in the outbox.
	if res := e.intake(t, e.form, "B@example.cz", ""); !res.Resend || res.RequestID != reqs[1] {
		t.Fatalf("resubmission: %+v", res)
	}
	if got := unstarted(10); !slices.Equal(got, []string{reqs[0], reqs[2]}) {
		t.Errorf("unstarted after a resubmission: %v", got)
	}
	for _, id := range reqs {
		if err := e.st.MarkVerificationStarted(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if got := unstarted(10); len(got) != 0 {
		t.Errorf("unstarted after marking all: %v", got)
	}

	unsignalled := func() []string {
		t.Helper()
		ids, err := e.st.UnsignalledConfirmations(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	tokens := map[string]string{}
	for _, id := range reqs {
		e.prepare(t, id)
		tokens[id] = e.mail(t, id)
	}
	if got := unsignalled(); len(got) != 0 {
		t.Errorf("unsignalled before any confirmation: %v", got)
	}
	e.confirm(t, tokens[reqs[2]])
	e.confirm(t, tokens[reqs[0]])
	if got := unsignalled(); !slices.Equal(got, []string{reqs[2], reqs[0]}) {
		t.Errorf("unsignalled %v, want in order of confirmation %v", got, []string{reqs[2], reqs[0]})
	}
	if ids, err := e.st.UnsignalledConfirmations(ctx, 1); err != nil || !slices.Equal(ids, []string{reqs[2]}) {
		t.Errorf("unsignalled with limit 1: %v %v", ids, err)
	}
	if err := e.st.MarkConfirmSignalled(ctx, reqs[2]); err != nil {
		t.Fatal(err)
	}
	if got := unsignalled(); !slices.Equal(got, []string{reqs[0]}) {
		t.Errorf("unsignalled after marking: %v", got)
	}
	signalled := e.request(t, reqs[2]).ConfirmSignalledAt
	if err := e.st.MarkConfirmSignalled(ctx, reqs[2]); err != nil {
		t.Fatal(err)
	}
	if again := e.request(t, reqs[2]).ConfirmSignalledAt; signalled == nil || again == nil || !again.Equal(*signalled) {
		t.Errorf("marking again moved confirm_signalled_at: %v → %v", signalled, again)
	}
	e.confirm(t, tokens[reqs[1]])
	if got := unsignalled(); !slices.Equal(got, []string{reqs[0], reqs[1]}) {
		t.Errorf("unsignalled %v, want %v", got, []string{reqs[0], reqs[1]})
	}
	for _, id := range []string{reqs[0], reqs[1]} {
		if err := e.st.MarkConfirmSignalled(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if got := unsignalled(); len(got) != 0 {
		t.Errorf("unsignalled after marking all: %v", got)
	}
}

func TestConsentVisibility(t *testing.T) {
	ctx := context.Background()
	e := newDOI(t)
	other, err := e.st.CreateBook(ctx, e.admin, "Partneři", "")
	if err != nil {
		t.Fatal(err)
	}
	otherForm := e.newForm(t, other.ID, "events")
	viewer, err := e.st.CreateUser(ctx, e.admin, model.User{Login: "viewer", Name: "Viewer"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.PutGrant(ctx, e.admin, model.Grant{BookID: e.book.ID, UserID: &viewer.ID, Role: "viewer"}); err != nil {
		t.Fatal(err)
	}
	outsider, err := e.st.CreateUser(ctx, e.admin, model.User{Login: "outsider", Name: "Outsider"}, "")
	if err != nil {
		t.Fatal(err)
	}
	va := store.Actor{UserID: viewer.ID, Channel: "api"}
	oa := store.Actor{UserID: outsider.ID, Channel: "api"}

	r1 := e.intake(t, e.form, "karel.novy@example.cz", "Karel Nový")
	c1 := e.prepare(t, r1.RequestID).ContactID
	time.Sleep(2 * time.Millisecond)
	r2 := e.intake(t, otherForm, "eva.nova@example.cz", "Eva Nová")
	c2 := e.prepare(t, r2.RequestID).ContactID

	for _, tc := range []struct {
		who     string
		actor   store.Actor
		contact string
		want    int // consents; -1: ErrNotFound
	}{
		{"admin, form book", e.admin, c1, 3},
		{"admin, other book", e.admin, c2, 1},
		{"viewer, form book", va, c1, 3},
		{"viewer, other book", va, c2, -1},
		{"outsider, form book", oa, c1, -1},
		{"outsider, other book", oa, c2, -1},
		{"viewer, not an id", va, "nope", -1},
		{"admin, unknown contact", e.admin, "00000000-0000-0000-0000-000000000000", -1},
	} {
		t.Run(tc.who, func(t *testing.T) {
			cs, err := e.st.ListContactConsents(ctx, tc.actor, tc.contact)
			if tc.want < 0 {
				if !errors.Is(err, store.ErrNotFound) || len(cs) != 0 {
					t.Errorf("got %d consents, %v; want ErrNotFound", len(cs), err)
				}
				return
			}
			if err != nil || len(cs) != tc.want {
				t.Fatalf("got %d consents, %v; want %d", len(cs), err, tc.want)
			}
			for _, c := range cs {
				if len(c.History) != 1 || c.Evidence["form_id"] == nil {
					t.Errorf("consent without history or evidence: %+v", c)
				}
			}
		})
	}
	if n := e.count(t, `SELECT count(*) FROM audit_log WHERE action = 'consent.list' AND actor_id = $1 AND contact_ids = ARRAY[$2::uuid]`, viewer.ID, c1); n != 1 {
		t.Errorf("%d consent.list audit entries for the viewer", n)
	}
	if n := e.count(t, `SELECT count(*) FROM audit_log WHERE action = 'consent.list' AND actor_id = $1`, outsider.ID); n != 0 {
		t.Errorf("%d consent.list audit entries for refused reads", n)
	}

	pending := func(a store.Actor) []string {
		t.Helper()
		rs, err := e.st.ListPendingVerifications(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, r := range rs {
			ids = append(ids, r.ID)
			if r.Status != "pending" || r.ContactID == nil {
				t.Errorf("listed request %+v", r)
			}
		}
		return ids
	}
	for _, tc := range []struct {
		who   string
		actor store.Actor
		want  []string
	}{
		{"admin", e.admin, []string{r1.RequestID, r2.RequestID}},
		{"viewer", va, []string{r1.RequestID}},
		{"outsider", oa, nil},
	} {
		if got := pending(tc.actor); !slices.Equal(got, tc.want) {
			t.Errorf("pending for %s: %v, want %v", tc.who, got, tc.want)
		}
	}
	e.confirm(t, e.mail(t, r1.RequestID))
	if got := pending(va); len(got) != 0 {
		t.Errorf("pending for the viewer after confirmation: %v", got)
	}
	if got := pending(e.admin); !slices.Equal(got, []string{r2.RequestID}) {
		t.Errorf("pending for the admin after confirmation: %v", got)
	}
}

// TestOverlappingRequests: the same person asks for the same purpose on two forms of one
// book and confirms the first mail only.
func TestOverlappingRequests(t *testing.T) {
	ctx := context.Background()
	e := newDOI(t)
	other := e.newForm(t, e.book.ID, "newsletter")
	a := e.intake(t, e.form, "karel.novy@example.cz", "Karel Nový", "newsletter")
	planA := e.prepare(t, a.RequestID)
	tokenA := e.mail(t, a.RequestID)
	b := e.intake(t, other, "karel.novy@example.cz", "Karel Nový", "newsletter")
	planB := e.prepare(t, b.RequestID)
	if planB.ContactID != planA.ContactID || planB.ContactCreated {
		t.Fatalf("second plan %+v, want contact %s reused", planB, planA.ContactID)
	}
	e.confirm(t, tokenA)
	n, err := e.activate(ctx, a.RequestID)
	if err != nil {
		t.Fatal(err)
	}
	nl := e.consents(t, planA.ContactID)["newsletter"]
	if n != 1 || nl.Status != model.ConsentActive {
		t.Fatalf("ActivateConsents(A) = %d and the newsletter consent is %s (request_id %v); "+
			"want 1 and active: PrepareVerification of a later overlapping request B (another form, same book, same "+
			"purpose) moved the pending consent to B (ON CONFLICT ... SET request_id = B), so A's confirmation activates "+
			"nothing and B's expiry later expires a consent the person confirmed", n, nl.Status, *nl.RequestID)
	}
	if res, err := e.st.ExpireVerification(ctx, b.RequestID); err != nil || res.Erased {
		t.Fatalf("expire B: %+v %v", res, err)
	}
	if nl := e.consents(t, planA.ContactID)["newsletter"]; nl.Status != model.ConsentActive {
		t.Errorf("after B expired the confirmed consent is %s", nl.Status)
	}
}
