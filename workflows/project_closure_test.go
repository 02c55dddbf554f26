package workflows

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/kontakt/kontakt/activities"
)

const testProjectID = "9c2e4f0d-7c55-4f6a-b1c3-5d1c7a108e2b"

// fakeProject is the project and the sync ledger as the ProjectClosure activities see them:
// the test moves the project between statuses as the API would, and each device "syncs"
// (leaves the pending list) at its time after the closing, or never.
type fakeProject struct {
	env *testsuite.TestWorkflowEnvironment

	mu          sync.Mutex
	status      string
	grace       time.Duration
	requestedAt time.Time
	closedAt    time.Time
	devices     []string
	syncsAt     map[string]time.Duration
	notified    map[time.Time]bool // closures whose members were told
	closedAts   []time.Time        // every time CloseProject closed the project
	mails       int
	completed   int
	stragglers  []string
	gone        bool
}

func newFakeProject(t *testing.T) *fakeProject {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.SetStartTime(testStart)
	f := &fakeProject{env: env, status: "active", syncsAt: map[string]time.Duration{}, notified: map[time.Time]bool{}}
	f.install()
	t.Cleanup(func() { env.AssertExpectations(t) })
	return f
}

// request, cancel and reopen change the project as the store's RequestProjectClosure,
// CancelProjectClosure and ReopenProject do.
func (f *fakeProject) request(grace time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status, f.grace, f.requestedAt = "closing", grace, f.env.Now()
}

func (f *fakeProject) cancel() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status, f.requestedAt = "active", time.Time{}
}

func (f *fakeProject) reopen() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status, f.requestedAt, f.closedAt = "active", time.Time{}, time.Time{}
}

func (f *fakeProject) pending() []string {
	var out []string
	for _, d := range f.devices {
		if at, ok := f.syncsAt[d]; !ok || f.closedAt.IsZero() || f.env.Now().Sub(f.closedAt) < at {
			out = append(out, d)
		}
	}
	return out
}

func (f *fakeProject) install() {
	var a *activities.ProjectClosure
	env := f.env
	env.OnActivity(a.ReadProjectClosure, mock.Anything, testProjectID).Return(
		func(context.Context, string) (activities.ProjectClosureState, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			if f.gone {
				return activities.ProjectClosureState{}, temporal.NewNonRetryableApplicationError("gone", activities.ErrTypeNotFound, nil)
			}
			return activities.ProjectClosureState{Status: f.status, Grace: f.grace, RequestedAt: f.requestedAt}, nil
		})
	env.OnActivity(a.CloseProject, mock.Anything, testProjectID).Return(
		func(context.Context, string) (activities.ProjectClosed, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			if f.status == "closing" {
				f.status, f.closedAt = "closed", env.Now()
				f.closedAts = append(f.closedAts, env.Now())
			}
			if f.status != "closed" {
				return activities.ProjectClosed{}, nil
			}
			return activities.ProjectClosed{Closed: true, Devices: f.pending()}, nil
		}).Maybe()
	env.OnActivity(a.NotifyProjectMembers, mock.Anything, testProjectID).Return(
		func(context.Context, string) (int, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			if f.notified[f.closedAt] {
				return 0, nil
			}
			f.notified[f.closedAt] = true
			f.mails += 2
			return 2, nil
		}).Maybe()
	env.OnActivity(a.ProjectClosurePendingDevices, mock.Anything, testProjectID).Return(
		func(context.Context, string) (activities.ProjectDevices, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			if f.gone {
				return activities.ProjectDevices{}, temporal.NewNonRetryableApplicationError("gone", activities.ErrTypeNotFound, nil)
			}
			return activities.ProjectDevices{Status: f.status, Pending: f.pending()}, nil
		}).Maybe()
	env.OnActivity(a.CompleteProjectClosure, mock.Anything, testProjectID, mock.Anything).Return(
		func(_ context.Context, _ string, stragglers []string) error {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.completed++
			f.stragglers = stragglers
			return nil
		}).Maybe()
}

// sameTimes reports whether got holds exactly the instants want.
func sameTimes(got []time.Time, want ...time.Time) bool {
	return slices.EqualFunc(got, want, time.Time.Equal)
}

