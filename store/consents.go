package store

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/kontakt/kontakt/model"
)

// ListContactConsents returns the consents of a contact the actor may see, each with its
// history and evidence, and records the read.
func (s *Store) ListContactConsents(ctx context.Context, actor Actor, contactID string) ([]model.Consent, error) {
	if _, err := getContact(ctx, s.pool, actor, contactID); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT c.id, c.contact_id, c.purpose_id, p.key, p.name, c.status, c.source, c.given_at,
			c.confirmed_at, c.valid_until, c.request_id, c.evidence
		FROM consents c JOIN purposes p ON p.id = c.purpose_id WHERE c.contact_id = $1 ORDER BY p.key`, contactID)
	if err != nil {
		return nil, wrap(err)
	}
	consents, err := collect(rows, func(r pgx.Row) (model.Consent, error) {
		var c model.Consent
		err := r.Scan(&c.ID, &c.ContactID, &c.PurposeID, &c.PurposeKey, &c.PurposeName, &c.Status, &c.Source, &c.GivenAt,
			&c.ConfirmedAt, &c.ValidUntil, &c.RequestID, &c.Evidence)
		c.History = []model.ConsentEvent{}
		return c, wrap(err)
	})
	if err != nil {
		return nil, err
	}
	byID := map[string]*model.Consent{}
	ids := make([]string, len(consents))
	for i := range consents {
		byID[consents[i].ID] = &consents[i]
		ids[i] = consents[i].ID
	}
	rows, err = s.pool.Query(ctx, `SELECT consent_id, at, status, reason, actor_id, channel, valid_until, evidence
		FROM consent_events WHERE consent_id = ANY($1::uuid[]) ORDER BY id`, ids)
	if err != nil {
		return nil, wrap(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var e model.ConsentEvent
		if err := rows.Scan(&id, &e.At, &e.Status, &e.Reason, &e.ActorID, &e.Channel, &e.ValidUntil, &e.Evidence); err != nil {
			return nil, wrap(err)
		}
		byID[id].History = append(byID[id].History, e)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(err)
	}
	return consents, audit(ctx, s.pool, actor, "consent.list", []string{contactID}, nil, nil)
}

// ListPendingVerifications returns the double opt-in requests still waiting for
// confirmation on forms whose book the actor may see, oldest first.
func (s *Store) ListPendingVerifications(ctx context.Context, actor Actor) ([]model.ConsentRequest, error) {
	rows, err := s.pool.Query(ctx, `SELECT r.id, r.form_id, r.contact_id, r.status, r.created_at, r.expires_at, r.mails_sent, r.mail_sent_at
		FROM consent_requests r JOIN forms f ON f.id = r.form_id
		WHERE r.status = 'pending' AND `+bookVisible("f.book_id")+`
		ORDER BY r.created_at LIMIT 500`, actor.UserID)
	if err != nil {
		return nil, wrap(err)
	}
	return collect(rows, func(r pgx.Row) (model.ConsentRequest, error) {
		var c model.ConsentRequest
		err := r.Scan(&c.ID, &c.FormID, &c.ContactID, &c.Status, &c.CreatedAt, &c.ExpiresAt, &c.MailsSent, &c.LastMailAt)
		return c, wrap(err)
	})
}
