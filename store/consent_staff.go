package store

// Consents as staff change them: recorded outside a web form (RecordConsent, consents.go)
// and revoked, and who may do either.

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/kontakt/kontakt/model"
)

// consentWriteAccess decides whether the actor may record or revoke consents of a contact:
// editors (and managers) of its book may, even while the contact is hidden because it lacks
// the consent its book requires, since recording that consent is how it comes back. Anyone
// else who sees the contact gets ErrForbidden; who does not see it, ErrNotFound, so a
// viewer does not learn of a hidden contact.
func consentWriteAccess(ctx context.Context, tx pgx.Tx, actor Actor, contactID string) error {
	return consentAccess(ctx, tx, actor, contactID, true)
}

// consentAccess is consentWriteAccess, and for reads (write false): whoever sees the
// contact, and the book's editors also while it is hidden (to see why).
func consentAccess(ctx context.Context, tx pgx.Tx, actor Actor, contactID string, write bool) error {
	var bookID string
	var visible bool
	err := tx.QueryRow(ctx, `SELECT c.book_id, `+consentHolds+` FROM contacts c WHERE c.id = $2 AND `+contactInVisibleBook,
		actor.UserID, contactID).Scan(&bookID, &visible)
	if err != nil {
		return err
	}
	role, err := bookRole(ctx, tx, actor, bookID)
	if err != nil {
		return err
	}
	switch {
	case role.AtLeast(model.RoleEditor), visible && !write:
		return nil
	case visible:
		return ErrForbidden
	default:
		return ErrNotFound
	}
}

// GetConsent returns a consent with its history and records the read (consent.read).
// Whoever sees its contact may read it, and the editors of the contact's book also while
// the contact is hidden for lacking the consent its book requires.
func (s *Store) GetConsent(ctx context.Context, actor Actor, consentID string) (model.Consent, error) {
	if !ValidID(consentID) {
		return model.Consent{}, ErrNotFound
	}
	var c model.Consent
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT contact_id FROM consents WHERE id = $1`, consentID).Scan(&c.ContactID); err != nil {
			return err
		}
		if err := consentAccess(ctx, tx, actor, c.ContactID, false); err != nil {
			return err
		}
		var err error
		if c, err = readConsent(ctx, tx, consentID); err != nil {
			return err
		}
		return audit(ctx, tx, actor, "consent.read", []string{c.ContactID}, &consentID, nil)
	})
	return c, wrap(err)
}

// readConsent reads one consent with its history, oldest event first.
func readConsent(ctx context.Context, q querier, consentID string) (model.Consent, error) {
	var c model.Consent
	err := q.QueryRow(ctx, `SELECT c.id, c.contact_id, c.purpose_id, p.key, p.name, c.status, c.source, c.given_at,
			c.confirmed_at, c.valid_until, c.request_id, c.evidence
		FROM consents c JOIN purposes p ON p.id = c.purpose_id WHERE c.id = $1`, consentID).
		Scan(&c.ID, &c.ContactID, &c.PurposeID, &c.PurposeKey, &c.PurposeName, &c.Status, &c.Source, &c.GivenAt,
			&c.ConfirmedAt, &c.ValidUntil, &c.RequestID, &c.Evidence)
	if err != nil {
		return c, err
	}
	rows, err := q.Query(ctx, `SELECT at, status, reason, actor_id, channel, valid_until, evidence
		FROM consent_events WHERE consent_id = $1 ORDER BY id`, consentID)
	if err != nil {
		return c, err
	}
	c.History, err = collect(rows, func(r pgx.Row) (model.ConsentEvent, error) {
		var e model.ConsentEvent
		err := r.Scan(&e.At, &e.Status, &e.Reason, &e.ActorID, &e.Channel, &e.ValidUntil, &e.Evidence)
		return e, err
	})
	return c, err
}

// ErrAlreadyRevoked is the answer to revoking a consent that is revoked already.
var ErrAlreadyRevoked = &ConflictError{Field: "status", Msg: "the consent is already revoked"}

// MaxRevokeReason bounds the reason staff give for a revocation (in characters).
const MaxRevokeReason = 500

// RevokeConsent marks a consent revoked on the person's behalf: never deleted, its history
// gains the revocation (time, channel, actor, reason) and the audit an entry. The policy
// hides the contact at once where its book requires the consent, and the change feed tells
// devices. The actor needs the editor role on the contact's book (consentWriteAccess). A
// pending or expired consent may be revoked too (the person withdraws it); a revoked one
// answers ErrAlreadyRevoked. It returns the consent as it is now.
func (s *Store) RevokeConsent(ctx context.Context, actor Actor, consentID, reason string) (model.Consent, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || utf8.RuneCountInString(reason) > MaxRevokeReason {
		return model.Consent{}, &model.FieldError{Field: "reason", Msg: "say why, in 1 to 500 characters"}
	}
	if !ValidID(consentID) {
		return model.Consent{}, ErrNotFound
	}
	var out model.Consent
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var contactID string
		var status model.ConsentStatus
		if err := tx.QueryRow(ctx, `SELECT contact_id, status FROM consents WHERE id = $1 FOR UPDATE`, consentID).
			Scan(&contactID, &status); err != nil {
			return err
		}
		if err := consentWriteAccess(ctx, tx, actor, contactID); err != nil {
			return err
		}
		if status == model.ConsentRevoked {
			return ErrAlreadyRevoked
		}
		if _, err := tx.Exec(ctx, `UPDATE consents SET status = 'revoked', updated_at = now() WHERE id = $1`, consentID); err != nil {
			return err
		}
		if err := consentEvent(ctx, tx, consentID, string(model.ConsentRevoked), reason, actor, nil,
			map[string]any{"previous_status": status}); err != nil {
			return err
		}
		// The reason stays in the consent's history only: the audit keeps ids.
		if err := audit(ctx, tx, actor, "consent.revoke", []string{contactID}, &consentID,
			map[string]any{"previous_status": status}); err != nil {
			return err
		}
		var err error
		out, err = readConsent(ctx, tx, consentID)
		return err
	})
	return out, wrap(err)
}
