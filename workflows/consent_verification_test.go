package workflows

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/kontakt/kontakt/activities"
)

const testRequestID = "0b8f7a52-3c1e-4f55-9a57-1f6c0d2d9e11"

var testStart = time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)

// fakeActivities answers the workflow's activities (through env.OnActivity) and counts the
// calls: every activity is mocked (Maybe: the counts are checked instead), so an unexpected
// call is counted, not retried forever.
type fakeActivities struct {
	plan      activities.PlanResult
	planErr   error
	sendErrs  []error // returned by the nth SendConfirmation; nil and beyond: success
	expire    activities.ExpireResult
	activated int

	mu        sync.Mutex
	calls     map[string]int
	sentAt    []time.Time
	requestID []string
}

func (f *fakeActivities) record(name, requestID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.calls == nil {
		f.calls = map[string]int{}
	}
	f.calls[name]++
	f.requestID = append(f.requestID, requestID)
}

func (f *fakeActivities) count(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[name]
}

func (f *fakeActivities) install(env *testsuite.TestWorkflowEnvironment) {
	var a *activities.Activities
	env.OnActivity(a.PrepareVerification, mock.Anything, mock.Anything).Return(
		func(_ context.Context, id string) (activities.PlanResult, error) {
			f.record("PrepareVerification", id)
			return f.plan, f.planErr
		}).Maybe()
	env.OnActivity(a.SendConfirmation, mock.Anything, mock.Anything).Return(
		func(_ context.Context, id string) error {
			n := f.count("SendConfirmation")
			f.record("SendConfirmation", id)
			if n < len(f.sendErrs) && f.sendErrs[n] != nil {
				return f.sendErrs[n]
			}
			f.mu.Lock()
			f.sentAt = append(f.sentAt, env.Now())
			f.mu.Unlock()
			return nil
		}).Maybe()
	env.OnActivity(a.ActivateConsents, mock.Anything, mock.Anything).Return(
		func(_ context.Context, id string) (int, error) {
			f.record("ActivateConsents", id)
			return f.activated, nil
		}).Maybe()
	env.OnActivity(a.ExpireVerification, mock.Anything, mock.Anything).Return(
		func(_ context.Context, id string) (activities.ExpireResult, error) {
			f.record("ExpireVerification", id)
			return f.expire, nil
		}).Maybe()
	env.OnActivity(a.CancelVerification, mock.Anything, mock.Anything).Return(
		func(_ context.Context, id string) error {
			f.record("CancelVerification", id)
			return nil
		}).Maybe()
}

func pendingPlan() activities.PlanResult {
	return activities.PlanResult{
		ContactID:   "5d0c2f8e-7f0b-4a51-8d4e-2b1b3b7a6c01",
		PurposeKeys: []string{"newsletter"},
		Status:      activities.StatusPending,
		ExpiresAt:   testStart.Add(7 * 24 * time.Hour),
	}
}

// signalAt is a signal the test sends after the given time from the start.
type signalAt struct {
	after  time.Duration
	signal string
}

