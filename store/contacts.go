package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/kontakt/kontakt/model"
)

const contactColumns = `c.id, c.book_id, c.kind, c.contact_type, c.prefix, c.given_name, c.additional_name,
	c.family_name, c.suffix, c.org_name, c.display_name, c.job_title, to_char(c.birthday, 'YYYY-MM-DD'),
	c.tags, c.custom, c.version, c.created_at, c.updated_at, c.sort_key`

// scanContact scans contactColumns; the sort key feeds the page cursor.
func scanContact(row pgx.Row) (model.Contact, string, error) {
	var c model.Contact
	var sortKey string
	err := row.Scan(&c.ID, &c.BookID, &c.Kind, &c.Type, &c.Prefix, &c.GivenName, &c.AdditionalName,
		&c.FamilyName, &c.Suffix, &c.OrgName, &c.DisplayName, &c.JobTitle, &c.Birthday,
		&c.Tags, &c.Custom, &c.Version, &c.CreatedAt, &c.UpdatedAt, &sortKey)
	return c, sortKey, wrap(err)
}

// ContactFilter selects contacts for a list or a search. Zero fields do not filter.
type ContactFilter struct {
	Query          string // words, each of which must occur (diacritics and case ignored)
	BookID         string
	Type           string
	Kind           string
	Tag            string
	OrganisationID string // persons related to this organisation
	Cursor         string // from the previous page's NextCursor
	Limit          int
}

// ContactPage is one page of a list; NextCursor is empty on the last page.
type ContactPage struct {
	Contacts   []model.Contact `json:"contacts"`
	NextCursor string          `json:"next_cursor"`
}

// MaxQueryLen bounds a search query.
const MaxQueryLen = 200

// ErrBadCursor reports a cursor this store did not make.
var ErrBadCursor = &model.FieldError{Field: "cursor", Msg: "invalid cursor"}

// cursor is the position after the last contact of a page. Fuzzy records that the pages
// come from the typo-tolerant search, so later pages continue the same result set.
type cursor struct {
	SortKey string `json:"k"`
	ID      string `json:"i"`
	Fuzzy   bool   `json:"f,omitempty"`
}

func encodeCursor(c cursor) string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (cursor, error) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &c) != nil || !ValidID(c.ID) {
		return c, ErrBadCursor
	}
	return c, nil
}

// likeEscaper escapes LIKE wildcards in a search word.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// fuzzyMinLen is the shortest query that falls back to trigram similarity.
const fuzzyMinLen = 4

// contactSearch builds the WHERE clause of a contact list for f, with the visibility policy
// unless policy is false (only the benchmark compares against that). Words of the query
// must all occur, or with fuzzy the whole query must be similar to a part of the contact's
// text (trigram word similarity, which forgives a typo: "dvorrak" finds "Dvořák").
// Parameters start at $2; $1 is the reading user.
func contactSearch(f ContactFilter, cur *cursor, fuzzy, policy bool) (string, []any, error) {
	var where []string
	args := []any{}
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args)+1)
	}
	if policy {
		where = append(where, contactVisible)
	} else {
		where = append(where, "$1::uuid IS NOT NULL")
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		if utf8.RuneCountInString(q) > MaxQueryLen {
			return "", nil, &model.FieldError{Field: "q", Msg: fmt.Sprintf("longer than %d characters", MaxQueryLen)}
		}
		if fuzzy {
			where = append(where, "kontakt_fold("+arg(q)+") <% c.search_text")
		} else {
			for _, w := range strings.Fields(q) {
				where = append(where, `c.search_text LIKE '%' || kontakt_fold(`+arg(likeEscaper.Replace(w))+`) || '%'`)
			}
		}
	}
	if f.BookID != "" {
		if !ValidID(f.BookID) {
			return "", nil, &model.FieldError{Field: "book", Msg: "not an id"}
		}
		where = append(where, "c.book_id = "+arg(f.BookID))
	}
	if f.Type != "" {
		if !model.ContactType(f.Type).Valid() {
			return "", nil, &model.FieldError{Field: "type", Msg: "unknown contact type"}
		}
		where = append(where, "c.contact_type = "+arg(f.Type))
	}
	if f.Kind != "" {
		if !model.ContactKind(f.Kind).Valid() {
			return "", nil, &model.FieldError{Field: "kind", Msg: "must be person or organisation"}
		}
		where = append(where, "c.kind = "+arg(f.Kind))
	}
	if f.Tag != "" {
		tag, err := model.NormalizeTag(f.Tag)
		if err != nil {
			return "", nil, &model.FieldError{Field: "tag", Msg: "invalid tag"}
		}
		where = append(where, "c.tags @> ARRAY["+arg(tag)+"]::text[]")
	}
	if f.OrganisationID != "" {
		if !ValidID(f.OrganisationID) {
			return "", nil, &model.FieldError{Field: "organisation", Msg: "not an id"}
		}
		where = append(where, "c.id IN (SELECT r.person_id FROM relations r WHERE r.organisation_id = "+arg(f.OrganisationID)+")")
	}
	if cur != nil {
		where = append(where, "(c.sort_key, c.id) > ("+arg(cur.SortKey)+", "+arg(cur.ID)+"::uuid)")
	}
	return strings.Join(where, " AND "), args, nil
}

