package store

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kontakt/kontakt/model"
)

// The right to be forgotten (GDPR Art. 17; ARCHITECTURE.md, invariant 6). A request is
// committed as an erasures row; the ForgetContact workflow then erases the contact with
// everything that held its personal data, keeps the row as a tombstone of ids, times, who
// and the legal basis, and waits until every device the sync ledger says held the contact
// has synced past the removal.

// LegalBases are the grounds an erasure may be recorded under (erasures.legal_basis).
var LegalBases = []string{"art17_request", "consent_withdrawn", "no_longer_necessary", "objection", "unlawful", "legal_obligation"}

// Erasure is a request to forget a contact and, once carried out, its tombstone.
type Erasure struct {
	ContactID   string     `json:"contact_id"`
	BookID      string     `json:"book_id"`
	Channel     string     `json:"channel"`
	LegalBasis  string     `json:"legal_basis"`
	RequestedBy *string    `json:"requested_by"`
	RequestedAt time.Time  `json:"requested_at"`
	Status      string     `json:"status"`
	ErasedAt    *time.Time `json:"erased_at"`
	// Devices held the contact, by the sync ledger, when it was erased; Pending are those
	// that have not synced past the removal yet; Stragglers those that had not by the
	// deadline (set once the erasure is done).
	Devices     []string   `json:"devices"`
	Pending     []string   `json:"pending_devices"`
	Stragglers  []string   `json:"stragglers"`
	CompletedAt *time.Time `json:"completed_at"`
	WorkflowID  string     `json:"workflow_id"`
}

const erasureColumns = `e.contact_id, e.book_id, e.channel, e.legal_basis, e.requested_by, e.requested_at, e.status,
	e.erased_at, e.devices, coalesce(e.stragglers, '{}'), e.completed_at,
	ARRAY(SELECT DISTINCT d.device_id FROM device_contacts d WHERE d.contact_id = e.contact_id ORDER BY d.device_id)`

func scanErasure(row pgx.Row) (Erasure, error) {
	var e Erasure
	err := row.Scan(&e.ContactID, &e.BookID, &e.Channel, &e.LegalBasis, &e.RequestedBy, &e.RequestedAt, &e.Status,
		&e.ErasedAt, &e.Devices, &e.Stragglers, &e.CompletedAt, &e.Pending)
	return e, wrap(err)
}

