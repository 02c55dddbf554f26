package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kontakt/kontakt/model"
)

// ListContactConsents returns the consents of a contact the actor may see, each with its
// history, evidence and scans (metadata only), and records the read.
func (s *Store) ListContactConsents(ctx context.Context, actor Actor, contactID string) ([]model.Consent, error) {
	if _, err := getContact(ctx, s.pool, actor, contactID); err != nil {
		return nil, err
	}
	consents, err := loadConsents(ctx, s.pool, `c.contact_id = $1`, contactID)
	if err != nil {
		return nil, err
	}
	return consents, audit(ctx, s.pool, actor, "consent.list", []string{contactID}, nil, nil)
}

// loadConsents returns the consents matching where (over consents c, with its own $n
// arguments), by purpose key, each with its history and its scans' metadata. It applies
// no policy: callers decide who may read.
func loadConsents(ctx context.Context, q querier, where string, args ...any) ([]model.Consent, error) {
	rows, err := q.Query(ctx, `SELECT c.id, c.contact_id, c.purpose_id, p.key, p.name, c.status, c.source, c.given_at,
			c.confirmed_at, c.valid_until, c.request_id, c.evidence
		FROM consents c JOIN purposes p ON p.id = c.purpose_id WHERE `+where+` ORDER BY p.key, c.contact_id`, args...)
	if err != nil {
		return nil, wrap(err)
	}
	consents, err := collect(rows, func(r pgx.Row) (model.Consent, error) {
		var c model.Consent
		err := r.Scan(&c.ID, &c.ContactID, &c.PurposeID, &c.PurposeKey, &c.PurposeName, &c.Status, &c.Source, &c.GivenAt,
			&c.ConfirmedAt, &c.ValidUntil, &c.RequestID, &c.Evidence)
		c.History, c.Scans = []model.ConsentEvent{}, []model.ScanInfo{}
		return c, wrap(err)
	})
	if err != nil {
		return nil, err
	}
	byID := map[string]*model.Consent{}
	ids := make([]string, len(consents))
	for i := range consents {
		byID[consents[i].ID] = &consents[i]
		ids[i] = consents[i].ID
	}
	rows, err = q.Query(ctx, `SELECT consent_id, at, status, reason, actor_id, channel, valid_until, evidence
		FROM consent_events WHERE consent_id = ANY($1::uuid[]) ORDER BY id`, ids)
	if err != nil {
		return nil, wrap(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var e model.ConsentEvent
		if err := rows.Scan(&id, &e.At, &e.Status, &e.Reason, &e.ActorID, &e.Channel, &e.ValidUntil, &e.Evidence); err != nil {
			return nil, wrap(err)
		}
		byID[id].History = append(byID[id].History, e)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(err)
	}
	return consents, attachScanInfo(ctx, q, byID, ids)
}

// ListPendingVerifications returns the double opt-in requests still waiting for
// confirmation on forms whose book the actor may see, oldest first.
func (s *Store) ListPendingVerifications(ctx context.Context, actor Actor) ([]model.ConsentRequest, error) {
	rows, err := s.pool.Query(ctx, `SELECT r.id, r.form_id, r.contact_id, r.status, r.created_at, r.expires_at, r.mails_sent, r.mail_sent_at
		FROM consent_requests r JOIN forms f ON f.id = r.form_id
		WHERE r.status = 'pending' AND `+bookVisible("f.book_id")+`
		ORDER BY r.created_at LIMIT 500`, actor.UserID)
	if err != nil {
		return nil, wrap(err)
	}
	return collect(rows, func(r pgx.Row) (model.ConsentRequest, error) {
		var c model.ConsentRequest
		err := r.Scan(&c.ID, &c.FormID, &c.ContactID, &c.Status, &c.CreatedAt, &c.ExpiresAt, &c.MailsSent, &c.LastMailAt)
		return c, wrap(err)
	})
}

// ConsentRecord is a consent collected outside a web form: signed in person at a branch,
// given to staff, or imported.
type ConsentRecord struct {
	ContactID string
	PurposeID string
	Source    model.ConsentSource // branch, staff or import
	GivenAt   time.Time
	// ValidUntil, when nil, is GivenAt plus the purpose's validity.
	ValidUntil *time.Time
	// Evidence is what the source adds (e.g. the branch); the store adds who recorded it,
	// the wording version and its SHA-256, and the scan's id and SHA-256.
	Evidence map[string]any
	Scan     *Scan
}

// Scan is a scanned signed consent form; ContentType is one of ScanTypes, already sniffed
// from the content by the caller.
type Scan struct {
	ContentType string
	Data        []byte
}

// ScanTypes are the content types a consent scan may have.
var ScanTypes = []string{"application/pdf", "image/jpeg", "image/png"}

// RecordConsent makes a contact's consent to a purpose active from a record collected
// outside a web form, appends it to the history and stores the scan if there is one. The
// actor must be an editor of the contact's book; the contact need not be visible yet (its
// book may require exactly this consent). It returns the consent's id.
func (s *Store) RecordConsent(ctx context.Context, actor Actor, rec ConsentRecord) (string, error) {
	if !ValidID(rec.ContactID) {
		return "", ErrNotFound
	}
	if !ValidID(rec.PurposeID) {
		return "", &model.FieldError{Field: "purpose_id", Msg: "no such purpose"}
	}
	switch rec.Source {
	case model.SourceBranch, model.SourceStaff, model.SourceImport:
	default:
		return "", &model.FieldError{Field: "source", Msg: "must be branch, staff or import"}
	}
	if rec.GivenAt.IsZero() || rec.GivenAt.After(time.Now().Add(time.Hour)) {
		return "", &model.FieldError{Field: "given_at", Msg: "must be a date not in the future"}
	}
	if rec.Scan != nil && !slices.Contains(ScanTypes, rec.Scan.ContentType) {
		return "", &model.FieldError{Field: "scan", Msg: "must be a PDF, JPEG or PNG"}
	}
	var id string
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := consentWriteAccess(ctx, tx, actor, rec.ContactID); err != nil {
			return err
		}
		evidence := map[string]any{}
		for k, v := range rec.Evidence {
			evidence[k] = v
		}
		evidence["recorded_by"] = actor.UserID
		var validity int
		var wordingVersion int
		var wordingSHA string
		err := tx.QueryRow(ctx, `SELECT validity_months, wording_version, encode(sha256(convert_to(wording, 'UTF8')), 'hex')
			FROM purposes WHERE id = $1`, rec.PurposeID).Scan(&validity, &wordingVersion, &wordingSHA)
		if err == pgx.ErrNoRows {
			return &model.FieldError{Field: "purpose_id", Msg: "no such purpose"}
		} else if err != nil {
			return err
		}
		evidence["wording_version"], evidence["wording_sha256"] = wordingVersion, wordingSHA
		until := rec.GivenAt.AddDate(0, validity, 0)
		if rec.ValidUntil != nil {
			until = *rec.ValidUntil
		}
		if !until.After(rec.GivenAt) {
			return &model.FieldError{Field: "valid_until", Msg: "must be after given_at"}
		}
		var scanID string
		if rec.Scan != nil {
			sum := sha256.Sum256(rec.Scan.Data)
			evidence["scan_sha256"] = hex.EncodeToString(sum[:])
			scanID = newUUID()
			evidence["scan_id"] = scanID
		}
		if err := tx.QueryRow(ctx, `INSERT INTO consents (contact_id, purpose_id, status, source, given_at, confirmed_at, valid_until, evidence)
			VALUES ($1, $2, 'active', $3, $4, $4, $5, $6)
			ON CONFLICT (contact_id, purpose_id) DO UPDATE SET status = 'active', source = EXCLUDED.source,
				given_at = EXCLUDED.given_at, confirmed_at = EXCLUDED.confirmed_at, valid_until = EXCLUDED.valid_until,
				evidence = EXCLUDED.evidence, request_id = NULL, reminded_at = NULL, updated_at = now()
			RETURNING id`, rec.ContactID, rec.PurposeID, rec.Source, rec.GivenAt, until, evidence).Scan(&id); err != nil {
			return err
		}
		if rec.Scan != nil {
			sum := sha256.Sum256(rec.Scan.Data)
			if _, err := tx.Exec(ctx, `INSERT INTO consent_scans (id, consent_id, content_type, size, sha256, data, uploaded_by)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`, scanID, id, rec.Scan.ContentType, len(rec.Scan.Data), sum[:],
				rec.Scan.Data, actor.UserID); err != nil {
				return err
			}
		}
		if err := consentEvent(ctx, tx, id, "active", "recorded ("+string(rec.Source)+")", actor, &until, evidence); err != nil {
			return err
		}
		return audit(ctx, tx, actor, "consent.record", []string{rec.ContactID}, &id, map[string]any{"source": rec.Source})
	})
	return id, wrap(err)
}

// newUUID returns a random (version 4) UUID, for rows whose id is needed before insertion.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
