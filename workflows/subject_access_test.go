package workflows

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/mock"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/kontakt/kontakt/activities"
)

// fakeSubject answers SubjectAccess's activities and counts the calls.
type fakeSubject struct {
	plan     activities.SubjectPlanResult
	planErr  error
	revoked  int
	mailErrs []error // returned by the nth mail activity call; nil and beyond: sent
	mu       sync.Mutex
	calls    map[string]int
	contacts []string // what SendSubjectAccessMail was given
}

func (f *fakeSubject) record(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.calls == nil {
		f.calls = map[string]int{}
	}
	f.calls[name]++
	n := 0
	for _, m := range []string{"SendSubjectAccessMail", "SendSubjectNoConsentMail", "SendSubjectRevocationMail"} {
		n += f.calls[m]
	}
	return n
}

func (f *fakeSubject) count(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[name]
}

func (f *fakeSubject) mail(name string) (bool, error) {
	n := f.record(name)
	if n-1 < len(f.mailErrs) && f.mailErrs[n-1] != nil {
		return false, f.mailErrs[n-1]
	}
	return true, nil
}

func (f *fakeSubject) install(env *testsuite.TestWorkflowEnvironment) {
	var a *activities.Subject
	env.OnActivity(a.PlanSubjectRequest, mock.Anything, mock.Anything).Return(
		func(_ context.Context, id string) (activities.SubjectPlanResult, error) {
			f.record("PlanSubjectRequest")
			return f.plan, f.planErr
		}).Maybe()
	env.OnActivity(a.SendSubjectAccessMail, mock.Anything, mock.Anything, mock.Anything).Return(
		func(_ context.Context, id string, contacts []string) (bool, error) {
			f.mu.Lock()
			f.contacts = contacts
			f.mu.Unlock()
			return f.mail("SendSubjectAccessMail")
		}).Maybe()
	env.OnActivity(a.SendSubjectNoConsentMail, mock.Anything, mock.Anything).Return(
		func(_ context.Context, id string) (bool, error) { return f.mail("SendSubjectNoConsentMail") }).Maybe()
	env.OnActivity(a.SendSubjectRevocationMail, mock.Anything, mock.Anything).Return(
		func(_ context.Context, id string) (bool, error) { return f.mail("SendSubjectRevocationMail") }).Maybe()
	env.OnActivity(a.RevokeForSubjectRequest, mock.Anything, mock.Anything).Return(
		func(_ context.Context, id string) (int, error) {
			f.record("RevokeForSubjectRequest")
			return f.revoked, nil
		}).Maybe()
	env.OnActivity(a.FinishSubjectRequest, mock.Anything, mock.Anything).Return(
		func(_ context.Context, id string) error {
			f.record("FinishSubjectRequest")
			return nil
		}).Maybe()
}

var subjectContacts = []string{"5d0c2f8e-7f0b-4a51-8d4e-2b1b3b7a6c01", "7a1e9c3d-2b4f-4e6a-9c8d-1f2e3d4c5b6a"}