// at runs fn at d after the start, in workflow time.
func (f *fakeProject) at(d time.Duration, fn func()) { f.env.RegisterDelayedCallback(fn, d) }

func (f *fakeProject) signal(name string, arg any) { f.env.SignalWorkflow(name, arg) }

// run executes the workflow to its end and returns its result and how long it took.
func (f *fakeProject) run(t *testing.T, in ProjectClosureInput) (ProjectClosureProgress, time.Duration) {
	t.Helper()
	in.ProjectID = testProjectID
	f.env.ExecuteWorkflow(ProjectClosure, in)
	if !f.env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	if err := f.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var p ProjectClosureProgress
	if err := f.env.GetWorkflowResult(&p); err != nil {
		t.Fatal(err)
	}
	return p, f.env.Now().Sub(testStart)
}

func (f *fakeProject) progress(t *testing.T) ProjectClosureProgress {
	t.Helper()
	v, err := f.env.QueryWorkflow(ProjectClosureProgressQuery)
	if err != nil {
		t.Fatal(err)
	}
	var p ProjectClosureProgress
	if err := v.Get(&p); err != nil {
		t.Fatal(err)
	}
	return p
}

// The grace period passes, the project closes, the members are told, and both phones sync
// within the hour: done then, without stragglers.
func TestProjectClosureGraceThenClose(t *testing.T) {
	f := newFakeProject(t)
	f.request(72 * time.Hour)
	f.devices = []string{"d1", "d2"}
	f.syncsAt = map[string]time.Duration{"d1": 3 * time.Minute, "d2": 40 * time.Minute}
	var during, closed ProjectClosureProgress
	f.at(time.Hour, func() { during = f.progress(t) })
	f.at(72*time.Hour+2*time.Minute, func() { closed = f.progress(t) })
	p, took := f.run(t, ProjectClosureInput{})
	if during.Status != ClosureGrace || !during.GraceEndsAt.Equal(testStart.Add(72*time.Hour)) || during.Devices != nil {
		t.Errorf("during the grace period: %+v", during)
	}
	if closed.Status != ClosureClosed || !slices.Equal(closed.Devices, []string{"d1", "d2"}) || len(closed.Pending) != 2 ||
		closed.Notified != 2 || !closed.Deadline.Equal(testStart.Add(72*time.Hour+DefaultProjectClosureDeadline)) {
		t.Errorf("after closing: %+v", closed)
	}
	if p.Status != ClosureDone || len(p.Stragglers) != 0 || f.completed != 1 || f.mails != 2 || len(f.stragglers) != 0 {
		t.Fatalf("progress %+v, completed %d with %v, mails %d", p, f.completed, f.stragglers, f.mails)
	}
	if !sameTimes(f.closedAts, testStart.Add(72*time.Hour)) {
		t.Errorf("closed at %v, want once at the end of the grace period", f.closedAts)
	}
	if took < 72*time.Hour+40*time.Minute || took > 74*time.Hour {
		t.Errorf("done after %v; want soon after the last device synced", took)
	}
}

// Cancelled during the grace period: the project is never closed, nobody is told.
func TestProjectClosureCancel(t *testing.T) {
	f := newFakeProject(t)
	f.request(72 * time.Hour)
	f.at(2*time.Hour, func() {
		f.cancel()
		f.signal(SignalCancelClosure, nil)
	})
	p, took := f.run(t, ProjectClosureInput{})
	if p.Status != ClosureCancelled || len(f.closedAts) != 0 || f.mails != 0 || f.completed != 0 || took != 2*time.Hour {
		t.Fatalf("progress %+v after %v; closed %v, mails %d", p, took, f.closedAts, f.mails)
	}
}

// A lost cancel signal only delays the end: at the end of the grace period the workflow
// finds the project active and does not close it.
func TestProjectClosureCancelSignalLost(t *testing.T) {
	f := newFakeProject(t)
	f.request(3 * time.Hour)
	f.at(time.Hour, f.cancel)
	p, took := f.run(t, ProjectClosureInput{})
	if p.Status != ClosureCancelled || len(f.closedAts) != 0 || took != 3*time.Hour {
		t.Fatalf("progress %+v after %v; closed %v", p, took, f.closedAts)
	}
}

