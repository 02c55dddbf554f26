package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kontakt/kontakt/model"
)

// Invitation mails of a campaign. Only a target that holds an active, unexpired consent
// for the campaign's purpose now (consentForCampaign), whom the owner still sees, and who
// has an e-mail address is invited. Each mail goes at most once: ClaimInvitationMail
// records the claim (with the RSVP token's hash) before the mail is handed to SMTP,
// MarkInvitationMailed records SMTP's acceptance, and ReleaseInvitationClaim undoes a claim
// whose mail SMTP refused. The window left: a crash between the claim and SMTP's answer
// leaves the mail's fate unknown (mail_claimed_at without mailed_at); such an invitation is
// never mailed again and is counted as mail_unknown in the campaign's progress.

// Invitee is one invitation mail to send: personal data for the mail only, never for a
// workflow's history.
type Invitee struct {
	EventID   string
	ContactID string
	Email     string
	Name      string
}

// InvitationBatch is a batch's invitees with the event and language of the mail.
type InvitationBatch struct {
	Status     string
	Language   string
	EventName  string
	Venue      string
	StartsAt   time.Time
	EndsAt     *time.Time
	Invitees   []Invitee
	NotInvited int // targets of the batch without the consent or an address
}

// setInvitationToken stores the RSVP token's hash on an invitation. It stands in for
// crm-core's store.InvitationToken(ctx, eventID, contactID, tokenHash) until the branches
// merge; then it becomes a call of that.
func setInvitationToken(ctx context.Context, q querier, eventID, contactID string, tokenHash []byte) error {
	_, err := q.Exec(ctx, `UPDATE event_invitations SET token_hash = $3 WHERE event_id = $1 AND contact_id = $2`,
		eventID, contactID, tokenHash)
	return err
}

// CampaignInvitees creates the event invitations of the targets at positions
// from..from+size-1 that may be invited (see above; ON CONFLICT: a contact invited to the
// event already keeps that invitation, and only the campaign's own are mailed) and returns
// those of the campaign's invitations whose mail was not claimed yet. A campaign that is
// not active, or sends no invitations, returns its status and nobody.
func (s *Store) CampaignInvitees(ctx context.Context, id string, from, size int) (InvitationBatch, error) {
	var out InvitationBatch
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var owner, event *string
		var send bool
		if err := tx.QueryRow(ctx, `SELECT cp.status, cp.owner_id::text, cp.event_id::text, cp.send_invitations, cp.invitation_language,
				coalesce(e.name, ''), coalesce(e.venue, ''), coalesce(e.starts_at, now()), e.ends_at
			FROM campaigns cp LEFT JOIN events e ON e.id = cp.event_id WHERE cp.id = $1 FOR SHARE OF cp`, id).Scan(
			&out.Status, &owner, &event, &send, &out.Language, &out.EventName, &out.Venue, &out.StartsAt, &out.EndsAt); err != nil {
			return err
		}
		if out.Status != string(model.CampaignActive) || !send || owner == nil || event == nil {
			return nil
		}
		if _, err := tx.Exec(ctx, `INSERT INTO event_invitations (event_id, contact_id, campaign_id)
			SELECT cp.event_id, c.id, cp.id
			  FROM campaign_targets t JOIN campaigns cp ON cp.id = t.campaign_id JOIN contacts c ON c.id = t.contact_id
			 WHERE t.campaign_id = $2 AND t.position >= $3 AND t.position < $4
			   AND `+contactVisible+` AND `+consentForCampaign+`
			   AND EXISTS (SELECT 1 FROM contact_points ce WHERE ce.contact_id = c.id AND ce.kind = 'email' AND ce.value <> '')
			ON CONFLICT (event_id, contact_id) DO NOTHING`, *owner, id, from, from+size); err != nil {
			return err
		}
		var inBatch int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM campaign_targets WHERE campaign_id = $1 AND position >= $2 AND position < $3`,
			id, from, from+size).Scan(&inBatch); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT i.event_id::text, c.id::text,
				(SELECT ce.value FROM contact_points ce WHERE ce.contact_id = c.id AND ce.kind = 'email' AND ce.value <> ''
				  ORDER BY ce.preferred DESC, ce.position LIMIT 1), c.display_name
			  FROM campaign_targets t JOIN campaigns cp ON cp.id = t.campaign_id JOIN contacts c ON c.id = t.contact_id
			  JOIN event_invitations i ON i.event_id = cp.event_id AND i.contact_id = c.id AND i.campaign_id = cp.id
			 WHERE t.campaign_id = $2 AND t.position >= $3 AND t.position < $4
			   AND `+contactVisible+` AND `+consentForCampaign+`
			 ORDER BY t.position`, *owner, id, from, from+size)
		if err != nil {
			return err
		}
		invitable := 0
		for rows.Next() {
			var in Invitee
			var email *string
			if err := rows.Scan(&in.EventID, &in.ContactID, &email, &in.Name); err != nil {
				rows.Close()
				return err
			}
			invitable++
			if email == nil {
				continue
			}
			in.Email = *email
			out.Invitees = append(out.Invitees, in)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		out.NotInvited = inBatch - invitable
		// Drop those whose mail was claimed already (sent, or its fate unknown).
		claimed := map[string]bool{}
		crow, err := tx.Query(ctx, `SELECT contact_id::text FROM event_invitations
			WHERE campaign_id = $1 AND event_id = $2 AND mail_claimed_at IS NOT NULL`, id, *event)
		if err != nil {
			return err
		}
		ids, err := pgx.CollectRows(crow, pgx.RowTo[string])
		if err != nil {
			return err
		}
		for _, c := range ids {
			claimed[c] = true
		}
		keep := out.Invitees[:0]
		for _, in := range out.Invitees {
			if !claimed[in.ContactID] {
				keep = append(keep, in)
			}
		}
		out.Invitees = keep
		return nil
	})
	return out, wrap(err)
}

// ClaimInvitationMail claims the campaign's invitation of a contact for mailing, with the
// hash of the RSVP token the mail will carry, and reports whether it was claimed now (false:
// claimed before, or the campaign is no longer active).
func (s *Store) ClaimInvitationMail(ctx context.Context, campaignID, eventID, contactID string, tokenHash []byte) (bool, error) {
	claimed := false
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE event_invitations i SET mail_claimed_at = now()
			WHERE i.event_id = $2 AND i.contact_id = $3 AND i.campaign_id = $1 AND i.mail_claimed_at IS NULL
			  AND EXISTS (SELECT 1 FROM campaigns cp WHERE cp.id = $1 AND cp.status = 'active')`, campaignID, eventID, contactID)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		claimed = true
		return setInvitationToken(ctx, tx, eventID, contactID, tokenHash)
	})
	return claimed, wrap(err)
}

// MarkInvitationMailed records that SMTP accepted the invitation's mail.
func (s *Store) MarkInvitationMailed(ctx context.Context, eventID, contactID string) error {
	_, err := s.pool.Exec(ctx, `UPDATE event_invitations SET mailed_at = now() WHERE event_id = $1 AND contact_id = $2`, eventID, contactID)
	return wrap(err)
}

// ReleaseInvitationClaim undoes the claim of a mail that SMTP refused (nothing was sent),
// so that a retry sends it.
func (s *Store) ReleaseInvitationClaim(ctx context.Context, eventID, contactID string) error {
	_, err := s.pool.Exec(ctx, `UPDATE event_invitations SET mail_claimed_at = NULL, token_hash = NULL
		WHERE event_id = $1 AND contact_id = $2 AND mailed_at IS NULL`, eventID, contactID)
	return wrap(err)
}
