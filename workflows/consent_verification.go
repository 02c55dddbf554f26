package workflows

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/kontakt/kontakt/activities"
)

// Signals a running ConsentVerification accepts. They carry no payload: a signal's
// arguments stay in the history after the person is forgotten.
const (
	// SignalConfirm: the person confirmed (the confirmation is already recorded in the
	// database, with its evidence, before the signal is sent).
	SignalConfirm = "confirm"
	// SignalResend: the person submitted the form again while the request is pending.
	SignalResend = "resend"
	// SignalCancel: the request was withdrawn while pending.
	SignalCancel = "cancel"
)

// Outcomes of a ConsentVerification.
const (
	OutcomeConfirmed   = "confirmed"
	OutcomeExpired     = "expired"
	OutcomeCancelled   = "cancelled"
	OutcomeAlreadyDone = "already-done"
)

// ResendInterval is how often a pending request mails again at most, however often the
// person resubmits the form.
const ResendInterval = 10 * time.Minute

// Search attributes the verification sets, registered as Keyword in the namespace.
// ConsentPurpose is a single Keyword, not a KeywordList, so it holds the request's purpose
// keys joined with "," in the order the store gives them: a single-purpose request matches
// `ConsentPurpose = "newsletter"` exactly, and the Web UI shows every key of the others.
var (
	ContactIDAttr      = temporal.NewSearchAttributeKeyKeyword("ContactID")
	ConsentPurposeAttr = temporal.NewSearchAttributeKeyKeyword("ConsentPurpose")
)

// ConsentVerificationID is the workflow ID of a request's verification, derived from the
// request row so that every start of it is idempotent.
func ConsentVerificationID(requestID string) string { return "consent-verify/" + requestID }

// ConsentVerificationInput names the consent request to verify; the workflow reads
// everything else through activities.
type ConsentVerificationInput struct {
	RequestID string
}

// ConsentVerificationResult is how a verification ended. Outcome is one of the Outcome
// constants; Erased reports that an expired request's contact was erased; MailsSent counts
// the confirmation mails this run sent.
type ConsentVerificationResult struct {
	Outcome   string
	Erased    bool
	MailsSent int
}

// Activity options. Store activities retry without limit: a database outage delays a
// verification but must not fail it. Mail gives up after about 20 minutes of trying (the
// request then waits for a resend or its expiry, which cleans up).
var (
	storeActivityOptions = workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    time.Minute,
			MaximumAttempts:    0, // unlimited
		},
	}
	mailActivityOptions = workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    time.Minute,
			MaximumAttempts:    20,
		},
	}
)

// ConsentVerification is the double opt-in of one consent request: it mails a confirmation
// link, then waits for the confirm signal, a cancel, or the request's expiry. On confirm it
// activates the consents; on expiry it expires them and, where the store decides so, erases
// the contact the request created. A resend signal mails again at most once per
// ResendInterval.
//
// Versioning: this is the first release of this workflow, so it has no workflow.GetVersion
// guards. Verifications wait up to 90 days across deploys: from now on, any change to the
// sequence of activities, timers or signals must be guarded with workflow.GetVersion (and a
// replay test of a shipped history added to the tests).
func ConsentVerification(ctx workflow.Context, in ConsentVerificationInput) (ConsentVerificationResult, error) {
	var (
		a       *activities.Activities
		log     = workflow.GetLogger(ctx)
		res     ConsentVerificationResult
		storeCx = workflow.WithActivityOptions(ctx, storeActivityOptions)
		mailCx  = workflow.WithActivityOptions(ctx, mailActivityOptions)
	)
	alreadyDone := func() (ConsentVerificationResult, error) {
		res.Outcome = OutcomeAlreadyDone
		return res, nil
	}

	var plan activities.PlanResult
	if err := workflow.ExecuteActivity(storeCx, a.PrepareVerification, in.RequestID).Get(ctx, &plan); err != nil {
		if isNotFound(err) {
			return alreadyDone()
		}
		return res, err
	}
	if plan.Status != activities.StatusPending {
		log.Info("verification already done", "status", plan.Status)
		return alreadyDone()
	}
	if err := upsertSearchAttributes(ctx, plan); err != nil {
		return res, err
	}

	// Signals are buffered in their channels until received, so one that arrives while an
	// activity runs is handled at the next Select, not lost.
	confirmCh := workflow.GetSignalChannel(ctx, SignalConfirm)
	resendCh := workflow.GetSignalChannel(ctx, SignalResend)
	cancelCh := workflow.GetSignalChannel(ctx, SignalCancel)

	// One timer to the request's deadline; it fires at once if the deadline has passed.
	timerCx, cancelTimer := workflow.WithCancel(ctx)
	defer cancelTimer()
	deadline := workflow.NewTimer(timerCx, plan.ExpiresAt.Sub(workflow.Now(ctx)))

	var lastSent time.Time
	// send mails a confirmation link. Failing is not fatal: the person may resubmit
	// (resend), and the expiry cleans up otherwise. A request no longer pending (NotFound)
	// is not an end either: it may have been confirmed with the signal still on its way
	// (or lost, which ExpireVerification reports), so the loop goes on.
	send := func() {
		err := workflow.ExecuteActivity(mailCx, a.SendConfirmation, in.RequestID).Get(ctx, nil)
		if err != nil {
			log.Warn("confirmation mail not sent", "error", err)
			return
		}
		res.MailsSent++
		lastSent = workflow.Now(ctx)
	}
	if workflow.Now(ctx).Before(plan.ExpiresAt) {
		send()
	}

	const timedOut = "timeout"
	var event string
	sel := workflow.NewSelector(ctx)
	sel.AddReceive(confirmCh, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil); event = SignalConfirm })
	sel.AddReceive(resendCh, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil); event = SignalResend })
	sel.AddReceive(cancelCh, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil); event = SignalCancel })
	sel.AddFuture(deadline, func(workflow.Future) { event = timedOut })

	activate := func() (ConsentVerificationResult, error) {
		var n int
		if err := workflow.ExecuteActivity(storeCx, a.ActivateConsents, in.RequestID).Get(ctx, &n); err != nil {
			if isNotFound(err) {
				return alreadyDone()
			}
			return res, err
		}
		log.Info("consents activated", "count", n)
		res.Outcome = OutcomeConfirmed
		return res, nil
	}

	for {
		sel.Select(ctx)
		switch event {
		case SignalConfirm:
			cancelTimer()
			return activate()

		case SignalResend:
			if since := workflow.Now(ctx).Sub(lastSent); !lastSent.IsZero() && since < ResendInterval {
				log.Info("resend ignored: last mail too recent", "since", since)
				continue
			}
			send()

		case SignalCancel:
			cancelTimer()
			if err := workflow.ExecuteActivity(storeCx, a.CancelVerification, in.RequestID).Get(ctx, nil); err != nil {
				if isNotFound(err) {
					return alreadyDone()
				}
				return res, err
			}
			res.Outcome = OutcomeCancelled
			return res, nil

		case timedOut:
			var r activities.ExpireResult
			if err := workflow.ExecuteActivity(storeCx, a.ExpireVerification, in.RequestID).Get(ctx, &r); err != nil {
				if isNotFound(err) {
					return alreadyDone()
				}
				return res, err
			}
			if r.Confirmed {
				// Confirmed in the database, but the signal never came.
				return activate()
			}
			res.Outcome = OutcomeExpired
			res.Erased = r.Erased
			return res, nil
		}
	}
}

