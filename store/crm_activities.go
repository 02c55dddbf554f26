package store

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/kontakt/kontakt/model"
)

// Activities are attached_items of kind 'activity': the audience, its storage and the one
// policy's itemVisible are those of notes; what they add is the type, time, duration,
// outcome and participants (migration 006).

const activitySelect = `SELECT i.id, i.contact_id, i.activity_type, i.occurred_at, i.duration_minutes, i.outcome, i.body,
	coalesce((SELECT array_agg(ap.user_id ORDER BY ap.user_id) FROM activity_participants ap WHERE ap.item_id = i.id), '{}'),
	i.audience, ` + audienceColumns + `, i.created_by, i.created_at, i.updated_at
	FROM attached_items i JOIN contacts c ON c.id = i.contact_id`

func scanActivity(row pgx.Row) (model.Activity, error) {
	var a model.Activity
	err := row.Scan(&a.ID, &a.ContactID, &a.Type, &a.OccurredAt, &a.DurationMinutes, &a.Outcome, &a.Body,
		&a.Participants, &a.Audience, &a.Users, &a.Groups, &a.CreatedBy, &a.CreatedAt, &a.UpdatedAt)
	return a, wrap(err)
}

// ListActivities returns the activities on a contact that the actor may see, newest first,
// and records the read.
func (s *Store) ListActivities(ctx context.Context, actor Actor, contactID string) ([]model.Activity, error) {
	if _, err := getContact(ctx, s.pool, actor, contactID); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, activitySelect+` WHERE i.contact_id = $2 AND i.kind = 'activity' AND `+itemVisible+`
		ORDER BY i.occurred_at DESC, i.id`, actor.UserID, contactID)
	if err != nil {
		return nil, wrap(err)
	}
	out, err := collect(rows, scanActivity)
	if err != nil {
		return nil, err
	}
	if err := audit(ctx, s.pool, actor, "activity.list", []string{contactID}, nil, map[string]any{"count": len(out)}); err != nil {
		return nil, err
	}
	return out, nil
}

// GetActivity returns an activity the actor may see and records the read.
func (s *Store) GetActivity(ctx context.Context, actor Actor, id string) (model.Activity, error) {
	a, err := getActivity(ctx, s.pool, actor, id)
	if err != nil {
		return a, err
	}
	return a, audit(ctx, s.pool, actor, "activity.read", []string{a.ContactID}, &id, nil)
}

func getActivity(ctx context.Context, q querier, actor Actor, id string) (model.Activity, error) {
	if !ValidID(id) {
		return model.Activity{}, ErrNotFound
	}
	return scanActivity(q.QueryRow(ctx, activitySelect+` WHERE i.id = $2 AND i.kind = 'activity' AND `+itemVisible, actor.UserID, id))
}

// CreateActivity records an activity on a contact the actor sees. Like a note, any reader
// of the contact may record one; its audience decides who else sees it.
func (s *Store) CreateActivity(ctx context.Context, actor Actor, a model.Activity) (model.Activity, error) {
	var id string
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		id, err = createActivity(ctx, tx, actor, a)
		return err
	})
	if err != nil {
		return model.Activity{}, wrap(err)
	}
	return getActivity(ctx, s.pool, actor, id)
}

// createActivity validates and inserts an activity in tx, with its audience and
// participants, and audits it; task completion calls it in its own transaction.
func createActivity(ctx context.Context, tx pgx.Tx, actor Actor, a model.Activity) (string, error) {
	if err := a.Normalize(); err != nil {
		return "", err
	}
	if _, err := getContact(ctx, tx, actor, a.ContactID); err != nil {
		return "", err
	}
	var id string
	if err := tx.QueryRow(ctx, `INSERT INTO attached_items (contact_id, kind, body, audience, created_by,
			activity_type, occurred_at, duration_minutes, outcome)
		VALUES ($1, 'activity', $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		a.ContactID, a.Body, a.Audience, actor.UserID, a.Type, a.OccurredAt, a.DurationMinutes, a.Outcome).Scan(&id); err != nil {
		return "", err
	}
	if err := writeAudience(ctx, tx, id, a.Users, a.Groups); err != nil {
		return "", err
	}
	if err := writeParticipants(ctx, tx, id, a.Participants); err != nil {
		return "", err
	}
	return id, audit(ctx, tx, actor, "activity.create", []string{a.ContactID}, &id,
		map[string]any{"type": a.Type, "audience": a.Audience})
}

// UpdateActivity changes an activity; its author, and editors of the contact's book who can
// see it, may.
func (s *Store) UpdateActivity(ctx context.Context, actor Actor, id string, p model.ActivityPatch) (model.Activity, error) {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		a, err := activityForWrite(ctx, tx, actor, id)
		if err != nil {
			return err
		}
		p.Apply(&a)
		if err := a.Normalize(); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE attached_items SET body = $2, audience = $3, activity_type = $4, occurred_at = $5,
			duration_minutes = $6, outcome = $7, updated_at = now() WHERE id = $1`,
			id, a.Body, a.Audience, a.Type, a.OccurredAt, a.DurationMinutes, a.Outcome); err != nil {
			return err
		}
		if err := writeAudience(ctx, tx, id, a.Users, a.Groups); err != nil {
			return err
		}
		if err := writeParticipants(ctx, tx, id, a.Participants); err != nil {
			return err
		}
		return audit(ctx, tx, actor, "activity.update", []string{a.ContactID}, &id, nil)
	})
	if err != nil {
		return model.Activity{}, wrap(err)
	}
	return getActivity(ctx, s.pool, actor, id)
}

// DeleteActivity removes an activity, under the same rule as UpdateActivity. A task it was
// the record of keeps its worklog entry (tasks.activity_id becomes NULL).
func (s *Store) DeleteActivity(ctx context.Context, actor Actor, id string) error {
	return wrap(s.inTx(ctx, func(tx pgx.Tx) error {
		a, err := activityForWrite(ctx, tx, actor, id)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM attached_items WHERE id = $1`, id); err != nil {
			return err
		}
		return audit(ctx, tx, actor, "activity.delete", []string{a.ContactID}, &id, nil)
	}))
}

func activityForWrite(ctx context.Context, tx pgx.Tx, actor Actor, id string) (model.Activity, error) {
	a, err := getActivity(ctx, tx, actor, id)
	if err != nil {
		return a, err
	}
	return a, mayChangeItem(ctx, tx, actor, a.CreatedBy, a.ContactID)
}

// writeParticipants replaces the users who took part in an activity; every id must name a
// user.
func writeParticipants(ctx context.Context, tx pgx.Tx, itemID string, users []string) error {
	if _, err := tx.Exec(ctx, `DELETE FROM activity_participants WHERE item_id = $1`, itemID); err != nil {
		return err
	}
	tag, err := tx.Exec(ctx, `INSERT INTO activity_participants (item_id, user_id)
		SELECT $1, u.id FROM users u WHERE u.id = ANY($2::uuid[])`, itemID, users)
	if err != nil {
		return err
	}
	if int(tag.RowsAffected()) != len(users) {
		return &model.FieldError{Field: "participants", Msg: "names a user that does not exist"}
	}
	return nil
}
