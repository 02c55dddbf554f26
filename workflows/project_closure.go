package workflows

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/kontakt/kontakt/activities"
)

// ProjectClosureID is the workflow id of a project's closure. A project may be closed,
// reopened and closed again: each closure runs under the same id, one at a time.
func ProjectClosureID(projectID string) string { return "project-closure/" + projectID }

// Signals of the ProjectClosure workflow.
const (
	// SignalCancelClosure: the closure was cancelled in the database (the grace period
	// ended without closing); the workflow checks and ends.
	SignalCancelClosure = "cancel-closure"
	// SignalShortenGrace carries a time.Duration: the grace period ends after it, counted
	// from the signal, if that is sooner than planned (0 closes now).
	SignalShortenGrace = "shorten-grace"
	// SignalClosureRequested: a closure was requested in the database (sent with every
	// start); a running workflow reads the project again.
	SignalClosureRequested = "closure-requested"
)

// ProjectClosureProgressQuery names the query that returns a ProjectClosureProgress.
const ProjectClosureProgressQuery = "progress"

// DefaultProjectClosureDeadline is how long ProjectClosure waits for the devices that held
// the project's contacts to sync the removals before it reports the rest as stragglers.
const DefaultProjectClosureDeadline = 30 * 24 * time.Hour

// ProjectIDAttr is the search attribute naming the project of a workflow (pre-registered
// Keyword, like ContactID).
var ProjectIDAttr = temporal.NewSearchAttributeKeyKeyword("ProjectID")

// ProjectClosureInput names the project; Deadline overrides DefaultProjectClosureDeadline.
type ProjectClosureInput struct {
	ProjectID string
	Deadline  time.Duration
}

// Statuses of a closure, as ProjectClosureProgress.Status reports them.
const (
	ClosureGrace     = "grace"     // waiting for the grace period to end
	ClosureClosed    = "closed"    // closed; waiting for the devices
	ClosureDone      = "done"      // every device synced, or the deadline passed
	ClosureCancelled = "cancelled" // cancelled during the grace period
	ClosureReopened  = "reopened"  // reopened while waiting for the devices
	ClosureGone      = "gone"      // the project does not exist (deleted)
)

// ProjectClosureProgress is where a closure stands: ids, counts and times only.
type ProjectClosureProgress struct {
	Status      string    `json:"status"`
	GraceEndsAt time.Time `json:"grace_ends_at"`
	Notified    int       `json:"notified"`
	Devices     []string  `json:"devices"`
	Pending     []string  `json:"pending"`
	Deadline    time.Time `json:"deadline"`
	Stragglers  []string  `json:"stragglers"`
}

// closurePolls are the waits between checks of the sync ledger, as for an erasure.
var closurePolls = forgetPolls

