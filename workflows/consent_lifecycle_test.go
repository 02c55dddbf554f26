package workflows

import (
	"context"
	"errors"
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
	"go.temporal.io/sdk/workflow"

	"github.com/kontakt/kontakt/activities"
)

const testConsentID = "6a1d2c3e-4f50-4a61-8b72-9c83d4e5f607"

// fakeConsent is the consent the lifecycle's activities read and change, as the store
// would: ExpireConsent expires it only when it is active and due at the workflow's clock
// (skewed by dbLag to play a database whose clock is behind), StartRenewal records the
// reminder.
type fakeConsent struct {
	mu       sync.Mutex
	env      *testsuite.TestWorkflowEnvironment
	state    activities.LifecycleState
	gone     bool
	dbLag    time.Duration
	calls    map[string]int
	expireAt []time.Time
	remindAt []time.Time
}

func newFakeConsent(validFor time.Duration) *fakeConsent {
	until := testStart.Add(validFor)
	return &fakeConsent{state: activities.LifecycleState{
		ContactID: "5d0c2f8e-7f0b-4a51-8d4e-2b1b3b7a6c01", PurposeKey: "newsletter", Status: "active", ValidUntil: &until,
	}, calls: map[string]int{}}
}

// change applies fn to the consent as a committed change would, and signals the workflow.
func (f *fakeConsent) change(fn func(f *fakeConsent)) {
	f.mu.Lock()
	fn(f)
	f.mu.Unlock()
	f.env.SignalWorkflow(SignalConsentChanged, nil)
}

func (f *fakeConsent) count(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[name]
}

func (f *fakeConsent) install(env *testsuite.TestWorkflowEnvironment) {
	f.env = env
	var l *activities.Lifecycle
	notFound := temporal.NewNonRetryableApplicationError("gone", activities.ErrTypeNotFound, nil)
	env.OnActivity(l.ConsentState, mock.Anything, mock.Anything).Return(
		func(_ context.Context, id string) (activities.LifecycleState, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.calls["ConsentState"]++
			if f.gone || id != testConsentID {
				return activities.LifecycleState{}, notFound
			}
			return f.state, nil
		}).Maybe()
	env.OnActivity(l.ExpireConsent, mock.Anything, mock.Anything).Return(
		func(_ context.Context, id string) (bool, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.calls["ExpireConsent"]++
			now := env.Now().Add(-f.dbLag)
			if f.state.Status != "active" || f.state.ValidUntil == nil || f.state.ValidUntil.After(now) {
				return false, nil
			}
			f.state.Status = "expired"
			f.expireAt = append(f.expireAt, env.Now())
			return true, nil
		}).Maybe()
	env.OnActivity(l.StartRenewal, mock.Anything, mock.Anything).Return(
		func(_ context.Context, id string) (activities.RenewalResult, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.calls["StartRenewal"]++
			f.state.ReminderAt = nil
			f.remindAt = append(f.remindAt, env.Now())
			return activities.RenewalResult{RequestID: "renewal-1", Created: true}, nil
		}).Maybe()
}

func days(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }

func at(d time.Duration) *time.Time {
	t := testStart.Add(d)
	return &t
}

// runLifecycle runs the workflow to its end and returns its result, the workflow's clock
// at the end, and its error.
func runLifecycle(t *testing.T, f *fakeConsent, setup func(env *testsuite.TestWorkflowEnvironment)) (ConsentLifecycleResult, time.Time, error) {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.SetStartTime(testStart)
	f.install(env)
	if setup != nil {
		setup(env)
	}
	env.ExecuteWorkflow(ConsentLifecycle, ConsentLifecycleInput{ConsentID: testConsentID})
	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	var res ConsentLifecycleResult
	err := env.GetWorkflowError()
	if err == nil {
		if err := env.GetWorkflowResult(&res); err != nil {
			t.Fatal(err)
		}
	}
	return res, env.Now(), err
}

