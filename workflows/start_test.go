package workflows

import (
	"context"
	"errors"
	"testing"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
)

// stubClient answers the two client calls StartConsentVerification and SignalVerification
// make with the errors a Temporal frontend gives; any other call panics (nil interface).
type stubClient struct {
	client.Client
	err     error
	options client.StartWorkflowOptions
	args    []any
	signal  string
	id      string
}

func (c *stubClient) ExecuteWorkflow(_ context.Context, o client.StartWorkflowOptions, _ any, args ...any) (client.WorkflowRun, error) {
	c.options, c.args = o, args
	return nil, c.err
}

func (c *stubClient) SignalWorkflow(_ context.Context, id, _, signal string, _ any) error {
	c.id, c.signal = id, signal
	return c.err
}

func TestStartConsentVerification(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		wantErr bool
	}{
		{"started", nil, false},
		{"already running or finished", serviceerror.NewWorkflowExecutionAlreadyStarted("already started", "", "run"), false},
		{"frontend unavailable", serviceerror.NewUnavailable("down"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &stubClient{err: tt.err}
			err := StartConsentVerification(context.Background(), c, "r1")
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			o := c.options
			if o.ID != "consent-verify/r1" || o.TaskQueue != TaskQueue {
				t.Errorf("ID %q on queue %q", o.ID, o.TaskQueue)
			}
			if o.WorkflowIDReusePolicy != enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE ||
				o.WorkflowIDConflictPolicy != enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL {
				t.Errorf("policies: reuse %v, conflict %v", o.WorkflowIDReusePolicy, o.WorkflowIDConflictPolicy)
			}
			if len(c.args) != 1 || c.args[0] != (ConsentVerificationInput{RequestID: "r1"}) {
				t.Errorf("args = %#v", c.args)
			}
		})
	}
}

func TestSignalVerification(t *testing.T) {
	tests := []struct {
		name           string
		err            error
		wantNotRunning bool
		wantErr        bool
	}{
		{"running", nil, false, false},
		{"finished or never started", serviceerror.NewNotFound("workflow execution already completed"), true, true},
		{"frontend unavailable", serviceerror.NewUnavailable("down"), false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &stubClient{err: tt.err}
			err := SignalVerification(context.Background(), c, "r1", SignalConfirm)
			if (err != nil) != tt.wantErr || errors.Is(err, ErrNotRunning) != tt.wantNotRunning {
				t.Fatalf("err = %v", err)
			}
			if c.id != "consent-verify/r1" || c.signal != SignalConfirm {
				t.Errorf("signalled %q with %q", c.id, c.signal)
			}
		})
	}
}
