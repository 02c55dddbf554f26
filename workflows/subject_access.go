package workflows

import (
	"context"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/kontakt/kontakt/activities"
)

// Kinds of subject request, as SubjectPlanResult.Kind reports them (store.SubjectKind*).
const (
	SubjectKindAccess     = "access"
	SubjectKindRevoke     = "revoke"
	SubjectKindRevokeLink = "revoke_link"
)

// Outcomes of a SubjectAccess besides OutcomeAlreadyDone.
const (
	// OutcomeListed: the address holds consents; the mail listing them was sent (Mailed).
	OutcomeListed = "listed"
	// OutcomeNoConsent: the address holds no consent; Mailed says whether the form's
	// "no consent registered" mail went out.
	OutcomeNoConsent = "no-consent"
	// OutcomeRevoked: consents were revoked (by this request, or on a link's page).
	OutcomeRevoked = "revoked"
	// OutcomeNothingRevoked: a revoke request matched no active consent; nothing is mailed,
	// so that revocations posted for unknown addresses send no mail at all.
	OutcomeNothingRevoked = "nothing-revoked"
)

// SubjectAccessID is the workflow ID of a subject request, derived from its row so that
// every start is idempotent.
func SubjectAccessID(requestID string) string { return "subject-request/" + requestID }

// SubjectAccessInput names the subject request; the workflow reads everything else through
// activities.
type SubjectAccessInput struct {
	RequestID string
}

// SubjectAccessResult is how a subject request ended: ids and counts only.
type SubjectAccessResult struct {
	Kind    string
	Outcome string
	Revoked int
	Mailed  bool
}

// SubjectAccess acts on a person's request by e-mail address (its kind decides):
//
//   - access: if the contacts with the address (in any book) hold consents, mail the
//     address the list with a link to the revoke page; if none, mail "no consent
//     registered" when the form says so, else nothing;
//   - revoke: revoke those contacts' active consents for the request's purposes, and
//     confirm by mail when something was revoked and the form says so;
//   - revoke_link: confirm by mail a revocation already made on a link's page.
//
// Then it marks the request done, which blanks the address. A mail that cannot be sent does
// not stop that: the person may ask again. Every activity is idempotent, and the mail
// activities send at most once per request even when retried.
//
// Versioning: first release, no workflow.GetVersion guards. These workflows finish within
// minutes, but any change to the sequence of activities must still be guarded (or shipped
// once no old run is open).
func SubjectAccess(ctx workflow.Context, in SubjectAccessInput) (SubjectAccessResult, error) {
	var (
		a       *activities.Subject
		log     = workflow.GetLogger(ctx)
		res     SubjectAccessResult
		storeCx = workflow.WithActivityOptions(ctx, storeActivityOptions)
		mailCx  = workflow.WithActivityOptions(ctx, mailActivityOptions)
	)
	var plan activities.SubjectPlanResult
	if err := workflow.ExecuteActivity(storeCx, a.PlanSubjectRequest, in.RequestID).Get(ctx, &plan); err != nil {
		if isNotFound(err) {
			res.Outcome = OutcomeAlreadyDone
			return res, nil
		}
		return res, err
	}
	res.Kind = plan.Kind
	if plan.Done {
		res.Outcome = OutcomeAlreadyDone
		return res, nil
	}
	// send runs a mail activity; a failure is logged, not fatal.
	send := func(activity any, args ...any) {
		var sent bool
		if err := workflow.ExecuteActivity(mailCx, activity, append([]any{in.RequestID}, args...)...).Get(ctx, &sent); err != nil {
			log.Warn("subject mail not sent", "error", err)
			return
		}
		res.Mailed = sent
	}
	switch plan.Kind {
	case SubjectKindAccess:
		if plan.Consents > 0 {
			res.Outcome = OutcomeListed
			send(a.SendSubjectAccessMail, plan.ContactIDs)
		} else {
			res.Outcome = OutcomeNoConsent
			if plan.NoConsentMail {
				send(a.SendSubjectNoConsentMail)
			}
		}
	case SubjectKindRevoke:
		if err := workflow.ExecuteActivity(storeCx, a.RevokeForSubjectRequest, in.RequestID).Get(ctx, &res.Revoked); err != nil {
			if !isNotFound(err) {
				return res, err
			}
		}
		res.Outcome = OutcomeNothingRevoked
		if res.Revoked > 0 {
			res.Outcome = OutcomeRevoked
			if plan.RevocationMail {
				send(a.SendSubjectRevocationMail)
			}
		}
	case SubjectKindRevokeLink:
		res.Outcome = OutcomeRevoked
		if plan.RevocationMail {
			send(a.SendSubjectRevocationMail)
		}
	default:
		log.Error("subject request of unknown kind", "kind", plan.Kind)
	}
	if err := workflow.ExecuteActivity(storeCx, a.FinishSubjectRequest, in.RequestID).Get(ctx, nil); err != nil && !isNotFound(err) {
		return res, err
	}
	return res, nil
}

// StartSubjectAccess starts the workflow of a subject request with ID
// SubjectAccessID(requestID). Starting it again is harmless: a running or finished one is
// left alone (REJECT_DUPLICATE), so the outbox reconciler may start every request it finds.
func StartSubjectAccess(ctx context.Context, c client.Client, requestID string) error {
	return startOnce(ctx, c, SubjectAccessID(requestID), temporal.SearchAttributes{}, SubjectAccess, SubjectAccessInput{RequestID: requestID})
}

// SubjectStarter starts subject-request workflows through a Temporal client, as the API
// needs them (api.SubjectStarter).
type SubjectStarter struct{ Client client.Client }

// StartSubjectRequest starts the request's SubjectAccess workflow; a second start is harmless.
func (s SubjectStarter) StartSubjectRequest(ctx context.Context, requestID string) error {
	return StartSubjectAccess(ctx, s.Client, requestID)
}