func TestSubjectAccess(t *testing.T) {
	access := func(consents int, noConsentMail bool) activities.SubjectPlanResult {
		p := activities.SubjectPlanResult{Kind: SubjectKindAccess, Consents: consents, NoConsentMail: noConsentMail, RevocationMail: true}
		if consents > 0 {
			p.ContactIDs = subjectContacts
		}
		return p
	}
	revoke := func(kind string, mail bool) activities.SubjectPlanResult {
		return activities.SubjectPlanResult{Kind: kind, ContactIDs: subjectContacts, Consents: 3, RevocationMail: mail}
	}
	permanent := temporal.NewNonRetryableApplicationError("refused", activities.ErrTypePermanentMail, nil)
	tests := []struct {
		name  string
		fake  *fakeSubject
		want  SubjectAccessResult
		calls map[string]int // activities not named must not be called
	}{
		{"access with consents mails the list", &fakeSubject{plan: access(3, false)},
			SubjectAccessResult{Kind: "access", Outcome: OutcomeListed, Mailed: true},
			map[string]int{"PlanSubjectRequest": 1, "SendSubjectAccessMail": 1, "FinishSubjectRequest": 1}},
		{"access without consents, form default: no mail", &fakeSubject{plan: access(0, false)},
			SubjectAccessResult{Kind: "access", Outcome: OutcomeNoConsent},
			map[string]int{"PlanSubjectRequest": 1, "FinishSubjectRequest": 1}},
		{"access without consents, no_consent_mail: told", &fakeSubject{plan: access(0, true)},
			SubjectAccessResult{Kind: "access", Outcome: OutcomeNoConsent, Mailed: true},
			map[string]int{"PlanSubjectRequest": 1, "SendSubjectNoConsentMail": 1, "FinishSubjectRequest": 1}},
		{"a retried mail activity is called again and mails once", &fakeSubject{plan: access(3, false), mailErrs: []error{errors.New("smtp: 421 try later")}},
			SubjectAccessResult{Kind: "access", Outcome: OutcomeListed, Mailed: true},
			map[string]int{"PlanSubjectRequest": 1, "SendSubjectAccessMail": 2, "FinishSubjectRequest": 1}},
		{"a refused mail still finishes the request", &fakeSubject{plan: access(3, false), mailErrs: []error{permanent}},
			SubjectAccessResult{Kind: "access", Outcome: OutcomeListed},
			map[string]int{"PlanSubjectRequest": 1, "SendSubjectAccessMail": 1, "FinishSubjectRequest": 1}},
		{"revoke confirms by mail", &fakeSubject{plan: revoke(SubjectKindRevoke, true), revoked: 2},
			SubjectAccessResult{Kind: "revoke", Outcome: OutcomeRevoked, Revoked: 2, Mailed: true},
			map[string]int{"PlanSubjectRequest": 1, "RevokeForSubjectRequest": 1, "SendSubjectRevocationMail": 1, "FinishSubjectRequest": 1}},
		{"revoke without the form's mail", &fakeSubject{plan: revoke(SubjectKindRevoke, false), revoked: 1},
			SubjectAccessResult{Kind: "revoke", Outcome: OutcomeRevoked, Revoked: 1},
			map[string]int{"PlanSubjectRequest": 1, "RevokeForSubjectRequest": 1, "FinishSubjectRequest": 1}},
		{"revoke of nothing mails nothing", &fakeSubject{plan: revoke(SubjectKindRevoke, true)},
			SubjectAccessResult{Kind: "revoke", Outcome: OutcomeNothingRevoked},
			map[string]int{"PlanSubjectRequest": 1, "RevokeForSubjectRequest": 1, "FinishSubjectRequest": 1}},
		{"a link's revocation is confirmed", &fakeSubject{plan: revoke(SubjectKindRevokeLink, true)},
			SubjectAccessResult{Kind: "revoke_link", Outcome: OutcomeRevoked, Mailed: true},
			map[string]int{"PlanSubjectRequest": 1, "SendSubjectRevocationMail": 1, "FinishSubjectRequest": 1}},
		{"done already", &fakeSubject{plan: activities.SubjectPlanResult{Kind: SubjectKindAccess, Done: true}},
			SubjectAccessResult{Kind: "access", Outcome: OutcomeAlreadyDone},
			map[string]int{"PlanSubjectRequest": 1}},
		{"request gone", &fakeSubject{planErr: temporal.NewNonRetryableApplicationError("gone", activities.ErrTypeNotFound, nil)},
			SubjectAccessResult{Outcome: OutcomeAlreadyDone},
			map[string]int{"PlanSubjectRequest": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s testsuite.WorkflowTestSuite
			env := s.NewTestWorkflowEnvironment()
			env.SetStartTime(testStart)
			tt.fake.install(env)
			env.ExecuteWorkflow(SubjectAccess, SubjectAccessInput{RequestID: testRequestID})
			if !env.IsWorkflowCompleted() {
				t.Fatal("workflow did not complete")
			}
			if err := env.GetWorkflowError(); err != nil {
				t.Fatalf("workflow error: %v", err)
			}
			var got SubjectAccessResult
			if err := env.GetWorkflowResult(&got); err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("result = %+v, want %+v", got, tt.want)
			}
			for _, name := range []string{"PlanSubjectRequest", "SendSubjectAccessMail", "SendSubjectNoConsentMail",
				"RevokeForSubjectRequest", "SendSubjectRevocationMail", "FinishSubjectRequest"} {
				if n := tt.fake.count(name); n != tt.calls[name] {
					t.Errorf("%s called %d times, want %d", name, n, tt.calls[name])
				}
			}
			if tt.calls["SendSubjectAccessMail"] > 0 && !slices.Equal(tt.fake.contacts, subjectContacts) {
				t.Errorf("access mail for contacts %v", tt.fake.contacts)
			}
		})
	}
}

func TestStartSubjectAccess(t *testing.T) {
	c := &stubClient{}
	if err := StartSubjectAccess(context.Background(), c, "r1"); err != nil {
		t.Fatal(err)
	}
	o := c.options
	if o.ID != "subject-request/r1" || o.TaskQueue != TaskQueue ||
		o.WorkflowIDReusePolicy != enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE {
		t.Errorf("options %+v", o)
	}
	if len(c.args) != 1 || c.args[0] != (SubjectAccessInput{RequestID: "r1"}) {
		t.Errorf("args = %#v", c.args)
	}
}
