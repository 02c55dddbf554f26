package store

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/kontakt/kontakt/model"
)

const groupSelect = `SELECT g.id, g.name, g.description, g.created_at,
	coalesce((SELECT array_agg(m.user_id ORDER BY m.user_id) FROM group_members m WHERE m.group_id = g.id), '{}')
	FROM groups g`

func scanGroup(row pgx.Row) (model.Group, error) {
	var g model.Group
	err := row.Scan(&g.ID, &g.Name, &g.Description, &g.CreatedAt, &g.Members)
	return g, wrap(err)
}

// GroupPatch changes the fields it sets.
type GroupPatch struct {
	Name        *string `json:"name"`
	Description *string `json:"description"`
}

// CreateGroup adds a group.
func (s *Store) CreateGroup(ctx context.Context, actor Actor, name, description string) (model.Group, error) {
	var g model.Group
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var id string
		if err := tx.QueryRow(ctx, `INSERT INTO groups (name, description) VALUES ($1, $2) RETURNING id`,
			strings.TrimSpace(name), description).Scan(&id); err != nil {
			return err
		}
		var err error
		if g, err = scanGroup(tx.QueryRow(ctx, groupSelect+` WHERE g.id = $1`, id)); err != nil {
			return err
		}
		return audit(ctx, tx, actor, "group.create", nil, &id, nil)
	})
	return g, wrap(err)
}

// GetGroup returns the group with id and its members.
func (s *Store) GetGroup(ctx context.Context, id string) (model.Group, error) {
	return scanGroup(s.pool.QueryRow(ctx, groupSelect+` WHERE g.id = $1`, id))
}

// ListGroups returns every group by name.
func (s *Store) ListGroups(ctx context.Context) ([]model.Group, error) {
	rows, err := s.pool.Query(ctx, groupSelect+` ORDER BY lower(g.name)`)
	if err != nil {
		return nil, wrap(err)
	}
	return collect(rows, scanGroup)
}

// UpdateGroup applies p.
func (s *Store) UpdateGroup(ctx context.Context, actor Actor, id string, p GroupPatch) (model.Group, error) {
	var g model.Group
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE groups SET name = coalesce($2, name), description = coalesce($3, description) WHERE id = $1`,
			id, p.Name, p.Description)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return ErrNotFound
		}
		if g, err = scanGroup(tx.QueryRow(ctx, groupSelect+` WHERE g.id = $1`, id)); err != nil {
			return err
		}
		return audit(ctx, tx, actor, "group.update", nil, &id, nil)
	})
	return g, wrap(err)
}

// DeleteGroup removes a group, its memberships and the grants given to it.
func (s *Store) DeleteGroup(ctx context.Context, actor Actor, id string) error {
	return s.execAudited(ctx, actor, "group.delete", id, `DELETE FROM groups WHERE id = $1`, id)
}

// AddGroupMember puts a user into a group (no-op when already a member).
func (s *Store) AddGroupMember(ctx context.Context, actor Actor, groupID, userID string) error {
	return wrap(s.inTx(ctx, func(tx pgx.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM groups g, users u WHERE g.id = $1 AND u.id = $2`, groupID, userID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return ErrNotFound
		}
		if _, err := tx.Exec(ctx, `INSERT INTO group_members (group_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, groupID, userID); err != nil {
			return err
		}
		return audit(ctx, tx, actor, "group.member.add", nil, &groupID, map[string]any{"user_id": userID})
	}))
}

// RemoveGroupMember takes a user out of a group.
func (s *Store) RemoveGroupMember(ctx context.Context, actor Actor, groupID, userID string) error {
	return s.execAudited(ctx, actor, "group.member.remove", groupID,
		`DELETE FROM group_members WHERE group_id = $1 AND user_id = $2`, groupID, userID)
}

// execAudited runs one statement that must affect a row, with its audit entry, in one
// transaction; no affected row is ErrNotFound.
func (s *Store) execAudited(ctx context.Context, actor Actor, action, objectID, sql string, args ...any) error {
	return wrap(s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, sql, args...)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return ErrNotFound
		}
		return audit(ctx, tx, actor, action, nil, &objectID, nil)
	}))
}
