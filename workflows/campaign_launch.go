package workflows

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/kontakt/kontakt/activities"
	"github.com/kontakt/kontakt/model"
)

// CampaignLaunchID is the workflow id of a campaign's launch: one per campaign, ever.
func CampaignLaunchID(campaignID string) string { return "campaign-launch/" + campaignID }

// CampaignIDAttr is the search attribute naming the campaign of a workflow (pre-registered
// Keyword, like ContactID).
var CampaignIDAttr = temporal.NewSearchAttributeKeyKeyword("CampaignID")

// SignalCancelCampaign cancels the campaign: its open tasks are closed and the workflow
// ends. The API commits the cancellation first; the signal makes it take effect now.
const SignalCancelCampaign = "cancel"

// CampaignProgressQuery names the query that returns the campaign's model.CampaignProgress
// as last read from the database (after each batch, and at each check while active).
const CampaignProgressQuery = "progress"

// CampaignCheckInterval is how often an active campaign's workflow reads its progress and
// ends it once every task is closed.
const CampaignCheckInterval = time.Hour

// campaignChecksPerRun bounds the history: after this many checks the workflow continues
// as new.
const campaignChecksPerRun = 500

// CampaignLaunchInput names the campaign; Watching is set when the workflow continues as
// new while the campaign is active (the launch is done).
type CampaignLaunchInput struct {
	CampaignID string
	Watching   bool
}