// shorten-grace moves the end sooner, never later; 0 closes at once.
func TestProjectClosureShortenGrace(t *testing.T) {
	for _, tc := range []struct {
		name    string
		signals map[time.Duration]time.Duration // when → remaining grace asked for
		closeAt time.Duration
	}{
		{"to five hours", map[time.Duration]time.Duration{time.Hour: 5 * time.Hour, 2 * time.Hour: 100 * time.Hour}, 6 * time.Hour},
		{"to now", map[time.Duration]time.Duration{90 * time.Minute: 0}, 90 * time.Minute},
		{"longer is ignored", map[time.Duration]time.Duration{time.Hour: 200 * time.Hour}, 72 * time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeProject(t)
			f.request(72 * time.Hour)
			f.devices, f.syncsAt = []string{"d1"}, map[string]time.Duration{"d1": 10 * time.Minute}
			var during ProjectClosureProgress
			for at, d := range tc.signals {
				f.at(at, func() { f.signal(SignalShortenGrace, d) })
			}
			f.at(tc.closeAt+time.Minute, func() { during = f.progress(t) })
			p, _ := f.run(t, ProjectClosureInput{})
			if !sameTimes(f.closedAts, testStart.Add(tc.closeAt)) || p.Status != ClosureDone {
				t.Fatalf("closed at %v (progress %+v), want at %v", f.closedAts, p, tc.closeAt)
			}
			if !during.GraceEndsAt.Equal(testStart.Add(tc.closeAt)) {
				t.Errorf("grace_ends_at %v, want %v", during.GraceEndsAt, testStart.Add(tc.closeAt))
			}
		})
	}
}

// A phone that never syncs again is reported at the deadline; the other one is not.
func TestProjectClosureStraggler(t *testing.T) {
	f := newFakeProject(t)
	f.request(0)
	f.devices = []string{"d1", "lost"}
	f.syncsAt = map[string]time.Duration{"d1": time.Minute}
	p, took := f.run(t, ProjectClosureInput{Deadline: 48 * time.Hour})
	if p.Status != ClosureDone || !slices.Equal(p.Stragglers, []string{"lost"}) || !slices.Equal(f.stragglers, []string{"lost"}) {
		t.Fatalf("progress %+v, stragglers recorded %v", p, f.stragglers)
	}
	if took != 48*time.Hour {
		t.Errorf("gave up after %v, want the 48h deadline exactly", took)
	}
}

// A cancellation and a new request while the first run still waits: the late cancel signal
// does not end the run, which carries out the new request with its own grace period.
func TestProjectClosureRequestedAgain(t *testing.T) {
	f := newFakeProject(t)
	f.request(72 * time.Hour)
	f.at(time.Hour, func() {
		f.cancel()
		f.request(2 * time.Hour)
		f.signal(SignalClosureRequested, nil)
		f.signal(SignalCancelClosure, nil)
	})
	p, took := f.run(t, ProjectClosureInput{})
	if p.Status != ClosureDone || !sameTimes(f.closedAts, testStart.Add(3*time.Hour)) || took != 3*time.Hour {
		t.Fatalf("progress %+v after %v, closed at %v", p, took, f.closedAts)
	}
}

// Reopened while the workflow waits for a device: it stops waiting without recording
// stragglers; closed again, the same run carries out the new closure and tells the members
// again.
func TestProjectClosureReopened(t *testing.T) {
	t.Run("reopened", func(t *testing.T) {
		f := newFakeProject(t)
		f.request(0)
		f.devices = []string{"lost"}
		f.at(2*time.Hour, f.reopen)
		p, took := f.run(t, ProjectClosureInput{})
		if p.Status != ClosureReopened || f.completed != 0 || took > 8*time.Hour {
			t.Fatalf("progress %+v after %v, completed %d", p, took, f.completed)
		}
	})
	t.Run("closed again", func(t *testing.T) {
		f := newFakeProject(t)
		f.request(0)
		f.devices = []string{"lost"}
		f.at(2*time.Hour, f.reopen)
		f.at(3*time.Hour, func() {
			f.request(time.Hour)
			f.signal(SignalClosureRequested, nil)
		})
		p, took := f.run(t, ProjectClosureInput{Deadline: 24 * time.Hour})
		if p.Status != ClosureDone || f.completed != 1 || f.mails != 4 || took != 28*time.Hour ||
			!sameTimes(f.closedAts, testStart, testStart.Add(4*time.Hour)) {
			t.Fatalf("progress %+v, completed %d, mails %d, closed at %v", p, f.completed, f.mails, f.closedAts)
		}
	})
}

