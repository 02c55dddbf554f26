package workflows

import (
	"context"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/workflow"

	"github.com/kontakt/kontakt/activities"
	"github.com/kontakt/kontakt/model"
)

// SignalConsentChanged tells a ConsentLifecycle that its consent changed (renewed, revoked,
// shortened, extended): it reads the consent again and moves its timer. No payload: the
// database holds the change.
const SignalConsentChanged = "consent-changed"

// Outcomes of a ConsentLifecycle.
const (
	// LifecycleExpired: the workflow expired the consent at its valid_until.
	LifecycleExpired = "expired"
	// LifecycleEnded: the consent stopped being active otherwise (revoked, expired by the
	// sweep, or replaced by a pending request); Status says what it is now.
	LifecycleEnded = "ended"
	// LifecycleGone: the consent no longer exists (its contact was erased).
	LifecycleGone = "gone"
)

// ConsentLifecycleID is the workflow ID of a consent's lifecycle: one per consent, run
// again (a new run under the same ID) each time the consent becomes active anew.
func ConsentLifecycleID(consentID string) string { return "consent-lifecycle/" + consentID }

// ConsentLifecycleInput names the consent; the workflow reads the rest through activities.
type ConsentLifecycleInput struct {
	ConsentID string
}

// ConsentLifecycleResult is how a lifecycle run ended: Outcome is one of the Lifecycle
// constants, Status the consent's status when it ended, Reminders how many expiry
// reminders (renewal requests) this run sent.
type ConsentLifecycleResult struct {
	Outcome   string
	Status    string
	Reminders int
}

// lifecycleLoopsPerRun bounds the reads of one run; after that many the workflow continues
// as new, so that a consent renewed for years keeps a short history. A loop adds about ten
// events, so a run stays near a thousand.
const lifecycleLoopsPerRun = 100

// expiryRetry is the least wait before trying to expire again a consent that ExpireConsent
// found not yet due at its valid_until (the database's clock behind the timer's).
const expiryRetry = 10 * time.Second

// ConsentLifecycle follows one consent while it is active: it reads the consent, sets a
// timer to its expiry reminder (when one is due and not sent) or to its valid_until, and
// waits. The consent-changed signal interrupts the wait and the workflow reads the consent
// again (renewed, revoked, shortened or extended validity). At the reminder time it starts a
// renewal (a double opt-in whose mail asks to renew); at valid_until it expires the consent,
// which the store does only if it is still active and due. It ends when the consent is no
// longer active, and continues as new every lifecycleLoopsPerRun reads.
//
// Versioning: this is the first release of this workflow, so it has no workflow.GetVersion
// guards. Lifecycles wait for years across deploys: from now on, any change to the sequence
// of activities, timers or signals must be guarded with workflow.GetVersion (and a replay
// test of a shipped history added to the tests).
func ConsentLifecycle(ctx workflow.Context, in ConsentLifecycleInput) (ConsentLifecycleResult, error) {
	var (
		l        *activities.Lifecycle
		log      = workflow.GetLogger(ctx)
		res      ConsentLifecycleResult
		storeCx  = workflow.WithActivityOptions(ctx, storeActivityOptions)
		changed  = workflow.GetSignalChannel(ctx, SignalConsentChanged)
		attrs    string    // the contact and purpose last set as search attributes
		notYetAt time.Time // a valid_until ExpireConsent found not yet due
	)
	for loop := 0; ; loop++ {
		// Every change signalled so far is answered by the read that follows.
		for changed.ReceiveAsync(nil) {
		}
		if loop >= lifecycleLoopsPerRun || workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			log.Info("continuing as new", "loops", loop)
			return res, workflow.NewContinueAsNewError(ctx, ConsentLifecycle, in)
		}

		var st activities.LifecycleState
		if err := workflow.ExecuteActivity(storeCx, l.ConsentState, in.ConsentID).Get(ctx, &st); err != nil {
			if isNotFound(err) {
				res.Outcome = LifecycleGone
				return res, nil
			}
			return res, err
		}
		if key := st.ContactID + "/" + st.PurposeKey; key != attrs {
			if err := workflow.UpsertTypedSearchAttributes(ctx,
				ContactIDAttr.ValueSet(st.ContactID), ConsentPurposeAttr.ValueSet(st.PurposeKey)); err != nil {
				return res, fmt.Errorf("workflows: search attributes: %w", err)
			}
			attrs = key
		}
		if st.Status != string(model.ConsentActive) {
			log.Info("consent no longer active", "status", st.Status)
			res.Outcome, res.Status = LifecycleEnded, st.Status
			return res, nil
		}

		// The next moment to act: the reminder if one is due before the end, else the end. A
		// consent already past its end gets no reminder, only its expiry.
		var at time.Time
		remind := st.ReminderAt != nil &&
			(st.ValidUntil == nil || (st.ReminderAt.Before(*st.ValidUntil) && workflow.Now(ctx).Before(*st.ValidUntil)))
		switch {
		case remind:
			at = *st.ReminderAt
		case st.ValidUntil != nil:
			at = *st.ValidUntil
			if at.Equal(notYetAt) {
				at = workflow.Now(ctx).Add(expiryRetry)
			}
		}
		if !waitOrChange(ctx, changed, at) {
			continue // changed: read again
		}

		if remind {
			var r activities.RenewalResult
			if err := workflow.ExecuteActivity(storeCx, l.StartRenewal, in.ConsentID).Get(ctx, &r); err != nil {
				if isNotFound(err) {
					res.Outcome = LifecycleGone
					return res, nil
				}
				return res, err
			}
			if r.RequestID != "" {
				res.Reminders++
			}
			log.Info("expiry reminder", "renewal_request_id", r.RequestID, "created", r.Created)
			continue
		}

		var expired bool
		if err := workflow.ExecuteActivity(storeCx, l.ExpireConsent, in.ConsentID).Get(ctx, &expired); err != nil {
			if isNotFound(err) {
				res.Outcome = LifecycleGone
				return res, nil
			}
			return res, err
		}
		if expired {
			res.Outcome, res.Status = LifecycleExpired, string(model.ConsentExpired)
			return res, nil
		}
		// Renewed or revoked meanwhile, or not yet due by the database's clock: read again.
		notYetAt = *st.ValidUntil
	}
}

