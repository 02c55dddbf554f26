package workflows

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/kontakt/kontakt/activities"
)

// RetentionScheduleID is the Temporal Schedule that runs RetentionSweep.
const RetentionScheduleID = "kontakt-retention"

// RetentionInterval is how often the schedule runs.
const RetentionInterval = 24 * time.Hour

// RetentionSummary counts what one sweep did, per step; it names no one.
type RetentionSummary struct {
	ExpiredRequests    int
	ConfirmationTokens int
	SubjectTokens      int
	Sessions           int
	APITokens          int
	RateEvents         int
	RevokedDevices     int
	SubjectRequests    int
	BlankedRequests    int
	ExportFiles        int
}

// ErrTypeRetentionIncomplete is the type of the error a sweep ends with when some steps
// failed; its details hold the RetentionSummary of the steps that ran.
const ErrTypeRetentionIncomplete = "RetentionIncomplete"

var retentionActivityOptions = workflow.ActivityOptions{
	StartToCloseTimeout: 10 * time.Minute,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:    time.Second,
		BackoffCoefficient: 2,
		MaximumInterval:    time.Minute,
		MaximumAttempts:    5,
	},
}

// RetentionSweep deletes or blanks what Kontakt keeps only for a while (store.RetentionPolicy):
// it expires abandoned consent requests (erasing intake contacts that nothing else holds),
// then purges ended confirmation links, expired subject links and sessions, old API
// tokens, rate events, long-revoked devices with their ledger and done subject requests,
// blanks the personal fields of long-ended consent requests, and drops the files of expired
// exports. A failing step does not
// stop the others; the sweep then fails with ErrTypeRetentionIncomplete naming the steps,
// and the next run tries again.
func RetentionSweep(ctx workflow.Context) (RetentionSummary, error) {
	var (
		r   *activities.Retention
		sum RetentionSummary
		log = workflow.GetLogger(ctx)
	)
	ctx = workflow.WithActivityOptions(ctx, retentionActivityOptions)
	steps := []struct {
		name     string
		activity func(context.Context) (int, error)
		count    *int
	}{
		{"expire abandoned requests", r.ExpireAbandonedRequests, &sum.ExpiredRequests},
		{"confirmation tokens", r.PurgeConfirmationTokens, &sum.ConfirmationTokens},
		{"subject tokens", r.PurgeSubjectTokens, &sum.SubjectTokens},
		{"sessions", r.PurgeSessions, &sum.Sessions},
		{"api tokens", r.PurgeAPITokens, &sum.APITokens},
		{"rate events", r.PurgeRateEvents, &sum.RateEvents},
		{"revoked devices", r.PurgeRevokedDevices, &sum.RevokedDevices},
		{"subject requests", r.PurgeSubjectRequests, &sum.SubjectRequests},
		{"blank ended requests", r.BlankEndedRequests, &sum.BlankedRequests},
	}
	// Sweeps started before the export step existed replay without it.
	if workflow.GetVersion(ctx, "retention-export-files", workflow.DefaultVersion, 1) >= 1 {
		steps = append(steps, struct {
			name     string
			activity func(context.Context) (int, error)
			count    *int
		}{"export files", r.PurgeExportFiles, &sum.ExportFiles})
	}
	var failed []string
	for _, s := range steps {
		if err := workflow.ExecuteActivity(ctx, s.activity).Get(ctx, s.count); err != nil {
			log.Error("retention step failed", "step", s.name, "error", err)
			failed = append(failed, s.name)
		}
	}
	log.Info("retention sweep done", "summary", sum)
	if len(failed) > 0 {
		return sum, temporal.NewApplicationError("workflows: retention steps failed: "+strings.Join(failed, ", "),
			ErrTypeRetentionIncomplete, sum)
	}
	return sum, nil
}

// VerificationRunning reports whether the consent request's verification workflow is
// running; false when it finished in any way or was never started (activities.
// VerificationChecker, for the retention sweep).
func (v Verifier) VerificationRunning(ctx context.Context, requestID string) (bool, error) {
	d, err := v.Client.DescribeWorkflowExecution(ctx, ConsentVerificationID(requestID), "")
	var notFound *serviceerror.NotFound
	switch {
	case errors.As(err, &notFound):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("workflows: describe verification %s: %w", requestID, err)
	}
	return d.GetWorkflowExecutionInfo().GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, nil
}
