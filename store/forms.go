package store

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/kontakt/kontakt/model"
)

const purposeColumns = `id, key, name, description, wording, wording_version, validity_months, reminder_days, created_at, updated_at`

func scanPurpose(row pgx.Row) (model.Purpose, error) {
	var p model.Purpose
	err := row.Scan(&p.ID, &p.Key, &p.Name, &p.Description, &p.Wording, &p.WordingVersion, &p.ValidityMonths, &p.ReminderDays, &p.CreatedAt, &p.UpdatedAt)
	return p, wrap(err)
}

// PurposePatch changes the fields it sets. A new wording raises the wording version.
type PurposePatch struct {
	Name           *string `json:"name"`
	Description    *string `json:"description"`
	Wording        *string `json:"wording"`
	ValidityMonths *int    `json:"validity_months"`
	ReminderDays   *int    `json:"reminder_days"`
}

func validatePurpose(p *model.Purpose) error {
	p.Key = strings.TrimSpace(p.Key)
	p.Name = strings.TrimSpace(p.Name)
	p.Wording = strings.TrimSpace(p.Wording)
	switch {
	case !purposeKeyOK(p.Key):
		return &model.FieldError{Field: "key", Msg: "1 to 40 characters: a-z, 0-9, - and _, starting with a letter"}
	case p.Name == "" || len([]rune(p.Name)) > 200:
		return &model.FieldError{Field: "name", Msg: "a name of 1 to 200 characters is required"}
	case p.Wording == "" || len([]rune(p.Wording)) > 20000:
		return &model.FieldError{Field: "wording", Msg: "the wording the person agrees to is required (up to 20000 characters)"}
	case p.ValidityMonths < 1 || p.ValidityMonths > 120:
		return &model.FieldError{Field: "validity_months", Msg: "must be 1 to 120"}
	case p.ReminderDays < 0 || p.ReminderDays > 365:
		return &model.FieldError{Field: "reminder_days", Msg: "must be 0 (no reminder) to 365"}
	}
	return nil
}

func purposeKeyOK(k string) bool {
	if k == "" || len(k) > 40 || k[0] < 'a' || k[0] > 'z' {
		return false
	}
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// CreatePurpose defines a consent purpose; only admins may.
func (s *Store) CreatePurpose(ctx context.Context, actor Actor, p model.Purpose) (model.Purpose, error) {
	if p.ValidityMonths == 0 {
		p.ValidityMonths = 24
	}
	if err := validatePurpose(&p); err != nil {
		return p, err
	}
	var out model.Purpose
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := requireAdmin(ctx, tx, actor); err != nil {
			return err
		}
		var err error
		out, err = scanPurpose(tx.QueryRow(ctx, `INSERT INTO purposes (key, name, description, wording, validity_months, reminder_days)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING `+purposeColumns, p.Key, p.Name, p.Description, p.Wording, p.ValidityMonths, p.ReminderDays))
		if err != nil {
			return err
		}
		return audit(ctx, tx, actor, "purpose.create", nil, &out.ID, map[string]any{"key": out.Key})
	})
	return out, wrap(err)
}

// ListPurposes returns every purpose by key.
func (s *Store) ListPurposes(ctx context.Context) ([]model.Purpose, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+purposeColumns+` FROM purposes ORDER BY key`)
	if err != nil {
		return nil, wrap(err)
	}
	return collect(rows, scanPurpose)
}