func TestConsentVerification(t *testing.T) {
	permanent := temporal.NewNonRetryableApplicationError("mail refused", activities.ErrTypePermanentMail, nil)
	notFound := temporal.NewNonRetryableApplicationError("gone", activities.ErrTypeNotFound, nil)
	expiry := testStart.Add(7 * 24 * time.Hour)

	tests := []struct {
		name    string
		fake    *fakeActivities
		signals []signalAt
		want    ConsentVerificationResult
		calls   map[string]int // activities not named must not be called
		endedBy time.Time      // the workflow's clock is at least this when it ends
	}{
		{
			name:    "confirm",
			fake:    &fakeActivities{plan: pendingPlan(), activated: 1},
			signals: []signalAt{{time.Hour, SignalConfirm}},
			want:    ConsentVerificationResult{Outcome: OutcomeConfirmed, MailsSent: 1},
			calls:   map[string]int{"PrepareVerification": 1, "SendConfirmation": 1, "ActivateConsents": 1},
		},
		{
			name:    "confirm arriving while the first activities run is not lost",
			fake:    &fakeActivities{plan: pendingPlan()},
			signals: []signalAt{{0, SignalConfirm}},
			want:    ConsentVerificationResult{Outcome: OutcomeConfirmed, MailsSent: 1},
			calls:   map[string]int{"PrepareVerification": 1, "SendConfirmation": 1, "ActivateConsents": 1},
		},
		{
			name:    "timeout without erasure",
			fake:    &fakeActivities{plan: pendingPlan()},
			want:    ConsentVerificationResult{Outcome: OutcomeExpired, MailsSent: 1},
			calls:   map[string]int{"PrepareVerification": 1, "SendConfirmation": 1, "ExpireVerification": 1},
			endedBy: expiry,
		},
		{
			name:    "timeout with erasure",
			fake:    &fakeActivities{plan: pendingPlan(), expire: activities.ExpireResult{Erased: true}},
			want:    ConsentVerificationResult{Outcome: OutcomeExpired, Erased: true, MailsSent: 1},
			calls:   map[string]int{"PrepareVerification": 1, "SendConfirmation": 1, "ExpireVerification": 1},
			endedBy: expiry,
		},
		{
			name:    "timeout after a confirmation whose signal was lost activates",
			fake:    &fakeActivities{plan: pendingPlan(), expire: activities.ExpireResult{Confirmed: true}},
			want:    ConsentVerificationResult{Outcome: OutcomeConfirmed, MailsSent: 1},
			calls:   map[string]int{"PrepareVerification": 1, "SendConfirmation": 1, "ExpireVerification": 1, "ActivateConsents": 1},
			endedBy: expiry,
		},
		{
			name:    "resend within 10 minutes sends no second mail",
			fake:    &fakeActivities{plan: pendingPlan()},
			signals: []signalAt{{2 * time.Minute, SignalResend}, {time.Hour, SignalConfirm}},
			want:    ConsentVerificationResult{Outcome: OutcomeConfirmed, MailsSent: 1},
			calls:   map[string]int{"PrepareVerification": 1, "SendConfirmation": 1, "ActivateConsents": 1},
		},
		{
			name:    "resend after 15 minutes sends a second mail",
			fake:    &fakeActivities{plan: pendingPlan()},
			signals: []signalAt{{15 * time.Minute, SignalResend}, {time.Hour, SignalConfirm}},
			want:    ConsentVerificationResult{Outcome: OutcomeConfirmed, MailsSent: 2},
			calls:   map[string]int{"PrepareVerification": 1, "SendConfirmation": 2, "ActivateConsents": 1},
		},
		{
			name: "resends at most once per 10 minutes",
			fake: &fakeActivities{plan: pendingPlan()},
			signals: []signalAt{
				{2 * time.Minute, SignalResend}, {11 * time.Minute, SignalResend},
				{15 * time.Minute, SignalResend}, {22 * time.Minute, SignalResend},
			},
			want:    ConsentVerificationResult{Outcome: OutcomeExpired, MailsSent: 3},
			calls:   map[string]int{"PrepareVerification": 1, "SendConfirmation": 3, "ExpireVerification": 1},
			endedBy: expiry,
		},
		{
			name:    "cancel while pending",
			fake:    &fakeActivities{plan: pendingPlan()},
			signals: []signalAt{{time.Hour, SignalCancel}},
			want:    ConsentVerificationResult{Outcome: OutcomeCancelled, MailsSent: 1},
			calls:   map[string]int{"PrepareVerification": 1, "SendConfirmation": 1, "CancelVerification": 1},
		},
		{
			name: "already done sends no mail",
			fake: &fakeActivities{plan: func() activities.PlanResult {
				p := pendingPlan()
				p.Status = activities.StatusConfirmed
				return p
			}()},
			want:  ConsentVerificationResult{Outcome: OutcomeAlreadyDone},
			calls: map[string]int{"PrepareVerification": 1},
		},
		{
			name:  "request gone",
			fake:  &fakeActivities{planErr: notFound},
			want:  ConsentVerificationResult{Outcome: OutcomeAlreadyDone},
			calls: map[string]int{"PrepareVerification": 1},
		},
		{
			name: "deadline already passed expires without mail",
			fake: &fakeActivities{plan: func() activities.PlanResult {
				p := pendingPlan()
				p.ExpiresAt = testStart.Add(-time.Hour)
				return p
			}(), expire: activities.ExpireResult{Erased: true}},
			want:  ConsentVerificationResult{Outcome: OutcomeExpired, Erased: true},
			calls: map[string]int{"PrepareVerification": 1, "ExpireVerification": 1},
		},
		{
			name:    "permanent mail failure waits for expiry",
			fake:    &fakeActivities{plan: pendingPlan(), sendErrs: []error{permanent}, expire: activities.ExpireResult{Erased: true}},
			want:    ConsentVerificationResult{Outcome: OutcomeExpired, Erased: true},
			calls:   map[string]int{"PrepareVerification": 1, "SendConfirmation": 1, "ExpireVerification": 1},
			endedBy: expiry,
		},
		{
			name:    "resend after a failed mail tries again at once",
			fake:    &fakeActivities{plan: pendingPlan(), sendErrs: []error{permanent, permanent}},
			signals: []signalAt{{time.Minute, SignalResend}, {2 * time.Minute, SignalResend}, {3 * time.Minute, SignalResend}, {time.Hour, SignalCancel}},
			want:    ConsentVerificationResult{Outcome: OutcomeCancelled, MailsSent: 1},
			calls:   map[string]int{"PrepareVerification": 1, "SendConfirmation": 3, "CancelVerification": 1},
		},
		{
			// The person confirmed, the signal was lost, and a resubmission finds the request
			// no longer pending: the workflow keeps waiting and activates at the deadline.
			name:    "resend finding the request confirmed keeps waiting",
			fake:    &fakeActivities{plan: pendingPlan(), sendErrs: []error{nil, notFound}, expire: activities.ExpireResult{Confirmed: true}},
			signals: []signalAt{{time.Hour, SignalResend}},
			want:    ConsentVerificationResult{Outcome: OutcomeConfirmed, MailsSent: 1},
			calls:   map[string]int{"PrepareVerification": 1, "SendConfirmation": 2, "ExpireVerification": 1, "ActivateConsents": 1},
			endedBy: expiry,
		},
		{
			// The confirm arrives while the resent mail is being sent: it waits in its channel
			// and is handled next; the last resend is left unhandled as the workflow ends.
			name:    "confirm arriving during a resend",
			fake:    &fakeActivities{plan: pendingPlan()},
			signals: []signalAt{{time.Hour, SignalResend}, {time.Hour, SignalConfirm}, {time.Hour, SignalResend}},
			want:    ConsentVerificationResult{Outcome: OutcomeConfirmed, MailsSent: 2},
			calls:   map[string]int{"PrepareVerification": 1, "SendConfirmation": 2, "ActivateConsents": 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s testsuite.WorkflowTestSuite
			env := s.NewTestWorkflowEnvironment()
			env.SetStartTime(testStart)
			tt.fake.install(env)
			for _, sig := range tt.signals {
				env.RegisterDelayedCallback(func() { env.SignalWorkflow(sig.signal, nil) }, sig.after)
			}

			env.ExecuteWorkflow(ConsentVerification, ConsentVerificationInput{RequestID: testRequestID})

			if !env.IsWorkflowCompleted() {
				t.Fatal("workflow did not complete")
			}
			if err := env.GetWorkflowError(); err != nil {
				t.Fatalf("workflow error: %v", err)
			}
			var got ConsentVerificationResult
			if err := env.GetWorkflowResult(&got); err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("result = %+v, want %+v", got, tt.want)
			}
			for _, name := range []string{"PrepareVerification", "SendConfirmation", "ActivateConsents", "ExpireVerification", "CancelVerification"} {
				if n := tt.fake.count(name); n != tt.calls[name] {
					t.Errorf("%s called %d times, want %d", name, n, tt.calls[name])
				}
			}
			for _, id := range tt.fake.requestID {
				if id != testRequestID {
					t.Errorf("activity got request %q, want %q", id, testRequestID)
				}
			}
			if now := env.Now(); now.Before(tt.endedBy) {
				t.Errorf("workflow ended at %v, before %v", now, tt.endedBy)
			}
			if tt.endedBy.IsZero() && env.Now().After(testStart.Add(24*time.Hour)) {
				t.Errorf("workflow ended at %v: it waited for the expiry timer", env.Now())
			}
		})
	}
}

