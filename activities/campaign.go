package activities

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"go.temporal.io/sdk/temporal"

	"github.com/kontakt/kontakt/auth"
	"github.com/kontakt/kontakt/mail"
	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// CampaignStore is what the CampaignLaunch activities need from store.Store.
type CampaignStore interface {
	SnapshotCampaignTargets(ctx context.Context, id string) (store.CampaignSnapshot, error)
	CreateCampaignTaskBatch(ctx context.Context, id string, from, size int) (store.CampaignBatch, error)
	ActivateCampaign(ctx context.Context, id string) (string, error)
	CampaignInvitees(ctx context.Context, id string, from, size int) (store.InvitationBatch, error)
	ClaimInvitationMail(ctx context.Context, campaignID, eventID, contactID string, tokenHash []byte) (bool, error)
	MarkInvitationMailed(ctx context.Context, eventID, contactID string) error
	ReleaseInvitationClaim(ctx context.Context, eventID, contactID string) error
	CampaignProgress(ctx context.Context, id string) (model.CampaignProgress, error)
	FinishCampaignIfDone(ctx context.Context, id string) (string, error)
	CancelCampaignTasks(ctx context.Context, id string) (string, error)
}

// DefaultCampaignBatch is how many targets one batch activity handles.
const DefaultCampaignBatch = 500

// Campaign holds the activities of the CampaignLaunch workflow. They take a campaign id and
// positions and return statuses and counts: a contact's address and name go into the mail,
// never into the workflow's history.
type Campaign struct {
	Store  CampaignStore
	Mailer Mailer
	// PublicURL is where people reach Kontakt's public pages; the RSVP link is built on it.
	PublicURL string
	// BatchSize is how many targets a batch handles (DefaultCampaignBatch when 0).
	BatchSize int
	Log       *slog.Logger
}

// CampaignSnapshot is the launch's snapshot: the campaign's status and target count.
type CampaignSnapshot struct {
	Status          string
	Targets         int
	SendInvitations bool
	BatchSize       int
}

// CampaignBatchResult is what one batch did.
type CampaignBatchResult struct {
	Status     string
	Created    int
	Unassigned int
	Mailed     int
	NotInvited int
}

// SnapshotTargets takes the campaign's targets once (idempotent) and reports how many,
// with the batch size the workflow steps by.
func (c *Campaign) SnapshotTargets(ctx context.Context, campaignID string) (CampaignSnapshot, error) {
	s, err := c.Store.SnapshotCampaignTargets(ctx, campaignID)
	if err != nil {
		return CampaignSnapshot{}, campaignError("snapshot targets", campaignID, err)
	}
	return CampaignSnapshot{Status: s.Status, Targets: s.Targets, SendInvitations: s.SendInvitations, BatchSize: c.batch()}, nil
}

// CreateTaskBatch creates the tasks of the batch of targets starting at position from
// (1-based); a rerun creates only what is missing.
func (c *Campaign) CreateTaskBatch(ctx context.Context, campaignID string, from int) (CampaignBatchResult, error) {
	b, err := c.Store.CreateCampaignTaskBatch(ctx, campaignID, from, c.batch())
	if err != nil {
		return CampaignBatchResult{}, campaignError("create task batch", campaignID, err)
	}
	return CampaignBatchResult{Status: b.Status, Created: b.Created, Unassigned: b.Unassigned}, nil
}

// ActivateCampaign marks the launched campaign active and returns its status.
func (c *Campaign) ActivateCampaign(ctx context.Context, campaignID string) (string, error) {
	s, err := c.Store.ActivateCampaign(ctx, campaignID)
	if err != nil {
		return "", campaignError("activate", campaignID, err)
	}
	return s, nil
}

