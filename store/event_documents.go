package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/kontakt/kontakt/model"
)

// EventDocumentTypes are the content types an event document may have, as sniffed from its
// bytes by the API (never as the uploader declares).
var EventDocumentTypes = []string{"application/pdf", "image/jpeg", "image/png", "image/gif", "image/webp",
	"text/plain; charset=utf-8", "application/zip"}

const documentColumns = `d.id, d.event_id, d.name, d.content_type, d.size, d.sha256, d.uploaded_by, d.created_at`

func scanDocument(row pgx.Row) (model.EventDocument, error) {
	var d model.EventDocument
	var sum []byte
	err := row.Scan(&d.ID, &d.EventID, &d.Name, &d.ContentType, &d.Size, &sum, &d.UploadedBy, &d.CreatedAt)
	d.SHA256 = hex.EncodeToString(sum)
	return d, wrap(err)
}

// AddEventDocument stores a document of an event the actor sees. contentType is what the
// caller sniffed from data; it must be one of EventDocumentTypes (office formats sniff as
// application/zip). Size limits are the caller's.
func (s *Store) AddEventDocument(ctx context.Context, actor Actor, eventID, name, contentType string, data []byte) (model.EventDocument, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 255 || strings.ContainsAny(name, "/\\\x00") {
		return model.EventDocument{}, &model.FieldError{Field: "name", Msg: "a file name of 1 to 255 characters without slashes"}
	}
	if !slices.Contains(EventDocumentTypes, contentType) {
		return model.EventDocument{}, &model.FieldError{Field: "file", Msg: "must be a PDF, an image (JPEG, PNG, GIF, WebP), UTF-8 text or an office file; got " + contentType}
	}
	if len(data) == 0 {
		return model.EventDocument{}, &model.FieldError{Field: "file", Msg: "is empty"}
	}
	sum := sha256.Sum256(data)
	var id string
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := requireEvent(ctx, tx, actor, eventID, false); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO event_documents (event_id, name, content_type, size, sha256, data, uploaded_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, eventID, name, contentType, len(data), sum[:], data, actor.UserID).Scan(&id); err != nil {
			return err
		}
		return audit(ctx, tx, actor, "event.document.add", nil, &eventID, map[string]any{"document_id": id, "sha256": hex.EncodeToString(sum[:])})
	})
	if err != nil {
		return model.EventDocument{}, wrap(err)
	}
	return scanDocument(s.pool.QueryRow(ctx, `SELECT `+documentColumns+` FROM event_documents d WHERE d.id = $1`, id))
}

// ListEventDocuments describes the documents of an event the actor sees, newest first.
func (s *Store) ListEventDocuments(ctx context.Context, actor Actor, eventID string) ([]model.EventDocument, error) {
	if _, err := getEvent(ctx, s.pool, actor, eventID); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+documentColumns+` FROM event_documents d WHERE d.event_id = $1
		ORDER BY d.created_at DESC, d.id`, eventID)
	if err != nil {
		return nil, wrap(err)
	}
	return collect(rows, scanDocument)
}

// EventDocument returns a document of an event the actor sees, with its bytes.
func (s *Store) EventDocument(ctx context.Context, actor Actor, eventID, docID string) (model.EventDocument, []byte, error) {
	if _, err := getEvent(ctx, s.pool, actor, eventID); err != nil {
		return model.EventDocument{}, nil, err
	}
	if !ValidID(docID) {
		return model.EventDocument{}, nil, ErrNotFound
	}
	var data []byte
	var d model.EventDocument
	var sum []byte
	err := s.pool.QueryRow(ctx, `SELECT `+documentColumns+`, d.data FROM event_documents d WHERE d.event_id = $1 AND d.id = $2`, eventID, docID).
		Scan(&d.ID, &d.EventID, &d.Name, &d.ContentType, &d.Size, &sum, &d.UploadedBy, &d.CreatedAt, &data)
	if err != nil {
		return d, nil, wrap(err)
	}
	d.SHA256 = hex.EncodeToString(sum)
	// Documents may hold personal data (an attendee list): every download is audited.
	if err := audit(ctx, s.pool, actor, "event.document.read", nil, &eventID, map[string]any{"document_id": docID}); err != nil {
		return d, nil, wrap(err)
	}
	return d, data, nil
}

// DeleteEventDocument removes a document of an event the actor sees.
func (s *Store) DeleteEventDocument(ctx context.Context, actor Actor, eventID, docID string) error {
	return wrap(s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := requireEvent(ctx, tx, actor, eventID, false); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM event_documents WHERE event_id = $1 AND id = $2`, eventID, docID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return ErrNotFound
		}
		return audit(ctx, tx, actor, "event.document.delete", nil, &eventID, map[string]any{"document_id": docID})
	}))
}