// ListContacts returns one page of the contacts the actor may see that match f, ordered by
// name, and records the result set in the audit log.
func (s *Store) ListContacts(ctx context.Context, actor Actor, f ContactFilter) (ContactPage, error) {
	page, err := s.listContacts(ctx, actor, f, true)
	if err != nil {
		return page, err
	}
	ids := make([]string, len(page.Contacts))
	for i, c := range page.Contacts {
		ids[i] = c.ID
	}
	action := "contact.list"
	if f.Query != "" {
		action = "contact.search"
	}
	if err := audit(ctx, s.pool, actor, action, ids, nil, nil); err != nil {
		return ContactPage{}, err
	}
	return page, nil
}

// ListContactsForBenchmark runs ListContacts' query, with the visibility policy or without
// it, and writes no audit entry. It exists only so the benchmark can measure the policy's
// cost; never serve its result to anyone.
func (s *Store) ListContactsForBenchmark(ctx context.Context, actor Actor, f ContactFilter, policy bool) (ContactPage, error) {
	return s.listContacts(ctx, actor, f, policy)
}

// CountContacts counts the contacts the actor may see that match f, across all pages (the
// cursor and limit are ignored). A count names nobody, so it is not audited.
func (s *Store) CountContacts(ctx context.Context, actor Actor, f ContactFilter) (int, error) {
	f.Cursor = ""
	count := func(fuzzy bool) (int, error) {
		where, args, err := contactSearch(f, nil, fuzzy, true)
		if err != nil {
			return 0, err
		}
		var n int
		err = s.pool.QueryRow(ctx, `SELECT count(*) FROM contacts c WHERE `+where, append([]any{actor.UserID}, args...)...).Scan(&n)
		return n, wrap(err)
	}
	n, err := count(false)
	if err == nil && fallBackToFuzzy(f.Query, n) {
		n, err = count(true)
	}
	return n, err
}

// listContacts runs the exact search, and when a query of fuzzyMinLen or more runes finds
// nothing, the typo-tolerant one. (Trying similarity on every row of a common word's
// matches would cost more than the exact search itself.)
func (s *Store) listContacts(ctx context.Context, actor Actor, f ContactFilter, policy bool) (ContactPage, error) {
	var cur *cursor
	if f.Cursor != "" {
		c, err := decodeCursor(f.Cursor)
		if err != nil {
			return ContactPage{}, err
		}
		cur = &c
	}
	fuzzy := cur != nil && cur.Fuzzy
	page, err := s.listPage(ctx, actor, f, cur, fuzzy, policy)
	if err == nil && !fuzzy && cur == nil && fallBackToFuzzy(f.Query, len(page.Contacts)) {
		page, err = s.listPage(ctx, actor, f, nil, true, policy)
	}
	return page, err
}

