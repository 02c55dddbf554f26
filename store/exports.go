package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kontakt/kontakt/model"
)

// Exports for newsletter tools (issue #7, item 5): Kontakt sends no mass mail; it hands a
// filter's contacts to listmonk or Mailchimp as the CSV they import, holding only those the
// exporting user sees (contactVisible) that hold an active consent for the chosen purpose
// (consentActiveFor), minimised to an address and a name. The file is kept, with its SHA-256,
// until its download link expires; the link's token is stored as SHA-256 only. Creating and
// downloading are audited.

// Export formats.
const (
	ExportListmonk  = "listmonk"
	ExportMailchimp = "mailchimp"
)

// ErrGone reports an export whose download link has expired or whose file was purged.
var ErrGone = errors.New("store: gone")

// ExportFilter selects contacts: each list, when not empty, must hold the contact's book,
// one of its tags, its type, or an organisation it is related to (lists are ORed inside,
// ANDed together).
type ExportFilter struct {
	BookIDs         []string `json:"book_ids"`
	Tags            []string `json:"tags"`
	Types           []string `json:"types"`
	OrganisationIDs []string `json:"organisation_ids"`
}

// ExportRequest is what a user asks to export.
type ExportRequest struct {
	Filter    ExportFilter `json:"filter"`
	PurposeID string       `json:"purpose_id"`
	Format    string       `json:"format"`
}

// Export is an export's record; the file and the token's hash stay in the store.
type Export struct {
	ID           string       `json:"id"`
	CreatedBy    *string      `json:"created_by"`
	Filter       ExportFilter `json:"filter"`
	PurposeID    string       `json:"purpose_id"`
	Format       string       `json:"format"`
	Count        int          `json:"count"`
	SHA256       string       `json:"sha256"`
	Available    bool         `json:"available"`
	CreatedAt    time.Time    `json:"created_at"`
	ExpiresAt    time.Time    `json:"expires_at"`
	DownloadedAt *time.Time   `json:"downloaded_at"`
}

// normalize validates the filter: ids are ids, types known, tags normalised.
func (f *ExportFilter) normalize() error {
	for _, l := range []struct {
		field string
		ids   []string
	}{{"filter.book_ids", f.BookIDs}, {"filter.organisation_ids", f.OrganisationIDs}} {
		for _, id := range l.ids {
			if !ValidID(id) {
				return &model.FieldError{Field: l.field, Msg: "not an id: " + id}
			}
		}
	}
	for _, t := range f.Types {
		if !model.ContactType(t).Valid() {
			return &model.FieldError{Field: "filter.types", Msg: "unknown contact type: " + t}
		}
	}
	for i, t := range f.Tags {
		v, err := model.NormalizeTag(t)
		if err != nil {
			return &model.FieldError{Field: "filter.tags", Msg: "invalid tag"}
		}
		f.Tags[i] = v
	}
	for _, p := range []*[]string{&f.BookIDs, &f.Tags, &f.Types, &f.OrganisationIDs} {
		if *p == nil {
			*p = []string{}
		}
	}
	return nil
}

// exportSelect yields, for user $1, purpose $2 and the filter's lists $3..$6, one row per
// distinct address: the contact, its preferred (else first) e-mail address and its names.
// Contacts without an address are not exported.
const exportSelect = `SELECT DISTINCT ON (lower(x.email)) x.id, x.email, x.display_name, x.given_name, x.family_name
	FROM (SELECT c.id, c.display_name, c.given_name, c.family_name, c.sort_key,
	        (SELECT p.value FROM contact_points p WHERE p.contact_id = c.id AND p.kind = 'email'
	          ORDER BY p.preferred DESC, p.position LIMIT 1) AS email
	      FROM contacts c
	     WHERE ` + contactVisible + ` AND `

const exportWhere = `
	       AND (cardinality($3::uuid[]) = 0 OR c.book_id = ANY($3::uuid[]))
	       AND (cardinality($4::text[]) = 0 OR c.tags && $4::text[])
	       AND (cardinality($5::text[]) = 0 OR c.contact_type = ANY($5::text[]))
	       AND (cardinality($6::uuid[]) = 0 OR c.id = ANY($6::uuid[])
	            OR c.id IN (SELECT r.person_id FROM relations r WHERE r.organisation_id = ANY($6::uuid[])))) x
	WHERE x.email IS NOT NULL
	ORDER BY lower(x.email), x.sort_key, x.id`