// ProjectClosure closes a project when its lead asks (issue #6): it waits out the grace
// period (a signal cancels or shortens it), closes the project, so its members stop seeing
// its contacts through it and every synced device is told to remove them, mails the
// members, waits until each device that held the contacts has synced the removals (the sync
// ledger) or the deadline passes, and records the devices that never did.
//
// The workflow reads the project's state from the database at each step rather than trusting
// its signals, which only wake it: a cancellation is the project back to active, a new
// request a later request time. So a lost signal delays a step, never changes it, and a
// closure requested again while an old run still waits is carried out by that run.
func ProjectClosure(ctx workflow.Context, in ProjectClosureInput) (ProjectClosureProgress, error) {
	var a *activities.ProjectClosure
	var p ProjectClosureProgress
	if err := workflow.SetQueryHandler(ctx, ProjectClosureProgressQuery, func() (ProjectClosureProgress, error) { return p, nil }); err != nil {
		return p, fmt.Errorf("workflows: project closure: %w", err)
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, ProjectIDAttr.ValueSet(in.ProjectID)); err != nil {
		return p, fmt.Errorf("workflows: project closure: search attributes: %w", err)
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		// A database outage delays a closure; it never fails it.
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: 5 * time.Minute},
	})
	// Mail is not worth holding the closure up for: about an hour of attempts, then on.
	mailCtx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 10 * time.Second, MaximumInterval: 10 * time.Minute, MaximumAttempts: 10},
	})
	w := &closureWaiter{
		cancel:  workflow.GetSignalChannel(ctx, SignalCancelClosure),
		shorten: workflow.GetSignalChannel(ctx, SignalShortenGrace),
		request: workflow.GetSignalChannel(ctx, SignalClosureRequested),
	}
	deadline := in.Deadline
	if deadline <= 0 {
		deadline = DefaultProjectClosureDeadline
	}
	var request, shortened, completed time.Time // of the request being carried out
	for {
		// Signals so far are answered by the read that follows.
		w.drain()
		var st activities.ProjectClosureState
		if err := workflow.ExecuteActivity(ctx, a.ReadProjectClosure, in.ProjectID).Get(ctx, &st); err != nil {
			return p, gone(&p, err)
		}
		switch st.Status {
		case "closing":
			if !st.RequestedAt.Equal(request) {
				request, shortened = st.RequestedAt, time.Time{}
			}
			end := st.RequestedAt.Add(st.Grace)
			if !shortened.IsZero() && shortened.Before(end) {
				end = shortened
			}
			p.Status, p.GraceEndsAt = ClosureGrace, end
			if workflow.Now(ctx).Before(end) {
				if err := w.graceUntil(ctx, end, &shortened); err != nil {
					return p, err
				}
				continue
			}
		case "closed":
			if !completed.IsZero() && st.RequestedAt.Equal(completed) {
				return p, nil // the closure this run completed; nothing new
			}
			// Closed already (a rerun): finishing again is harmless, and the members
			// already told are not told again.
			request = st.RequestedAt
		default: // active or planned: the closure was cancelled
			if p.Status == ClosureDone {
				return p, nil
			}
			p.Status = ClosureCancelled
			if w.drain() {
				continue
			}
			return p, nil
		}

		var closed activities.ProjectClosed
		if err := workflow.ExecuteActivity(ctx, a.CloseProject, in.ProjectID).Get(ctx, &closed); err != nil {
			return p, gone(&p, err)
		}
		if !closed.Closed {
			continue // cancelled just now: read again
		}
		p.Status, p.Devices, p.Pending, p.Stragglers = ClosureClosed, closed.Devices, closed.Devices, nil
		if err := workflow.ExecuteActivity(mailCtx, a.NotifyProjectMembers, in.ProjectID).Get(ctx, &p.Notified); err != nil {
			workflow.GetLogger(ctx).Warn("project closure: members not notified", "project_id", in.ProjectID, "err", err)
		}

		status, err := w.awaitDevices(ctx, in.ProjectID, deadline, &p)
		if err != nil {
			return p, gone(&p, err)
		}
		if status != "closed" {
			if status == "closing" {
				continue // reopened and closed again: the new closure
			}
			p.Status = ClosureReopened
			if w.drain() {
				continue
			}
			return p, nil
		}
		p.Stragglers = p.Pending
		if err := workflow.ExecuteActivity(ctx, a.CompleteProjectClosure, in.ProjectID, p.Stragglers).Get(ctx, nil); err != nil {
			return p, err
		}
		p.Status, completed = ClosureDone, request
		// A request that came meanwhile (signals arriving before this run ends are seen
		// here, or make Temporal run this last step again) is carried out by this run.
		if !w.drain() {
			return p, nil
		}
	}
}

// gone ends the workflow quietly when the project was deleted (an activity found it gone),
// and passes any other error on.
func gone(p *ProjectClosureProgress, err error) error {
	if isNotFound(err) {
		p.Status = ClosureGone
		return nil
	}
	return err
}

// closureWaiter waits on timers that the closure's signals interrupt.
type closureWaiter struct {
	cancel, shorten, request workflow.ReceiveChannel
}

// drain takes every signal delivered so far and reports whether there were any; a
// shorten-grace outside a grace period means nothing and is dropped too.
func (w *closureWaiter) drain() bool {
	got := false
	for _, ch := range []workflow.ReceiveChannel{w.cancel, w.request} {
		for ch.ReceiveAsync(nil) {
			got = true
		}
	}
	var d time.Duration
	for w.shorten.ReceiveAsync(&d) {
	}
	return got
}

