package activities

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/kontakt/kontakt/store"
)

// RetentionStore is what the retention sweep needs from store.Store.
type RetentionStore interface {
	AbandonedVerifications(ctx context.Context, grace time.Duration, after string, limit int) ([]string, error)
	ExpireVerification(ctx context.Context, requestID string) (store.ExpireResult, error)
	PurgeConfirmationTokens(ctx context.Context, age time.Duration) (int, error)
	PurgeSubjectTokens(ctx context.Context) (int, error)
	PurgeSessions(ctx context.Context) (int, error)
	PurgeAPITokens(ctx context.Context, age time.Duration) (int, error)
	PurgeRateEvents(ctx context.Context, age time.Duration) (int, error)
	PurgeRevokedDevices(ctx context.Context, age time.Duration) (int, error)
	PurgeSubjectRequests(ctx context.Context, age time.Duration) (int, error)
	BlankEndedRequests(ctx context.Context, age time.Duration) (int, error)
	PurgeExportFiles(ctx context.Context) (int, error)
}

// VerificationChecker tells whether a consent request's verification workflow still runs
// (workflows.Verifier asks Temporal).
type VerificationChecker interface {
	VerificationRunning(ctx context.Context, requestID string) (bool, error)
}

// Retention holds the activities of the RetentionSweep workflow: one per step, each
// returning a count (never what it removed). Every exported method is an activity.
type Retention struct {
	Store         RetentionStore
	Verifications VerificationChecker
	// Policy says how long things are kept; its zero fields take store.DefaultRetention's.
	Policy store.RetentionPolicy
}

// retentionBatch bounds one listing of abandoned requests.
const retentionBatch = 200

// policy returns the effective policy.
func (r *Retention) policy() store.RetentionPolicy {
	p, d := r.Policy, store.DefaultRetention
	for _, f := range []struct{ v, def *time.Duration }{
		{&p.PendingGrace, &d.PendingGrace}, {&p.ConfirmationTokens, &d.ConfirmationTokens}, {&p.APITokens, &d.APITokens},
		{&p.RateEvents, &d.RateEvents}, {&p.RevokedDevices, &d.RevokedDevices}, {&p.SubjectRequests, &d.SubjectRequests},
		{&p.EndedRequests, &d.EndedRequests},
	} {
		if *f.v <= 0 {
			*f.v = *f.def
		}
	}
	return p
}

// ExpireAbandonedRequests expires the consent requests still pending well past their
// expiry whose verification workflow is gone (finished, failed, terminated or never
// started), as the workflow would have: their pending consents expire, and a contact the
// request created with nothing else behind it is erased. Requests whose workflow still
// runs are left to it. It returns how many it expired.
func (r *Retention) ExpireAbandonedRequests(ctx context.Context) (int, error) {
	grace := r.policy().PendingGrace
	n, after := 0, ""
	for {
		ids, err := r.Store.AbandonedVerifications(ctx, grace, after, retentionBatch)
		if err != nil {
			return n, fmt.Errorf("activities: abandoned requests: %w", err)
		}
		for _, id := range ids {
			after = id
			running, err := r.Verifications.VerificationRunning(ctx, id)
			if err != nil {
				return n, fmt.Errorf("activities: verification of %s: %w", id, err)
			}
			if running {
				continue
			}
			res, err := r.Store.ExpireVerification(ctx, id)
			if err != nil {
				return n, fmt.Errorf("activities: expire %s: %w", id, err)
			}
			if !res.Confirmed {
				n++
			}
		}
		if activity.IsActivity(ctx) { // also called directly, e.g. in tests
			activity.RecordHeartbeat(ctx, n)
		}
		if len(ids) < retentionBatch {
			return n, nil
		}
	}
}

// PurgeConfirmationTokens deletes the confirmation links of ended requests.
func (r *Retention) PurgeConfirmationTokens(ctx context.Context) (int, error) {
	return r.Store.PurgeConfirmationTokens(ctx, r.policy().ConfirmationTokens)
}

// PurgeSubjectTokens deletes expired subject-access links.
func (r *Retention) PurgeSubjectTokens(ctx context.Context) (int, error) {
	return r.Store.PurgeSubjectTokens(ctx)
}

// PurgeSessions deletes expired login sessions.
func (r *Retention) PurgeSessions(ctx context.Context) (int, error) {
	return r.Store.PurgeSessions(ctx)
}

// PurgeAPITokens deletes long-revoked or long-expired API tokens.
func (r *Retention) PurgeAPITokens(ctx context.Context) (int, error) {
	return r.Store.PurgeAPITokens(ctx, r.policy().APITokens)
}

// PurgeRateEvents deletes old rate-limit events.
func (r *Retention) PurgeRateEvents(ctx context.Context) (int, error) {
	return r.Store.PurgeRateEvents(ctx, r.policy().RateEvents)
}

// PurgeRevokedDevices deletes long-revoked devices with their sync ledger.
func (r *Retention) PurgeRevokedDevices(ctx context.Context) (int, error) {
	return r.Store.PurgeRevokedDevices(ctx, r.policy().RevokedDevices)
}

// PurgeSubjectRequests deletes long-done subject requests.
func (r *Retention) PurgeSubjectRequests(ctx context.Context) (int, error) {
	return r.Store.PurgeSubjectRequests(ctx, r.policy().SubjectRequests)
}

// BlankEndedRequests blanks the personal fields of long-ended consent requests.
func (r *Retention) BlankEndedRequests(ctx context.Context) (int, error) {
	return r.Store.BlankEndedRequests(ctx, r.policy().EndedRequests)
}

// PurgeExportFiles drops the files of exports whose download link has expired.
func (r *Retention) PurgeExportFiles(ctx context.Context) (int, error) {
	return r.Store.PurgeExportFiles(ctx)
}
