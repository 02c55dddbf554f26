package store

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/kontakt/kontakt/model"
)

// eventSelect reads events aliased ev; $1 is the reader, whose visible invitations are
// counted.
const eventSelect = `SELECT ev.id, ev.name, ev.kind, ev.description, ev.venue, ev.starts_at, ev.ends_at, ev.resources,
	ev.budget_note, ev.owner_id,
	coalesce((SELECT array_agg(es.user_id ORDER BY es.user_id) FROM event_staff es WHERE es.event_id = ev.id), '{}'),
	coalesce((SELECT jsonb_object_agg(x.status, x.n) FROM (SELECT inv.status, count(*) AS n
		FROM event_invitations inv JOIN contacts c ON c.id = inv.contact_id
		WHERE inv.event_id = ev.id AND ` + contactVisible + ` GROUP BY inv.status) x), '{}'),
	ev.created_at, ev.updated_at FROM events ev`

func scanEvent(row pgx.Row) (model.Event, error) {
	var e model.Event
	err := row.Scan(&e.ID, &e.Name, &e.Kind, &e.Description, &e.Venue, &e.StartsAt, &e.EndsAt, &e.Resources,
		&e.BudgetNote, &e.OwnerID, &e.Staff, &e.Invitations, &e.CreatedAt, &e.UpdatedAt)
	return e, wrap(err)
}

func getEvent(ctx context.Context, q querier, actor Actor, id string) (model.Event, error) {
	if !ValidID(id) {
		return model.Event{}, ErrNotFound
	}
	return scanEvent(q.QueryRow(ctx, eventSelect+` WHERE ev.id = $2 AND `+eventVisible, actor.UserID, id))
}

// requireEvent fails with ErrNotFound unless the actor sees the event, and with
// ErrForbidden unless, when manage is set, they may manage it: its owner and organisation
// admins delete it and choose its staff; staff organise the rest.
func requireEvent(ctx context.Context, q querier, actor Actor, id string, manage bool) (model.Event, error) {
	e, err := getEvent(ctx, q, actor, id)
	if err != nil || !manage {
		return e, err
	}
	var ok bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE id = $1 AND NOT disabled AND (is_admin OR id = $2))`,
		actor.UserID, e.OwnerID).Scan(&ok); err != nil {
		return e, wrap(err)
	}
	if !ok {
		return e, ErrForbidden
	}
	return e, nil
}

// GetEvent returns an event the actor sees.
func (s *Store) GetEvent(ctx context.Context, actor Actor, id string) (model.Event, error) {
	return getEvent(ctx, s.pool, actor, id)
}

// ListEvents returns the events the actor sees, soonest first.
func (s *Store) ListEvents(ctx context.Context, actor Actor) ([]model.Event, error) {
	rows, err := s.pool.Query(ctx, eventSelect+` WHERE `+eventVisible+` ORDER BY ev.starts_at, ev.id`, actor.UserID)
	if err != nil {
		return nil, wrap(err)
	}
	return collect(rows, scanEvent)
}

// CreateEvent creates an event owned by the actor; any enabled user may.
func (s *Store) CreateEvent(ctx context.Context, actor Actor, in model.EventInput) (model.Event, error) {
	var e model.Event
	in.Apply(&e)
	if err := e.Normalize(); err != nil {
		return e, err
	}
	var id string
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := requireUser(ctx, tx, actor.UserID, "owner_id"); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO events (name, kind, description, venue, starts_at, ends_at, resources, budget_note, owner_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`, e.Name, e.Kind, e.Description, e.Venue, e.StartsAt, e.EndsAt,
			e.Resources, e.BudgetNote, actor.UserID).Scan(&id); err != nil {
			return err
		}
		return audit(ctx, tx, actor, "event.create", nil, &id, nil)
	})
	if err != nil {
		return model.Event{}, wrap(err)
	}
	return getEvent(ctx, s.pool, actor, id)
}

// UpdateEvent changes an event; its owner, staff and admins may.
func (s *Store) UpdateEvent(ctx context.Context, actor Actor, id string, in model.EventInput) (model.Event, error) {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		e, err := requireEvent(ctx, tx, actor, id, false)
		if err != nil {
			return err
		}
		in.Apply(&e)
		if err := e.Normalize(); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE events SET name = $2, kind = $3, description = $4, venue = $5, starts_at = $6,
			ends_at = $7, resources = $8, budget_note = $9, updated_at = now() WHERE id = $1`,
			id, e.Name, e.Kind, e.Description, e.Venue, e.StartsAt, e.EndsAt, e.Resources, e.BudgetNote); err != nil {
			return err
		}
		return audit(ctx, tx, actor, "event.update", nil, &id, nil)
	})
	if err != nil {
		return model.Event{}, wrap(err)
	}
	return getEvent(ctx, s.pool, actor, id)
}

// DeleteEvent deletes an event with its staff, invitations and documents; its tasks stay,
// without the event. Its owner and admins may.
func (s *Store) DeleteEvent(ctx context.Context, actor Actor, id string) error {
	return wrap(s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := requireEvent(ctx, tx, actor, id, true); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM events WHERE id = $1`, id); err != nil {
			return err
		}
		return audit(ctx, tx, actor, "event.delete", nil, &id, nil)
	}))
}

// PutEventStaff makes an enabled user staff of an event (idempotent); its owner and admins
// may.
func (s *Store) PutEventStaff(ctx context.Context, actor Actor, eventID, userID string) error {
	return wrap(s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := requireEvent(ctx, tx, actor, eventID, true); err != nil {
			return err
		}
		if err := requireUser(ctx, tx, userID, "user_id"); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO event_staff (event_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, eventID, userID); err != nil {
			return err
		}
		return audit(ctx, tx, actor, "event.staff.put", nil, &eventID, map[string]any{"user_id": userID})
	}))
}

// DeleteEventStaff removes a user from an event's staff; its owner and admins may.
func (s *Store) DeleteEventStaff(ctx context.Context, actor Actor, eventID, userID string) error {
	return wrap(s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := requireEvent(ctx, tx, actor, eventID, true); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM event_staff WHERE event_id = $1 AND user_id = $2`, eventID, userID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return ErrNotFound
		}
		return audit(ctx, tx, actor, "event.staff.delete", nil, &eventID, map[string]any{"user_id": userID})
	}))
}
