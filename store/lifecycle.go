package store

// The consent lifecycle: what the ConsentLifecycle workflow reads of a consent, expiry (by
// the workflow and by the periodic sweep), the reminder that starts a renewal, and the
// lifecycle outbox that tells the workflow of every committed change.

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kontakt/kontakt/model"
)

// LifecycleState is what the ConsentLifecycle workflow needs to know of a consent: ids, a
// key and times, never personal data.
type LifecycleState struct {
	ContactID  string
	PurposeKey string
	Status     model.ConsentStatus
	// ValidUntil is nil for a consent without an end (none is recorded so today).
	ValidUntil *time.Time
	// ReminderAt is when the expiry reminder is due: nil unless the purpose has
	// reminder_days, the consent came from a web form whose request is still known, and no
	// reminder went out for its current validity.
	ReminderAt *time.Time
}

// ConsentLifecycleState reads a consent's lifecycle state; ErrNotFound when it is gone
// (its contact was erased).
func (s *Store) ConsentLifecycleState(ctx context.Context, consentID string) (LifecycleState, error) {
	var st LifecycleState
	err := s.pool.QueryRow(ctx, `SELECT c.contact_id, p.key, c.status, c.valid_until,
			CASE WHEN p.reminder_days > 0 AND c.reminded_at IS NULL AND c.valid_until IS NOT NULL
			          AND c.source = 'web_form' AND EXISTS (SELECT 1 FROM consent_requests r WHERE r.id = c.request_id)
			     THEN c.valid_until - make_interval(days => p.reminder_days) END
		FROM consents c JOIN purposes p ON p.id = c.purpose_id WHERE c.id = $1`, consentID).
		Scan(&st.ContactID, &st.PurposeKey, &st.Status, &st.ValidUntil, &st.ReminderAt)
	return st, wrap(err)
}

// ExpiryGrace is how long past its valid_until an active consent may stay active before
// the periodic sweep expires it (ExpireOverdueConsent): its ConsentLifecycle workflow
// normally does it at the second, and the policy hides it from that second anyway.
const ExpiryGrace = 5 * time.Minute

// ExpireConsent marks an active consent whose valid_until has passed as expired, with an
// entry in its history and the audit, in one transaction, and reports whether it did; a
// consent renewed, revoked or already expired meanwhile is left alone (false). It is the
// ConsentLifecycle workflow's own change, so the workflow counts as told of it.
func (s *Store) ExpireConsent(ctx context.Context, consentID string) (bool, error) {
	return s.expireConsent(ctx, consentID, 0, true)
}

// OverdueConsents returns up to limit active consents whose valid_until passed more than
// ExpiryGrace ago, the oldest first: those the sweep expires.
func (s *Store) OverdueConsents(ctx context.Context, limit int) ([]string, error) {
	return s.ids(ctx, `SELECT id FROM consents WHERE status = 'active' AND valid_until <= now() - $1::interval
		ORDER BY valid_until LIMIT $2`, ExpiryGrace, limit)
}

// ExpireOverdueConsent expires a consent OverdueConsents listed, if it is still overdue.
// Unlike ExpireConsent it leaves the consent in the lifecycle outbox, so that a workflow
// that missed the expiry is told of it and ends.
func (s *Store) ExpireOverdueConsent(ctx context.Context, consentID string) error {
	_, err := s.expireConsent(ctx, consentID, ExpiryGrace, false)
	return err
}

func (s *Store) expireConsent(ctx context.Context, consentID string, grace time.Duration, byWorkflow bool) (bool, error) {
	var expired bool
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var contactID string
		var until time.Time
		// In SET, lifecycle_told_at and updated_at are the old row's values.
		err := tx.QueryRow(ctx, `UPDATE consents SET status = 'expired', updated_at = now(),
				lifecycle_told_at = CASE WHEN $3 AND lifecycle_told_at = updated_at THEN now() ELSE lifecycle_told_at END
			WHERE id = $1 AND status = 'active' AND valid_until <= now() - $2::interval
			RETURNING contact_id, valid_until`, consentID, grace, byWorkflow).Scan(&contactID, &until)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		expired = true
		actor := Actor{Channel: model.ChannelSystem}
		if err := consentEvent(ctx, tx, consentID, "expired", "validity ended", actor, &until, nil); err != nil {
			return err
		}
		return audit(ctx, tx, actor, "consent.expire", []string{contactID}, &consentID, nil)
	})
	return expired, wrap(err)
}

