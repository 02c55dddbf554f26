package activities_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"

	"github.com/kontakt/kontakt/activities"
	"github.com/kontakt/kontakt/auth"
	"github.com/kontakt/kontakt/devstack/testdb"
	"github.com/kontakt/kontakt/mail"
	"github.com/kontakt/kontakt/migrations"
	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
	"github.com/kontakt/kontakt/workflows"
)

// The subject-request activities against a real PostgreSQL, alone and under the
// SubjectAccess workflow in Temporal's test suite; only the SMTP relay is a recorder.

func TestMain(m *testing.M) { os.Exit(testdb.Main(m, migrations.UpURL)) }

// outbox records the mails; failFirst makes the first Send fail before anything is sent.
type outbox struct {
	mu        sync.Mutex
	sent      []mail.Message
	failFirst error
}

func (o *outbox) Send(_ context.Context, m mail.Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.failFirst != nil {
		err := o.failFirst
		o.failFirst = nil
		return err
	}
	o.sent = append(o.sent, m)
	return nil
}

func (o *outbox) messages() []mail.Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]mail.Message(nil), o.sent...)
}

type subjectFixture struct {
	st      *store.Store
	pool    *pgxpool.Pool
	form    model.Form
	purpose model.Purpose
	mails   *outbox
	subject *activities.Subject
}

const known = "Eva.Mala@Posta.example"

