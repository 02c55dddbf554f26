// Package worker runs Kontakt's Temporal worker: it registers the workflows and activities
// on workflows.TaskQueue, makes sure the periodic schedules exist, and polls until its
// context ends.
package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/kontakt/kontakt/activities"
	"github.com/kontakt/kontakt/workflows"
)

// Deps are the activity structs the worker registers. Retention may be nil (then the
// RetentionSweep schedule's runs wait for a worker that has it).
type Deps struct {
	Activities     *activities.Activities
	Reconciler     *activities.Reconciler
	Forget         *activities.Forget
	Retention      *activities.Retention
	Subject        *activities.Subject
	Lifecycle      *activities.Lifecycle
	ProjectClosure *activities.ProjectClosure
	// Campaign holds the CampaignLaunch activities.
	Campaign *activities.Campaign
}

// Run registers everything, ensures the schedules, and processes tasks until ctx is done;
// then it stops the worker (letting running activities finish within the SDK's stop
// timeout) and returns nil.
func Run(ctx context.Context, c client.Client, d Deps) error {
	w := New(c, d)
	if err := w.Start(); err != nil {
		return fmt.Errorf("worker: start: %w", err)
	}
	if err := EnsureSchedules(ctx, c); err != nil {
		w.Stop()
		return err
	}
	<-ctx.Done()
	w.Stop()
	return nil
}

// New returns a worker with everything registered but not started; Run uses it, and tests
// that drive a worker themselves may too.
func New(c client.Client, d Deps) sdkworker.Worker {
	w := sdkworker.New(c, workflows.TaskQueue, sdkworker.Options{})
	w.RegisterWorkflow(workflows.ConsentVerification)
	w.RegisterWorkflow(workflows.ReconcileOutbox)
	w.RegisterWorkflow(workflows.ForgetContact)
	w.RegisterWorkflow(workflows.RetentionSweep)
	w.RegisterWorkflow(workflows.SubjectAccess)
	w.RegisterWorkflow(workflows.ConsentLifecycle)
	w.RegisterActivity(d.Activities)
	w.RegisterActivity(d.Reconciler)
	w.RegisterActivity(d.Forget)
	w.RegisterActivity(d.Retention)
	w.RegisterActivity(d.Subject)
	w.RegisterActivity(d.Lifecycle)
	w.RegisterWorkflow(workflows.ProjectClosure)
	w.RegisterActivity(d.ProjectClosure)
	w.RegisterWorkflow(workflows.CampaignLaunch)
	w.RegisterActivity(d.Campaign)
	return w
}

// EnsureSchedules creates the periodic schedules (outbox reconciliation, retention sweep)
// unless they exist; several workers may call it at once.
func EnsureSchedules(ctx context.Context, c client.Client) error {
	if err := ensureSchedule(ctx, c, workflows.ReconcileScheduleID, workflows.ReconcileInterval, workflows.ReconcileOutbox); err != nil {
		return err
	}
	return ensureSchedule(ctx, c, workflows.RetentionScheduleID, workflows.RetentionInterval, workflows.RetentionSweep)
}

// ensureSchedule creates the schedule id that starts workflow every interval (a run still
// going when the next is due makes the next one skip), unless it exists.
func ensureSchedule(ctx context.Context, c client.Client, id string, every time.Duration, workflow any) error {
	_, err := c.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID:      id,
		Spec:    client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: every}}},
		Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
		Action: &client.ScheduleWorkflowAction{
			ID:        id,
			Workflow:  workflow,
			TaskQueue: workflows.TaskQueue,
		},
	})
	if err != nil && !errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return fmt.Errorf("worker: schedule %s: %w", id, err)
	}
	return nil
}