// UntoldLifecycles returns up to limit consents in the lifecycle outbox, oldest change
// first: changed since their ConsentLifecycle workflow was last told, and active or told
// before (a consent never active has no workflow to tell). Each is a model.ConsentVersion
// string; MarkLifecycleTold takes it back once the workflow is told.
func (s *Store) UntoldLifecycles(ctx context.Context, limit int) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, updated_at FROM consents
		WHERE lifecycle_told_at IS DISTINCT FROM updated_at AND (status = 'active' OR lifecycle_told_at IS NOT NULL)
		ORDER BY updated_at LIMIT $1`, limit)
	if err != nil {
		return nil, wrap(err)
	}
	return collect(rows, func(r pgx.Row) (string, error) {
		var v model.ConsentVersion
		if err := r.Scan(&v.ID, &v.UpdatedAt); err != nil {
			return "", wrap(err)
		}
		return v.String(), nil
	})
}

// ConsentVersion returns the consent's current version (a model.ConsentVersion string),
// to read before telling its workflow and to mark told after.
func (s *Store) ConsentVersion(ctx context.Context, consentID string) (string, error) {
	v := model.ConsentVersion{ID: consentID}
	err := s.pool.QueryRow(ctx, `SELECT updated_at FROM consents WHERE id = $1`, consentID).Scan(&v.UpdatedAt)
	return v.String(), wrap(err)
}

// MarkLifecycleTold records that the consent's workflow was told of version (read by
// UntoldLifecycles or ConsentVersion before the telling). A change committed since keeps
// the consent in the outbox; an older version never overwrites a newer mark.
func (s *Store) MarkLifecycleTold(ctx context.Context, version string) error {
	v, err := model.ParseConsentVersion(version)
	if err != nil {
		return wrap(err)
	}
	_, err = s.pool.Exec(ctx, `UPDATE consents SET lifecycle_told_at = $2
		WHERE id = $1 AND (lifecycle_told_at IS NULL OR lifecycle_told_at < $2)`, v.ID, v.UpdatedAt)
	return wrap(err)
}

// Renewal is what StartRenewal did: RequestID is the renewal request whose double opt-in
// the caller starts (Created) or that was already pending; empty when there is nothing to
// renew (no longer active, no reminder for this consent, or the contact has no address).
type Renewal struct {
	RequestID string
	Created   bool
}

// StartRenewal is the expiry reminder of a consent from a web form: it commits a renewal
// request (kind 'renewal') on the consent's form for the contact and purpose, to the
// address the original request used if the contact still has it (else the contact's
// preferred address), and records the reminder (reminded_at, history, audit). The caller
// then starts the request's ConsentVerification, whose mail asks to renew. It is idempotent:
// once reminded, it returns the pending renewal request again.
func (s *Store) StartRenewal(ctx context.Context, consentID string) (Renewal, error) {
	var out Renewal
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var (
			status                     model.ConsentStatus
			contactID, purposeID       string
			remindedAt, validUntil     *time.Time
			reminderDays, confirmHours int
			source                     model.ConsentSource
			formID, email, name, lang  *string
		)
		err := tx.QueryRow(ctx, `SELECT c.status, c.contact_id, c.purpose_id, c.reminded_at, c.valid_until, p.reminder_days,
				c.source, r.form_id, r.email, r.name, r.language, coalesce(f.confirm_hours, 0)
			FROM consents c JOIN purposes p ON p.id = c.purpose_id
			LEFT JOIN consent_requests r ON r.id = c.request_id LEFT JOIN forms f ON f.id = r.form_id
			WHERE c.id = $1 FOR UPDATE OF c`, consentID).
			Scan(&status, &contactID, &purposeID, &remindedAt, &validUntil, &reminderDays, &source, &formID, &email, &name,
				&lang, &confirmHours)
		if err != nil {
			return err
		}
		if status != model.ConsentActive || reminderDays == 0 || source != model.SourceWebForm || formID == nil {
			return nil
		}
		if remindedAt != nil {
			// Reminded already: the pending renewal request, if it still waits.
			err := tx.QueryRow(ctx, `SELECT id FROM consent_requests WHERE contact_id = $1 AND $2::uuid = ANY(purpose_ids)
				AND status = 'pending' AND kind = 'renewal' ORDER BY created_at DESC LIMIT 1`, contactID, purposeID).Scan(&out.RequestID)
			if errors.Is(err, pgx.ErrNoRows) {
				return nil
			}
			return err
		}
		// The address: the one the person used if the contact still holds it.
		var to string
		err = tx.QueryRow(ctx, `SELECT value FROM contact_points WHERE contact_id = $1 AND kind = 'email'
			ORDER BY lower(value) = lower($2) DESC, preferred DESC, position LIMIT 1`, contactID, *email).Scan(&to)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		actor := Actor{Channel: model.ChannelSystem}
		if to != "" {
			// A request already pending on the form for this address and purpose serves.
			err := tx.QueryRow(ctx, `SELECT id FROM consent_requests WHERE form_id = $1 AND lower(email) = lower($2)
				AND status = 'pending' AND expires_at > now() AND $3::uuid = ANY(purpose_ids)
				ORDER BY created_at DESC LIMIT 1`, *formID, to, purposeID).Scan(&out.RequestID)
			if errors.Is(err, pgx.ErrNoRows) {
				err = tx.QueryRow(ctx, `INSERT INTO consent_requests (form_id, email, name, purpose_ids, language, contact_id,
						kind, expires_at)
					VALUES ($1, $2, $3, ARRAY[$4::uuid], $5, $6, 'renewal', now() + make_interval(hours => $7))
					RETURNING id`, *formID, to, *name, purposeID, *lang, contactID, confirmHours).Scan(&out.RequestID)
				out.Created = err == nil
			}
			if err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE consents SET reminded_at = now(), updated_at = now(),
				lifecycle_told_at = CASE WHEN lifecycle_told_at = updated_at THEN now() ELSE lifecycle_told_at END
			WHERE id = $1`, consentID); err != nil {
			return err
		}
		reason, action := "expiry reminder: renewal requested by mail", "consent.renewal.request"
		var object *string
		evidence := map[string]any{}
		if out.RequestID != "" {
			object = &out.RequestID
			evidence["renewal_request_id"] = out.RequestID
		} else {
			reason, action = "expiry reminder not sent: the contact has no e-mail address", "consent.renewal.skip"
		}
		if err := consentEvent(ctx, tx, consentID, string(model.ConsentActive), reason, actor, validUntil, evidence); err != nil {
			return err
		}
		return audit(ctx, tx, actor, action, []string{contactID}, object, map[string]any{"consent_id": consentID})
	})
	return out, wrap(err)
}
