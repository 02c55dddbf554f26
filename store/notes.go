package store

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/kontakt/kontakt/model"
)

// audienceColumns are the named users and groups of the attached_items row aliased i.
const audienceColumns = `coalesce((SELECT array_agg(a.user_id) FROM attached_item_audience a WHERE a.item_id = i.id AND a.user_id IS NOT NULL), '{}'),
	coalesce((SELECT array_agg(a.group_id) FROM attached_item_audience a WHERE a.item_id = i.id AND a.group_id IS NOT NULL), '{}')`

const noteSelect = `SELECT i.id, i.contact_id, i.body, i.audience, i.created_by, i.created_at, i.updated_at,
	` + audienceColumns + `
	FROM attached_items i JOIN contacts c ON c.id = i.contact_id`

func scanNote(row pgx.Row) (model.Note, error) {
	var n model.Note
	err := row.Scan(&n.ID, &n.ContactID, &n.Body, &n.Audience, &n.CreatedBy, &n.CreatedAt, &n.UpdatedAt, &n.Users, &n.Groups)
	return n, wrap(err)
}

// NotePatch changes the fields it sets; Users and Groups replace the audience lists.
type NotePatch struct {
	Body     *string             `json:"body"`
	Audience *model.AudienceKind `json:"audience"`
	Users    *[]string           `json:"users"`
	Groups   *[]string           `json:"groups"`
}

// ListNotes returns the notes on a contact that the actor may see, oldest first, and
// records the read.
func (s *Store) ListNotes(ctx context.Context, actor Actor, contactID string) ([]model.Note, error) {
	if _, err := getContact(ctx, s.pool, actor, contactID); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, noteSelect+` WHERE i.contact_id = $2 AND i.kind = 'note' AND `+itemVisible+`
		ORDER BY i.created_at, i.id`, actor.UserID, contactID)
	if err != nil {
		return nil, wrap(err)
	}
	notes, err := collect(rows, scanNote)
	if err != nil {
		return nil, err
	}
	if err := audit(ctx, s.pool, actor, "note.list", []string{contactID}, nil, map[string]any{"count": len(notes)}); err != nil {
		return nil, err
	}
	return notes, nil
}

// GetNote returns a note the actor may see and records the read.
func (s *Store) GetNote(ctx context.Context, actor Actor, id string) (model.Note, error) {
	n, err := getNote(ctx, s.pool, actor, id)
	if err != nil {
		return n, err
	}
	return n, audit(ctx, s.pool, actor, "note.read", []string{n.ContactID}, &id, nil)
}

func getNote(ctx context.Context, q querier, actor Actor, id string) (model.Note, error) {
	if !ValidID(id) {
		return model.Note{}, ErrNotFound
	}
	return scanNote(q.QueryRow(ctx, noteSelect+` WHERE i.id = $2 AND i.kind = 'note' AND `+itemVisible, actor.UserID, id))
}

// CreateNote attaches a note to a contact the actor sees. Any reader of the contact may
// note something on it; the note's audience decides who else sees it.
func (s *Store) CreateNote(ctx context.Context, actor Actor, n model.Note) (model.Note, error) {
	if err := n.Normalize(); err != nil {
		return n, err
	}
	var id string
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := getContact(ctx, tx, actor, n.ContactID); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO attached_items (contact_id, kind, body, audience, created_by)
			VALUES ($1, 'note', $2, $3, $4) RETURNING id`, n.ContactID, n.Body, n.Audience, actor.UserID).Scan(&id); err != nil {
			return err
		}
		if err := writeAudience(ctx, tx, id, n.Users, n.Groups); err != nil {
			return err
		}
		return audit(ctx, tx, actor, "note.create", []string{n.ContactID}, &id, map[string]any{"audience": n.Audience})
	})
	if err != nil {
		return model.Note{}, wrap(err)
	}
	return getNote(ctx, s.pool, actor, id)
}

// UpdateNote changes a note; its author, and editors of the contact's book who can see the
// note, may.
func (s *Store) UpdateNote(ctx context.Context, actor Actor, id string, p NotePatch) (model.Note, error) {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		n, err := s.noteForWrite(ctx, tx, actor, id)
		if err != nil {
			return err
		}
		if p.Body != nil {
			n.Body = *p.Body
		}
		if p.Audience != nil {
			n.Audience = *p.Audience
		}
		if p.Users != nil {
			n.Users = *p.Users
		}
		if p.Groups != nil {
			n.Groups = *p.Groups
		}
		if n.Audience == "contact" {
			n.Users, n.Groups = nil, nil
		}
		if err := n.Normalize(); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE attached_items SET body = $2, audience = $3, updated_at = now() WHERE id = $1`,
			id, n.Body, n.Audience); err != nil {
			return err
		}
		if err := writeAudience(ctx, tx, id, n.Users, n.Groups); err != nil {
			return err
		}
		return audit(ctx, tx, actor, "note.update", []string{n.ContactID}, &id, nil)
	})
	if err != nil {
		return model.Note{}, wrap(err)
	}
	return getNote(ctx, s.pool, actor, id)
}

// DeleteNote removes a note, under the same rule as UpdateNote.
func (s *Store) DeleteNote(ctx context.Context, actor Actor, id string) error {
	return wrap(s.inTx(ctx, func(tx pgx.Tx) error {
		n, err := s.noteForWrite(ctx, tx, actor, id)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM attached_items WHERE id = $1`, id); err != nil {
			return err
		}
		return audit(ctx, tx, actor, "note.delete", []string{n.ContactID}, &id, nil)
	}))
}

func (s *Store) noteForWrite(ctx context.Context, tx pgx.Tx, actor Actor, id string) (model.Note, error) {
	n, err := getNote(ctx, tx, actor, id)
	if err != nil {
		return n, err
	}
	return n, mayChangeItem(ctx, tx, actor, n.CreatedBy, n.ContactID)
}

// mayChangeItem is the write rule of attached information (notes, activities) that the
// actor already sees: its author may change it, and so may editors of the contact's book.
func mayChangeItem(ctx context.Context, tx pgx.Tx, actor Actor, createdBy *string, contactID string) error {
	if createdBy != nil && *createdBy == actor.UserID {
		return nil
	}
	var bookID string
	if err := tx.QueryRow(ctx, `SELECT book_id FROM contacts WHERE id = $1`, contactID).Scan(&bookID); err != nil {
		return err
	}
	return requireRole(ctx, tx, actor, bookID, "editor")
}

// writeAudience replaces the named users and groups of an attached item.
func writeAudience(ctx context.Context, tx pgx.Tx, itemID string, users, groups []string) error {
	for _, id := range append(append([]string{}, users...), groups...) {
		if !ValidID(id) {
			return &model.FieldError{Field: "users", Msg: "not an id: " + id}
		}
	}
	if _, err := tx.Exec(ctx, `DELETE FROM attached_item_audience WHERE item_id = $1`, itemID); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO attached_item_audience (item_id, user_id)
		SELECT $1, u.id FROM users u WHERE u.id = ANY($2::uuid[])`, itemID, users); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO attached_item_audience (item_id, group_id)
		SELECT $1, g.id FROM groups g WHERE g.id = ANY($2::uuid[])`, itemID, groups); err != nil {
		return err
	}
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM attached_item_audience WHERE item_id = $1`, itemID).Scan(&n); err != nil {
		return err
	}
	if n != len(dedupe(users))+len(dedupe(groups)) {
		return &model.FieldError{Field: "users", Msg: "names a user or group that does not exist"}
	}
	return nil
}

func dedupe(ids []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
