package store

import (
	"context"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kontakt/kontakt/model"
)

// CreateSession stores a login session by the SHA-256 of its cookie value.
func (s *Store) CreateSession(ctx context.Context, userID string, tokenHash []byte, ttl time.Duration) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO sessions (token_hash, user_id, expires_at) VALUES ($1, $2, now() + $3::interval)`,
		tokenHash, userID, ttl.String())
	return wrap(err)
}

// SessionUser returns the enabled user of a live session and extends it (sliding expiry).
func (s *Store) SessionUser(ctx context.Context, tokenHash []byte, ttl time.Duration) (model.User, error) {
	return scanUser(s.pool.QueryRow(ctx, `WITH sess AS (
			UPDATE sessions SET last_seen_at = now(), expires_at = now() + $2::interval
			 WHERE token_hash = $1 AND expires_at > now() RETURNING user_id)
		SELECT `+userColumns+` FROM users WHERE id = (SELECT user_id FROM sess) AND NOT disabled`,
		tokenHash, ttl.String()))
}

// DeleteSession ends a session.
func (s *Store) DeleteSession(ctx context.Context, tokenHash []byte) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE token_hash = $1`, tokenHash)
	return wrap(err)
}

const tokenColumns = `id, name, prefix, created_at, expires_at, last_used_at, revoked_at`

func scanToken(row pgx.Row) (model.Token, error) {
	var t model.Token
	err := row.Scan(&t.ID, &t.Name, &t.Prefix, &t.CreatedAt, &t.ExpiresAt, &t.LastUsedAt, &t.RevokedAt)
	return t, wrap(err)
}

// CreateToken stores a personal API token by its SHA-256.
func (s *Store) CreateToken(ctx context.Context, actor Actor, name, prefix string, hash []byte, expires *time.Time) (model.Token, error) {
	var t model.Token
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		t, err = scanToken(tx.QueryRow(ctx, `INSERT INTO api_tokens (user_id, name, prefix, token_hash, expires_at)
			VALUES ($1, $2, $3, $4, $5) RETURNING `+tokenColumns, actor.UserID, name, prefix, hash, expires))
		if err != nil {
			return err
		}
		return audit(ctx, tx, actor, "token.create", nil, &t.ID, nil)
	})
	return t, wrap(err)
}

// ListTokens returns the user's tokens, newest first.
func (s *Store) ListTokens(ctx context.Context, userID string) ([]model.Token, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC`, userID)
	if err != nil {
		return nil, wrap(err)
	}
	return collect(rows, scanToken)
}

// RevokeToken revokes one of the actor's own tokens.
func (s *Store) RevokeToken(ctx context.Context, actor Actor, id string) error {
	return wrap(s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 AND user_id = $2`, id, actor.UserID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return ErrNotFound
		}
		return audit(ctx, tx, actor, "token.revoke", nil, &id, nil)
	}))
}

// TokenUser returns the enabled user owning a live token and records its use.
func (s *Store) TokenUser(ctx context.Context, hash []byte) (model.User, error) {
	return scanUser(s.pool.QueryRow(ctx, `WITH tok AS (
			UPDATE api_tokens SET last_used_at = now()
			 WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
			 RETURNING user_id)
		SELECT `+userColumns+` FROM users WHERE id = (SELECT user_id FROM tok) AND NOT disabled`, hash))
}

// RateCount counts the events recorded for key within window: failed logins, public
// form posts. Rate limits built on it hold across every replica.
func (s *Store) RateCount(ctx context.Context, key string, window time.Duration) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM rate_events WHERE key = $1 AND at > now() - $2::interval`,
		key, window.String()).Scan(&n)
	return n, wrap(err)
}

// RateAllow checks each rule (a key, its limit of events and its window) and, when all
// pass, records one event for each key, in one round trip: the public endpoints'
// rate limit, shared by every replica. The keys are locked (transaction-scoped advisory
// locks, in a fixed order) for the count and the insert, so concurrent requests cannot
// all count the same events and overshoot the limit together.
func (s *Store) RateAllow(ctx context.Context, rules []RateRule) (bool, error) {
	keys, limits, secs := make([]string, len(rules)), make([]int32, len(rules)), make([]float64, len(rules))
	for i, r := range rules {
		keys[i], limits[i], secs[i] = r.Key, int32(r.Limit), r.Window.Seconds()
	}
	sorted := slices.Clone(keys)
	slices.Sort(sorted)
	// One pipelined batch runs as one implicit transaction, so the locks of its first
	// statement hold until the second has counted and recorded.
	b := &pgx.Batch{}
	b.Queue(`SELECT count(pg_advisory_xact_lock(hashtextextended('rate/' || k, 0))) FROM unnest($1::text[]) WITH ORDINALITY AS x(k, n)`, sorted)
	b.Queue(`WITH counts AS (
			SELECT k.key, k.lim, (SELECT count(*) FROM rate_events r WHERE r.key = k.key AND r.at > now() - make_interval(secs => k.secs)) AS n
			FROM unnest($1::text[], $2::int[], $3::float8[]) AS k(key, lim, secs)),
		verdict AS (SELECT bool_and(n < lim) AS allowed FROM counts),
		recorded AS (INSERT INTO rate_events (key) SELECT key FROM counts WHERE (SELECT allowed FROM verdict) RETURNING 1)
		SELECT allowed FROM verdict`, keys, limits, secs)
	br := s.pool.SendBatch(ctx, b)
	var allowed bool
	_, err := br.Exec()
	if err == nil {
		err = br.QueryRow().Scan(&allowed)
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return false, wrap(err)
	}
	if rand.IntN(100) == 0 { // now and then, forget events no window looks at any more
		if _, err := s.pool.Exec(ctx, `DELETE FROM rate_events WHERE at < now() - interval '1 day'`); err != nil {
			return allowed, wrap(err)
		}
	}
	return allowed, nil
}

// RecordRate notes one event for each key and drops events older than a day.
func (s *Store) RecordRate(ctx context.Context, keys ...string) error {
	return wrap(s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO rate_events (key) SELECT unnest($1::text[])`, keys); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM rate_events WHERE at < now() - interval '1 day'`)
		return err
	}))
}

// ClearRate forgets the events of key, e.g. a login's failures after it succeeds.
func (s *Store) ClearRate(ctx context.Context, key string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM rate_events WHERE key = $1`, key)
	return wrap(err)
}