// upsertSearchAttributes lets staff find the verification of a contact or purpose in the
// Temporal UI. Both values are IDs, not personal data.
func upsertSearchAttributes(ctx workflow.Context, plan activities.PlanResult) error {
	var updates []temporal.SearchAttributeUpdate
	if plan.ContactID != "" {
		updates = append(updates, ContactIDAttr.ValueSet(plan.ContactID))
	}
	if len(plan.PurposeKeys) > 0 {
		updates = append(updates, ConsentPurposeAttr.ValueSet(strings.Join(plan.PurposeKeys, ",")))
	}
	if len(updates) == 0 {
		return nil
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
		return fmt.Errorf("workflows: search attributes: %w", err)
	}
	return nil
}

// isNotFound reports an activity's ErrTypeNotFound: the request is gone, nothing to do.
func isNotFound(err error) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.Type() == activities.ErrTypeNotFound
}

// ErrNotRunning is returned by SignalVerification when no verification of the request is
// running (never started, or already finished); callers usually ignore it.
var ErrNotRunning = errors.New("workflows: verification not running")

// StartConsentVerification starts the verification of a consent request with ID
// ConsentVerificationID(requestID) on TaskQueue. Starting it again is harmless: a running
// verification is left alone, and a finished one is never restarted (REJECT_DUPLICATE), so
// the outbox reconciler can start every request it finds without checking first.
func StartConsentVerification(ctx context.Context, c client.Client, requestID string) error {
	return startOnce(ctx, c, ConsentVerificationID(requestID), temporal.SearchAttributes{}, ConsentVerification, ConsentVerificationInput{RequestID: requestID})
}

// SignalVerification sends signal (one of the Signal constants) to the running
// verification of a request. If none is running it returns an error matching ErrNotRunning.
func SignalVerification(ctx context.Context, c client.Client, requestID, signal string) error {
	err := c.SignalWorkflow(ctx, ConsentVerificationID(requestID), "", signal, nil)
	var notFound *serviceerror.NotFound
	switch {
	case err == nil:
		return nil
	case errors.As(err, &notFound):
		return fmt.Errorf("workflows: signal %s to verification %s: %w", signal, requestID, ErrNotRunning)
	default:
		return fmt.Errorf("workflows: signal %s to verification %s: %w", signal, requestID, err)
	}
}

// Verifier starts and signals verification workflows through a Temporal client, as the API
// needs them (api.Verifier). A signal to a verification that no longer runs is not an error:
// the store decides what a late confirmation means.
type Verifier struct{ Client client.Client }

// StartVerification starts the request's verification; a second start is harmless.
func (v Verifier) StartVerification(ctx context.Context, requestID string) error {
	return StartConsentVerification(ctx, v.Client, requestID)
}

// SignalVerification signals the request's verification, ignoring one that has ended.
func (v Verifier) SignalVerification(ctx context.Context, requestID, signal string) error {
	err := SignalVerification(ctx, v.Client, requestID, signal)
	if errors.Is(err, ErrNotRunning) {
		return nil
	}
	return err
}