// SendInvitationBatch invites the batch's targets that hold the campaign purpose's consent
// to its event, and mails each of them at most once: claim (with a fresh RSVP token's
// hash), send, record. A mail SMTP refuses for now releases its claim and fails the
// activity, so the retry sends it; one refused for good stays claimed and is skipped.
func (c *Campaign) SendInvitationBatch(ctx context.Context, campaignID string, from int) (CampaignBatchResult, error) {
	b, err := c.Store.CampaignInvitees(ctx, campaignID, from, c.batch())
	if err != nil {
		return CampaignBatchResult{}, campaignError("invitees", campaignID, err)
	}
	out := CampaignBatchResult{Status: b.Status, NotInvited: b.NotInvited}
	for _, in := range b.Invitees {
		token := auth.NewSecret("")
		claimed, err := c.Store.ClaimInvitationMail(ctx, campaignID, in.EventID, in.ContactID, auth.HashSecret(token))
		if err != nil {
			return out, campaignError("claim invitation", campaignID, err)
		}
		if !claimed {
			continue
		}
		data := mail.InvitationData{Name: in.Name, Event: b.EventName, Venue: b.Venue, StartsAt: b.StartsAt,
			RSVPURL: strings.TrimRight(c.PublicURL, "/") + "/public/rsvp/" + token}
		if b.EndsAt != nil {
			data.EndsAt = *b.EndsAt
		}
		subject, text, html, err := mail.Render("invitation", b.Language, data)
		if err != nil {
			_ = c.Store.ReleaseInvitationClaim(ctx, in.EventID, in.ContactID)
			c.log().ErrorContext(ctx, "activities: rendering invitation", "campaign_id", campaignID, "err", err)
			return out, fmt.Errorf("activities: rendering invitation of campaign %s failed", campaignID)
		}
		err = c.Mailer.Send(ctx, mail.Message{To: in.Email, ToName: in.Name, Subject: subject, Text: text, HTML: html,
			MessageID: "invitation-" + in.EventID + "-" + in.ContactID})
		if err != nil {
			permanent := mail.IsPermanent(err)
			c.log().WarnContext(ctx, "activities: invitation not sent", "campaign_id", campaignID, "contact_id", in.ContactID, "permanent", permanent)
			c.log().DebugContext(ctx, "activities: invitation error", "campaign_id", campaignID, "err", err)
			if permanent {
				continue // stays claimed: never retried, counted as mail_unknown
			}
			if rerr := c.Store.ReleaseInvitationClaim(ctx, in.EventID, in.ContactID); rerr != nil {
				return out, campaignError("release invitation", campaignID, rerr)
			}
			return out, fmt.Errorf("activities: invitation of campaign %s to contact %s not sent", campaignID, in.ContactID)
		}
		if err := c.Store.MarkInvitationMailed(ctx, in.EventID, in.ContactID); err != nil {
			return out, campaignError("mark invitation mailed", campaignID, err)
		}
		out.Mailed++
	}
	if out.Mailed > 0 {
		c.log().InfoContext(ctx, "activities: invitations sent", "campaign_id", campaignID, "mails", out.Mailed)
	}
	return out, nil
}

// CampaignProgress reads the campaign's progress, finishing it first when every task is
// closed.
func (c *Campaign) CampaignProgress(ctx context.Context, campaignID string) (model.CampaignProgress, error) {
	if _, err := c.Store.FinishCampaignIfDone(ctx, campaignID); err != nil {
		return model.CampaignProgress{}, campaignError("finish", campaignID, err)
	}
	p, err := c.Store.CampaignProgress(ctx, campaignID)
	if err != nil {
		return p, campaignError("progress", campaignID, err)
	}
	return p, nil
}

// CancelCampaign cancels the campaign (unless done) and closes its open tasks; it returns
// the campaign's status after.
func (c *Campaign) CancelCampaign(ctx context.Context, campaignID string) (string, error) {
	s, err := c.Store.CancelCampaignTasks(ctx, campaignID)
	if err != nil {
		return "", campaignError("cancel", campaignID, err)
	}
	return s, nil
}

func (c *Campaign) batch() int {
	if c.BatchSize > 0 {
		return c.BatchSize
	}
	return DefaultCampaignBatch
}

func (c *Campaign) log() *slog.Logger {
	if c.Log != nil {
		return c.Log
	}
	return slog.Default()
}

// campaignError makes a deleted campaign non-retryable and leaves other errors retryable.
func campaignError(op, campaignID string, err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("activities: %s: campaign %s not found", op, campaignID), ErrTypeNotFound, err)
	}
	return fmt.Errorf("activities: %s: campaign %s: %w", op, campaignID, err)
}
