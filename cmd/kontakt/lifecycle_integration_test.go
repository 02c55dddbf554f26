package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/kontakt/kontakt/auth"
	"github.com/kontakt/kontakt/devstack"
	"github.com/kontakt/kontakt/devstack/mailcatcher"
	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
	"github.com/kontakt/kontakt/workflows"
)

// apiAs calls the stack's API with a personal API token of the user login.
type apiAs struct {
	t     *testing.T
	s     *stack
	token string
}

func (s *stack) as(login string) *apiAs {
	s.t.Helper()
	u, _, err := s.st.UserLogin(context.Background(), login)
	if err != nil {
		s.t.Fatal(err)
	}
	secret := auth.NewSecret("kt_")
	if _, err := s.st.CreateToken(context.Background(), store.Actor{UserID: u.ID, Channel: model.ChannelAPI}, "integration",
		secret[:7], auth.HashSecret(secret), nil); err != nil {
		s.t.Fatal(err)
	}
	return &apiAs{t: s.t, s: s, token: secret}
}

// do calls the API and decodes a JSON answer into out (when not nil); it returns the status.
func (a *apiAs) do(method, path string, body, out any) int {
	a.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, a.s.srv.URL+path, rd)
	req.Header.Set("Authorization", "Bearer "+a.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if out != nil && res.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			a.t.Fatalf("%s %s: %v\n%s", method, path, err, b)
		}
	} else if res.StatusCode >= 300 {
		a.t.Logf("%s %s: %d %s", method, path, res.StatusCode, b)
	}
	return res.StatusCode
}

// listed reports whether GET /api/contacts lists the contact in book.
func (a *apiAs) listed(bookID, contactID string) bool {
	a.t.Helper()
	var page store.ContactPage
	if st := a.do("GET", "/api/contacts?book="+bookID, nil, &page); st != http.StatusOK {
		a.t.Fatalf("list: %d", st)
	}
	return slices.ContainsFunc(page.Contacts, func(c model.Contact) bool { return c.ID == contactID })
}

// eventually polls cond every 50 ms for up to d.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// consent reads a consent as the admin (its contact may be hidden).
func (s *stack) consent(id string) model.Consent {
	s.t.Helper()
	admin, _, err := s.st.UserLogin(context.Background(), "admin")
	if err != nil {
		s.t.Fatal(err)
	}
	c, err := s.st.GetConsent(context.Background(), store.Actor{UserID: admin.ID, Channel: model.ChannelSystem}, id)
	if err != nil {
		s.t.Fatal(err)
	}
	return c
}

// lifecycleRun describes the latest run of a consent's lifecycle.
func lifecycleRun(t *testing.T, c client.Client, consentID string) (runID string, status enumspb.WorkflowExecutionStatus) {
	t.Helper()
	d, err := c.DescribeWorkflowExecution(context.Background(), workflows.ConsentLifecycleID(consentID), "")
	if err != nil {
		return "", enumspb.WORKFLOW_EXECUTION_STATUS_UNSPECIFIED
	}
	return d.WorkflowExecutionInfo.Execution.RunId, d.WorkflowExecutionInfo.Status
}