// CreateExport builds the CSV of req for the actor, stores it until ttl from now with the
// hash of a new download token, and audits it in the same transaction (who, filter,
// purpose, count, file hash, and the exported contacts). It returns the export and the
// token, which only its URL carries.
func (s *Store) CreateExport(ctx context.Context, actor Actor, req ExportRequest, ttl time.Duration) (Export, string, error) {
	if req.Format != ExportListmonk && req.Format != ExportMailchimp {
		return Export{}, "", &model.FieldError{Field: "format", Msg: "must be listmonk or mailchimp"}
	}
	if !ValidID(req.PurposeID) {
		return Export{}, "", &model.FieldError{Field: "purpose_id", Msg: "must name a purpose"}
	}
	if err := req.Filter.normalize(); err != nil {
		return Export{}, "", err
	}
	var secret [32]byte
	_, _ = rand.Read(secret[:])
	token := base64.RawURLEncoding.EncodeToString(secret[:])
	var exp Export
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var ok bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM purposes WHERE id = $1)`, req.PurposeID).Scan(&ok); err != nil {
			return err
		}
		if !ok {
			return &model.FieldError{Field: "purpose_id", Msg: "no such purpose"}
		}
		f := req.Filter
		rows, err := tx.Query(ctx, exportSelect+consentActiveFor("$2")+exportWhere, actor.UserID, req.PurposeID,
			f.BookIDs, f.Tags, f.Types, f.OrganisationIDs)
		if err != nil {
			return err
		}
		data, ids, err := exportCSV(rows, req.Format)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		tokenHash := sha256.Sum256([]byte(token))
		filter, _ := json.Marshal(f)
		if err := tx.QueryRow(ctx, `INSERT INTO exports (created_by, filter, purpose_id, format, count, sha256, data, token_hash, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now() + $9::interval) RETURNING id, created_at, expires_at`,
			actor.UserID, filter, req.PurposeID, req.Format, len(ids), sum[:], data, tokenHash[:], interval(ttl)).
			Scan(&exp.ID, &exp.CreatedAt, &exp.ExpiresAt); err != nil {
			return err
		}
		exp.CreatedBy, exp.Filter, exp.PurposeID, exp.Format = &actor.UserID, f, req.PurposeID, req.Format
		exp.Count, exp.SHA256, exp.Available = len(ids), hex.EncodeToString(sum[:]), true
		a := actor
		a.Channel = model.ChannelExport
		return audit(ctx, tx, a, "export.create", ids, &exp.ID, map[string]any{"filter": f, "purpose_id": req.PurposeID,
			"format": req.Format, "count": len(ids), "sha256": exp.SHA256, "expires_at": exp.ExpiresAt})
	})
	if err != nil {
		return Export{}, "", wrap(err)
	}
	return exp, token, nil
}

// exportCSV writes the rows of exportSelect as the CSV the format's tool imports, and
// returns it with the exported contacts' ids. listmonk: email, name, attributes (a JSON
// object, here empty: nothing beyond the name is needed). Mailchimp: Email Address, First
// Name, Last Name (an organisation's name as First Name). Every cell is defused against
// formula injection.
func exportCSV(rows pgx.Rows, format string) ([]byte, []string, error) {
	defer rows.Close()
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	header := []string{"email", "name", "attributes"}
	if format == ExportMailchimp {
		header = []string{"Email Address", "First Name", "Last Name"}
	}
	_ = w.Write(header)
	ids := []string{}
	for rows.Next() {
		var id, email, display, given, family string
		if err := rows.Scan(&id, &email, &display, &given, &family); err != nil {
			return nil, nil, err
		}
		rec := []string{email, display, "{}"}
		if format == ExportMailchimp {
			if given == "" && family == "" {
				given = display
			}
			rec = []string{email, given, family}
		}
		if err := w.Write(model.DefuseCSV(rec)); err != nil {
			return nil, nil, err
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	w.Flush()
	return buf.Bytes(), ids, w.Error()
}

const exportColumns = `id, created_by, filter, purpose_id, format, count, encode(sha256, 'hex'), data IS NOT NULL AND expires_at > now(),
	created_at, expires_at, downloaded_at`

func scanExport(row pgx.Row) (Export, error) {
	var e Export
	err := row.Scan(&e.ID, &e.CreatedBy, &e.Filter, &e.PurposeID, &e.Format, &e.Count, &e.SHA256, &e.Available,
		&e.CreatedAt, &e.ExpiresAt, &e.DownloadedAt)
	return e, wrap(err)
}

// ListExports returns the actor's own exports, newest first.
func (s *Store) ListExports(ctx context.Context, actor Actor) ([]Export, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+exportColumns+` FROM exports WHERE created_by = $1 ORDER BY created_at DESC, id`, actor.UserID)
	if err != nil {
		return nil, wrap(err)
	}
	return collect(rows, scanExport)
}

// DownloadExport returns the file of the actor's export id when token is its download
// token, and audits the download. Someone else's export, or a wrong token, is
// ErrNotFound; an expired or purged one ErrGone.
func (s *Store) DownloadExport(ctx context.Context, actor Actor, id, token string) (Export, []byte, error) {
	if !ValidID(id) || token == "" {
		return Export{}, nil, ErrNotFound
	}
	tokenHash := sha256.Sum256([]byte(token))
	var exp Export
	var data []byte
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		exp, err = scanExport(tx.QueryRow(ctx, `SELECT `+exportColumns+` FROM exports
			WHERE id = $1 AND created_by = $2 AND token_hash = $3 FOR UPDATE`, id, actor.UserID, tokenHash[:]))
		if err != nil {
			return err
		}
		if !exp.Available {
			return ErrGone
		}
		if err := tx.QueryRow(ctx, `UPDATE exports SET downloaded_at = now() WHERE id = $1 RETURNING data, downloaded_at`, id).
			Scan(&data, &exp.DownloadedAt); err != nil {
			return err
		}
		a := actor
		a.Channel = model.ChannelExport
		return audit(ctx, tx, a, "export.download", nil, &id, map[string]any{"count": exp.Count, "sha256": exp.SHA256})
	})
	if err != nil {
		if errors.Is(err, ErrGone) {
			return exp, nil, ErrGone
		}
		return Export{}, nil, wrap(err)
	}
	return exp, data, nil
}

// ExportFileName is the name a download of e is offered under.
func ExportFileName(e Export) string {
	return fmt.Sprintf("kontakt-%s-%s.csv", e.Format, strings.ReplaceAll(e.CreatedAt.UTC().Format("2006-01-02T1504"), ":", ""))
}