// UpdatePurpose applies p; only admins may. Consents already given keep the wording version
// and hash recorded in their evidence.
func (s *Store) UpdatePurpose(ctx context.Context, actor Actor, id string, p PurposePatch) (model.Purpose, error) {
	defer s.forms.clear() // after the commit: the public endpoints read the change at once
	var out model.Purpose
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := requireAdmin(ctx, tx, actor); err != nil {
			return err
		}
		cur, err := scanPurpose(tx.QueryRow(ctx, `SELECT `+purposeColumns+` FROM purposes WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return err
		}
		next := cur
		if p.Name != nil {
			next.Name = *p.Name
		}
		if p.Description != nil {
			next.Description = *p.Description
		}
		if p.Wording != nil {
			next.Wording = *p.Wording
		}
		if p.ValidityMonths != nil {
			next.ValidityMonths = *p.ValidityMonths
		}
		if p.ReminderDays != nil {
			next.ReminderDays = *p.ReminderDays
		}
		if err := validatePurpose(&next); err != nil {
			return err
		}
		if next.Wording != cur.Wording {
			next.WordingVersion++
		}
		out, err = scanPurpose(tx.QueryRow(ctx, `UPDATE purposes SET name = $2, description = $3, wording = $4,
			wording_version = $5, validity_months = $6, reminder_days = $7, updated_at = now() WHERE id = $1 RETURNING `+purposeColumns,
			id, next.Name, next.Description, next.Wording, next.WordingVersion, next.ValidityMonths, next.ReminderDays))
		if err != nil {
			return err
		}
		return audit(ctx, tx, actor, "purpose.update", nil, &id, map[string]any{"wording_version": out.WordingVersion})
	})
	return out, wrap(err)
}

const formColumns = `id, key, name, book_id, purpose_ids, language, allowed_origins, success_url, confirmed_url,
	hmac_secret, honeypot_field, confirm_hours, organisation, no_consent_mail, revocation_mail, created_at, updated_at`

func scanForm(row pgx.Row) (model.Form, error) {
	var f model.Form
	err := row.Scan(&f.ID, &f.Key, &f.Name, &f.BookID, &f.PurposeIDs, &f.Language, &f.AllowedOrigins, &f.SuccessURL,
		&f.ConfirmedURL, &f.HMACSecret, &f.HoneypotField, &f.ConfirmHours, &f.Organisation, &f.NoConsentMail, &f.RevocationMail,
		&f.CreatedAt, &f.UpdatedAt)
	return f, wrap(err)
}

// validateForm checks a form's settings; purposes and the book are checked in SQL.
func validateForm(f *model.Form) error {
	f.Name = strings.TrimSpace(f.Name)
	if f.Name == "" || len([]rune(f.Name)) > 200 {
		return &model.FieldError{Field: "name", Msg: "a name of 1 to 200 characters is required"}
	}
	if !ValidID(f.BookID) {
		return &model.FieldError{Field: "book_id", Msg: "must name an address book"}
	}
	if len(f.PurposeIDs) == 0 {
		return &model.FieldError{Field: "purpose_ids", Msg: "offer at least one purpose"}
	}
	for _, id := range f.PurposeIDs {
		if !ValidID(id) {
			return &model.FieldError{Field: "purpose_ids", Msg: "not an id: " + id}
		}
	}
	if f.Language == "" {
		f.Language = "cs"
	}
	if f.Language != "cs" && f.Language != "en" {
		return &model.FieldError{Field: "language", Msg: "must be cs or en"}
	}
	for i, o := range f.AllowedOrigins {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path != "" || u.RawQuery != "" {
			return &model.FieldError{Field: fmt.Sprintf("allowed_origins[%d]", i), Msg: "an origin like https://www.example.cz"}
		}
		f.AllowedOrigins[i] = u.Scheme + "://" + strings.ToLower(u.Host)
	}
	for _, p := range []struct{ name, v string }{{"success_url", f.SuccessURL}, {"confirmed_url", f.ConfirmedURL}} {
		if p.v == "" {
			continue
		}
		if u, err := url.Parse(p.v); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return &model.FieldError{Field: p.name, Msg: "an absolute http(s) URL"}
		}
	}
	if f.ConfirmHours == 0 {
		f.ConfirmHours = 168
	}
	if f.ConfirmHours < 1 || f.ConfirmHours > 2160 {
		return &model.FieldError{Field: "confirm_hours", Msg: "must be 1 to 2160 (90 days)"}
	}
	if f.HoneypotField != "" && !purposeKeyOK(f.HoneypotField) {
		return &model.FieldError{Field: "honeypot_field", Msg: "a field name: a-z, 0-9, - and _"}
	}
	return nil
}

// randomKey returns a URL-safe random string of n bytes' entropy.
func randomKey(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// CreateForm registers a web form with a new public key (and an HMAC secret when
// withSecret); only admins may.
func (s *Store) CreateForm(ctx context.Context, actor Actor, f model.Form, withSecret bool) (model.Form, error) {
	if err := validateForm(&f); err != nil {
		return f, err
	}
	if f.AllowedOrigins == nil {
		f.AllowedOrigins = []string{}
	}
	f.Key = randomKey(12)
	f.HMACSecret = ""
	if withSecret {
		f.HMACSecret = randomKey(32)
	}
	var out model.Form
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := requireAdmin(ctx, tx, actor); err != nil {
			return err
		}
		if err := checkFormRefs(ctx, tx, f); err != nil {
			return err
		}
		var err error
		out, err = scanForm(tx.QueryRow(ctx, `INSERT INTO forms (key, name, book_id, purpose_ids, language, allowed_origins,
				success_url, confirmed_url, hmac_secret, honeypot_field, confirm_hours, organisation, no_consent_mail, revocation_mail)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING `+formColumns,
			f.Key, f.Name, f.BookID, f.PurposeIDs, f.Language, f.AllowedOrigins, f.SuccessURL, f.ConfirmedURL,
			f.HMACSecret, f.HoneypotField, f.ConfirmHours, f.Organisation, f.NoConsentMail, f.RevocationMail))
		if err != nil {
			return err
		}
		return audit(ctx, tx, actor, "form.create", nil, &out.ID, nil)
	})
	return out, wrap(err)
}

func checkFormRefs(ctx context.Context, tx pgx.Tx, f model.Form) error {
	var books, purposes int
	if err := tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM address_books WHERE id = $1),
		(SELECT count(DISTINCT id) FROM purposes WHERE id = ANY($2::uuid[]))`, f.BookID, f.PurposeIDs).Scan(&books, &purposes); err != nil {
		return err
	}
	if books == 0 {
		return &model.FieldError{Field: "book_id", Msg: "no such address book"}
	}
	if purposes != len(dedupe(f.PurposeIDs)) {
		return &model.FieldError{Field: "purpose_ids", Msg: "names a purpose that does not exist"}
	}
	return nil
}

// ListForms returns every form; admins only (they hold HMAC secrets).
func (s *Store) ListForms(ctx context.Context, actor Actor) ([]model.Form, error) {
	if err := requireAdmin(ctx, s.pool, actor); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+formColumns+` FROM forms ORDER BY lower(name)`)
	if err != nil {
		return nil, wrap(err)
	}
	return collect(rows, scanForm)
}

