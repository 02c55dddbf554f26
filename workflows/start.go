package workflows

import (
	"context"
	"errors"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// startOnce starts workflow wf with input under id on TaskQueue, at most once: a running
// workflow of that id is left alone and a finished one is never started again
// (REJECT_DUPLICATE), so the API after a commit and the outbox reconciler may both start
// every row they find without checking first. attrs are the search attributes to set at
// start (the zero value for none).
func startOnce(ctx context.Context, c client.Client, id string, attrs temporal.SearchAttributes, wf, input any) error {
	opts := client.StartWorkflowOptions{
		ID:                                       id,
		TaskQueue:                                TaskQueue,
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy:                 enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		TypedSearchAttributes:                    attrs,
	}
	_, err := c.ExecuteWorkflow(ctx, opts, wf, input)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if err != nil && !errors.As(err, &started) {
		return fmt.Errorf("workflows: start %s: %w", id, err)
	}
	return nil
}
