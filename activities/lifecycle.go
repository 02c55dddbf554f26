package activities

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/kontakt/kontakt/store"
)

// Teller tells a consent's ConsentLifecycle workflow that the consent changed, starting
// the workflow if none runs (workflows.LifecycleTeller in production). Telling twice is
// harmless: the workflow reads the consent again.
type Teller interface {
	TellLifecycle(ctx context.Context, consentID string) error
}

// tellLifecycles tells the workflows of consents just changed, best effort: a failure is
// logged, and the lifecycle outbox (the reconciler) tells them later.
func tellLifecycles(ctx context.Context, t Teller, log *slog.Logger, consentIDs ...string) {
	if t == nil {
		return
	}
	for _, id := range consentIDs {
		if err := t.TellLifecycle(ctx, id); err != nil {
			log.WarnContext(ctx, "activities: lifecycle not told; the reconciler will", "consent_id", id, "err", err)
		}
	}
}

// LifecycleStore is what the lifecycle activities need of store.Store.
type LifecycleStore interface {
	ConsentLifecycleState(ctx context.Context, consentID string) (store.LifecycleState, error)
	ExpireConsent(ctx context.Context, consentID string) (bool, error)
	StartRenewal(ctx context.Context, consentID string) (store.Renewal, error)
	MarkVerificationStarted(ctx context.Context, requestID string) error
}

// Lifecycle holds the activities of the ConsentLifecycle workflow; every exported method is
// an activity.
type Lifecycle struct {
	Store LifecycleStore
	// StartVerification starts the double opt-in workflow of a renewal request
	// (workflows.Verifier); nil leaves it to the verification outbox.
	StartVerification RequestFunc
	Log               *slog.Logger
}

// LifecycleState is what ConsentLifecycle knows of its consent: ids, the purpose's key and
// times only (ARCHITECTURE.md, invariant 5). Status is a consents.status value.
type LifecycleState struct {
	ContactID  string
	PurposeKey string
	Status     string
	ValidUntil *time.Time
	// ReminderAt is when the expiry reminder is due; nil when none is (see
	// store.LifecycleState).
	ReminderAt *time.Time
}

// RenewalResult names the renewal request a reminder made or found; RequestID is empty
// when there was nothing to renew (the consent changed meanwhile, or the contact has no
// e-mail address).
type RenewalResult struct {
	RequestID string
	Created   bool
}

// ConsentState reads the consent's lifecycle state. A consent that is gone (its contact
// was erased) is a non-retryable ErrTypeNotFound error.
func (l *Lifecycle) ConsentState(ctx context.Context, consentID string) (LifecycleState, error) {
	st, err := l.Store.ConsentLifecycleState(ctx, consentID)
	if err != nil {
		return LifecycleState{}, consentError("read state", consentID, err)
	}
	return LifecycleState{ContactID: st.ContactID, PurposeKey: st.PurposeKey, Status: string(st.Status),
		ValidUntil: st.ValidUntil, ReminderAt: st.ReminderAt}, nil
}

// ExpireConsent marks the consent expired if it is still active and its validity has
// ended, and reports whether it did (store.ExpireConsent).
func (l *Lifecycle) ExpireConsent(ctx context.Context, consentID string) (bool, error) {
	expired, err := l.Store.ExpireConsent(ctx, consentID)
	if err != nil {
		return false, consentError("expire", consentID, err)
	}
	if expired {
		l.log().InfoContext(ctx, "activities: consent expired", "consent_id", consentID)
	}
	return expired, nil
}

// StartRenewal sends the expiry reminder: it commits a renewal request for the consent
// (store.StartRenewal), then starts its double opt-in, whose mail asks the person to renew.
// A failed start is left to the verification outbox, so the reminder still goes out.
func (l *Lifecycle) StartRenewal(ctx context.Context, consentID string) (RenewalResult, error) {
	r, err := l.Store.StartRenewal(ctx, consentID)
	if err != nil {
		return RenewalResult{}, consentError("start renewal", consentID, err)
	}
	if r.Created && l.StartVerification != nil {
		if err := l.StartVerification(ctx, r.RequestID); err != nil {
			l.log().WarnContext(ctx, "activities: renewal verification not started; the reconciler will",
				"consent_id", consentID, "request_id", r.RequestID, "err", err)
		} else if err := l.Store.MarkVerificationStarted(ctx, r.RequestID); err != nil {
			l.log().WarnContext(ctx, "activities: renewal verification start not recorded", "request_id", r.RequestID, "err", err)
		}
	}
	return RenewalResult{RequestID: r.RequestID, Created: r.Created}, nil
}

func (l *Lifecycle) log() *slog.Logger {
	if l.Log != nil {
		return l.Log
	}
	return slog.Default()
}

// consentError makes a missing consent non-retryable, as storeError does for requests.
func consentError(op, consentID string, err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("activities: %s: consent %s not found", op, consentID), ErrTypeNotFound, err)
	}
	return fmt.Errorf("activities: %s: consent %s: %w", op, consentID, err)
}
