package store

import (
	"context"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/kontakt/kontakt/model"
)

const userColumns = `id, login, name, email, is_admin, disabled, locale, permissions, created_at`

func scanUser(row pgx.Row) (model.User, error) {
	var u model.User
	err := row.Scan(&u.ID, &u.Login, &u.Name, &u.Email, &u.IsAdmin, &u.Disabled, &u.Locale, &u.Permissions, &u.CreatedAt)
	return u, wrap(err)
}

// UserPatch changes the fields it sets.
type UserPatch struct {
	Name     *string `json:"name"`
	Email    *string `json:"email"`
	IsAdmin  *bool   `json:"is_admin"`
	Disabled *bool   `json:"disabled"`
	Locale   *string `json:"locale"`
	// Permissions replaces the user's permissions (model.Permissions); admins only.
	Permissions *[]string `json:"permissions"`
}

// CreateUser adds a user with an argon2id password hash (empty: cannot log in).
func (s *Store) CreateUser(ctx context.Context, actor Actor, u model.User, passwordHash string) (model.User, error) {
	u.Login = strings.ToLower(strings.TrimSpace(u.Login))
	if u.Locale == "" {
		u.Locale = "en"
	}
	var out model.User
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		out, err = scanUser(tx.QueryRow(ctx, `INSERT INTO users (login, name, email, is_admin, locale, password_hash)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING `+userColumns,
			u.Login, u.Name, u.Email, u.IsAdmin, u.Locale, passwordHash))
		if err != nil {
			return err
		}
		return audit(ctx, tx, actor, "user.create", nil, &out.ID, map[string]any{"is_admin": u.IsAdmin})
	})
	return out, wrap(err)
}

// GetUser returns the user with id.
func (s *Store) GetUser(ctx context.Context, id string) (model.User, error) {
	return scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
}

// UserLogin returns the user with login and their password hash.
func (s *Store) UserLogin(ctx context.Context, login string) (model.User, string, error) {
	var u model.User
	var hash string
	err := s.pool.QueryRow(ctx, `SELECT `+userColumns+`, password_hash FROM users WHERE login = $1`,
		strings.ToLower(strings.TrimSpace(login))).
		Scan(&u.ID, &u.Login, &u.Name, &u.Email, &u.IsAdmin, &u.Disabled, &u.Locale, &u.Permissions, &u.CreatedAt, &hash)
	return u, hash, wrap(err)
}

// ListUsers returns every user ordered by login.
func (s *Store) ListUsers(ctx context.Context) ([]model.User, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+userColumns+` FROM users ORDER BY login`)
	if err != nil {
		return nil, wrap(err)
	}
	return collect(rows, scanUser)
}

// UpdateUser applies p to the user with id. A change of permissions is audited on its own
// (user.permissions, with the permissions before and after); only admins may make one.
func (s *Store) UpdateUser(ctx context.Context, actor Actor, id string, p UserPatch) (model.User, error) {
	var perms *[]string
	if p.Permissions != nil {
		norm, err := model.NormalizePermissions(*p.Permissions)
		if err != nil {
			return model.User{}, err
		}
		perms = &norm
	}
	var out model.User
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var before []string
		if perms != nil {
			if err := requireAdmin(ctx, tx, actor); err != nil {
				return err
			}
			if err := tx.QueryRow(ctx, `SELECT permissions FROM users WHERE id = $1 FOR UPDATE`, id).Scan(&before); err != nil {
				return err
			}
		}
		var err error
		out, err = scanUser(tx.QueryRow(ctx, `UPDATE users SET
			name = coalesce($2, name), email = coalesce($3, email), is_admin = coalesce($4, is_admin),
			disabled = coalesce($5, disabled), locale = coalesce($6, locale), permissions = coalesce($7, permissions),
			updated_at = now()
			WHERE id = $1 RETURNING `+userColumns, id, p.Name, p.Email, p.IsAdmin, p.Disabled, p.Locale, perms))
		if err != nil {
			return err
		}
		if perms != nil && !slices.Equal(before, *perms) {
			if err := audit(ctx, tx, actor, "user.permissions", nil, &id,
				map[string]any{"before": before, "after": *perms}); err != nil {
				return err
			}
		}
		if p.Disabled != nil && *p.Disabled {
			if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, id); err != nil {
				return err
			}
		}
		return audit(ctx, tx, actor, "user.update", nil, &id, nil)
	})
	return out, wrap(err)
}

// SetPassword replaces a user's password hash and ends their sessions.
func (s *Store) SetPassword(ctx context.Context, actor Actor, id, hash string) error {
	return wrap(s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1`, id, hash)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return ErrNotFound
		}
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, id); err != nil {
			return err
		}
		return audit(ctx, tx, actor, "user.password", nil, &id, nil)
	}))
}

// CountUsers returns how many users exist.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM users`).Scan(&n)
	return n, wrap(err)
}

// collect scans every row with scan.
// scanID scans a row of one id column; with collect it reads a list of ids.
func scanID(r pgx.Row) (string, error) {
	var id string
	return id, wrap(r.Scan(&id))
}

func collect[T any](rows pgx.Rows, scan func(pgx.Row) (T, error)) ([]T, error) {
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, wrap(rows.Err())
}
