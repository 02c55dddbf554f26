// Package worker runs Kontakt's Temporal worker: it registers the workflows and activities
// on workflows.TaskQueue, makes sure the periodic schedules exist, and polls until its
// context ends.
package worker

import (
	"context"
	"errors"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/kontakt/kontakt/activities"
	"github.com/kontakt/kontakt/workflows"
)

// Deps are the activity structs the worker registers.
type Deps struct {
	Activities *activities.Activities
	Reconciler *activities.Reconciler
	Forget     *activities.Forget
	// ProjectClosure may be nil in programs that never close projects (bench); the
	// ProjectClosure workflow is registered only with it.
	ProjectClosure *activities.ProjectClosure
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
	w.RegisterActivity(d.Activities)
	w.RegisterActivity(d.Reconciler)
	w.RegisterActivity(d.Forget)
	if d.ProjectClosure != nil {
		w.RegisterWorkflow(workflows.ProjectClosure)
		w.RegisterActivity(d.ProjectClosure)
	}
	return w
}

// EnsureSchedules creates the periodic schedules (outbox reconciliation) unless they exist;
// several workers may call it at once.
func EnsureSchedules(ctx context.Context, c client.Client) error {
	_, err := c.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID:      workflows.ReconcileScheduleID,
		Spec:    client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: workflows.ReconcileInterval}}},
		Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
		Action: &client.ScheduleWorkflowAction{
			ID:        workflows.ReconcileScheduleID,
			Workflow:  workflows.ReconcileOutbox,
			TaskQueue: workflows.TaskQueue,
		},
	})
	if err != nil && !errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return fmt.Errorf("worker: schedule %s: %w", workflows.ReconcileScheduleID, err)
	}
	return nil
}
