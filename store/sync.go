package store

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kontakt/kontakt/model"
)

// requireSelfOrAdmin fails with ErrForbidden unless the actor is userID or an admin.
func requireSelfOrAdmin(ctx context.Context, q querier, actor Actor, userID string) error {
	if actor.UserID == userID {
		return nil
	}
	return requireAdmin(ctx, q, actor)
}

const syncGrantColumns = `user_id, book_id, mode, until, created_at`

func scanSyncGrant(row pgx.Row) (model.SyncGrant, error) {
	var g model.SyncGrant
	err := row.Scan(&g.UserID, &g.BookID, &g.Mode, &g.Until, &g.CreatedAt)
	return g, wrap(err)
}

// PutSyncGrant lets a user sync a book (replacing an earlier grant); the book's managers and
// admins may.
func (s *Store) PutSyncGrant(ctx context.Context, actor Actor, g model.SyncGrant) (model.SyncGrant, error) {
	if !g.Mode.Valid() {
		return g, &model.FieldError{Field: "mode", Msg: "must be read or read_write"}
	}
	if g.Until != nil && !g.Until.After(time.Now()) {
		return g, &model.FieldError{Field: "until", Msg: "must be in the future"}
	}
	var out model.SyncGrant
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := requireRole(ctx, tx, actor, g.BookID, "manager"); err != nil {
			return err
		}
		var err error
		out, err = scanSyncGrant(tx.QueryRow(ctx, `INSERT INTO sync_grants (user_id, book_id, mode, until, created_by)
			SELECT u.id, $2, $3, $4, $5 FROM users u WHERE u.id = $1
			ON CONFLICT (user_id, book_id) DO UPDATE SET mode = EXCLUDED.mode, until = EXCLUDED.until
			RETURNING `+syncGrantColumns, g.UserID, g.BookID, g.Mode, g.Until, actor.UserID))
		if err == ErrNotFound {
			return &model.FieldError{Field: "user_id", Msg: "no such user"}
		}
		if err != nil {
			return err
		}
		return audit(ctx, tx, actor, "sync.grant", nil, &g.BookID, map[string]any{"user_id": g.UserID, "mode": g.Mode, "until": g.Until})
	})
	return out, wrap(err)
}

// DeleteSyncGrant stops a user syncing a book; the book disappears from their devices at
// their next sync. The book's managers, admins and the user themself may.
func (s *Store) DeleteSyncGrant(ctx context.Context, actor Actor, userID, bookID string) error {
	return wrap(s.inTx(ctx, func(tx pgx.Tx) error {
		if actor.UserID != userID {
			if err := requireRole(ctx, tx, actor, bookID, "manager"); err != nil {
				return err
			}
		}
		tag, err := tx.Exec(ctx, `DELETE FROM sync_grants WHERE user_id = $1 AND book_id = $2`, userID, bookID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return ErrNotFound
		}
		return audit(ctx, tx, actor, "sync.revoke", nil, &bookID, map[string]any{"user_id": userID})
	}))
}

// RevokeAllSync stops a user syncing anything, in one step; admins and the user may.
func (s *Store) RevokeAllSync(ctx context.Context, actor Actor, userID string) (int, error) {
	var n int
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := requireSelfOrAdmin(ctx, tx, actor, userID); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM sync_grants WHERE user_id = $1`, userID)
		if err != nil {
			return err
		}
		n = int(tag.RowsAffected())
		return audit(ctx, tx, actor, "sync.revoke_all", nil, &userID, map[string]any{"grants": n})
	})
	return n, wrap(err)
}

// ListSyncGrants returns a user's sync grants; admins and the user may read them.
func (s *Store) ListSyncGrants(ctx context.Context, actor Actor, userID string) ([]model.SyncGrant, error) {
	if err := requireSelfOrAdmin(ctx, s.pool, actor, userID); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+syncGrantColumns+` FROM sync_grants WHERE user_id = $1 ORDER BY created_at`, userID)
	if err != nil {
		return nil, wrap(err)
	}
	return collect(rows, scanSyncGrant)
}

const deviceColumns = `id, user_id, name, prefix, created_at, last_used_at, last_sync_at, revoked_at`

func scanDevice(row pgx.Row) (model.Device, error) {
	var d model.Device
	err := row.Scan(&d.ID, &d.UserID, &d.Name, &d.Prefix, &d.CreatedAt, &d.LastUsedAt, &d.LastSyncAt, &d.RevokedAt)
	return d, wrap(err)
}

// CreateDevice stores a new app password of the actor's by its SHA-256.
func (s *Store) CreateDevice(ctx context.Context, actor Actor, name, prefix string, hash []byte) (model.Device, error) {
	name = strings.TrimSpace(name)
	if name == "" || len([]rune(name)) > 100 {
		return model.Device{}, &model.FieldError{Field: "name", Msg: "a name of 1 to 100 characters is required, e.g. iPhone Jana"}
	}
	var d model.Device
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		d, err = scanDevice(tx.QueryRow(ctx, `INSERT INTO devices (user_id, name, prefix, secret_hash) VALUES ($1, $2, $3, $4)
			RETURNING `+deviceColumns, actor.UserID, name, prefix, hash))
		if err != nil {
			return err
		}
		return audit(ctx, tx, actor, "device.create", nil, &d.ID, nil)
	})
	return d, wrap(err)
}

// ListDevices returns a user's devices, newest first; admins and the user may.
func (s *Store) ListDevices(ctx context.Context, actor Actor, userID string) ([]model.Device, error) {
	if err := requireSelfOrAdmin(ctx, s.pool, actor, userID); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+deviceColumns+` FROM devices WHERE user_id = $1 ORDER BY created_at DESC`, userID)
	if err != nil {
		return nil, wrap(err)
	}
	return collect(rows, scanDevice)
}

// RevokeDevice revokes one device's app password; its owner and admins may.
func (s *Store) RevokeDevice(ctx context.Context, actor Actor, id string) error {
	return wrap(s.inTx(ctx, func(tx pgx.Tx) error {
		var owner string
		if err := tx.QueryRow(ctx, `SELECT user_id FROM devices WHERE id = $1`, id).Scan(&owner); err != nil {
			return err
		}
		if err := requireSelfOrAdmin(ctx, tx, actor, owner); err != nil {
			if err == ErrForbidden {
				return ErrNotFound // someone else's device does not exist for you
			}
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE devices SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1`, id); err != nil {
			return err
		}
		return audit(ctx, tx, actor, "device.revoke", nil, &id, nil)
	}))
}