// newSubjectFixture: a form, and Eva with an active newsletter consent.
func newSubjectFixture(t *testing.T, noConsentMail bool) *subjectFixture {
	t.Helper()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, testdb.New(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	st := store.New(pool, "CZ")
	u, err := st.CreateUser(ctx, store.Actor{Channel: "system"}, model.User{Login: "admin", Name: "Admin", IsAdmin: true}, "")
	if err != nil {
		t.Fatal(err)
	}
	a := store.Actor{UserID: u.ID, Channel: "api"}
	b, err := st.CreateBook(ctx, a, "Členové", "")
	if err != nil {
		t.Fatal(err)
	}
	p, err := st.CreatePurpose(ctx, a, model.Purpose{Key: "newsletter", Name: "Zpravodaj", Wording: "Souhlasím.", ValidityMonths: 24})
	if err != nil {
		t.Fatal(err)
	}
	f, err := st.CreateForm(ctx, a, model.Form{Name: "Web", BookID: b.ID, PurposeIDs: []string{p.ID}, Language: "cs",
		Organisation: "Spolek", NoConsentMail: noConsentMail, RevocationMail: true}, false)
	if err != nil {
		t.Fatal(err)
	}
	c, err := st.CreateContact(ctx, a, model.Contact{BookID: b.ID, Kind: model.KindPerson, FamilyName: "Malá",
		Emails: []model.Email{{Value: "eva.mala@posta.example"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.RecordConsent(ctx, a, store.ConsentRecord{ContactID: c.ID, PurposeID: p.ID, Source: model.SourceStaff,
		GivenAt: time.Now().Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	mails := &outbox{}
	return &subjectFixture{st: st, pool: pool, form: f, purpose: p, mails: mails, subject: &activities.Subject{
		Store: st, Mailer: mails, PublicURL: "https://kontakt.example.org/", Log: slog.New(slog.NewTextHandler(io.Discard, nil))}}
}

func (f *subjectFixture) request(t *testing.T, kind, email string) string {
	t.Helper()
	var purposes []string
	if kind == store.SubjectKindRevoke {
		purposes = []string{f.purpose.ID}
	}
	id, err := f.st.RecordSubjectRequest(context.Background(), store.SubjectPost{FormID: f.form.ID, Kind: kind, Email: email,
		PurposeIDs: purposes, IP: "198.51.100.1", UserAgent: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (f *subjectFixture) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := f.pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

var subjectLink = regexp.MustCompile(`https://kontakt\.example\.org/public/subject/([A-Za-z0-9_-]+)`)

// A retry of the access mail after its answer was lost makes no second link and no second mail.
func TestSendSubjectAccessMailOnce(t *testing.T) {
	ctx := context.Background()
	f := newSubjectFixture(t, false)
	id := f.request(t, store.SubjectKindAccess, known)
	plan, err := f.subject.PlanSubjectRequest(ctx, id)
	if err != nil || plan.Consents != 1 {
		t.Fatalf("plan %+v %v", plan, err)
	}
	for i := range 2 {
		sent, err := f.subject.SendSubjectAccessMail(ctx, id, plan.ContactIDs)
		if err != nil || !sent {
			t.Fatalf("attempt %d: sent %v, %v", i+1, sent, err)
		}
	}
	msgs := f.mails.messages()
	if len(msgs) != 1 || msgs[0].To != known || !strings.Contains(msgs[0].Text, "Zpravodaj: platný") {
		t.Fatalf("mails %+v", msgs)
	}
	link := subjectLink.FindStringSubmatch(msgs[0].Text)
	if link == nil || !strings.Contains(msgs[0].HTML, link[0]) {
		t.Fatalf("no link in\n%s", msgs[0].Text)
	}
	if n := f.count(t, `SELECT count(*) FROM subject_tokens WHERE token_hash = $1`, auth.HashSecret(link[1])); n != 1 {
		t.Fatalf("the link's hash stored %d times", n)
	}
	if n := f.count(t, `SELECT count(*) FROM subject_tokens t WHERE t::text LIKE '%' || $1 || '%'`, link[1]); n != 0 {
		t.Fatal("the token itself is stored")
	}
}

// The mail preparation is retried when the relay is briefly away, and mails once.
func TestSendSubjectMailRetriedAfterRelayFailure(t *testing.T) {
	ctx := context.Background()
	f := newSubjectFixture(t, true)
	f.mails.failFirst = errors.New("dial tcp: connection refused")
	id := f.request(t, store.SubjectKindAccess, "nikdo@posta.example")
	if _, err := f.subject.SendSubjectNoConsentMail(ctx, id); err == nil || strings.Contains(err.Error(), "nikdo") {
		t.Fatalf("first attempt: %v", err)
	}
	if sent, err := f.subject.SendSubjectNoConsentMail(ctx, id); err != nil || !sent {
		t.Fatalf("retry: %v %v", sent, err)
	}
	if sent, err := f.subject.SendSubjectNoConsentMail(ctx, id); err != nil || !sent {
		t.Fatalf("third call: %v %v", sent, err)
	}
	if msgs := f.mails.messages(); len(msgs) != 1 || !strings.Contains(msgs[0].Text, "neeviduje žádný souhlas") {
		t.Fatalf("mails %+v", msgs)
	}
}

// runSubject runs the SubjectAccess workflow with the real activities. lostAnswers makes
// the first attempt of each mail activity do its work and then fail, as when the worker
// dies before Temporal hears the answer: Temporal retries it.
func (f *subjectFixture) runSubject(t *testing.T, requestID string, lostAnswers bool) workflows.SubjectAccessResult {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterActivity(f.subject)
	if lostAnswers {
		var a *activities.Subject
		var mu sync.Mutex
		attempts := map[string]int{}
		lost := func(name string) error {
			mu.Lock()
			defer mu.Unlock()
			attempts[name]++
			if attempts[name] == 1 {
				return errors.New("worker lost before answering")
			}
			return nil
		}
		env.OnActivity(a.SendSubjectAccessMail, mock.Anything, mock.Anything, mock.Anything).Return(
			func(ctx context.Context, id string, contacts []string) (bool, error) {
				sent, err := f.subject.SendSubjectAccessMail(ctx, id, contacts)
				if err == nil {
					err = lost("access")
				}
				return sent, err
			})
		env.OnActivity(a.SendSubjectRevocationMail, mock.Anything, mock.Anything).Return(
			func(ctx context.Context, id string) (bool, error) {
				sent, err := f.subject.SendSubjectRevocationMail(ctx, id)
				if err == nil {
					err = lost("revocation")
				}
				return sent, err
			}).Maybe()
	}
	env.ExecuteWorkflow(workflows.SubjectAccess, workflows.SubjectAccessInput{RequestID: requestID})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var res workflows.SubjectAccessResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	return res
}

func TestSubjectAccessWorkflowWithRealActivities(t *testing.T) {
	f := newSubjectFixture(t, false)

	id := f.request(t, store.SubjectKindAccess, known)
	res := f.runSubject(t, id, true)
	if res.Outcome != workflows.OutcomeListed || !res.Mailed {
		t.Fatalf("result %+v", res)
	}
	if n := len(f.mails.messages()); n != 1 {
		t.Fatalf("%d mails after a lost answer, want 1", n)
	}
	if n := f.count(t, `SELECT count(*) FROM subject_tokens`); n != 1 {
		t.Fatalf("%d links, want 1", n)
	}
	if n := f.count(t, `SELECT count(*) FROM subject_requests WHERE id = $1 AND status = 'done' AND email = '' AND mail_sent_at IS NOT NULL`, id); n != 1 {
		t.Fatal("request not done, or its address kept")
	}

	// An unknown address on a form that sends no "no consent" mail: nothing at all.
	res = f.runSubject(t, f.request(t, store.SubjectKindAccess, "nikdo@posta.example"), false)
	if res.Outcome != workflows.OutcomeNoConsent || res.Mailed || len(f.mails.messages()) != 1 {
		t.Fatalf("unknown address: %+v, %d mails", res, len(f.mails.messages()))
	}

	// A revocation by form post, confirmed once despite a lost answer.
	res = f.runSubject(t, f.request(t, store.SubjectKindRevoke, "EVA.mala@posta.example"), true)
	if res.Outcome != workflows.OutcomeRevoked || res.Revoked != 1 || !res.Mailed {
		t.Fatalf("revoke: %+v", res)
	}
	msgs := f.mails.messages()
	if len(msgs) != 2 || msgs[1].To != "EVA.mala@posta.example" || !strings.Contains(msgs[1].Subject, "odvolán") {
		t.Fatalf("mails %+v", msgs)
	}
	if n := f.count(t, `SELECT count(*) FROM consents WHERE status = 'revoked'`); n != 1 {
		t.Fatalf("%d revoked consents", n)
	}

	// Revoking again, or for an unknown address, mails nothing.
	for _, email := range []string{known, "nikdo@posta.example"} {
		res = f.runSubject(t, f.request(t, store.SubjectKindRevoke, email), false)
		if res.Outcome != workflows.OutcomeNothingRevoked || res.Mailed {
			t.Fatalf("revoke for %s: %+v", email, res)
		}
	}
	if n := len(f.mails.messages()); n != 2 {
		t.Fatalf("%d mails, want 2", n)
	}
}
