package workflows

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/kontakt/kontakt/activities"
)

// installRetention answers each retention activity with its count, or err for the step
// named failing (after retries), and counts the calls.
func installRetention(env *testsuite.TestWorkflowEnvironment, counts map[string]int, failing string, calls *atomic.Int32) {
	var r *activities.Retention
	for name, fn := range map[string]func(context.Context) (int, error){
		"ExpireAbandonedRequests": r.ExpireAbandonedRequests, "PurgeConfirmationTokens": r.PurgeConfirmationTokens,
		"PurgeSubjectTokens": r.PurgeSubjectTokens, "PurgeSessions": r.PurgeSessions, "PurgeAPITokens": r.PurgeAPITokens,
		"PurgeRateEvents": r.PurgeRateEvents, "PurgeRevokedDevices": r.PurgeRevokedDevices,
		"PurgeSubjectRequests": r.PurgeSubjectRequests, "BlankEndedRequests": r.BlankEndedRequests,
		"PurgeExportFiles": r.PurgeExportFiles,
	} {
		env.OnActivity(fn, mock.Anything).Return(func(context.Context) (int, error) {
			calls.Add(1)
			if name == failing {
				return 0, errors.New("database unavailable")
			}
			return counts[name], nil
		}).Maybe()
	}
}

func TestRetentionSweep(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.SetStartTime(testStart)
	var calls atomic.Int32
	installRetention(env, map[string]int{"ExpireAbandonedRequests": 2, "PurgeConfirmationTokens": 5, "PurgeSubjectTokens": 1,
		"PurgeSessions": 7, "PurgeAPITokens": 3, "PurgeRateEvents": 40, "PurgeRevokedDevices": 1, "PurgeSubjectRequests": 4,
		"BlankEndedRequests": 6, "PurgeExportFiles": 2}, "", &calls)
	env.ExecuteWorkflow(RetentionSweep)
	if !env.IsWorkflowCompleted() || env.GetWorkflowError() != nil {
		t.Fatalf("completed %v, error %v", env.IsWorkflowCompleted(), env.GetWorkflowError())
	}
	var got RetentionSummary
	if err := env.GetWorkflowResult(&got); err != nil {
		t.Fatal(err)
	}
	want := RetentionSummary{ExpiredRequests: 2, ConfirmationTokens: 5, SubjectTokens: 1, Sessions: 7, APITokens: 3,
		RateEvents: 40, RevokedDevices: 1, SubjectRequests: 4, BlankedRequests: 6, ExportFiles: 2}
	if got != want || calls.Load() != 10 {
		t.Fatalf("summary %+v after %d calls, want %+v after 10", got, calls.Load(), want)
	}
}

// A step that keeps failing is retried (time skips over the backoff), the others still
// run, and the sweep fails naming it, with the counts of the rest in the error's details.
func TestRetentionSweepFailingStep(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.SetStartTime(testStart)
	var calls atomic.Int32
	installRetention(env, map[string]int{"PurgeSessions": 7, "BlankEndedRequests": 6}, "PurgeRateEvents", &calls)
	env.ExecuteWorkflow(RetentionSweep)
	if !env.IsWorkflowCompleted() {
		t.Fatal("not completed")
	}
	var appErr *temporal.ApplicationError
	if err := env.GetWorkflowError(); !errors.As(err, &appErr) || appErr.Type() != ErrTypeRetentionIncomplete {
		t.Fatalf("error %v, want %s", err, ErrTypeRetentionIncomplete)
	}
	var sum RetentionSummary
	if err := appErr.Details(&sum); err != nil || sum.Sessions != 7 || sum.BlankedRequests != 6 {
		t.Fatalf("details %+v, %v", sum, err)
	}
	if n := calls.Load(); n != 9+int32(retentionActivityOptions.RetryPolicy.MaximumAttempts) {
		t.Errorf("%d activity calls, want 9 steps once and the failing one %d times", n, retentionActivityOptions.RetryPolicy.MaximumAttempts)
	}
}

// describeClient answers DescribeWorkflowExecution as a Temporal frontend would.
type describeClient struct {
	client.Client
	status enums.WorkflowExecutionStatus
	err    error
	id     string
}

func (c *describeClient) DescribeWorkflowExecution(_ context.Context, id, _ string) (*workflowservice.DescribeWorkflowExecutionResponse, error) {
	c.id = id
	if c.err != nil {
		return nil, c.err
	}
	return &workflowservice.DescribeWorkflowExecutionResponse{
		WorkflowExecutionInfo: &workflow.WorkflowExecutionInfo{Status: c.status}}, nil
}

func TestVerificationRunning(t *testing.T) {
	for _, tt := range []struct {
		name    string
		c       *describeClient
		running bool
		wantErr bool
	}{
		{"running", &describeClient{status: enums.WORKFLOW_EXECUTION_STATUS_RUNNING}, true, false},
		{"completed", &describeClient{status: enums.WORKFLOW_EXECUTION_STATUS_COMPLETED}, false, false},
		{"terminated", &describeClient{status: enums.WORKFLOW_EXECUTION_STATUS_TERMINATED}, false, false},
		{"never started", &describeClient{err: serviceerror.NewNotFound("no such workflow")}, false, false},
		{"frontend unavailable", &describeClient{err: serviceerror.NewUnavailable("down")}, false, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			running, err := Verifier{Client: tt.c}.VerificationRunning(context.Background(), "r1")
			if running != tt.running || (err != nil) != tt.wantErr || tt.c.id != "consent-verify/r1" {
				t.Fatalf("running %v, err %v, asked for %q", running, err, tt.c.id)
			}
		})
	}
}