// holdsPermission reports whether the actor is an enabled user holding perm ('scans' or
// 'gdpr', users.permissions).
func holdsPermission(ctx context.Context, q querier, actor Actor, perm string) (bool, error) {
	var ok bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE id = $1 AND NOT disabled AND $2 = ANY(permissions))`,
		actor.UserID, perm).Scan(&ok)
	return ok, err
}

// mayForget reports whether the actor may forget contacts of book: its managers, and
// holders of the 'gdpr' permission.
func mayForget(ctx context.Context, q querier, actor Actor, bookID string) (bool, error) {
	if ok, err := holdsPermission(ctx, q, actor, "gdpr"); err != nil || ok {
		return ok, err
	}
	r, err := bookRole(ctx, q, actor, bookID)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return r.AtLeast("manager"), err
}

// RequestErasure records a request to forget a contact (idempotent: a second request
// returns the first). Managers of the contact's book and holders of the 'gdpr' permission
// may; a contact the actor cannot see answers ErrNotFound, a viewer or editor who sees it
// ErrForbidden. A contact hidden only for lack of a required consent can be forgotten too.
func (s *Store) RequestErasure(ctx context.Context, actor Actor, contactID, legalBasis string) (Erasure, error) {
	if !slices.Contains(LegalBases, legalBasis) {
		return Erasure{}, &model.FieldError{Field: "legal_basis", Msg: "must be one of art17_request, consent_withdrawn, no_longer_necessary, objection, unlawful, legal_obligation"}
	}
	if !ValidID(contactID) {
		return Erasure{}, ErrNotFound
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var bookID string
		err := tx.QueryRow(ctx, `SELECT c.book_id FROM contacts c WHERE c.id = $2
			AND (`+contactInVisibleBook+` OR EXISTS (SELECT 1 FROM users u WHERE u.id = $1 AND NOT u.disabled AND 'gdpr' = ANY(u.permissions)))`,
			actor.UserID, contactID).Scan(&bookID)
		if err != nil {
			return err
		}
		if ok, err := mayForget(ctx, tx, actor, bookID); err != nil {
			return err
		} else if !ok {
			return ErrForbidden
		}
		tag, err := tx.Exec(ctx, `INSERT INTO erasures (contact_id, book_id, channel, legal_basis, requested_by)
			VALUES ($1, $2, 'staff', $3, $4) ON CONFLICT (contact_id) DO NOTHING`, contactID, bookID, legalBasis, actor.UserID)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		return audit(ctx, tx, actor, "contact.forget.request", []string{contactID}, nil, map[string]any{"legal_basis": legalBasis})
	})
	if err != nil {
		return Erasure{}, wrap(err)
	}
	return scanErasure(s.pool.QueryRow(ctx, `SELECT `+erasureColumns+` FROM erasures e WHERE e.contact_id = $1`, contactID))
}

// requestSubjectErasure records the verified request of a person to be forgotten (they
// proved they hold the address, by a subject-access link), for each of the given contacts
// that is a person and still exists. It returns the ids it recorded.
func requestSubjectErasure(ctx context.Context, tx pgx.Tx, contactIDs []string) ([]string, error) {
	rows, err := tx.Query(ctx, `INSERT INTO erasures (contact_id, book_id, channel, legal_basis)
		SELECT c.id, c.book_id, 'subject', 'art17_request' FROM contacts c
		 WHERE c.id = ANY($1::uuid[]) AND c.kind = 'person'
		ON CONFLICT (contact_id) DO NOTHING RETURNING contact_id`, contactIDs)
	if err != nil {
		return nil, err
	}
	ids, err := collect(rows, scanID)
	if err != nil || len(ids) == 0 {
		return ids, err
	}
	return ids, audit(ctx, tx, Actor{Channel: "web"}, "contact.forget.request", ids, nil, map[string]any{"legal_basis": "art17_request"})
}

// RequestErasureByLink records the verified request of the holder of a subject-access
// link to be forgotten, for every person the link names (RequestSubjectErasure), and ends
// the link (it names contacts that will be gone). It returns the link's language and the
// contacts whose erasure it recorded; an unknown or expired link is ErrNotFound.
func (s *Store) RequestErasureByLink(ctx context.Context, tokenHash []byte) (lang string, ids []string, err error) {
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		var contacts []string
		err := tx.QueryRow(ctx, `SELECT f.language, t.contact_ids FROM subject_tokens t JOIN forms f ON f.id = t.form_id
			WHERE t.token_hash = $1 AND t.expires_at > now() FOR UPDATE OF t`, tokenHash).Scan(&lang, &contacts)
		if err != nil {
			return err
		}
		if ids, err = requestSubjectErasure(ctx, tx, contacts); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM subject_tokens WHERE token_hash = $1`, tokenHash)
		return err
	})
	return lang, ids, wrap(err)
}

// GetErasure returns an erasure with its progress to whoever may forget contacts of its
// book (or requested it); others get ErrNotFound.
func (s *Store) GetErasure(ctx context.Context, actor Actor, contactID string) (Erasure, error) {
	if !ValidID(contactID) {
		return Erasure{}, ErrNotFound
	}
	e, err := scanErasure(s.pool.QueryRow(ctx, `SELECT `+erasureColumns+` FROM erasures e WHERE e.contact_id = $1`, contactID))
	if err != nil {
		return e, err
	}
	if e.RequestedBy != nil && *e.RequestedBy == actor.UserID {
		return e, nil
	}
	if ok, err := mayForget(ctx, s.pool, actor, e.BookID); err != nil {
		return Erasure{}, wrap(err)
	} else if !ok {
		return Erasure{}, ErrNotFound
	}
	return e, nil
}

// ListErasures returns the newest erasures (up to 500) of the books the actor may forget
// contacts of (every book for holders of the 'gdpr' permission).
func (s *Store) ListErasures(ctx context.Context, actor Actor) ([]Erasure, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+erasureColumns+` FROM erasures e
		WHERE EXISTS (SELECT 1 FROM users u WHERE u.id = $1 AND NOT u.disabled AND 'gdpr' = ANY(u.permissions))
		   OR `+roleOn("e.book_id")+` = 'manager' OR e.requested_by = $1
		ORDER BY e.requested_at DESC LIMIT 500`, actor.UserID)
	if err != nil {
		return nil, wrap(err)
	}
	return collect(rows, scanErasure)
}

