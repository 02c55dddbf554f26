package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kontakt/kontakt/model"
)

// audit appends one entry to the audit log through q, so a change and its audit entry
// commit together. A read of many contacts is one entry listing them all.
func audit(ctx context.Context, q querier, actor Actor, action string, contactIDs []string, objectID *string, detail map[string]any) error {
	if contactIDs == nil {
		contactIDs = []string{}
	}
	if detail == nil {
		detail = map[string]any{}
	}
	var actorID *string
	if actor.UserID != "" {
		actorID = &actor.UserID
	}
	channel := actor.Channel
	if channel == "" {
		channel = "system"
	}
	_, err := q.Exec(ctx, `INSERT INTO audit_log (actor_id, action, channel, contact_ids, object_id, detail)
		VALUES ($1, $2, $3, $4, $5, $6)`, actorID, action, channel, contactIDs, objectID, detail)
	if err != nil {
		return fmt.Errorf("store: audit %s: %w", action, err)
	}
	return nil
}

// AuditFilter selects audit entries; zero fields do not filter. Entries come newest first,
// before the Before id when set.
type AuditFilter struct {
	ContactID string
	ActorID   string
	Action    string
	Channel   string
	Since     *time.Time
	Until     *time.Time
	Before    int64
	Limit     int
}

// ListAudit returns audit entries matching f, newest first.
func (s *Store) ListAudit(ctx context.Context, f AuditFilter) ([]model.AuditEntry, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.ContactID != "" {
		add("contact_ids @> ARRAY[$%d::uuid]", f.ContactID)
	}
	if f.ActorID != "" {
		add("actor_id = $%d", f.ActorID)
	}
	if f.Action != "" {
		add("action = $%d", f.Action)
	}
	if f.Channel != "" {
		add("channel = $%d", f.Channel)
	}
	if f.Since != nil {
		add("at >= $%d", *f.Since)
	}
	if f.Until != nil {
		add("at < $%d", *f.Until)
	}
	if f.Before > 0 {
		add("id < $%d", f.Before)
	}
	sql := `SELECT id, at, actor_id, action, channel, contact_ids, object_id, detail FROM audit_log`
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	args = append(args, clampLimit(f.Limit))
	sql += fmt.Sprintf(" ORDER BY id DESC LIMIT $%d", len(args))
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, wrap(err)
	}
	return collect(rows, func(r pgx.Row) (model.AuditEntry, error) {
		var e model.AuditEntry
		err := r.Scan(&e.ID, &e.At, &e.ActorID, &e.Action, &e.Channel, &e.ContactIDs, &e.ObjectID, &e.Detail)
		return e, wrap(err)
	})
}

// clampLimit bounds a page size to 1..500, 50 by default.
func clampLimit(n int) int {
	switch {
	case n <= 0:
		return 50
	case n > 500:
		return 500
	}
	return n
}