// UpdateForm replaces a form's settings (not its key or secret); admins only.
func (s *Store) UpdateForm(ctx context.Context, actor Actor, id string, f model.Form) (model.Form, error) {
	defer s.forms.clear() // after the commit: the public endpoints read the change at once
	if err := validateForm(&f); err != nil {
		return f, err
	}
	if f.AllowedOrigins == nil {
		f.AllowedOrigins = []string{}
	}
	var out model.Form
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := requireAdmin(ctx, tx, actor); err != nil {
			return err
		}
		if err := checkFormRefs(ctx, tx, f); err != nil {
			return err
		}
		var err error
		out, err = scanForm(tx.QueryRow(ctx, `UPDATE forms SET name = $2, book_id = $3, purpose_ids = $4, language = $5,
				allowed_origins = $6, success_url = $7, confirmed_url = $8, honeypot_field = $9, confirm_hours = $10,
				organisation = $11, no_consent_mail = $12, revocation_mail = $13, updated_at = now()
			WHERE id = $1 RETURNING `+formColumns, id, f.Name, f.BookID, f.PurposeIDs, f.Language, f.AllowedOrigins,
			f.SuccessURL, f.ConfirmedURL, f.HoneypotField, f.ConfirmHours, f.Organisation, f.NoConsentMail, f.RevocationMail))
		if err != nil {
			return err
		}
		return audit(ctx, tx, actor, "form.update", nil, &id, nil)
	})
	return out, wrap(err)
}

// RotateFormSecret gives a form a new HMAC secret, replacing the old one at once (a form
// without a secret gains one); admins only. The audit records the rotation, never the
// secret. Other processes may accept the old secret for up to formCacheTTL.
func (s *Store) RotateFormSecret(ctx context.Context, actor Actor, id string) (model.Form, error) {
	defer s.forms.clear() // after the commit: this process's public endpoints use the new secret at once
	var out model.Form
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := requireAdmin(ctx, tx, actor); err != nil {
			return err
		}
		var err error
		out, err = scanForm(tx.QueryRow(ctx, `UPDATE forms SET hmac_secret = $2, updated_at = now()
			WHERE id = $1 RETURNING `+formColumns, id, randomKey(32)))
		if err != nil {
			return err
		}
		return audit(ctx, tx, actor, "form.rotate_secret", nil, &id, nil)
	})
	return out, wrap(err)
}

// PublicForm is a form as the public endpoints need it, with its purposes.
type PublicForm struct {
	model.Form
	Purposes []model.Purpose
}

// FormByKey returns the form with a public key and its purposes, in the form's order. It
// reuses what it read within the last few seconds (formCacheTTL).
func (s *Store) FormByKey(ctx context.Context, key string) (PublicForm, error) {
	if pf, ok := s.forms.get(key); ok {
		return pf, nil
	}
	pf, err := s.formByKey(ctx, key)
	if err == nil {
		s.forms.put(key, pf)
	}
	return pf, err
}

func (s *Store) formByKey(ctx context.Context, key string) (PublicForm, error) {
	f, err := scanForm(s.pool.QueryRow(ctx, `SELECT `+formColumns+` FROM forms WHERE key = $1`, key))
	if err != nil {
		return PublicForm{}, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+purposeColumns+` FROM purposes WHERE id = ANY($1::uuid[])
		ORDER BY array_position($1::uuid[], id)`, f.PurposeIDs)
	if err != nil {
		return PublicForm{}, wrap(err)
	}
	ps, err := collect(rows, scanPurpose)
	return PublicForm{Form: f, Purposes: ps}, err
}
