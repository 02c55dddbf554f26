package workflows

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/kontakt/kontakt/activities"
)

// ForgetContactID is the workflow id of the erasure of a contact: one per contact, derived
// from the erasures row, so that starting it twice is harmless.
func ForgetContactID(contactID string) string { return "forget-contact/" + contactID }

// DefaultForgetDeadline is how long ForgetContact waits for the devices that held the
// contact to sync past its removal before it reports the others as stragglers.
const DefaultForgetDeadline = 30 * 24 * time.Hour

// ForgetProgressQuery names the query that returns a ForgetProgress, for staff following
// an erasure (also in the Temporal UI).
const ForgetProgressQuery = "progress"

// ForgetContactInput names the contact; Deadline overrides DefaultForgetDeadline.
type ForgetContactInput struct {
	ContactID string
	Deadline  time.Duration
}

// ForgetProgress is where an erasure stands: ids and times only.
type ForgetProgress struct {
	Erased     bool      `json:"erased"`
	Devices    []string  `json:"devices"`
	Pending    []string  `json:"pending"`
	Deadline   time.Time `json:"deadline"`
	Done       bool      `json:"done"`
	Stragglers []string  `json:"stragglers"`
}

// forgetPolls are the waits between checks of the sync ledger: soon at first, since most
// phones sync within minutes, then every six hours until the deadline.
var forgetPolls = []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour, 6 * time.Hour}

// ForgetContact carries out the right to be forgotten (ARCHITECTURE.md, invariant 6): it
// erases the contact and everything holding its personal data in one activity, then waits
// until every device the sync ledger says held the contact has synced past the removal
// (its ledger row is gone), or the deadline passes, and closes the erasure with the
// devices that never confirmed.
func ForgetContact(ctx workflow.Context, in ForgetContactInput) (ForgetProgress, error) {
	var f *activities.Forget
	var p ForgetProgress
	if err := workflow.SetQueryHandler(ctx, ForgetProgressQuery, func() (ForgetProgress, error) { return p, nil }); err != nil {
		return p, fmt.Errorf("workflows: forget: %w", err)
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, ContactIDAttr.ValueSet(in.ContactID)); err != nil {
		return p, fmt.Errorf("workflows: forget: search attributes: %w", err)
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		// A database outage delays an erasure; it never fails it.
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: 5 * time.Minute},
	})
	if err := workflow.ExecuteActivity(ctx, f.EraseContact, in.ContactID).Get(ctx, &p.Devices); err != nil {
		if isNotFound(err) {
			return p, nil
		}
		return p, err
	}
	p.Erased, p.Pending = true, p.Devices
	deadline := in.Deadline
	if deadline <= 0 {
		deadline = DefaultForgetDeadline
	}
	p.Deadline = workflow.Now(ctx).Add(deadline)
	for i := 0; len(p.Pending) > 0; i++ {
		left := p.Deadline.Sub(workflow.Now(ctx))
		if left <= 0 {
			break
		}
		if err := workflow.Sleep(ctx, min(forgetPolls[min(i, len(forgetPolls)-1)], left)); err != nil {
			return p, err
		}
		if err := workflow.ExecuteActivity(ctx, f.ErasurePendingDevices, in.ContactID).Get(ctx, &p.Pending); err != nil {
			return p, err
		}
	}
	p.Stragglers = p.Pending
	if err := workflow.ExecuteActivity(ctx, f.CompleteErasure, in.ContactID, p.Stragglers).Get(ctx, nil); err != nil {
		return p, err
	}
	p.Done = true
	return p, nil
}

// StartForgetContact starts the erasure of a contact whose erasures row is committed.
// Starting it again is harmless: a running or finished erasure is left alone.
func StartForgetContact(ctx context.Context, c client.Client, contactID string) error {
	return startOnce(ctx, c, ForgetContactID(contactID), temporal.NewSearchAttributes(ContactIDAttr.ValueSet(contactID)), ForgetContact, ForgetContactInput{ContactID: contactID})
}

// Forgetter starts erasures through a Temporal client, as the API needs it.
type Forgetter struct{ Client client.Client }

// StartForget starts the erasure of a contact; a second start is harmless.
func (f Forgetter) StartForget(ctx context.Context, contactID string) error {
	return StartForgetContact(ctx, f.Client, contactID)
}
