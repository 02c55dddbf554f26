package store

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/kontakt/kontakt/model"
)

// bookSelect lists the books user $1 may see with the strongest role held on each.
var bookSelect = `SELECT b.id, b.name, b.description, b.created_at, b.updated_at, b.sync_profile, b.required_purpose_id, r.role
	FROM address_books b
	JOIN LATERAL (SELECT ` + roleOn("b.id") + ` AS role) r ON r.role IS NOT NULL`

func scanBook(row pgx.Row) (model.Book, error) {
	var b model.Book
	err := row.Scan(&b.ID, &b.Name, &b.Description, &b.CreatedAt, &b.UpdatedAt, &b.SyncProfile, &b.RequiredPurposeID, &b.Role)
	return b, wrap(err)
}

// BookPatch changes the fields it sets. SyncProfile lists what leaves the server in a vCard
// (model.SyncFields).
type BookPatch struct {
	Name        *string   `json:"name"`
	Description *string   `json:"description"`
	SyncProfile *[]string `json:"sync_profile"`
	// RequiredPurposeID sets the purpose whose active consent the book's contacts need to
	// be visible; "" clears the requirement.
	RequiredPurposeID *string `json:"required_purpose_id"`
}

// ListBooks returns the books the actor may see, by name.
func (s *Store) ListBooks(ctx context.Context, actor Actor) ([]model.Book, error) {
	rows, err := s.pool.Query(ctx, bookSelect+` ORDER BY lower(b.name)`, actor.UserID)
	if err != nil {
		return nil, wrap(err)
	}
	books, err := collect(rows, scanBook)
	if err != nil {
		return nil, err
	}
	for i := range books {
		if books[i].Fields, err = fieldDefs(ctx, s.pool, books[i].ID); err != nil {
			return nil, err
		}
	}
	return books, nil
}

// GetBook returns a book the actor may see, with its custom field definitions.
func (s *Store) GetBook(ctx context.Context, actor Actor, id string) (model.Book, error) {
	b, err := scanBook(s.pool.QueryRow(ctx, bookSelect+` WHERE b.id = $2`, actor.UserID, id))
	if err != nil {
		return b, err
	}
	b.Fields, err = fieldDefs(ctx, s.pool, id)
	return b, err
}

// CreateBook adds a book; only admins may.
func (s *Store) CreateBook(ctx context.Context, actor Actor, name, description string) (model.Book, error) {
	var b model.Book
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := requireAdmin(ctx, tx, actor); err != nil {
			return err
		}
		var id string
		if err := tx.QueryRow(ctx, `INSERT INTO address_books (name, description) VALUES ($1, $2) RETURNING id`,
			strings.TrimSpace(name), description).Scan(&id); err != nil {
			return err
		}
		var err error
		if b, err = scanBook(tx.QueryRow(ctx, bookSelect+` WHERE b.id = $2`, actor.UserID, id)); err != nil {
			return err
		}
		b.Fields = []model.FieldDef{}
		return audit(ctx, tx, actor, "book.create", nil, &id, nil)
	})
	return b, wrap(err)
}