// waitOrChange waits until at (forever when at is zero) or a consent-changed signal, and
// reports whether the time came; a moment already past comes at once.
func waitOrChange(ctx workflow.Context, changed workflow.ReceiveChannel, at time.Time) bool {
	var d time.Duration
	if !at.IsZero() {
		if d = at.Sub(workflow.Now(ctx)); d <= 0 {
			return true
		}
	}
	timerCx, cancelTimer := workflow.WithCancel(ctx)
	defer cancelTimer()
	fired := false
	sel := workflow.NewSelector(ctx)
	if !at.IsZero() {
		sel.AddFuture(workflow.NewTimer(timerCx, d), func(f workflow.Future) { fired = f.Get(ctx, nil) == nil })
	}
	sel.AddReceive(changed, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil) })
	sel.Select(ctx)
	return fired
}

// SignalConsentLifecycle tells the consent's lifecycle that it changed, starting a run if
// none is running (SignalWithStart): a running lifecycle is signalled (conflict policy
// USE_EXISTING), and one that has finished, because the consent expired or was revoked, is
// started again (reuse policy ALLOW_DUPLICATE) for a consent that is active anew. So every
// tell is harmless to repeat, and the outbox reconciler can tell without checking first.
func SignalConsentLifecycle(ctx context.Context, c client.Client, consentID string) error {
	id := ConsentLifecycleID(consentID)
	opts := client.StartWorkflowOptions{
		ID:                       id,
		TaskQueue:                TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}
	if _, err := c.SignalWithStartWorkflow(ctx, id, SignalConsentChanged, nil, opts, ConsentLifecycle,
		ConsentLifecycleInput{ConsentID: consentID}); err != nil {
		return fmt.Errorf("workflows: tell lifecycle of consent %s: %w", consentID, err)
	}
	return nil
}

// LifecycleStore is what telling a lifecycle needs of the store: the consent's version
// before the telling, and the mark after it (store.ConsentVersion, store.MarkLifecycleTold).
type LifecycleStore interface {
	ConsentVersion(ctx context.Context, consentID string) (string, error)
	MarkLifecycleTold(ctx context.Context, version string) error
}

// LifecycleTeller tells consents' lifecycle workflows of changes right after they commit
// (api.Lifecycle, activities.Teller), and records it so that the lifecycle outbox skips
// them. It reads the consent's version first: a change committed after that read is newer
// than the mark and stays in the outbox.
type LifecycleTeller struct {
	Client client.Client
	Store  LifecycleStore
}

// TellLifecycle tells the consent's lifecycle that it changed and marks it told.
func (t LifecycleTeller) TellLifecycle(ctx context.Context, consentID string) error {
	version, err := t.Store.ConsentVersion(ctx, consentID)
	if err != nil {
		return fmt.Errorf("workflows: tell lifecycle of consent %s: %w", consentID, err)
	}
	if err := SignalConsentLifecycle(ctx, t.Client, consentID); err != nil {
		return err
	}
	return t.Store.MarkLifecycleTold(ctx, version)
}

// tellVersion is the lifecycle outbox lane's action: it tells the lifecycle of the consent
// a version (model.ConsentVersion) names.
func tellVersion(c client.Client) activities.RequestFunc {
	return func(ctx context.Context, version string) error {
		v, err := model.ParseConsentVersion(version)
		if err != nil {
			return fmt.Errorf("workflows: %w", err)
		}
		return SignalConsentLifecycle(ctx, c, v.ID)
	}
}
