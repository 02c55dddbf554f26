package store

import (
	"context"
	"encoding/hex"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/kontakt/kontakt/model"
)

// Consents signed in person: the scans of their signed forms. Anyone who sees a contact sees
// that a consent has a scan (its metadata); only users holding model.PermScans download the
// file, and every download is audited.

// attachScanInfo fills the Scans of the consents in byID (ids are their keys), newest first.
func attachScanInfo(ctx context.Context, q querier, byID map[string]*model.Consent, ids []string) error {
	rows, err := q.Query(ctx, `SELECT consent_id, id, content_type, size, sha256, uploaded_by, created_at
		FROM consent_scans WHERE consent_id = ANY($1::uuid[]) ORDER BY created_at DESC, id`, ids)
	if err != nil {
		return wrap(err)
	}
	defer rows.Close()
	for rows.Next() {
		var consentID string
		var sum []byte
		var si model.ScanInfo
		if err := rows.Scan(&consentID, &si.ID, &si.ContentType, &si.Size, &sum, &si.UploadedBy, &si.CreatedAt); err != nil {
			return wrap(err)
		}
		si.SHA256 = hex.EncodeToString(sum)
		byID[consentID].Scans = append(byID[consentID].Scans, si)
	}
	return wrap(rows.Err())
}

// CheckConsentRecorder reports whether the actor may record a consent of the contact, as
// RecordConsent will check it: nil for an editor of the contact's book (the contact may be
// hidden for lacking a consent its book requires), ErrForbidden for someone who sees the
// contact with a weaker role, and ErrNotFound for everyone else. Callers use it to refuse
// a request before reading a large upload.
func (s *Store) CheckConsentRecorder(ctx context.Context, actor Actor, contactID string) error {
	return checkConsentRecorder(ctx, s.pool, actor, contactID)
}

func checkConsentRecorder(ctx context.Context, q querier, actor Actor, contactID string) error {
	if !ValidID(contactID) {
		return ErrNotFound
	}
	var bookID string
	var visible bool
	err := q.QueryRow(ctx, `SELECT c.book_id, `+contactVisible+` FROM contacts c WHERE c.id = $2 AND `+contactInVisibleBook,
		actor.UserID, contactID).Scan(&bookID, &visible)
	if err != nil {
		return wrap(err)
	}
	err = requireRole(ctx, q, actor, bookID, "editor")
	if errors.Is(err, ErrForbidden) && !visible {
		return ErrNotFound // a viewer must not learn that a contact hidden from them exists
	}
	return err
}

// RecordSignedConsent records a consent collected outside a web form (RecordConsent), with
// its scan if any, and returns it with its history and its scans' metadata. A viewer who
// cannot see the contact gets ErrNotFound, one who sees it ErrForbidden.
func (s *Store) RecordSignedConsent(ctx context.Context, actor Actor, rec ConsentRecord) (model.Consent, error) {
	if err := s.CheckConsentRecorder(ctx, actor, rec.ContactID); err != nil {
		return model.Consent{}, err
	}
	id, err := s.RecordConsent(ctx, actor, rec)
	if err != nil {
		return model.Consent{}, err
	}
	cs, err := loadConsents(ctx, s.pool, `c.id = $1`, id)
	if err != nil {
		return model.Consent{}, err
	}
	if len(cs) == 0 {
		return model.Consent{}, ErrNotFound // erased in between
	}
	return cs[0], nil
}

// ScanFile is a consent's scanned signed form with its bytes.
type ScanFile struct {
	model.ScanInfo
	ConsentID string
	ContactID string
	Data      []byte
}

// ConsentScan returns a scan of a consent for download and records the download in the
// audit log (consent.scan.download, naming the contact and the scan) before it returns:
// the scan named by scanID, or the consent's latest when scanID is empty. Only an enabled
// user holding model.PermScans who may see the contact's book gets it (the consent its
// book requires is not asked for: a scan matters most when a consent is disputed, revoked
// or lapsed, which hides the contact); everyone else gets ErrNotFound.
func (s *Store) ConsentScan(ctx context.Context, actor Actor, consentID, scanID string) (ScanFile, error) {
	if !ValidID(consentID) || scanID != "" && !ValidID(scanID) {
		return ScanFile{}, ErrNotFound
	}
	var named *string
	if scanID != "" {
		named = &scanID
	}
	var f ScanFile
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var sum []byte
		if err := tx.QueryRow(ctx, `SELECT s.id, s.consent_id, k.contact_id, s.content_type, s.size, s.sha256, s.data,
				s.uploaded_by, s.created_at
			FROM consent_scans s JOIN consents k ON k.id = s.consent_id JOIN contacts c ON c.id = k.contact_id
			WHERE s.consent_id = $2 AND ($3::uuid IS NULL OR s.id = $3::uuid) AND `+contactInVisibleBook+`
			  AND EXISTS (SELECT 1 FROM users u WHERE u.id = $1 AND NOT u.disabled AND $4 = ANY(u.permissions))
			ORDER BY s.created_at DESC, s.id LIMIT 1`, actor.UserID, consentID, named, model.PermScans).
			Scan(&f.ID, &f.ConsentID, &f.ContactID, &f.ContentType, &f.Size, &sum, &f.Data, &f.UploadedBy, &f.CreatedAt); err != nil {
			return err
		}
		f.SHA256 = hex.EncodeToString(sum)
		return audit(ctx, tx, actor, "consent.scan.download", []string{f.ContactID}, &f.ID,
			map[string]any{"consent_id": f.ConsentID, "sha256": f.SHA256})
	})
	return f, wrap(err)
}