func TestConsentLifecycle(t *testing.T) {
	tests := []struct {
		name      string
		fake      *fakeConsent
		changes   map[time.Duration]func(f *fakeConsent) // after the start
		want      ConsentLifecycleResult
		expiredAt time.Duration // when ExpireConsent expired it (0: never)
		endedAt   time.Duration // the workflow's clock when it ended, to the minute
		calls     map[string]int
	}{
		{
			name:      "expires at valid_until",
			fake:      newFakeConsent(days(30)),
			want:      ConsentLifecycleResult{Outcome: LifecycleExpired, Status: "expired"},
			expiredAt: days(30), endedAt: days(30),
			calls: map[string]int{"ConsentState": 1, "ExpireConsent": 1},
		},
		{
			name: "a renewal moves the timer later",
			fake: newFakeConsent(days(30)),
			changes: map[time.Duration]func(f *fakeConsent){
				days(20): func(f *fakeConsent) { f.state.ValidUntil = at(days(20) + days(730)) },
			},
			want:      ConsentLifecycleResult{Outcome: LifecycleExpired, Status: "expired"},
			expiredAt: days(750), endedAt: days(750),
			calls: map[string]int{"ConsentState": 2, "ExpireConsent": 1},
		},
		{
			name: "revoked while waiting: ends at once, never expires",
			fake: newFakeConsent(days(30)),
			changes: map[time.Duration]func(f *fakeConsent){
				days(10): func(f *fakeConsent) { f.state.Status = "revoked" },
			},
			want:    ConsentLifecycleResult{Outcome: LifecycleEnded, Status: "revoked"},
			endedAt: days(10),
			calls:   map[string]int{"ConsentState": 2},
		},
		{
			name: "a shortened validity expires earlier",
			fake: newFakeConsent(days(30)),
			changes: map[time.Duration]func(f *fakeConsent){
				days(5): func(f *fakeConsent) { f.state.ValidUntil = at(days(7)) },
			},
			want:      ConsentLifecycleResult{Outcome: LifecycleExpired, Status: "expired"},
			expiredAt: days(7), endedAt: days(7),
			calls: map[string]int{"ConsentState": 2, "ExpireConsent": 1},
		},
		{
			name: "a validity shortened into the past expires at once",
			fake: newFakeConsent(days(30)),
			changes: map[time.Duration]func(f *fakeConsent){
				days(5): func(f *fakeConsent) { f.state.ValidUntil = at(days(4)) },
			},
			want:      ConsentLifecycleResult{Outcome: LifecycleExpired, Status: "expired"},
			expiredAt: days(5), endedAt: days(5),
			calls: map[string]int{"ConsentState": 2, "ExpireConsent": 1},
		},
		{
			name: "reminder, then expiry",
			fake: func() *fakeConsent {
				f := newFakeConsent(days(30))
				f.state.ReminderAt = at(days(16))
				return f
			}(),
			want:      ConsentLifecycleResult{Outcome: LifecycleExpired, Status: "expired", Reminders: 1},
			expiredAt: days(30), endedAt: days(30),
			calls: map[string]int{"ConsentState": 2, "StartRenewal": 1, "ExpireConsent": 1},
		},
		{
			name: "reminder, renewal confirmed, next reminder, then revoked",
			fake: func() *fakeConsent {
				f := newFakeConsent(days(30))
				f.state.ReminderAt = at(days(16))
				return f
			}(),
			changes: map[time.Duration]func(f *fakeConsent){
				days(20): func(f *fakeConsent) {
					f.state.ValidUntil, f.state.ReminderAt = at(days(20)+days(730)), at(days(20)+days(716))
				},
				days(740): func(f *fakeConsent) { f.state.Status = "revoked" },
			},
			want:    ConsentLifecycleResult{Outcome: LifecycleEnded, Status: "revoked", Reminders: 2},
			endedAt: days(740),
			calls:   map[string]int{"ConsentState": 5, "StartRenewal": 2},
		},
		{
			name: "a consent already past its validity expires at once",
			fake: newFakeConsent(-time.Hour),
			want: ConsentLifecycleResult{Outcome: LifecycleExpired, Status: "expired"},
			// expired at the start
			calls: map[string]int{"ConsentState": 1, "ExpireConsent": 1},
		},
		{
			name: "a consent past its validity gets no reminder, only its expiry",
			fake: func() *fakeConsent {
				f := newFakeConsent(-time.Hour)
				f.state.ReminderAt = at(-days(30))
				return f
			}(),
			want:  ConsentLifecycleResult{Outcome: LifecycleExpired, Status: "expired"},
			calls: map[string]int{"ConsentState": 1, "ExpireConsent": 1},
		},
		{
			name: "a reminder overdue before the end goes out at once",
			fake: func() *fakeConsent {
				f := newFakeConsent(days(10))
				f.state.ReminderAt = at(-days(20))
				return f
			}(),
			want:      ConsentLifecycleResult{Outcome: LifecycleExpired, Status: "expired", Reminders: 1},
			expiredAt: days(10), endedAt: days(10),
			calls: map[string]int{"ConsentState": 2, "StartRenewal": 1, "ExpireConsent": 1},
		},
		{
			name: "not active when started: ends",
			fake: func() *fakeConsent {
				f := newFakeConsent(days(30))
				f.state.Status = "expired"
				return f
			}(),
			want:  ConsentLifecycleResult{Outcome: LifecycleEnded, Status: "expired"},
			calls: map[string]int{"ConsentState": 1},
		},
		{
			name: "the consent is gone",
			fake: func() *fakeConsent {
				f := newFakeConsent(days(30))
				f.gone = true
				return f
			}(),
			want:  ConsentLifecycleResult{Outcome: LifecycleGone},
			calls: map[string]int{"ConsentState": 1},
		},
		{
			name: "erased while waiting",
			fake: newFakeConsent(days(30)),
			changes: map[time.Duration]func(f *fakeConsent){
				days(3): func(f *fakeConsent) { f.gone = true },
			},
			want:    ConsentLifecycleResult{Outcome: LifecycleGone},
			endedAt: days(3),
			calls:   map[string]int{"ConsentState": 2},
		},
		{
			// The database's clock is 3 s behind: the first ExpireConsent finds it not
			// due, and the workflow tries again after expiryRetry instead of spinning.
			name: "expiry not yet due by the database's clock is retried, not spun",
			fake: func() *fakeConsent {
				f := newFakeConsent(days(30))
				f.dbLag = 3 * time.Second
				return f
			}(),
			want:      ConsentLifecycleResult{Outcome: LifecycleExpired, Status: "expired"},
			expiredAt: days(30) + expiryRetry, endedAt: days(30) + expiryRetry,
			calls: map[string]int{"ConsentState": 2, "ExpireConsent": 2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.fake
			res, ended, err := runLifecycle(t, f, func(env *testsuite.TestWorkflowEnvironment) {
				for after, fn := range tt.changes {
					env.RegisterDelayedCallback(func() { f.change(fn) }, after)
				}
			})
			if err != nil {
				t.Fatalf("workflow error: %v", err)
			}
			if res != tt.want {
				t.Errorf("result %+v, want %+v", res, tt.want)
			}
			for _, name := range []string{"ConsentState", "ExpireConsent", "StartRenewal"} {
				if n := f.count(name); n != tt.calls[name] {
					t.Errorf("%s called %d times, want %d", name, n, tt.calls[name])
				}
			}
			if tt.expiredAt != 0 {
				if len(f.expireAt) != 1 || !f.expireAt[0].Equal(testStart.Add(tt.expiredAt)) {
					t.Errorf("expired at %v, want %v", f.expireAt, testStart.Add(tt.expiredAt))
				}
			}
			if d := ended.Sub(testStart.Add(tt.endedAt)); d < 0 || d > time.Minute {
				t.Errorf("ended %v after the start, want %v", ended.Sub(testStart), tt.endedAt)
			}
		})
	}
}