// A rerun on a project closed already is harmless: nobody is told twice, and it waits for
// the devices again.
func TestProjectClosureRerun(t *testing.T) {
	f := newFakeProject(t)
	f.request(0)
	f.status, f.closedAt = "closed", testStart.Add(-time.Hour)
	f.notified[f.closedAt] = true
	p, took := f.run(t, ProjectClosureInput{})
	if p.Status != ClosureDone || f.mails != 0 || len(f.closedAts) != 0 || f.completed != 1 || took != 0 {
		t.Fatalf("progress %+v after %v; mails %d, closed %v", p, took, f.mails, f.closedAts)
	}
}

// A project that is gone, at the start or while the workflow waits for the devices (it was
// deleted), ends the workflow quietly.
func TestProjectClosureGone(t *testing.T) {
	for _, at := range []time.Duration{0, 2 * time.Hour} {
		f := newFakeProject(t)
		f.request(0)
		f.devices = []string{"lost"}
		f.at(at, func() {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.gone = true
		})
		p, _ := f.run(t, ProjectClosureInput{})
		if p.Status != ClosureGone || f.completed != 0 {
			t.Fatalf("gone after %v: progress %+v", at, p)
		}
	}
}

// stubClosureClient records the calls StartProjectClosure and SignalProjectClosure make.
type stubClosureClient struct {
	stubClient
	signalArg any
}

func (c *stubClosureClient) SignalWithStartWorkflow(_ context.Context, id, signal string, arg any, o client.StartWorkflowOptions, _ any, args ...any) (client.WorkflowRun, error) {
	c.id, c.signal, c.signalArg, c.options, c.args = id, signal, arg, o, args
	return nil, c.err
}

func TestStartProjectClosure(t *testing.T) {
	c := &stubClosureClient{}
	if err := StartProjectClosure(context.Background(), c, "p1"); err != nil {
		t.Fatal(err)
	}
	o := c.options
	if c.id != "project-closure/p1" || o.ID != c.id || o.TaskQueue != TaskQueue || c.signal != SignalClosureRequested ||
		o.WorkflowIDReusePolicy != enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE {
		t.Errorf("start %q, signal %q, options %+v", c.id, c.signal, o)
	}
	if v, ok := o.TypedSearchAttributes.GetKeyword(ProjectIDAttr); !ok || v != "p1" {
		t.Errorf("search attribute ProjectID %q", v)
	}
	if len(c.args) != 1 || c.args[0] != (ProjectClosureInput{ProjectID: "p1"}) {
		t.Errorf("args %#v", c.args)
	}
	c.err = serviceerror.NewUnavailable("down")
	if err := StartProjectClosure(context.Background(), c, "p1"); err == nil {
		t.Error("an unavailable frontend is no error")
	}
}

func TestSignalProjectClosure(t *testing.T) {
	for _, tc := range []struct {
		name    string
		err     error
		wantErr bool
	}{
		{"running", nil, false},
		{"not running", serviceerror.NewNotFound("workflow execution already completed"), false},
		{"frontend unavailable", serviceerror.NewUnavailable("down"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &stubClosureClient{stubClient: stubClient{err: tc.err}}
			err := ProjectCloser{Client: c}.CancelClosure(context.Background(), "p1")
			if (err != nil) != tc.wantErr || c.id != "project-closure/p1" || c.signal != SignalCancelClosure {
				t.Fatalf("err %v, signal %q to %q", err, c.signal, c.id)
			}
		})
	}
}