// fallBackToFuzzy reports whether a query whose exact search found found contacts should be
// tried again by similarity.
func fallBackToFuzzy(q string, found int) bool {
	return found == 0 && utf8.RuneCountInString(strings.TrimSpace(q)) >= fuzzyMinLen
}

func (s *Store) listPage(ctx context.Context, actor Actor, f ContactFilter, cur *cursor, fuzzy, policy bool) (ContactPage, error) {
	where, args, err := contactSearch(f, cur, fuzzy, policy)
	if err != nil {
		return ContactPage{}, err
	}
	limit := clampLimit(f.Limit)
	args = append([]any{actor.UserID}, args...)
	args = append(args, limit+1)
	sql := fmt.Sprintf(`SELECT %s FROM contacts c WHERE %s ORDER BY c.sort_key, c.id LIMIT $%d`, contactColumns, where, len(args))
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return ContactPage{}, wrap(err)
	}
	defer rows.Close()
	page := ContactPage{Contacts: []model.Contact{}}
	var keys []string
	for rows.Next() {
		c, key, err := scanContact(rows)
		if err != nil {
			return ContactPage{}, err
		}
		page.Contacts = append(page.Contacts, c)
		keys = append(keys, key)
	}
	if err := rows.Err(); err != nil {
		return ContactPage{}, wrap(err)
	}
	if len(page.Contacts) > limit {
		page.Contacts = page.Contacts[:limit]
		last := page.Contacts[limit-1]
		page.NextCursor = encodeCursor(cursor{SortKey: keys[limit-1], ID: last.ID, Fuzzy: fuzzy})
	}
	if err := s.loadDetails(ctx, s.pool, actor, page.Contacts); err != nil {
		return ContactPage{}, err
	}
	return page, nil
}

// GetContact returns a contact the actor may see, with its contact points and the relations
// whose other side they may see too, and records the read.
func (s *Store) GetContact(ctx context.Context, actor Actor, id string) (model.Contact, error) {
	c, err := getContact(ctx, s.pool, actor, id)
	if err != nil {
		return c, err
	}
	cs := []model.Contact{c}
	if err := s.loadDetails(ctx, s.pool, actor, cs); err != nil {
		return c, err
	}
	if err := audit(ctx, s.pool, actor, "contact.read", []string{id}, nil, nil); err != nil {
		return c, err
	}
	return cs[0], nil
}

// getContact reads the contact row alone, through the policy.
func getContact(ctx context.Context, q querier, actor Actor, id string) (model.Contact, error) {
	if !ValidID(id) {
		return model.Contact{}, ErrNotFound
	}
	c, _, err := scanContact(q.QueryRow(ctx, `SELECT `+contactColumns+` FROM contacts c WHERE c.id = $2 AND `+contactVisible, actor.UserID, id))
	return c, err
}