// EraseContact carries out a requested erasure in one transaction: it notes which devices
// hold the contact (sync ledger), deletes the contact (its contact points, relations,
// attached items, consents with their history and scans go with it by cascade, and the
// change feed gets the removal), deletes the consent and subject requests that hold the
// person's addresses, and turns the request into a tombstone. It returns the devices.
// Carried out already, it returns the devices recorded then; an unknown request is
// ErrNotFound.
func (s *Store) EraseContact(ctx context.Context, contactID string) ([]string, error) {
	var devices []string
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var status string
		err := tx.QueryRow(ctx, `SELECT status, devices FROM erasures WHERE contact_id = $1 FOR UPDATE`, contactID).Scan(&status, &devices)
		if err != nil || status != "requested" {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT ARRAY(SELECT DISTINCT device_id FROM device_contacts WHERE contact_id = $1 ORDER BY device_id)`,
			contactID).Scan(&devices); err != nil {
			return err
		}
		if err := erasePersonalData(ctx, tx, contactID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE erasures SET status = 'erased', erased_at = now(), devices = $2 WHERE contact_id = $1`,
			contactID, devices); err != nil {
			return err
		}
		return audit(ctx, tx, Actor{Channel: "system"}, "contact.erase", []string{contactID}, nil,
			map[string]any{"devices": len(devices)})
	})
	return devices, wrap(err)
}

// erasePersonalData removes every row that holds personal data of the contact. The
// erasure completeness test (store/forget_test.go) scans every text, bytea, jsonb and array
// column of every table afterwards, so a table added later that this misses fails it.
func erasePersonalData(ctx context.Context, tx pgx.Tx, contactID string) error {
	// The addresses the person used, to find requests filed under them.
	var emails []string
	if err := tx.QueryRow(ctx, `SELECT ARRAY(SELECT DISTINCT lower(value) FROM contact_points WHERE contact_id = $1 AND kind = 'email')`,
		contactID).Scan(&emails); err != nil {
		return err
	}
	if err := redactMeetings(ctx, tx, contactID, emails); err != nil {
		return err
	}
	if err := redactCampaigns(ctx, tx, contactID, emails); err != nil {
		return err
	}
	for _, q := range []struct {
		sql  string
		args []any
	}{
		// Double opt-in requests of the contact or under its addresses (their tokens cascade).
		{`DELETE FROM consent_requests WHERE contact_id = $1 OR lower(email) = ANY($2::text[])`, []any{contactID, emails}},
		// Subject-access and revocation requests under its addresses.
		{`DELETE FROM subject_requests WHERE lower(email) = ANY($1::text[])`, []any{emails}},
		// Subject-access links name contacts by id; drop the id, and links left with none.
		{`UPDATE subject_tokens SET contact_ids = array_remove(contact_ids, $1::uuid) WHERE $1::uuid = ANY(contact_ids)`, []any{contactID}},
		{`DELETE FROM subject_tokens WHERE contact_ids = '{}'`, nil},
		// Export files not yet expired that hold the person: those whose audit entry names the
		// contact, and any holding one of its addresses. The file goes; the record (count,
		// hash, filter) stays for the audit, and its link answers 410.
		{`UPDATE exports x SET data = NULL WHERE x.data IS NOT NULL AND (
			EXISTS (SELECT 1 FROM audit_log a WHERE a.action = 'export.create' AND a.object_id = x.id AND $1::uuid = ANY(a.contact_ids))
			OR EXISTS (SELECT 1 FROM unnest($2::text[]) e WHERE strpos(lower(convert_from(x.data, 'UTF8')), e) > 0))`,
			[]any{contactID, emails}},
		// The contact itself; everything attached to it goes by cascade.
		{`DELETE FROM contacts WHERE id = $1`, []any{contactID}},
	} {
		if _, err := tx.Exec(ctx, q.sql, q.args...); err != nil {
			return err
		}
	}
	return nil
}

// redactMeetings replaces, in the title, agenda and minutes of the meetings the contact took
// part in, every mention of the person (display name, given and family names, addresses and
// phone numbers) with a marker: those records belong to the other participants too, so
// they stay, without the person.
func redactMeetings(ctx context.Context, tx pgx.Tx, contactID string, emails []string) error {
	re, err := personPattern(ctx, tx, contactID, emails)
	if err != nil || re == nil {
		return err
	}
	rows, err := tx.Query(ctx, `SELECT m.id, m.title, m.agenda, m.minutes FROM meetings m
		JOIN meeting_contacts mc ON mc.meeting_id = m.id WHERE mc.contact_id = $1 FOR UPDATE OF m`, contactID)
	if err != nil {
		return err
	}
	type meeting struct{ id, title, agenda, minutes string }
	ms, err := collect(rows, func(r pgx.Row) (meeting, error) {
		var m meeting
		return m, r.Scan(&m.id, &m.title, &m.agenda, &m.minutes)
	})
	if err != nil {
		return err
	}
	for _, m := range ms {
		if _, err := tx.Exec(ctx, `UPDATE meetings SET title = $2, agenda = $3, minutes = $4, updated_at = now() WHERE id = $1`,
			m.id, re.ReplaceAllString(m.title, erasedMarker), re.ReplaceAllString(m.agenda, erasedMarker), re.ReplaceAllString(m.minutes, erasedMarker)); err != nil {
			return err
		}
	}
	return nil
}

