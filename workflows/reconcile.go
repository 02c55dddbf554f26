package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/kontakt/kontakt/activities"
)

// ReconcileScheduleID is the Temporal Schedule that runs ReconcileOutbox periodically, as
// a safety net behind the reconciliation every process does at start.
const ReconcileScheduleID = "kontakt-outbox-reconcile"

// ReconcileInterval is how often the schedule runs.
const ReconcileInterval = 5 * time.Minute

// ReconcileOutbox starts the workflow of every committed request that has none yet, and
// returns how many it started.
func ReconcileOutbox(ctx workflow.Context) (int, error) {
	var r *activities.Reconciler
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute, MaximumAttempts: 5},
	})
	var n int
	err := workflow.ExecuteActivity(ctx, r.ReconcileVerifications).Get(ctx, &n)
	return n, err
}