// UpdateBook renames or describes a book; managers and admins may.
func (s *Store) UpdateBook(ctx context.Context, actor Actor, id string, p BookPatch) (model.Book, error) {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := requireRole(ctx, tx, actor, id, "manager"); err != nil {
			return err
		}
		if p.Name != nil {
			*p.Name = strings.TrimSpace(*p.Name)
		}
		if p.SyncProfile != nil {
			if err := model.CheckSyncProfile(*p.SyncProfile); err != nil {
				return err
			}
		}
		if p.RequiredPurposeID != nil && *p.RequiredPurposeID != "" {
			var ok bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM purposes WHERE id::text = $1)`, *p.RequiredPurposeID).Scan(&ok); err != nil {
				return err
			}
			if !ok {
				return &model.FieldError{Field: "required_purpose_id", Msg: "no such purpose"}
			}
		}
		// The requirement's trigger tells the change feed about every contact of the book.
		if _, err := tx.Exec(ctx, `UPDATE address_books SET name = coalesce($2, name), description = coalesce($3, description),
			sync_profile = coalesce($4, sync_profile),
			required_purpose_id = CASE WHEN $5::text IS NULL THEN required_purpose_id ELSE nullif($5, '')::uuid END,
			updated_at = now() WHERE id = $1`, id, p.Name, p.Description, p.SyncProfile, p.RequiredPurposeID); err != nil {
			return err
		}
		detail := map[string]any{}
		if p.RequiredPurposeID != nil {
			detail["required_purpose_id"] = *p.RequiredPurposeID
		}
		if p.SyncProfile != nil {
			detail["sync_profile"] = *p.SyncProfile
			// Every synced vCard of the book changes: devices get them again.
			if _, err := tx.Exec(ctx, `SELECT book_feed_lock($1)`, id); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO book_changes (book_id, contact_id) SELECT book_id, id FROM contacts WHERE book_id = $1`, id); err != nil {
				return err
			}
		}
		return audit(ctx, tx, actor, "book.update", nil, &id, detail)
	})
	if err != nil {
		return model.Book{}, wrap(err)
	}
	return s.GetBook(ctx, actor, id)
}

// DeleteBook removes an empty book; only admins may.
func (s *Store) DeleteBook(ctx context.Context, actor Actor, id string) error {
	return wrap(s.inTx(ctx, func(tx pgx.Tx) error {
		if err := requireAdmin(ctx, tx, actor); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM contacts WHERE book_id = $1`, id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return &ConflictError{Field: "book_id", Msg: "the book still holds contacts; move or delete them first"}
		}
		tag, err := tx.Exec(ctx, `DELETE FROM address_books WHERE id = $1`, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return ErrNotFound
		}
		return audit(ctx, tx, actor, "book.delete", nil, &id, nil)
	}))
}

const grantColumns = `id, book_id, user_id, group_id, role, created_at`

func scanGrant(row pgx.Row) (model.Grant, error) {
	var g model.Grant
	err := row.Scan(&g.ID, &g.BookID, &g.UserID, &g.GroupID, &g.Role, &g.CreatedAt)
	return g, wrap(err)
}

// ListGrants returns a book's grants; managers and admins may read them.
func (s *Store) ListGrants(ctx context.Context, actor Actor, bookID string) ([]model.Grant, error) {
	if err := requireRole(ctx, s.pool, actor, bookID, "manager"); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+grantColumns+` FROM book_grants WHERE book_id = $1 ORDER BY created_at`, bookID)
	if err != nil {
		return nil, wrap(err)
	}
	return collect(rows, scanGrant)
}

// PutGrant gives a user or group a role on a book, replacing the role they held.
func (s *Store) PutGrant(ctx context.Context, actor Actor, g model.Grant) (model.Grant, error) {
	var out model.Grant
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := requireRole(ctx, tx, actor, g.BookID, "manager"); err != nil {
			return err
		}
		conflict := `(book_id, user_id) WHERE user_id IS NOT NULL`
		if g.GroupID != nil {
			conflict = `(book_id, group_id) WHERE group_id IS NOT NULL`
		}
		var err error
		out, err = scanGrant(tx.QueryRow(ctx, `INSERT INTO book_grants (book_id, user_id, group_id, role) VALUES ($1, $2, $3, $4)
			ON CONFLICT `+conflict+` DO UPDATE SET role = EXCLUDED.role RETURNING `+grantColumns,
			g.BookID, g.UserID, g.GroupID, g.Role))
		if err != nil {
			return err
		}
		return audit(ctx, tx, actor, "grant.put", nil, &g.BookID, map[string]any{"grant_id": out.ID, "user_id": g.UserID, "group_id": g.GroupID, "role": g.Role})
	})
	return out, wrap(err)
}

// DeleteGrant removes a grant from a book.
func (s *Store) DeleteGrant(ctx context.Context, actor Actor, bookID, grantID string) error {
	return wrap(s.inTx(ctx, func(tx pgx.Tx) error {
		if err := requireRole(ctx, tx, actor, bookID, "manager"); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM book_grants WHERE id = $1 AND book_id = $2`, grantID, bookID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return ErrNotFound
		}
		return audit(ctx, tx, actor, "grant.delete", nil, &bookID, map[string]any{"grant_id": grantID})
	}))
}