// The reminder goes out at its time, not at the expiry.
func TestConsentLifecycleReminderTime(t *testing.T) {
	f := newFakeConsent(days(30))
	f.state.ReminderAt = at(days(16))
	if _, _, err := runLifecycle(t, f, nil); err != nil {
		t.Fatal(err)
	}
	if len(f.remindAt) != 1 || !f.remindAt[0].Equal(testStart.Add(days(16))) {
		t.Errorf("reminded at %v, want %v", f.remindAt, testStart.Add(days(16)))
	}
}

// Each change is read once, however many signals told of it; and after
// lifecycleLoopsPerRun reads the run continues as new, with the same input.
func TestConsentLifecycleContinuesAsNew(t *testing.T) {
	f := newFakeConsent(days(3650))
	res, _, err := runLifecycle(t, f, func(env *testsuite.TestWorkflowEnvironment) {
		for i := 1; i <= lifecycleLoopsPerRun; i++ {
			env.RegisterDelayedCallback(func() {
				f.change(func(f *fakeConsent) { f.state.ValidUntil = at(days(3650) + time.Duration(i)*time.Hour) })
			}, time.Duration(i)*time.Hour)
		}
	})
	var can *workflow.ContinueAsNewError
	if !errors.As(err, &can) {
		t.Fatalf("result %+v, error %v; want ContinueAsNew", res, err)
	}
	if can.WorkflowType.Name != "ConsentLifecycle" {
		t.Errorf("continued as %s", can.WorkflowType.Name)
	}
	if n := f.count("ConsentState"); n != lifecycleLoopsPerRun {
		t.Errorf("%d reads before continuing as new, want %d", n, lifecycleLoopsPerRun)
	}
	if n := f.count("ExpireConsent"); n != 0 {
		t.Errorf("ExpireConsent called %d times", n)
	}
}