// graceUntil waits until end, or until a signal: a cancel or a request (the caller reads
// the project again), or a shorter grace (recorded in shortened).
func (w *closureWaiter) graceUntil(ctx workflow.Context, end time.Time, shortened *time.Time) error {
	tctx, stop := workflow.WithCancel(ctx)
	defer stop()
	timer := workflow.NewTimerWithOptions(tctx, end.Sub(workflow.Now(ctx)), workflow.TimerOptions{Summary: "grace period"})
	var err error
	s := workflow.NewSelector(ctx)
	s.AddFuture(timer, func(f workflow.Future) { err = f.Get(ctx, nil) })
	s.AddReceive(w.cancel, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil) })
	s.AddReceive(w.request, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil) })
	s.AddReceive(w.shorten, func(c workflow.ReceiveChannel, _ bool) {
		var d time.Duration
		c.Receive(ctx, &d)
		if at := workflow.Now(ctx).Add(max(d, 0)); at.Before(end) {
			*shortened = at
		}
	})
	s.Select(ctx)
	return err
}

// awaitDevices polls the sync ledger until no device holds the project's contacts, the
// deadline passes, or the project is no longer closed (reopened; a request signal wakes it
// early for that). It returns the project's status at the last check.
func (w *closureWaiter) awaitDevices(ctx workflow.Context, projectID string, deadline time.Duration, p *ProjectClosureProgress) (string, error) {
	var a *activities.ProjectClosure
	p.Deadline = workflow.Now(ctx).Add(deadline)
	for i := 0; len(p.Pending) > 0; i++ {
		left := p.Deadline.Sub(workflow.Now(ctx))
		if left <= 0 {
			break
		}
		tctx, stop := workflow.WithCancel(ctx)
		timer := workflow.NewTimerWithOptions(tctx, min(closurePolls[min(i, len(closurePolls)-1)], left),
			workflow.TimerOptions{Summary: "until the next check of the devices"})
		var err error
		s := workflow.NewSelector(ctx)
		s.AddFuture(timer, func(f workflow.Future) { err = f.Get(ctx, nil) })
		s.AddReceive(w.request, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil) })
		s.Select(ctx)
		stop()
		if err != nil {
			return "", err
		}
		var d activities.ProjectDevices
		if err := workflow.ExecuteActivity(ctx, a.ProjectClosurePendingDevices, projectID).Get(ctx, &d); err != nil {
			return "", err
		}
		if d.Status != "closed" {
			return d.Status, nil
		}
		p.Pending = d.Pending
	}
	return "closed", nil
}

// StartProjectClosure starts the closure of a project whose request is committed, or tells
// the closure already running for it (signal-with-start): a running closure is never
// duplicated, and a finished one is run again for a new request. Starting it for a project
// already closed is harmless.
func StartProjectClosure(ctx context.Context, c client.Client, projectID string) error {
	opts := client.StartWorkflowOptions{
		ID:                    ProjectClosureID(projectID),
		TaskQueue:             TaskQueue,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		TypedSearchAttributes: temporal.NewSearchAttributes(ProjectIDAttr.ValueSet(projectID)),
	}
	if _, err := c.SignalWithStartWorkflow(ctx, ProjectClosureID(projectID), SignalClosureRequested, nil, opts,
		ProjectClosure, ProjectClosureInput{ProjectID: projectID}); err != nil {
		return fmt.Errorf("workflows: start project closure %s: %w", projectID, err)
	}
	return nil
}

// SignalProjectClosure tells a running closure of the project of a change (e.g.
// SignalCancelClosure after the cancellation is committed). No closure running is no error:
// there is nothing to tell, and the database already says what happened.
func SignalProjectClosure(ctx context.Context, c client.Client, projectID, signal string, arg any) error {
	err := c.SignalWorkflow(ctx, ProjectClosureID(projectID), "", signal, arg)
	var nf *serviceerror.NotFound
	if err != nil && !errors.As(err, &nf) {
		return fmt.Errorf("workflows: signal project closure %s: %w", projectID, err)
	}
	return nil
}

// ProjectCloser starts and signals project closures through a Temporal client, as the API
// needs it.
type ProjectCloser struct{ Client client.Client }

// StartClosure starts (or wakes) the closure of a project.
func (p ProjectCloser) StartClosure(ctx context.Context, projectID string) error {
	return StartProjectClosure(ctx, p.Client, projectID)
}

// CancelClosure tells a running closure that it was cancelled.
func (p ProjectCloser) CancelClosure(ctx context.Context, projectID string) error {
	return SignalProjectClosure(ctx, p.Client, projectID, SignalCancelClosure, nil)
}
