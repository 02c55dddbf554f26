package workflows

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/kontakt/kontakt/activities"
)

const testContactID = "5d1c7a10-8e2b-4f6a-b1c3-2a9e4f0d7c55"

// fakeLedger answers the ForgetContact activities: devices held the contact at erasure,
// and each device "syncs" (leaves the pending list) at its time, or never.
type fakeLedger struct {
	devices  []string
	syncsAt  map[string]time.Duration // since the erasure; absent: never
	eraseErr error

	mu         sync.Mutex
	erasedAt   time.Time
	polls      int
	stragglers []string
	completed  int
}

func (f *fakeLedger) install(env *testsuite.TestWorkflowEnvironment) {
	var a *activities.Forget
	env.OnActivity(a.EraseContact, mock.Anything, testContactID).Return(
		func(context.Context, string) ([]string, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.erasedAt = env.Now()
			return f.devices, f.eraseErr
		})
	env.OnActivity(a.ErasurePendingDevices, mock.Anything, testContactID).Return(
		func(context.Context, string) ([]string, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.polls++
			var pending []string
			for _, d := range f.devices {
				if at, ok := f.syncsAt[d]; !ok || env.Now().Sub(f.erasedAt) < at {
					pending = append(pending, d)
				}
			}
			return pending, nil
		}).Maybe()
	env.OnActivity(a.CompleteErasure, mock.Anything, testContactID, mock.Anything).Return(
		func(_ context.Context, _ string, stragglers []string) error {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.completed++
			f.stragglers = stragglers
			return nil
		}).Maybe()
}

func runForget(t *testing.T, f *fakeLedger, in ForgetContactInput) (ForgetProgress, time.Duration) {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.SetStartTime(testStart)
	f.install(env)
	env.ExecuteWorkflow(ForgetContact, in)
	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var p ForgetProgress
	if err := env.GetWorkflowResult(&p); err != nil {
		t.Fatal(err)
	}
	return p, env.Now().Sub(testStart)
}

// Both phones sync within the hour: the erasure is done then, with no stragglers.
func TestForgetDevicesSync(t *testing.T) {
	f := &fakeLedger{devices: []string{"d1", "d2"}, syncsAt: map[string]time.Duration{"d1": 3 * time.Minute, "d2": 40 * time.Minute}}
	p, took := runForget(t, f, ForgetContactInput{ContactID: testContactID})
	if !p.Erased || !p.Done || len(p.Stragglers) != 0 || f.completed != 1 || len(f.stragglers) != 0 {
		t.Fatalf("progress %+v, completed %d with %v", p, f.completed, f.stragglers)
	}
	if took < 40*time.Minute || took > 2*time.Hour {
		t.Errorf("done after %v; want soon after the last device synced (40 min)", took)
	}
}

// A phone that never syncs again is reported at the deadline; the other one is not.
func TestForgetStraggler(t *testing.T) {
	f := &fakeLedger{devices: []string{"d1", "lost"}, syncsAt: map[string]time.Duration{"d1": time.Minute}}
	p, took := runForget(t, f, ForgetContactInput{ContactID: testContactID})
	if !slices.Equal(p.Stragglers, []string{"lost"}) || !slices.Equal(f.stragglers, []string{"lost"}) || !p.Done {
		t.Fatalf("progress %+v, stragglers recorded %v", p, f.stragglers)
	}
	if took != DefaultForgetDeadline {
		t.Errorf("gave up after %v, want the %v deadline exactly", took, DefaultForgetDeadline)
	}
	if f.polls > 130 {
		t.Errorf("%d polls of the ledger in 30 days; the history should stay small", f.polls)
	}
}

// No device held the contact: erased and done at once, without waiting.
func TestForgetNoDevices(t *testing.T) {
	f := &fakeLedger{}
	p, took := runForget(t, f, ForgetContactInput{ContactID: testContactID, Deadline: time.Hour})
	if !p.Erased || !p.Done || f.polls != 0 || took != 0 {
		t.Fatalf("progress %+v after %v with %d polls", p, took, f.polls)
	}
}

// A request that is gone (nothing to erase) ends the workflow quietly, without completing.
func TestForgetUnknownRequest(t *testing.T) {
	f := &fakeLedger{eraseErr: temporal.NewNonRetryableApplicationError("gone", activities.ErrTypeNotFound, nil)}
	p, _ := runForget(t, f, ForgetContactInput{ContactID: testContactID})
	if p.Erased || p.Done || f.completed != 0 {
		t.Fatalf("progress %+v, completed %d", p, f.completed)
	}
}