// A burst of signals costs two reads, not one per signal: the first wakes the workflow, and
// those that arrive while it reads are answered by one more read (they may tell of a change
// committed after the first read began).
func TestConsentLifecycleCoalescesSignals(t *testing.T) {
	f := newFakeConsent(days(30))
	res, _, err := runLifecycle(t, f, func(env *testsuite.TestWorkflowEnvironment) {
		env.RegisterDelayedCallback(func() {
			for range 5 {
				f.change(func(f *fakeConsent) { f.state.ValidUntil = at(days(40)) })
			}
		}, days(1))
	})
	if err != nil || res.Outcome != LifecycleExpired {
		t.Fatalf("%+v %v", res, err)
	}
	if n := f.count("ConsentState"); n != 3 {
		t.Errorf("%d reads for the start and one burst of signals, want 3", n)
	}
	if !f.expireAt[0].Equal(testStart.Add(days(40))) {
		t.Errorf("expired at %v", f.expireAt[0])
	}
}

func TestConsentLifecycleSearchAttributes(t *testing.T) {
	f := newFakeConsent(days(30))
	var (
		mu             sync.Mutex
		contact, purps string
	)
	_, _, err := runLifecycle(t, f, func(env *testsuite.TestWorkflowEnvironment) {
		env.OnUpsertTypedSearchAttributes(mock.Anything).Return(nil).Run(func(args mock.Arguments) {
			sa := args.Get(0).(temporal.SearchAttributes)
			mu.Lock()
			defer mu.Unlock()
			contact, _ = sa.GetKeyword(ContactIDAttr)
			purps, _ = sa.GetKeyword(ConsentPurposeAttr)
		}).Once()
	})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if contact != f.state.ContactID || purps != "newsletter" {
		t.Errorf("search attributes ContactID %q, ConsentPurpose %q", contact, purps)
	}
}

func TestConsentLifecycleID(t *testing.T) {
	if got := ConsentLifecycleID("abc"); got != "consent-lifecycle/abc" {
		t.Errorf("ConsentLifecycleID = %q", got)
	}
}

func (c *stubClient) SignalWithStartWorkflow(_ context.Context, id, signal string, _ any, o client.StartWorkflowOptions, _ any, args ...any) (client.WorkflowRun, error) {
	c.id, c.signal, c.options, c.args = id, signal, o, args
	return nil, c.err
}

// fakeVersions is the store side of telling a lifecycle.
type fakeVersions struct {
	version string
	calls   []string
}

func (f *fakeVersions) ConsentVersion(_ context.Context, id string) (string, error) {
	f.calls = append(f.calls, "version "+id)
	return f.version, nil
}

func (f *fakeVersions) MarkLifecycleTold(_ context.Context, version string) error {
	f.calls = append(f.calls, "mark "+version)
	return nil
}

// Telling signals with start under the consent's id, so that a running lifecycle is
// signalled and a finished one (the consent expired, then given anew) runs again; the
// mark is the version read before the signal. The real server's answer to both policies is
// tested in cmd/kontakt (TestConsentExpiryHidesContact).
func TestTellLifecycle(t *testing.T) {
	for _, tt := range []struct {
		name      string
		err       error
		wantCalls []string
	}{
		{"told", nil, []string{"version c1", "mark c1@1700000000000000"}},
		{"frontend unavailable: not marked", serviceerror.NewUnavailable("down"), []string{"version c1"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := &stubClient{err: tt.err}
			st := &fakeVersions{version: "c1@1700000000000000"}
			err := LifecycleTeller{Client: c, Store: st}.TellLifecycle(context.Background(), "c1")
			if (err != nil) != (tt.err != nil) {
				t.Fatalf("err = %v", err)
			}
			if !slices.Equal(st.calls, tt.wantCalls) {
				t.Errorf("store calls %v, want %v", st.calls, tt.wantCalls)
			}
			o := c.options
			if c.id != "consent-lifecycle/c1" || c.signal != SignalConsentChanged || o.ID != c.id || o.TaskQueue != TaskQueue {
				t.Errorf("signalled %q with %q, options %+v", c.id, c.signal, o)
			}
			if o.WorkflowIDReusePolicy != enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE ||
				o.WorkflowIDConflictPolicy != enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING {
				t.Errorf("policies: reuse %v, conflict %v", o.WorkflowIDReusePolicy, o.WorkflowIDConflictPolicy)
			}
			if len(c.args) != 1 || c.args[0] != (ConsentLifecycleInput{ConsentID: "c1"}) {
				t.Errorf("args = %#v", c.args)
			}
		})
	}
}

// The outbox lane tells the consent its version names.
func TestTellVersion(t *testing.T) {
	c := &stubClient{}
	if err := tellVersion(c)(context.Background(), "c1@1700000000000000"); err != nil || c.id != "consent-lifecycle/c1" {
		t.Errorf("tellVersion: %v, signalled %q", err, c.id)
	}
	if err := tellVersion(c)(context.Background(), "c1"); err == nil {
		t.Error("a malformed version was accepted")
	}
}
