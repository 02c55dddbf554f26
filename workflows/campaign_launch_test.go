package workflows

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/kontakt/kontakt/activities"
	"github.com/kontakt/kontakt/model"
)

// The CampaignLaunch workflow's control flow with stand-in activities (the real ones, over
// PostgreSQL, are tested in activities/campaign_test.go): a cancel signal between batches
// stops the batches, a deleted campaign ends the workflow quietly, and a long-watched
// campaign continues as new.

const testCampaignID = "5d1c7a10-8e2b-4f6a-b1c3-9c2e4f0d7c55"

func newCampaignEnv(t *testing.T, targets int) (*testsuite.TestWorkflowEnvironment, *[]int) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.SetStartTime(testStart)
	var a *activities.Campaign
	var batches []int
	env.OnActivity(a.SnapshotTargets, mock.Anything, testCampaignID).Return(
		activities.CampaignSnapshot{Status: "launching", Targets: targets, BatchSize: 100}, nil).Maybe()
	env.OnActivity(a.CreateTaskBatch, mock.Anything, testCampaignID, mock.Anything).Return(
		func(_ context.Context, _ string, from int) (activities.CampaignBatchResult, error) {
			batches = append(batches, from)
			return activities.CampaignBatchResult{Status: "launching", Created: 100}, nil
		}).After(time.Minute).Maybe()
	env.OnActivity(a.ActivateCampaign, mock.Anything, testCampaignID).Return("active", nil).Maybe()
	env.OnActivity(a.CampaignProgress, mock.Anything, testCampaignID).Return(model.CampaignProgress{Status: model.CampaignActive}, nil).Maybe()
	t.Cleanup(func() { env.AssertExpectations(t) })
	return env, &batches
}

func TestCampaignLaunchCancelBetweenBatches(t *testing.T) {
	env, batches := newCampaignEnv(t, 1000)
	var a *activities.Campaign
	cancelled := false
	env.OnActivity(a.CancelCampaign, mock.Anything, testCampaignID).Return(func(context.Context, string) (string, error) {
		cancelled = true
		return "cancelled", nil
	})
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalCancelCampaign, nil) }, 150*time.Second)
	env.ExecuteWorkflow(CampaignLaunch, CampaignLaunchInput{CampaignID: testCampaignID})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if !cancelled || len(*batches) != 3 {
		t.Errorf("cancelled=%v after batches %v", cancelled, *batches)
	}
}

// A campaign deleted during the launch (an activity finds it gone) ends the workflow
// without an error.
func TestCampaignLaunchDeleted(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	var a *activities.Campaign
	env.OnActivity(a.SnapshotTargets, mock.Anything, testCampaignID).Return(activities.CampaignSnapshot{},
		temporal.NewNonRetryableApplicationError("gone", activities.ErrTypeNotFound, nil))
	env.ExecuteWorkflow(CampaignLaunch, CampaignLaunchInput{CampaignID: testCampaignID})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("deleted campaign: %v", err)
	}
}

// Watching an active campaign for campaignChecksPerRun hours continues as new, watching.
func TestCampaignLaunchContinuesAsNew(t *testing.T) {
	env, _ := newCampaignEnv(t, 0)
	env.ExecuteWorkflow(CampaignLaunch, CampaignLaunchInput{CampaignID: testCampaignID})
	err := env.GetWorkflowError()
	var can *workflow.ContinueAsNewError
	if !errors.As(err, &can) || env.Now().Sub(testStart) < campaignChecksPerRun*CampaignCheckInterval {
		t.Errorf("after %s: %v", env.Now().Sub(testStart), err)
	}
}