// RevokeAllDevices revokes every device of a user; admins and the user may.
func (s *Store) RevokeAllDevices(ctx context.Context, actor Actor, userID string) (int, error) {
	var n int
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := requireSelfOrAdmin(ctx, tx, actor, userID); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE devices SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL`, userID)
		if err != nil {
			return err
		}
		n = int(tag.RowsAffected())
		return audit(ctx, tx, actor, "device.revoke_all", nil, &userID, map[string]any{"devices": n})
	})
	return n, wrap(err)
}

// DeviceUsedEvery is how fresh a device's last-used time is kept: DeviceUser writes it at
// most once per this interval, so that a sync of many requests is not a commit per request.
const DeviceUsedEvery = "1 minute"

// DeviceUser returns the enabled user and the live device behind an app password, and
// records the use (at most once per DeviceUsedEvery), in one round trip.
func (s *Store) DeviceUser(ctx context.Context, hash []byte) (model.User, model.Device, error) {
	var d model.Device
	var u model.User
	err := s.pool.QueryRow(ctx, `WITH d AS (
			SELECT `+deviceColumns+` FROM devices WHERE secret_hash = $1 AND revoked_at IS NULL),
		used AS (
			UPDATE devices x SET last_used_at = now() FROM d
			WHERE x.id = d.id AND (d.last_used_at IS NULL OR d.last_used_at < now() - interval '`+DeviceUsedEvery+`')
			RETURNING x.last_used_at)
		SELECT d.id, d.user_id, d.name, d.prefix, d.created_at, COALESCE((SELECT last_used_at FROM used), d.last_used_at),
			d.last_sync_at, d.revoked_at, u.`+strings.ReplaceAll(userColumns, ", ", ", u.")+`
		FROM d JOIN users u ON u.id = d.user_id AND NOT u.disabled`, hash).Scan(
		&d.ID, &d.UserID, &d.Name, &d.Prefix, &d.CreatedAt, &d.LastUsedAt, &d.LastSyncAt, &d.RevokedAt,
		&u.ID, &u.Login, &u.Name, &u.Email, &u.IsAdmin, &u.Disabled, &u.Locale, &u.Permissions, &u.CreatedAt)
	return u, d, wrap(err)
}

const holdingSelect = `SELECT h.device_id, d.name, d.user_id, h.contact_id, h.book_id, h.version, h.served_at
	FROM device_contacts h JOIN devices d ON d.id = h.device_id`

func scanHolding(row pgx.Row) (model.Holding, error) {
	var h model.Holding
	err := row.Scan(&h.DeviceID, &h.DeviceName, &h.UserID, &h.ContactID, &h.BookID, &h.Version, &h.ServedAt)
	return h, wrap(err)
}

// ContactHolders answers "who holds a copy of contact X": the devices the sync ledger says
// were given it. Admins, and managers of its book, may ask.
func (s *Store) ContactHolders(ctx context.Context, actor Actor, contactID string) ([]model.Holding, error) {
	c, err := getContact(ctx, s.pool, actor, contactID)
	if err != nil {
		return nil, err
	}
	if err := requireRole(ctx, s.pool, actor, c.BookID, "manager"); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, holdingSelect+` WHERE h.contact_id = $1 ORDER BY h.served_at DESC`, contactID)
	if err != nil {
		return nil, wrap(err)
	}
	return collect(rows, scanHolding)
}

// DeviceHoldings answers "what does device D hold"; its owner and admins may ask.
func (s *Store) DeviceHoldings(ctx context.Context, actor Actor, deviceID string) ([]model.Holding, error) {
	var owner string
	if err := s.pool.QueryRow(ctx, `SELECT user_id FROM devices WHERE id = $1`, deviceID).Scan(&owner); err != nil {
		return nil, wrap(err)
	}
	if err := requireSelfOrAdmin(ctx, s.pool, actor, owner); err == ErrForbidden {
		return nil, ErrNotFound // someone else's device does not exist for you
	} else if err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, holdingSelect+` WHERE h.device_id = $1 ORDER BY h.book_id, h.contact_id`, deviceID)
	if err != nil {
		return nil, wrap(err)
	}
	return collect(rows, scanHolding)
}