func fieldDefs(ctx context.Context, q querier, bookID string) ([]model.FieldDef, error) {
	rows, err := q.Query(ctx, `SELECT key, label, type, choices, required FROM custom_field_defs WHERE book_id = $1 ORDER BY position, key`, bookID)
	if err != nil {
		return nil, wrap(err)
	}
	return collect(rows, func(r pgx.Row) (model.FieldDef, error) {
		var d model.FieldDef
		err := r.Scan(&d.Key, &d.Label, &d.Type, &d.Choices, &d.Required)
		return d, wrap(err)
	})
}

// PutField defines or redefines a custom field of a book; managers and admins may.
func (s *Store) PutField(ctx context.Context, actor Actor, bookID string, d model.FieldDef) error {
	if err := d.Validate(); err != nil {
		return err
	}
	if d.Choices == nil {
		d.Choices = []string{}
	}
	return wrap(s.inTx(ctx, func(tx pgx.Tx) error {
		if err := requireRole(ctx, tx, actor, bookID, "manager"); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO custom_field_defs (book_id, key, label, type, choices, required, position)
			VALUES ($1, $2, $3, $4, $5, $6, (SELECT count(*) FROM custom_field_defs WHERE book_id = $1))
			ON CONFLICT (book_id, key) DO UPDATE SET label = EXCLUDED.label, type = EXCLUDED.type,
			choices = EXCLUDED.choices, required = EXCLUDED.required`,
			bookID, d.Key, d.Label, d.Type, d.Choices, d.Required); err != nil {
			return err
		}
		return audit(ctx, tx, actor, "book.field.put", nil, &bookID, map[string]any{"key": d.Key})
	}))
}

// DeleteField removes a custom field definition; values already stored stay in the
// contacts until they are next edited.
func (s *Store) DeleteField(ctx context.Context, actor Actor, bookID, key string) error {
	return wrap(s.inTx(ctx, func(tx pgx.Tx) error {
		if err := requireRole(ctx, tx, actor, bookID, "manager"); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM custom_field_defs WHERE book_id = $1 AND key = $2`, bookID, key)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return ErrNotFound
		}
		return audit(ctx, tx, actor, "book.field.delete", nil, &bookID, map[string]any{"key": key})
	}))
}

// bookRole returns the actor's strongest role on a book; ErrNotFound when they hold none,
// so that a book they may not see does not exist for them.
func bookRole(ctx context.Context, q querier, actor Actor, bookID string) (model.Role, error) {
	var r model.Role
	if err := q.QueryRow(ctx, bookRoleSQL, actor.UserID, bookID).Scan(&r); err != nil {
		return "", wrap(err)
	}
	return r, nil
}

// requireRole fails with ErrNotFound when the actor cannot see the book and ErrForbidden
// when they see it with a weaker role than min.
func requireRole(ctx context.Context, q querier, actor Actor, bookID string, min model.Role) error {
	r, err := bookRole(ctx, q, actor, bookID)
	if err != nil {
		return err
	}
	if !r.AtLeast(min) {
		return ErrForbidden
	}
	return nil
}

// requireAdmin fails with ErrForbidden unless the actor is an enabled organisation admin.
func requireAdmin(ctx context.Context, q querier, actor Actor) error {
	var ok bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE id = $1 AND is_admin AND NOT disabled)`, actor.UserID).Scan(&ok); err != nil {
		return wrap(err)
	}
	if !ok {
		return ErrForbidden
	}
	return nil
}