// loadDetails fills the contact points and visible relations of cs in two queries.
func (s *Store) loadDetails(ctx context.Context, q querier, actor Actor, cs []model.Contact) error {
	if len(cs) == 0 {
		return nil
	}
	ids := make([]string, len(cs))
	byID := make(map[string]*model.Contact, len(cs))
	for i := range cs {
		ids[i] = cs[i].ID
		c := &cs[i]
		c.Emails, c.Phones, c.Addresses, c.Websites, c.Socials, c.Relations =
			[]model.Email{}, []model.Phone{}, []model.Address{}, []model.Website{}, []model.Social{}, []model.Relation{}
		if c.Tags == nil {
			c.Tags = []string{}
		}
		byID[c.ID] = c
	}
	rows, err := q.Query(ctx, `SELECT contact_id, kind, label, value, network, url, street, locality, region, postal_code, country, preferred
		FROM contact_points WHERE contact_id = ANY($1) ORDER BY contact_id, kind, position`, ids)
	if err != nil {
		return wrap(err)
	}
	for rows.Next() {
		var cid, kind string
		var p struct {
			label, value, network, url, street, locality, region, postal, country string
			preferred                                                             bool
		}
		if err := rows.Scan(&cid, &kind, &p.label, &p.value, &p.network, &p.url, &p.street, &p.locality, &p.region, &p.postal, &p.country, &p.preferred); err != nil {
			rows.Close()
			return wrap(err)
		}
		c := byID[cid]
		switch kind {
		case "email":
			c.Emails = append(c.Emails, model.Email{Value: p.value, Label: p.label, Preferred: p.preferred})
		case "phone":
			c.Phones = append(c.Phones, model.Phone{Value: p.value, Label: p.label, Preferred: p.preferred})
		case "url":
			c.Websites = append(c.Websites, model.Website{URL: p.value, Label: p.label})
		case "social":
			c.Socials = append(c.Socials, model.Social{Network: model.SocialNetwork(p.network), Handle: p.value, URL: p.url})
		case "address":
			c.Addresses = append(c.Addresses, model.Address{Label: p.label, Street: p.street, Locality: p.locality,
				Region: p.region, PostalCode: p.postal, Country: p.country, Preferred: p.preferred})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return wrap(err)
	}
	// A relation shows only when the reader may see the other side as well.
	rows, err = q.Query(ctx, `SELECT r.id, r.person_id, r.organisation_id, r.role,
			to_char(r.valid_from, 'YYYY-MM-DD'), to_char(r.valid_to, 'YYYY-MM-DD'), c.display_name, x.id
		  FROM relations r
		  JOIN unnest($2::uuid[]) AS x(id) ON x.id IN (r.person_id, r.organisation_id)
		  JOIN contacts c ON c.id = CASE WHEN x.id = r.person_id THEN r.organisation_id ELSE r.person_id END
		 WHERE `+contactVisible+`
		 ORDER BY c.sort_key`, actor.UserID, ids)
	if err != nil {
		return wrap(err)
	}
	defer rows.Close()
	for rows.Next() {
		var r model.Relation
		var owner string
		if err := rows.Scan(&r.ID, &r.PersonID, &r.OrganisationID, &r.Role, &r.ValidFrom, &r.ValidTo, &r.OtherName, &owner); err != nil {
			return wrap(err)
		}
		byID[owner].Relations = append(byID[owner].Relations, r)
	}
	return wrap(rows.Err())
}

// CreateContact adds a contact to a book the actor edits, validated against the book's
// custom fields, and returns it as stored. A client may propose the id (a CardDAV client
// names a new contact's URL, and the id makes the URL): it is kept when it is a free UUID;
// otherwise (empty, not a UUID, or taken by any contact, visible or not, so the answer
// reveals nothing) the contact gets a new id.
func (s *Store) CreateContact(ctx context.Context, actor Actor, c model.Contact) (model.Contact, error) {
	id, err := s.AddContact(ctx, actor, c)
	if err != nil {
		return model.Contact{}, err
	}
	return s.readBack(ctx, actor, id)
}

// AddContact stores a new contact as CreateContact does and returns only its id, for a
// writer that needs nothing else back (a CardDAV PUT answers without a body).
func (s *Store) AddContact(ctx context.Context, actor Actor, c model.Contact) (string, error) {
	if !ValidID(c.BookID) {
		return "", &model.FieldError{Field: "book_id", Msg: "must name an address book"}
	}
	var want *string
	if ValidID(c.ID) {
		want = &c.ID
	}
	var id string
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := requireBookForWrite(ctx, tx, actor, c.BookID); err != nil {
			return err
		}
		defs, err := fieldDefs(ctx, tx, c.BookID)
		if err != nil {
			return err
		}
		if err := c.Normalize(s.defaultRegion, defs); err != nil {
			return err
		}
		// search_text is written with the row (pointsSearchText), so that a new contact is
		// one heap tuple and one pass over the trigram index, not an insert and an update.
		if err := tx.QueryRow(ctx, `INSERT INTO contacts (id, book_id, kind, contact_type, prefix, given_name, additional_name,
				family_name, suffix, org_name, display_name, job_title, birthday, tags, custom, created_by, search_text)
			VALUES (CASE WHEN $16::uuid IS NOT NULL AND NOT EXISTS (SELECT 1 FROM contacts x WHERE x.id = $16::uuid)
			             THEN $16::uuid ELSE gen_random_uuid() END,
			        $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::date, $13, $14, $15,
			        kontakt_fold(concat_ws(' ', $10::text, $9::text, $11::text, array_to_string($13::text[], ' '), $17::text))) RETURNING id`,
			c.BookID, c.Kind, c.Type, c.Prefix, c.GivenName, c.AdditionalName, c.FamilyName, c.Suffix, c.OrgName,
			c.DisplayName, c.JobTitle, c.Birthday, c.Tags, c.Custom, actor.UserID, want, pointsSearchText(c)).Scan(&id); err != nil {
			return err
		}
		if err := insertPoints(ctx, tx, id, c, false); err != nil {
			return err
		}
		return audit(ctx, tx, actor, "contact.create", []string{id}, nil, nil)
	})
	if err != nil {
		return "", wrap(err)
	}
	return id, nil
}