// The resent mail goes out when the resend arrives, not at some later tick.
func TestConsentVerificationResendTiming(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.SetStartTime(testStart)
	f := &fakeActivities{plan: pendingPlan()}
	f.install(env)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalResend, nil) }, 15*time.Minute)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalConfirm, nil) }, time.Hour)

	env.ExecuteWorkflow(ConsentVerification, ConsentVerificationInput{RequestID: testRequestID})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if len(f.sentAt) != 2 {
		t.Fatalf("%d mails sent, want 2", len(f.sentAt))
	}
	if d := f.sentAt[1].Sub(testStart); d < 15*time.Minute || d > 16*time.Minute {
		t.Errorf("second mail sent %v after the start, want at 15m", d)
	}
}

func TestConsentVerificationSearchAttributes(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.SetStartTime(testStart)
	f := &fakeActivities{plan: pendingPlan()}
	f.plan.PurposeKeys = []string{"newsletter", "events"}
	f.install(env)
	var (
		mu             sync.Mutex
		contact, purps string
	)
	env.OnUpsertTypedSearchAttributes(mock.Anything).Return(nil).Run(func(args mock.Arguments) {
		sa := args.Get(0).(temporal.SearchAttributes)
		mu.Lock()
		defer mu.Unlock()
		contact, _ = sa.GetKeyword(ContactIDAttr)
		purps, _ = sa.GetKeyword(ConsentPurposeAttr)
	}).Once()
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalConfirm, nil) }, time.Hour)

	env.ExecuteWorkflow(ConsentVerification, ConsentVerificationInput{RequestID: testRequestID})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	env.AssertExpectations(t)
	mu.Lock()
	defer mu.Unlock()
	if contact != f.plan.ContactID {
		t.Errorf("ContactID = %q, want %q", contact, f.plan.ContactID)
	}
	if purps != "newsletter,events" {
		t.Errorf("ConsentPurpose = %q, want %q", purps, "newsletter,events")
	}
}

func TestConsentVerificationID(t *testing.T) {
	if got := ConsentVerificationID("abc"); got != "consent-verify/abc" {
		t.Errorf("ConsentVerificationID = %q", got)
	}
}
