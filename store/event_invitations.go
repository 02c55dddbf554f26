package store

import (
	"context"
	"slices"

	"github.com/jackc/pgx/v5"

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

const invitationSelect = `SELECT inv.event_id, inv.contact_id, c.display_name, inv.status, inv.campaign_id, inv.invited_at,
	inv.mailed_at, inv.responded_at
	FROM event_invitations inv JOIN events ev ON ev.id = inv.event_id JOIN contacts c ON c.id = inv.contact_id`

func scanInvitation(row pgx.Row) (model.Invitation, error) {
	var i model.Invitation
	err := row.Scan(&i.EventID, &i.ContactID, &i.DisplayName, &i.Status, &i.CampaignID, &i.InvitedAt, &i.MailedAt, &i.RespondedAt)
	return i, wrap(err)
}

// ListInvitations returns an event's invitations of the contacts the actor sees, by name,
// and records the read.
func (s *Store) ListInvitations(ctx context.Context, actor Actor, eventID string) ([]model.Invitation, error) {
	if _, err := getEvent(ctx, s.pool, actor, eventID); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, invitationSelect+` WHERE inv.event_id = $2 AND `+invitationVisible+`
		ORDER BY c.sort_key, c.id`, actor.UserID, eventID)
	if err != nil {
		return nil, wrap(err)
	}
	out, err := collect(rows, scanInvitation)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(out))
	for i, inv := range out {
		ids[i] = inv.ContactID
	}
	return out, audit(ctx, s.pool, actor, "invitation.list", ids, &eventID, map[string]any{"count": len(out)})
}

func getInvitation(ctx context.Context, q querier, actor Actor, eventID, contactID string) (model.Invitation, error) {
	if !ValidID(eventID) || !ValidID(contactID) {
		return model.Invitation{}, ErrNotFound
	}
	return scanInvitation(q.QueryRow(ctx, invitationSelect+` WHERE inv.event_id = $2 AND inv.contact_id = $3 AND `+invitationVisible,
		actor.UserID, eventID, contactID))
}

// PutInvitation invites a contact the actor sees to an event they see (idempotent: an
// existing invitation stays as it is).
func (s *Store) PutInvitation(ctx context.Context, actor Actor, eventID, contactID string) (model.Invitation, error) {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := requireEvent(ctx, tx, actor, eventID, false); err != nil {
			return err
		}
		if _, err := getContact(ctx, tx, actor, contactID); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO event_invitations (event_id, contact_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, eventID, contactID)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		return audit(ctx, tx, actor, "invitation.create", []string{contactID}, &eventID, nil)
	})
	if err != nil {
		return model.Invitation{}, wrap(err)
	}
	return getInvitation(ctx, s.pool, actor, eventID, contactID)
}

// SetInvitationStatus records where an invitation the actor sees stands (invited,
// accepted, declined, attended).
func (s *Store) SetInvitationStatus(ctx context.Context, actor Actor, eventID, contactID string, status model.InvitationStatus) (model.Invitation, error) {
	if !slices.Contains(model.InvitationStatuses, status) {
		return model.Invitation{}, &model.FieldError{Field: "status", Msg: "must be invited, accepted, declined or attended"}
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := getInvitation(ctx, tx, actor, eventID, contactID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE event_invitations SET status = $3,
			responded_at = CASE WHEN $3 IN ('accepted', 'declined') THEN now() ELSE responded_at END
			WHERE event_id = $1 AND contact_id = $2`, eventID, contactID, status); err != nil {
			return err
		}
		return audit(ctx, tx, actor, "invitation.status", []string{contactID}, &eventID, map[string]any{"status": status})
	})
	if err != nil {
		return model.Invitation{}, wrap(err)
	}
	return getInvitation(ctx, s.pool, actor, eventID, contactID)
}

// DeleteInvitation withdraws an invitation the actor sees; its RSVP link stops answering.
func (s *Store) DeleteInvitation(ctx context.Context, actor Actor, eventID, contactID string) error {
	return wrap(s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := getInvitation(ctx, tx, actor, eventID, contactID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM event_invitations WHERE event_id = $1 AND contact_id = $2`, eventID, contactID); err != nil {
			return err
		}
		return audit(ctx, tx, actor, "invitation.delete", []string{contactID}, &eventID, nil)
	}))
}

// RSVPByToken returns what the RSVP page shows for the link whose token hashes to
// tokenHash: ErrNotFound for an unknown or withdrawn link.
func (s *Store) RSVPByToken(ctx context.Context, tokenHash []byte) (model.RSVP, error) {
	var r model.RSVP
	err := s.pool.QueryRow(ctx, `SELECT ev.name, ev.starts_at, ev.ends_at, ev.venue, inv.status
		FROM event_invitations inv JOIN events ev ON ev.id = inv.event_id WHERE inv.token_hash = $1`, tokenHash).
		Scan(&r.EventName, &r.StartsAt, &r.EndsAt, &r.Venue, &r.Status)
	return r, wrap(err)
}

// RespondByToken records the answer given through an RSVP link (accepted or declined) and
// audits it on the public channel. An invitation already marked attended stays so.
func (s *Store) RespondByToken(ctx context.Context, tokenHash []byte, accept bool) (model.RSVP, error) {
	status := model.InvitationDeclined
	if accept {
		status = model.InvitationAccepted
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var eventID, contactID string
		if err := tx.QueryRow(ctx, `UPDATE event_invitations SET
				status = CASE WHEN status = 'attended' THEN status ELSE $2 END, responded_at = now()
			WHERE token_hash = $1 RETURNING event_id, contact_id`, tokenHash, status).Scan(&eventID, &contactID); err != nil {
			return err
		}
		return audit(ctx, tx, Actor{Channel: model.ChannelWeb}, "invitation.rsvp", []string{contactID}, &eventID, map[string]any{"status": status})
	})
	if err != nil {
		return model.RSVP{}, wrap(err)
	}
	return s.RSVPByToken(ctx, tokenHash)
}
