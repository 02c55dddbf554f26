package store

import (
	"context"

	"github.com/kontakt/kontakt/model"
)

// InvitationToken records the SHA-256 of a contact's RSVP link for an event, creating the
// invitation (status 'invited') when there is none yet. It is idempotent: calling it again
// with the same hash changes nothing, and a new hash replaces the old one, so only the most
// recently mailed link answers. An invitation's status and campaign stay as they are. It
// answers ErrNotFound when the event or the contact does not exist (an erased contact
// included). Callers are system code (the CampaignLaunch activities): it checks no
// visibility, the campaign's targeting did.
func (s *Store) InvitationToken(ctx context.Context, eventID, contactID string, tokenHash []byte) error {
	if !ValidID(eventID) || !ValidID(contactID) {
		return ErrNotFound
	}
	if len(tokenHash) != 32 {
		return &model.FieldError{Field: "token_hash", Msg: "must be a SHA-256 (32 bytes)"}
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO event_invitations (event_id, contact_id, token_hash)
		SELECT e.id, c.id, $3 FROM events e, contacts c WHERE e.id = $1 AND c.id = $2
		ON CONFLICT (event_id, contact_id) DO UPDATE SET token_hash = EXCLUDED.token_hash
		WHERE event_invitations.token_hash IS DISTINCT FROM EXCLUDED.token_hash`, eventID, contactID, tokenHash)
	if err != nil {
		return wrap(err)
	}
	if tag.RowsAffected() == 0 {
		// Either nothing changed (same hash) or the event or contact is missing.
		var ok bool
		if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM event_invitations
			WHERE event_id = $1 AND contact_id = $2 AND token_hash = $3)`, eventID, contactID, tokenHash).Scan(&ok); err != nil {
			return wrap(err)
		}
		if !ok {
			return ErrNotFound
		}
	}
	return nil
}