// readBack returns a contact just written, without a read audit entry (the write has one).
// It asks only that the writer sees the book: a contact written into a book that requires a
// consent it does not hold yet is returned to its writer once, then hidden.
func (s *Store) readBack(ctx context.Context, actor Actor, id string) (model.Contact, error) {
	c, _, err := scanContact(s.pool.QueryRow(ctx, `SELECT `+contactColumns+` FROM contacts c WHERE c.id = $2 AND `+contactInVisibleBook,
		actor.UserID, id))
	if err != nil {
		return c, err
	}
	cs := []model.Contact{c}
	err = s.loadDetails(ctx, s.pool, actor, cs)
	return cs[0], err
}

// requireBookForWrite reports a missing or invisible book as a field error, and too weak a
// role as ErrForbidden.
func requireBookForWrite(ctx context.Context, q querier, actor Actor, bookID string) error {
	err := requireRole(ctx, q, actor, bookID, "editor")
	if err == ErrNotFound {
		return &model.FieldError{Field: "book_id", Msg: "no such address book"}
	}
	return err
}

// writePoints replaces the contact points of contact id with those of c and refreshes its
// search text.
func writePoints(ctx context.Context, tx pgx.Tx, id string, c model.Contact) error {
	if _, err := tx.Exec(ctx, `DELETE FROM contact_points WHERE contact_id = $1`, id); err != nil {
		return err
	}
	return insertPoints(ctx, tx, id, c, true)
}

// pointsSearchText is the contact points' share of search_text, as writePoints' UPDATE
// gathers it from contact_points (the order does not matter to a trigram search).
func pointsSearchText(c model.Contact) string {
	var parts []string
	add := func(ss ...string) {
		for _, s := range ss {
			if s != "" {
				parts = append(parts, s)
			}
		}
	}
	for _, e := range c.Emails {
		add(e.Value)
	}
	for _, p := range c.Phones {
		add(p.Value)
	}
	for _, w := range c.Websites {
		add(w.URL)
	}
	for _, so := range c.Socials {
		add(so.Handle, string(so.Network))
	}
	for _, a := range c.Addresses {
		add(a.Locality, a.Street, a.PostalCode)
	}
	return strings.Join(parts, " ")
}