// erasedMarker replaces a forgotten person's mentions in records that stay.
const erasedMarker = "[vymazáno]"

// personPattern matches every mention of the contact (display name, given and family
// names, addresses and phone numbers); nil when there is nothing to match.
func personPattern(ctx context.Context, tx pgx.Tx, contactID string, emails []string) (*regexp.Regexp, error) {
	var terms []string
	if err := tx.QueryRow(ctx, `SELECT ARRAY(SELECT DISTINCT t FROM (
			SELECT unnest(ARRAY[c.display_name, c.given_name, c.family_name, trim(c.given_name || ' ' || c.family_name)]) AS t
			  FROM contacts c WHERE c.id = $1
			UNION ALL SELECT value FROM contact_points WHERE contact_id = $1 AND kind IN ('email', 'phone')) x
		WHERE length(t) >= 3)`, contactID).Scan(&terms); err != nil {
		return nil, err
	}
	terms = append(terms, emails...)
	if len(terms) == 0 {
		return nil, nil
	}
	// Longest first, so a full name goes before its parts; each term case-insensitively,
	// and a phone number with or without the spaces it was written with.
	slices.SortFunc(terms, func(a, b string) int { return len(b) - len(a) })
	parts := make([]string, len(terms))
	for i, t := range terms {
		parts[i] = regexp.QuoteMeta(t)
		if digits := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, t); len(digits) >= 6 && strings.TrimLeft(t, "+0123456789 ") == "" {
			// +420777123456 also as 777 123 456, +420 777 123 456 and so on.
			var b strings.Builder
			for j, d := range digits {
				if j > 0 {
					b.WriteString(`[\s.-]?`)
				}
				b.WriteRune(d)
			}
			parts[i] = `\+?` + b.String()
			if len(digits) > 9 {
				parts[i] = `(?:\+?` + digits[:len(digits)-9] + `[\s.-]?)?` + nineDigits(digits[len(digits)-9:])
			}
		}
	}
	return regexp.Compile(`(?i)` + strings.Join(parts, "|"))
}

// nineDigits matches a national nine-digit number with optional separators between digits.
func nineDigits(d string) string {
	var b strings.Builder
	for j, r := range d {
		if j > 0 {
			b.WriteString(`[\s.-]?`)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// ErasurePendingDevices lists the devices that held an erased contact and have not synced
// past its removal (their ledger row is still there).
func (s *Store) ErasurePendingDevices(ctx context.Context, contactID string) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT device_id FROM device_contacts WHERE contact_id = $1 ORDER BY device_id`, contactID)
	if err != nil {
		return nil, wrap(err)
	}
	return collect(rows, scanID)
}

// CompleteErasure closes an erasure, recording the devices that never confirmed the
// removal by the deadline (idempotent).
func (s *Store) CompleteErasure(ctx context.Context, contactID string, stragglers []string) error {
	if stragglers == nil {
		stragglers = []string{}
	}
	return wrap(s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE erasures SET status = 'done', completed_at = now(), stragglers = $2
			WHERE contact_id = $1 AND status = 'erased'`, contactID, stragglers)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		return audit(ctx, tx, Actor{Channel: "system"}, "contact.erase.complete", []string{contactID}, nil,
			map[string]any{"stragglers": stragglers})
	}))
}

// UnstartedErasures lists erasures whose ForgetContact workflow was not recorded as
// started (the outbox).
func (s *Store) UnstartedErasures(ctx context.Context, limit int) ([]string, error) {
	return s.ids(ctx, `SELECT contact_id FROM erasures WHERE workflow_started_at IS NULL ORDER BY requested_at LIMIT $1`, limit)
}

// MarkErasureStarted records that the erasure's workflow was started.
func (s *Store) MarkErasureStarted(ctx context.Context, contactID string) error {
	_, err := s.pool.Exec(ctx, `UPDATE erasures SET workflow_started_at = now() WHERE contact_id = $1 AND workflow_started_at IS NULL`, contactID)
	return wrap(err)
}
