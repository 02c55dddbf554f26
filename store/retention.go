package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// The retention sweep's steps (issue #5, part 7): what is kept only for a while goes when
// its time is up. Each step is one statement, audited with its count (never with what it
// removed), and returns how many rows it deleted or blanked. The RetentionSweep workflow
// runs them daily through activities.Retention.

// RetentionPolicy says how long the sweep keeps what it deletes or blanks.
type RetentionPolicy struct {
	// PendingGrace: a pending consent request is expired by the sweep (if its verification
	// workflow is gone) once its expiry is this far past.
	PendingGrace time.Duration
	// ConfirmationTokens: confirmation links of ended requests are kept this long after they
	// were made, so that a late click still shows "already confirmed" or "expired".
	ConfirmationTokens time.Duration
	// APITokens: revoked or expired personal API tokens are kept this long after the fact.
	APITokens time.Duration
	// RateEvents: rate-limit events are kept this long (every window is shorter).
	RateEvents time.Duration
	// RevokedDevices: revoked devices, and with them their sync ledger, are kept this long
	// after revocation; forget reports name the devices that held a contact from the ledger,
	// so they know of a device only within this period after its revocation.
	RevokedDevices time.Duration
	// SubjectRequests: done subject requests (access, revocation) are kept this long.
	SubjectRequests time.Duration
	// EndedRequests: the personal fields of consent requests (address, name, IP, user agent,
	// page) are blanked this long after the request ended; the consent's evidence keeps what
	// proves it.
	EndedRequests time.Duration
}

// DefaultRetention is the policy the worker uses.
var DefaultRetention = RetentionPolicy{
	PendingGrace:       time.Hour,
	ConfirmationTokens: 7 * 24 * time.Hour,
	APITokens:          30 * 24 * time.Hour,
	RateEvents:         24 * time.Hour,
	RevokedDevices:     90 * 24 * time.Hour,
	SubjectRequests:    30 * 24 * time.Hour,
	EndedRequests:      30 * 24 * time.Hour,
}

// interval turns d into a PostgreSQL interval literal in whole seconds.
func interval(d time.Duration) string { return fmt.Sprintf("%d seconds", int64(d/time.Second)) }

// AbandonedVerifications returns up to limit ids, in id order after after, of consent
// requests still pending more than grace past their expiry: their verification workflow
// should have expired them, so the sweep checks whether it still runs and expires them
// (ExpireVerification) if not.
func (s *Store) AbandonedVerifications(ctx context.Context, grace time.Duration, after string, limit int) ([]string, error) {
	if after == "" {
		after = "00000000-0000-0000-0000-000000000000"
	}
	return s.ids(ctx, `SELECT id FROM consent_requests
		WHERE status = 'pending' AND expires_at < now() - $1::interval AND id > $2::uuid
		ORDER BY id LIMIT $3`, interval(grace), after, limit)
}

// sweep runs one retention statement and audits its count (when it did anything) in one
// transaction.
func (s *Store) sweep(ctx context.Context, step, sql string, args ...any) (int, error) {
	var n int
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, sql, args...)
		if err != nil {
			return err
		}
		n = int(tag.RowsAffected())
		if n == 0 {
			return nil
		}
		return audit(ctx, tx, Actor{Channel: "system"}, "retention."+step, nil, nil, map[string]any{"count": n})
	})
	if err != nil {
		return 0, fmt.Errorf("store: retention %s: %w", step, err)
	}
	return n, nil
}

// PurgeConfirmationTokens deletes the confirmation tokens of requests no longer pending
// that were made more than age ago.
func (s *Store) PurgeConfirmationTokens(ctx context.Context, age time.Duration) (int, error) {
	return s.sweep(ctx, "confirmation_tokens", `DELETE FROM confirmation_tokens t USING consent_requests r
		WHERE r.id = t.request_id AND r.status <> 'pending' AND t.created_at < now() - $1::interval`, interval(age))
}

// PurgeSubjectTokens deletes expired subject-access links.
func (s *Store) PurgeSubjectTokens(ctx context.Context) (int, error) {
	return s.sweep(ctx, "subject_tokens", `DELETE FROM subject_tokens WHERE expires_at < now()`)
}

// PurgeSessions deletes expired login sessions.
func (s *Store) PurgeSessions(ctx context.Context) (int, error) {
	return s.sweep(ctx, "sessions", `DELETE FROM sessions WHERE expires_at < now()`)
}

// PurgeAPITokens deletes personal API tokens revoked or expired more than age ago.
func (s *Store) PurgeAPITokens(ctx context.Context, age time.Duration) (int, error) {
	return s.sweep(ctx, "api_tokens", `DELETE FROM api_tokens
		WHERE revoked_at < now() - $1::interval OR expires_at < now() - $1::interval`, interval(age))
}

// PurgeRateEvents deletes rate-limit events older than age.
func (s *Store) PurgeRateEvents(ctx context.Context, age time.Duration) (int, error) {
	return s.sweep(ctx, "rate_events", `DELETE FROM rate_events WHERE at < now() - $1::interval`, interval(age))
}

// PurgeRevokedDevices deletes devices revoked more than age ago; their sync ledger rows go
// with them (ON DELETE CASCADE).
func (s *Store) PurgeRevokedDevices(ctx context.Context, age time.Duration) (int, error) {
	return s.sweep(ctx, "devices", `DELETE FROM devices WHERE revoked_at < now() - $1::interval`, interval(age))
}

// PurgeSubjectRequests deletes subject requests done more than age ago.
func (s *Store) PurgeSubjectRequests(ctx context.Context, age time.Duration) (int, error) {
	return s.sweep(ctx, "subject_requests", `DELETE FROM subject_requests
		WHERE status = 'done' AND coalesce(done_at, created_at) < now() - $1::interval`, interval(age))
}

// BlankEndedRequests blanks the personal fields of consent requests that ended (confirmed,
// expired or cancelled) more than age ago: the consents' evidence keeps the submission's
// and the confirmation's particulars. A confirmed request whose consents still wait for
// activation keeps them, since activation copies them into the evidence.
func (s *Store) BlankEndedRequests(ctx context.Context, age time.Duration) (int, error) {
	return s.sweep(ctx, "consent_requests.blank", `UPDATE consent_requests r
		SET email = '', name = '', ip = '', user_agent = '', page_url = '', confirm_ip = '', confirm_user_agent = ''
		WHERE r.status IN ('confirmed', 'expired', 'cancelled') AND r.updated_at < now() - $1::interval
		  AND (r.email <> '' OR r.name <> '' OR r.ip <> '' OR r.user_agent <> '' OR r.page_url <> ''
		       OR r.confirm_ip <> '' OR r.confirm_user_agent <> '')
		  AND NOT EXISTS (SELECT 1 FROM consents k WHERE k.request_id = r.id AND k.status = 'pending')`, interval(age))
}

// PurgeExportFiles drops the files of exports whose download link has expired; the
// records (who, filter, purpose, count, hash) stay, like their audit entries.
func (s *Store) PurgeExportFiles(ctx context.Context) (int, error) {
	return s.sweep(ctx, "export_files", `UPDATE exports SET data = NULL WHERE data IS NOT NULL AND expires_at < now()`)
}