// insertPoints adds the contact's points in one pipelined batch and, with search, brings
// search_text up to date from them.
func insertPoints(ctx context.Context, tx pgx.Tx, id string, c model.Contact, search bool) error {
	batch := &pgx.Batch{}
	const ins = `INSERT INTO contact_points (contact_id, kind, label, value, network, url, street, locality, region,
		postal_code, country, preferred, position) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`
	for i, e := range c.Emails {
		batch.Queue(ins, id, "email", e.Label, e.Value, "", "", "", "", "", "", "", e.Preferred, i)
	}
	for i, p := range c.Phones {
		batch.Queue(ins, id, "phone", p.Label, p.Value, "", "", "", "", "", "", "", p.Preferred, i)
	}
	for i, w := range c.Websites {
		batch.Queue(ins, id, "url", w.Label, w.URL, "", "", "", "", "", "", "", false, i)
	}
	for i, so := range c.Socials {
		batch.Queue(ins, id, "social", "", so.Handle, string(so.Network), so.URL, "", "", "", "", "", false, i)
	}
	for i, a := range c.Addresses {
		batch.Queue(ins, id, "address", a.Label, "", "", "", a.Street, a.Locality, a.Region, a.PostalCode, a.Country, a.Preferred, i)
	}
	if search {
		batch.Queue(`UPDATE contacts c SET search_text = kontakt_fold(concat_ws(' ', c.display_name, c.org_name, c.job_title,
				array_to_string(c.tags, ' '),
				(SELECT string_agg(concat_ws(' ', p.value, p.network, p.locality, p.street, p.postal_code), ' ')
				   FROM contact_points p WHERE p.contact_id = c.id)))
			WHERE c.id = $1`, id)
	}
	if batch.Len() == 0 {
		return nil
	}
	return tx.SendBatch(ctx, batch).Close()
}

// UpdateContact applies p to a contact the actor edits. With ifVersion > 0 the write
// succeeds only if the contact is still at that version (optimistic locking), else a
// *ConflictError. Moving to another book needs editor rights on both.
func (s *Store) UpdateContact(ctx context.Context, actor Actor, id string, p model.ContactPatch, ifVersion int64) (model.Contact, error) {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if !ValidID(id) {
			return ErrNotFound
		}
		if _, err := tx.Exec(ctx, `SELECT 1 FROM contacts WHERE id = $1 FOR UPDATE`, id); err != nil {
			return err
		}
		c, err := getContact(ctx, tx, actor, id)
		if err != nil {
			return err
		}
		if err := requireRole(ctx, tx, actor, c.BookID, "editor"); err != nil {
			return err
		}
		if ifVersion > 0 && c.Version != ifVersion {
			return &ConflictError{Field: "version", Msg: fmt.Sprintf("the contact changed (now version %d)", c.Version)}
		}
		cs := []model.Contact{c}
		if err := s.loadDetails(ctx, tx, actor, cs); err != nil {
			return err
		}
		c = cs[0]
		from := c.BookID
		p.Apply(&c)
		if c.BookID != from {
			if !ValidID(c.BookID) {
				return &model.FieldError{Field: "book_id", Msg: "no such address book"}
			}
			if err := requireBookForWrite(ctx, tx, actor, c.BookID); err != nil {
				return err
			}
		}
		defs, err := fieldDefs(ctx, tx, c.BookID)
		if err != nil {
			return err
		}
		if err := c.Normalize(s.defaultRegion, defs); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE contacts SET book_id = $2, contact_type = $3, prefix = $4, given_name = $5,
				additional_name = $6, family_name = $7, suffix = $8, org_name = $9, display_name = $10, job_title = $11,
				birthday = $12::date, tags = $13, custom = $14, version = version + 1, updated_at = now()
			WHERE id = $1`, id, c.BookID, c.Type, c.Prefix, c.GivenName, c.AdditionalName, c.FamilyName, c.Suffix,
			c.OrgName, c.DisplayName, c.JobTitle, c.Birthday, c.Tags, c.Custom); err != nil {
			return err
		}
		if err := writePoints(ctx, tx, id, c); err != nil {
			return err
		}
		detail := map[string]any{}
		if c.BookID != from {
			detail["moved_from"] = from
			detail["moved_to"] = c.BookID
		}
		return audit(ctx, tx, actor, "contact.update", []string{id}, nil, detail)
	})
	if err != nil {
		return model.Contact{}, wrap(err)
	}
	return s.readBack(ctx, actor, id)
}

// DeleteContact removes a contact the actor edits, with its points, relations and attached
// items.
func (s *Store) DeleteContact(ctx context.Context, actor Actor, id string) error {
	return wrap(s.inTx(ctx, func(tx pgx.Tx) error {
		c, err := getContact(ctx, tx, actor, id)
		if err != nil {
			return err
		}
		if err := requireRole(ctx, tx, actor, c.BookID, "editor"); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM contacts WHERE id = $1`, id); err != nil {
			return err
		}
		return audit(ctx, tx, actor, "contact.delete", []string{id}, nil, map[string]any{"book_id": c.BookID})
	}))
}

