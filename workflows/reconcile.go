package workflows

import (
	"context"
	"time"

	"go.temporal.io/sdk/client"
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
	err := workflow.ExecuteActivity(ctx, r.Reconcile).Get(ctx, &n)
	return n, err
}

// Outbox is what the reconciler reads of the store: per lane, the committed rows whose
// workflow was not recorded as started or told, and the marks that record it.
type Outbox interface {
	UnstartedVerifications(ctx context.Context, limit int) ([]string, error)
	MarkVerificationStarted(ctx context.Context, requestID string) error
	UnsignalledConfirmations(ctx context.Context, limit int) ([]string, error)
	MarkConfirmSignalled(ctx context.Context, requestID string) error
	UnstartedErasures(ctx context.Context, limit int) ([]string, error)
	MarkErasureStarted(ctx context.Context, contactID string) error
	UnstartedSubjectRequests(ctx context.Context, limit int) ([]string, error)
	MarkSubjectRequestStarted(ctx context.Context, requestID string) error
	OverdueConsents(ctx context.Context, limit int) ([]string, error)
	ExpireOverdueConsent(ctx context.Context, consentID string) error
	UntoldLifecycles(ctx context.Context, limit int) ([]string, error)
	MarkLifecycleTold(ctx context.Context, version string) error
	UnstartedProjectClosures(ctx context.Context, limit int) ([]string, error)
	MarkProjectClosureStarted(ctx context.Context, projectID string) error
	UnstartedCampaignLaunches(ctx context.Context, limit int) ([]string, error)
	MarkCampaignLaunchStarted(ctx context.Context, campaignID string) error
}

// NewReconciler wires the outbox lanes to the functions that start and signal the
// workflows through c. The expiry sweep comes before the lifecycle lane, so that the
// lifecycles of the consents it expires are told in the same run.
func NewReconciler(c client.Client, o Outbox) *activities.Reconciler {
	v := Verifier{Client: c}
	return &activities.Reconciler{Lanes: []activities.Lane{
		{Name: "verification starts", List: o.UnstartedVerifications, Do: v.StartVerification, Mark: o.MarkVerificationStarted},
		{Name: "confirmations", List: o.UnsignalledConfirmations, Mark: o.MarkConfirmSignalled,
			Do: func(ctx context.Context, id string) error { return v.SignalVerification(ctx, id, SignalConfirm) }},
		{Name: "erasures", List: o.UnstartedErasures, Mark: o.MarkErasureStarted, Do: Forgetter{Client: c}.StartForget},
		{Name: "subject request starts", List: o.UnstartedSubjectRequests, Do: SubjectStarter{Client: c}.StartSubjectRequest,
			Mark: o.MarkSubjectRequestStarted},
		// A safety net: consents whose lifecycle workflow missed their expiry by more than
		// store.ExpiryGrace (the policy hides them already; this writes status, history
		// and feed). Expiring is the whole action, so there is nothing to mark.
		{Name: "overdue consents", List: o.OverdueConsents, Do: o.ExpireOverdueConsent,
			Mark: func(context.Context, string) error { return nil }},
		{Name: "lifecycle changes", List: o.UntoldLifecycles, Do: tellVersion(c), Mark: o.MarkLifecycleTold},
		{Name: "project closures", List: o.UnstartedProjectClosures, Mark: o.MarkProjectClosureStarted, Do: ProjectCloser{Client: c}.StartClosure},
		{Name: "campaign launches", List: o.UnstartedCampaignLaunches, Mark: o.MarkCampaignLaunchStarted, Do: Campaigns{Client: c}.StartLaunch},
	}}
}