// TestConsentExpiryHidesContact is the acceptance of issue #5's consent expiry, on real
// Temporal and PostgreSQL: in the demo's Newsletter book (which requires the newsletter
// consent) jana records a consent that ends in three seconds; the contact is listed, then
// gone from GET /api/contacts once it ended, its consent expired by its lifecycle workflow
// with the history to show; a new consent brings it back and starts the finished
// workflow again under the same id; a revocation hides it at once and ends the workflow.
// The lapsed demo consent is expired by the reconciler's sweep.
func TestConsentExpiryHidesContact(t *testing.T) {
	ctx := context.Background()
	ts := startTemporal(t, 0)
	s := newStack(t, ts.Address())
	nl, err := devstack.SeedDemoNewsletter(ctx, s.st)
	if err != nil {
		t.Fatal(err)
	}
	c := s.runWorker(ts.Address())
	jana := s.as("jana")

	var page store.ContactPage
	if st := jana.do("GET", "/api/contacts?book="+nl.Book.ID+"&q=bartosova", nil, &page); st != http.StatusOK || len(page.Contacts) != 1 {
		t.Fatalf("Lucie Bartošová: %d %+v", st, page)
	}
	lucie := page.Contacts[0]

	// A consent that ends in three seconds.
	until := time.Now().Add(3 * time.Second).UTC()
	var consent model.Consent
	if st := jana.do("POST", "/api/contacts/"+lucie.ID+"/consents", map[string]any{"purpose_id": nl.Purpose.ID, "source": "staff",
		"given_at": time.Now().Format(time.RFC3339), "valid_until": until.Format(time.RFC3339Nano)}, &consent); st != http.StatusCreated {
		t.Fatalf("record: %d", st)
	}
	if !jana.listed(nl.Book.ID, lucie.ID) {
		t.Fatal("the contact is not listed while its consent holds")
	}
	eventually(t, 10*time.Second, "the lifecycle workflow runs", func() bool {
		_, st := lifecycleRun(t, c, consent.ID)
		return st == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
	})
	firstRun, _ := lifecycleRun(t, c, consent.ID)

	// After valid_until: gone from the list, and expired by the workflow.
	eventually(t, 15*time.Second, "the contact leaves GET /api/contacts", func() bool { return !jana.listed(nl.Book.ID, lucie.ID) })
	if time.Now().Before(until) {
		t.Fatalf("the contact left the list before its consent ended (%v)", until)
	}
	if st := jana.do("GET", "/api/contacts/"+lucie.ID, nil, nil); st != http.StatusNotFound {
		t.Errorf("GET the expired contact: %d, want 404", st)
	}
	eventually(t, 15*time.Second, "the consent is marked expired", func() bool { return s.consent(consent.ID).Status == model.ConsentExpired })
	expired := s.consent(consent.ID)
	last := expired.History[len(expired.History)-1]
	if last.Status != model.ConsentExpired || last.Channel != "system" || last.Reason != "validity ended" {
		t.Errorf("expiry event %+v", last)
	}
	var result workflows.ConsentLifecycleResult
	if err := c.GetWorkflow(ctx, workflows.ConsentLifecycleID(consent.ID), firstRun).Get(ctx, &result); err != nil ||
		result.Outcome != workflows.LifecycleExpired {
		t.Fatalf("lifecycle run %s: %+v %v", firstRun, result, err)
	}
	var feed int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM book_changes WHERE book_id = $1 AND contact_id = $2 AND at >= $3`,
		nl.Book.ID, lucie.ID, until).Scan(&feed); err != nil || feed == 0 {
		t.Errorf("no change-feed row for the expiry (%v)", err)
	}
	// Staff find the lifecycle by the contact in the Temporal UI.
	query := fmt.Sprintf("ContactID = %q AND ConsentPurpose = 'newsletter' AND WorkflowType = 'ConsentLifecycle'", lucie.ID)
	eventually(t, 15*time.Second, "the lifecycle is found by "+query, func() bool {
		resp, err := c.ListWorkflow(ctx, listRequest(query))
		return err == nil && len(resp.Executions) > 0
	})

	// Re-consent: back at once, and the finished lifecycle runs again under the same id.
	if st := jana.do("POST", "/api/contacts/"+lucie.ID+"/consents", map[string]any{"purpose_id": nl.Purpose.ID, "source": "branch",
		"given_at": time.Now().Format(time.RFC3339), "evidence": map[string]string{"branch": "Brno"}}, &consent); st != http.StatusCreated {
		t.Fatalf("re-consent: %d", st)
	}
	if !jana.listed(nl.Book.ID, lucie.ID) {
		t.Fatal("re-consent did not bring the contact back")
	}
	eventually(t, 10*time.Second, "a new lifecycle run", func() bool {
		run, st := lifecycleRun(t, c, consent.ID)
		return run != firstRun && st == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
	})
	secondRun, _ := lifecycleRun(t, c, consent.ID)
	if got := s.consent(consent.ID); !slices.Equal(statusesOf(got), []model.ConsentStatus{"active", "active", "expired", "active"}) {
		t.Errorf("history after re-consent: %v", statusesOf(got))
	}

	// Revocation: hidden at once, and the lifecycle ends without expiring anything.
	if st := jana.do("POST", "/api/consents/"+consent.ID+"/revoke", map[string]string{"reason": "odvolala na pobočce"}, &consent); st != http.StatusOK {
		t.Fatalf("revoke: %d", st)
	}
	if jana.listed(nl.Book.ID, lucie.ID) {
		t.Error("a revoked contact is listed")
	}
	if err := c.GetWorkflow(ctx, workflows.ConsentLifecycleID(consent.ID), secondRun).Get(ctx, &result); err != nil ||
		result != (workflows.ConsentLifecycleResult{Outcome: workflows.LifecycleEnded, Status: "revoked"}) {
		t.Errorf("lifecycle after revocation: %+v %v", result, err)
	}

	// The lapsed demo consent (Helena Kučerová) was expired by the sweep at start-up.
	var helena string
	if err := s.pool.QueryRow(ctx, `SELECT k.status FROM consents k JOIN contacts c ON c.id = k.contact_id
		WHERE c.family_name = 'Kučerová' AND c.book_id = $1`, nl.Book.ID).Scan(&helena); err != nil || helena != "expired" {
		t.Errorf("the lapsed demo consent is %q (%v), want expired by the sweep", helena, err)
	}
}

func statusesOf(c model.Consent) []model.ConsentStatus {
	var out []model.ConsentStatus
	for _, e := range c.History {
		out = append(out, e.Status)
	}
	return out
}

// TestRenewalByMail: a consent from the demo form whose reminder is due gets a renewal
// mail through its lifecycle; confirming the link renews the consent, still active, for
// the purpose's validity, and the lifecycle moves its timer.
func TestRenewalByMail(t *testing.T) {
	ctx := context.Background()
	ts := startTemporal(t, 0)
	s := newStack(t, ts.Address())
	c := s.runWorker(ts.Address())
	const email = "renata.dlouha@posta.example"
	if res := s.submit(email); res.StatusCode != http.StatusAccepted {
		t.Fatalf("submit: %d", res.StatusCode)
	}
	s.confirmByMail(email)
	consent := s.activeConsent(email)
	eventually(t, 10*time.Second, "the lifecycle workflow runs", func() bool {
		_, st := lifecycleRun(t, c, consent.ID)
		return st == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
	})

	// Twenty days before the end: the newsletter's 30-day reminder is due. The change goes
	// through the lifecycle outbox (the reconciler tells the workflow).
	if _, err := s.pool.Exec(ctx, `UPDATE consents SET valid_until = now() + interval '20 days', updated_at = now() WHERE id = $1`,
		consent.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := reconciler(s.st, c).Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	m, err := s.catcher.Wait(wctx, func(m mailcatcher.Caught) bool {
		return slices.Contains(m.To, email) && strings.Contains(m.Subject, "Platnost vašeho souhlasu")
	})
	if err != nil {
		t.Fatalf("no renewal mail: %v", err)
	}
	link := confirmLink.FindString(m.Text)
	if link == "" {
		t.Fatalf("no link in the renewal mail:\n%s", m.Text)
	}
	if s.consent(consent.ID).Status != model.ConsentActive {
		t.Fatal("the consent is not active while its renewal waits")
	}
	res, err := http.Post(link, "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("confirm the renewal: %d", res.StatusCode)
	}
	eventually(t, 30*time.Second, "the consent is renewed", func() bool {
		got := s.consent(consent.ID)
		return got.ValidUntil != nil && got.ValidUntil.After(time.Now().AddDate(1, 11, 0))
	})
	renewed := s.consent(consent.ID)
	last := renewed.History[len(renewed.History)-1]
	if renewed.Status != model.ConsentActive || last.Reason != "renewed by double opt-in" || renewed.Evidence["renewal_of_request"] != *consent.RequestID {
		t.Errorf("renewed consent %+v", renewed)
	}
	// The lifecycle is told and keeps running towards the new end.
	_, st := lifecycleRun(t, c, consent.ID)
	if st != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		t.Errorf("lifecycle after the renewal: %v", st)
	}
	var untold int
	eventually(t, 10*time.Second, "the renewal is told to the lifecycle", func() bool {
		err := s.pool.QueryRow(ctx, `SELECT count(*) FROM consents WHERE id = $1 AND lifecycle_told_at IS DISTINCT FROM updated_at`,
			consent.ID).Scan(&untold)
		return err == nil && untold == 0
	})
}