// AddRelation links a person to an organisation. The actor must edit the person's book and
// see the organisation.
func (s *Store) AddRelation(ctx context.Context, actor Actor, r model.Relation) (model.Relation, error) {
	if err := r.Normalize(); err != nil {
		return r, err
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		person, err := getContact(ctx, tx, actor, r.PersonID)
		if err != nil {
			return err
		}
		if person.Kind != "person" {
			return &model.FieldError{Field: "person_id", Msg: "must be a person"}
		}
		org, err := getContact(ctx, tx, actor, r.OrganisationID)
		if err == ErrNotFound {
			return &model.FieldError{Field: "organisation_id", Msg: "no such organisation"}
		} else if err != nil {
			return err
		}
		if org.Kind != "organisation" {
			return &model.FieldError{Field: "organisation_id", Msg: "must be an organisation"}
		}
		if err := requireRole(ctx, tx, actor, person.BookID, "editor"); err != nil {
			return err
		}
		r.OtherName = org.DisplayName
		if err := tx.QueryRow(ctx, `INSERT INTO relations (person_id, organisation_id, role, valid_from, valid_to)
			VALUES ($1, $2, $3, $4::date, $5::date) RETURNING id`, r.PersonID, r.OrganisationID, r.Role, r.ValidFrom, r.ValidTo).Scan(&r.ID); err != nil {
			return err
		}
		return audit(ctx, tx, actor, "relation.create", []string{r.PersonID, r.OrganisationID}, &r.ID, nil)
	})
	return r, wrap(err)
}

// DeleteRelation removes a relation of a person the actor edits.
func (s *Store) DeleteRelation(ctx context.Context, actor Actor, id string) error {
	return wrap(s.inTx(ctx, func(tx pgx.Tx) error {
		var personID, orgID string
		if err := tx.QueryRow(ctx, `SELECT person_id, organisation_id FROM relations WHERE id = $1`, id).Scan(&personID, &orgID); err != nil {
			return err
		}
		person, err := getContact(ctx, tx, actor, personID)
		if err != nil {
			return err
		}
		if _, err := getContact(ctx, tx, actor, orgID); err != nil {
			return err
		}
		if err := requireRole(ctx, tx, actor, person.BookID, "editor"); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM relations WHERE id = $1`, id); err != nil {
			return err
		}
		return audit(ctx, tx, actor, "relation.delete", []string{personID, orgID}, &id, nil)
	}))
}

// TagCount is a tag and how many visible contacts carry it.
type TagCount struct {
	Tag   string `json:"tag"`
	Count int    `json:"count"`
}

// ListTags returns the tags on the contacts the actor may see.
func (s *Store) ListTags(ctx context.Context, actor Actor) ([]TagCount, error) {
	rows, err := s.pool.Query(ctx, `SELECT t, count(*) FROM contacts c, unnest(c.tags) t WHERE `+contactVisible+`
		GROUP BY t ORDER BY t`, actor.UserID)
	if err != nil {
		return nil, wrap(err)
	}
	return collect(rows, func(r pgx.Row) (TagCount, error) {
		var t TagCount
		return t, wrap(r.Scan(&t.Tag, &t.Count))
	})
}