// CampaignLaunch launches a campaign (issue #7): it snapshots the targets once, creates
// their tasks in batches (each batch rerun after a crash creates only what is missing),
// marks the campaign active, sends the event invitations in batches if the campaign has
// them (each mail at most once), then watches the campaign until every task is closed
// (done) or it is cancelled. The cancel signal, at any step, cancels the campaign and its
// open tasks and ends the workflow. The progress query shows tasks open and done per rep.
// It carries the campaign's id only.
func CampaignLaunch(ctx workflow.Context, in CampaignLaunchInput) (model.CampaignProgress, error) {
	var a *activities.Campaign
	p := model.CampaignProgress{Status: model.CampaignLaunching, PerRep: []model.RepProgress{}}
	if err := workflow.SetQueryHandler(ctx, CampaignProgressQuery, func() (model.CampaignProgress, error) { return p, nil }); err != nil {
		return p, fmt.Errorf("workflows: campaign launch: %w", err)
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, CampaignIDAttr.ValueSet(in.CampaignID)); err != nil {
		return p, fmt.Errorf("workflows: campaign launch: search attributes: %w", err)
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 5 * time.Minute,
		// A database outage delays a launch; it never fails it.
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: 5 * time.Minute},
	})
	cancel := workflow.GetSignalChannel(ctx, SignalCancelCampaign)
	cancelled := func() bool { return cancel.ReceiveAsync(nil) }
	refresh := func() error {
		return workflow.ExecuteActivity(ctx, a.CampaignProgress, in.CampaignID).Get(ctx, &p)
	}
	finish := func(err error) (model.CampaignProgress, error) {
		if isNotFound(err) {
			return p, nil // the campaign was deleted
		}
		return p, err
	}
	doCancel := func() (model.CampaignProgress, error) {
		if err := workflow.ExecuteActivity(ctx, a.CancelCampaign, in.CampaignID).Get(ctx, nil); err != nil {
			return finish(err)
		}
		return finish(refresh())
	}

	if !in.Watching {
		var snap activities.CampaignSnapshot
		if err := workflow.ExecuteActivity(ctx, a.SnapshotTargets, in.CampaignID).Get(ctx, &snap); err != nil {
			return finish(err)
		}
		p.Targets = snap.Targets
		if snap.Status == string(model.CampaignCancelled) || cancelled() {
			return doCancel()
		}
		if snap.Status == string(model.CampaignDone) {
			return finish(refresh())
		}
		step := max(snap.BatchSize, 1)
		for from := 1; from <= snap.Targets; from += step {
			var b activities.CampaignBatchResult
			if err := workflow.ExecuteActivity(ctx, a.CreateTaskBatch, in.CampaignID, from).Get(ctx, &b); err != nil {
				return finish(err)
			}
			p.Open += b.Created
			p.Unassigned += b.Unassigned
			if b.Status == string(model.CampaignCancelled) || cancelled() {
				return doCancel()
			}
		}
		var status string
		if err := workflow.ExecuteActivity(ctx, a.ActivateCampaign, in.CampaignID).Get(ctx, &status); err != nil {
			return finish(err)
		}
		if status == string(model.CampaignCancelled) {
			return doCancel()
		}
		if err := refresh(); err != nil {
			return finish(err)
		}
		if snap.SendInvitations {
			// Mail is not worth failing a campaign for: about an hour of attempts per batch.
			mailCtx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
				StartToCloseTimeout: 10 * time.Minute,
				RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 10 * time.Second, MaximumInterval: 10 * time.Minute, MaximumAttempts: 10},
			})
			for from := 1; from <= snap.Targets; from += step {
				var b activities.CampaignBatchResult
				if err := workflow.ExecuteActivity(mailCtx, a.SendInvitationBatch, in.CampaignID, from).Get(ctx, &b); err != nil {
					if isNotFound(err) {
						return p, nil
					}
					workflow.GetLogger(ctx).Warn("campaign launch: invitation batch failed", "campaign_id", in.CampaignID, "from", from, "err", err)
				}
				if b.Status == string(model.CampaignCancelled) || cancelled() {
					return doCancel()
				}
			}
			if err := refresh(); err != nil {
				return finish(err)
			}
		}
	}

	// Watch the active campaign: a check every CampaignCheckInterval ends it once every
	// task is closed; the cancel signal ends it at once.
	for range campaignChecksPerRun {
		if p.Status != model.CampaignActive && p.Status != model.CampaignLaunching {
			if p.Status == model.CampaignCancelled {
				return doCancel() // cancelled in the database; make sure its tasks are closed
			}
			return p, nil
		}
		tctx, stop := workflow.WithCancel(ctx)
		timer := workflow.NewTimerWithOptions(tctx, CampaignCheckInterval, workflow.TimerOptions{Summary: "until the next progress check"})
		var timerErr error
		got := false
		s := workflow.NewSelector(ctx)
		s.AddFuture(timer, func(f workflow.Future) { timerErr = f.Get(ctx, nil) })
		s.AddReceive(cancel, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil); got = true })
		s.Select(ctx)
		stop()
		if got {
			return doCancel()
		}
		if timerErr != nil {
			return p, timerErr
		}
		if err := refresh(); err != nil {
			return finish(err)
		}
	}
	return p, workflow.NewContinueAsNewError(ctx, CampaignLaunch, CampaignLaunchInput{CampaignID: in.CampaignID, Watching: true})
}

// StartCampaignLaunch starts the launch of a campaign whose launch is committed. Starting
// it again is harmless: a running or finished launch is left alone.
func StartCampaignLaunch(ctx context.Context, c client.Client, campaignID string) error {
	return startOnce(ctx, c, CampaignLaunchID(campaignID), temporal.NewSearchAttributes(CampaignIDAttr.ValueSet(campaignID)), CampaignLaunch, CampaignLaunchInput{CampaignID: campaignID})
}

// Campaigns starts, signals and queries campaign launches through a Temporal client, as
// the API needs it.
type Campaigns struct{ Client client.Client }

// StartLaunch starts the launch of a campaign; a second start is harmless.
func (c Campaigns) StartLaunch(ctx context.Context, campaignID string) error {
	return StartCampaignLaunch(ctx, c.Client, campaignID)
}

// CancelLaunch tells a running launch that its campaign was cancelled. No workflow running
// is no error: the database already holds the cancellation.
func (c Campaigns) CancelLaunch(ctx context.Context, campaignID string) error {
	err := c.Client.SignalWorkflow(ctx, CampaignLaunchID(campaignID), "", SignalCancelCampaign, nil)
	var nf *serviceerror.NotFound
	if err != nil && !errors.As(err, &nf) {
		return fmt.Errorf("workflows: signal campaign launch %s: %w", campaignID, err)
	}
	return nil
}
