package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kontakt/kontakt/model"
)

// Imports bring a file's contacts into one book. Each row is normalised like API input
// (model.Contact.Normalize with the book's custom fields), then matched against the
// contacts of that book the importer sees as a writer (contactInVisibleBook) and against
// the rows before it: by an e-mail address, else a phone number, else the name together
// with the organisation. Matching stays inside the chosen book on purpose: a match in
// another book would either write into a book the importer did not choose or tell them
// what it holds. A match is merged (empty fields filled, missing contact points, tags and
// custom values added), skipped, or created anyway, as the import's rule says; a merge
// that adds nothing is reported as a skip, so importing the same file twice changes nothing.

// Import actions reported per row.
const (
	ImportCreate = "create"
	ImportMerge  = "merge"
	ImportSkip   = "skip"
	ImportError  = "error"
)

// ImportRow is one record of a file: a contact, or the reason it could not be read.
type ImportRow struct {
	Line    int
	Contact model.Contact
	Err     string
}

// ImportOptions say what an import does.
type ImportOptions struct {
	// DryRun reports what would happen and writes nothing.
	DryRun bool
	// AllOrNothing writes nothing when any row is bad; otherwise good rows are imported
	// and bad ones reported.
	AllOrNothing bool
	// OnMatch is what happens to a row that matches a contact: merge (the default), skip
	// or create.
	OnMatch string
	// Format and Source (e.g. a file name) go into the audit entry.
	Format string
	Source string
	// Progress, when set, is told how many rows of total have been checked, and once more
	// when the writes are done (done == total).
	Progress func(done, total int)
}

// ImportResult is what happened (or would happen) to one row.
type ImportResult struct {
	Line      int    `json:"line"`
	Action    string `json:"action"`
	ContactID string `json:"contact_id,omitempty"`
	MatchedBy string `json:"matched_by,omitempty"`
	Name      string `json:"name,omitempty"`
	Reason    string `json:"reason,omitempty"`
	Field     string `json:"field,omitempty"`
}

// ImportReport sums an import up. Applied is false for a dry run and for an
// all-or-nothing import refused because of bad rows.
type ImportReport struct {
	BookID  string         `json:"book_id"`
	DryRun  bool           `json:"dry_run"`
	Applied bool           `json:"applied"`
	Created int            `json:"created"`
	Merged  int            `json:"merged"`
	Skipped int            `json:"skipped"`
	Errors  int            `json:"errors"`
	Rows    []ImportResult `json:"rows"`
}

// importTarget is a contact rows match: an existing one (id) or one the import creates.
type importTarget struct {
	id       string
	existing bool
	contact  *model.Contact // loaded for existing targets before merging
	changed  bool
}

// importIndex finds the target of a row by its keys.
type importIndex struct {
	byEmail, byPhone, byName map[string]*importTarget
}

func (ix *importIndex) match(c model.Contact, nameKey string) (*importTarget, string) {
	for _, e := range c.Emails {
		if t := ix.byEmail[pointKey(string(c.Kind), strings.ToLower(e.Value))]; t != nil {
			return t, "email"
		}
	}
	for _, p := range c.Phones {
		if t := ix.byPhone[pointKey(string(c.Kind), p.Value)]; t != nil {
			return t, "phone"
		}
	}
	if t := ix.byName[nameKey]; t != nil && nameKey != "" {
		return t, "name"
	}
	return nil, ""
}

func (ix *importIndex) add(t *importTarget, c model.Contact, nameKey string) {
	for _, e := range c.Emails {
		if k := pointKey(string(c.Kind), strings.ToLower(e.Value)); ix.byEmail[k] == nil {
			ix.byEmail[k] = t
		}
	}
	for _, p := range c.Phones {
		if k := pointKey(string(c.Kind), p.Value); ix.byPhone[k] == nil {
			ix.byPhone[k] = t
		}
	}
	if nameKey != "" && ix.byName[nameKey] == nil {
		ix.byName[nameKey] = t
	}
}

// ImportContacts imports rows into the book bookID, which the actor must edit (an unseen
// book answers ErrNotFound, a viewer ErrForbidden). New contacts are written with COPY in
// one transaction with the merges and one audit entry naming every created and merged
// contact. See the comment at the top of this file for matching.
func (s *Store) ImportContacts(ctx context.Context, actor Actor, bookID string, rows []ImportRow, opt ImportOptions) (ImportReport, error) {
	rep := ImportReport{BookID: bookID, DryRun: opt.DryRun, Rows: make([]ImportResult, 0, len(rows))}
	switch opt.OnMatch {
	case "":
		opt.OnMatch = ImportMerge
	case ImportMerge, ImportSkip, ImportCreate:
	default:
		return rep, &model.FieldError{Field: "on_match", Msg: "must be merge, skip or create"}
	}
	if !ValidID(bookID) {
		return rep, ErrNotFound
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := requireRole(ctx, tx, actor, bookID, model.RoleEditor); err != nil {
			return err
		}
		if !opt.DryRun {
			// Two imports into one book run one after the other, so the second sees what the
			// first created and a file sent twice at once still yields no duplicates.
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('contact-import/' || $1::text, 0))`, bookID); err != nil {
				return err
			}
		}
		defs, err := fieldDefs(ctx, tx, bookID)
		if err != nil {
			return err
		}
		ix, err := loadImportIndex(ctx, tx, actor, bookID)
		if err != nil {
			return err
		}
		// Normalise every row, then fold the name keys in one query.
		contacts := make([]model.Contact, len(rows))
		for i, r := range rows {
			rep.Rows = append(rep.Rows, ImportResult{Line: r.Line})
			if r.Err != "" {
				rep.Rows[i].Action, rep.Rows[i].Reason = ImportError, r.Err
				continue
			}
			c := r.Contact
			c.ID, c.BookID = "", bookID
			if err := c.Normalize(s.defaultRegion, defs); err != nil {
				rep.Rows[i].Action = ImportError
				rep.Rows[i].Reason, rep.Rows[i].Field = fieldReason(err)
				continue
			}
			contacts[i] = c
			rep.Rows[i].Name = c.DisplayName
		}
		keys, err := nameKeys(ctx, tx, contacts)
		if err != nil {
			return err
		}
		// Pass 1: decide each row's action and target.
		targets := make([]*importTarget, len(rows))
		for i := range rows {
			if opt.Progress != nil && i%500 == 0 {
				opt.Progress(i, len(rows))
			}
			res := &rep.Rows[i]
			if res.Action == ImportError {
				continue
			}
			t, by := ix.match(contacts[i], keys[i])
			if t != nil && opt.OnMatch != ImportCreate {
				res.MatchedBy, targets[i] = by, t
				if opt.OnMatch == ImportSkip {
					res.Action, res.Reason = ImportSkip, "matches a contact by "+by
					continue
				}
				res.Action = ImportMerge
				ix.add(t, contacts[i], keys[i])
				continue
			}
			t = &importTarget{id: newUUID()}
			c := contacts[i]
			t.contact = &c
			targets[i], res.Action = t, ImportCreate
			ix.add(t, contacts[i], keys[i])
		}
		// Pass 2: merge into the loaded contacts and the ones being created.
		if err := loadTargets(ctx, tx, s, actor, targets); err != nil {
			return err
		}
		for i := range rows {
			res := &rep.Rows[i]
			if res.Action != ImportMerge {
				continue
			}
			t := targets[i]
			merged := *t.contact
			merged.Emails, merged.Phones = slices.Clone(merged.Emails), slices.Clone(merged.Phones)
			merged.Addresses, merged.Websites = slices.Clone(merged.Addresses), slices.Clone(merged.Websites)
			merged.Socials, merged.Tags = slices.Clone(merged.Socials), slices.Clone(merged.Tags)
			if !mergeContact(&merged, contacts[i]) {
				res.Action, res.Reason = ImportSkip, "already in the book; nothing new"
				if t.existing {
					res.ContactID = t.id
				}
				continue
			}
			if err := merged.Normalize(s.defaultRegion, defs); err != nil {
				res.Action = ImportError
				res.Reason, res.Field = fieldReason(err)
				continue
			}
			*t.contact, t.changed = merged, true
			if !t.existing {
				// Merged into a contact this import creates: one create.
				res.Action, res.Reason = ImportSkip, "merged into the contact created from an earlier row"
			}
		}
		var created, mergedIDs []string
		for i := range rep.Rows {
			res := &rep.Rows[i]
			switch res.Action {
			case ImportCreate:
				rep.Created++
				created = append(created, targets[i].id)
			case ImportMerge:
				rep.Merged++
				if !slices.Contains(mergedIDs, targets[i].id) {
					mergedIDs = append(mergedIDs, targets[i].id)
				}
			case ImportSkip:
				rep.Skipped++
			case ImportError:
				rep.Errors++
				continue
			}
			if targets[i] != nil && (targets[i].existing || !opt.DryRun) {
				res.ContactID = targets[i].id
			}
		}
		if opt.DryRun || (opt.AllOrNothing && rep.Errors > 0) {
			return nil
		}
		var newContacts []model.Contact
		for i := range rows {
			if rep.Rows[i].Action == ImportCreate {
				c := *targets[i].contact
				c.ID = targets[i].id
				newContacts = append(newContacts, c)
			}
		}
		if err := copyContacts(ctx, tx, actor, newContacts); err != nil {
			return err
		}
		if err := updateImported(ctx, tx, targets, mergedIDs); err != nil {
			return err
		}
		rep.Applied = true
		if opt.Progress != nil {
			opt.Progress(len(rows), len(rows))
		}
		return audit(ctx, tx, actor, "contact.import", append(slices.Clone(created), mergedIDs...), nil, map[string]any{
			"book_id": bookID, "format": opt.Format, "source": opt.Source, "created": orEmpty(created), "merged": orEmpty(mergedIDs),
			"skipped": rep.Skipped, "errors": rep.Errors})
	})
	if err != nil {
		return ImportReport{}, wrap(err)
	}
	return rep, nil
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// fieldReason splits a validation error into its message and field.
func fieldReason(err error) (string, string) {
	if fe, ok := err.(*model.FieldError); ok {
		return fe.Msg, fe.Field
	}
	return strings.TrimPrefix(err.Error(), "model: "), ""
}

// pointKey keys an e-mail address or phone number by the kind of contact holding it: a
// person and their company often share a number or an info@ address, and are not one
// contact.
func pointKey(kind, value string) string { return kind + "|" + value }

// nameKeys folds what name + organisation matching compares: the display name and the
// organisation, given and family name (without titles) and organisation for a person, the
// organisation's name for an organisation. Rows without a name get "".
func nameKeys(ctx context.Context, tx pgx.Tx, cs []model.Contact) ([]string, error) {
	raw := make([]string, len(cs))
	for i, c := range cs {
		if c.DisplayName != "" {
			raw[i] = nameKeyOf(string(c.Kind), c.GivenName, c.FamilyName, c.OrgName)
		}
	}
	return foldAll(ctx, tx, raw)
}

// nameKeyOf is the unfolded name key of a contact.
func nameKeyOf(kind, given, family, org string) string {
	if kind == string(model.KindPerson) {
		return kind + "|" + strings.Join(strings.Fields(given+" "+family), " ") + "|" + org
	}
	return kind + "||" + org
}

// foldAll folds texts with kontakt_fold (lowercase, without diacritics) in one query.
func foldAll(ctx context.Context, tx pgx.Tx, raw []string) ([]string, error) {
	var keys []string
	err := tx.QueryRow(ctx, `SELECT coalesce(array_agg(coalesce(kontakt_fold(x), '') ORDER BY n), '{}')
		FROM unnest($1::text[]) WITH ORDINALITY AS t(x, n)`, raw).Scan(&keys)
	return keys, err
}

// loadImportIndex indexes the contacts of the book that the actor sees as a writer.
func loadImportIndex(ctx context.Context, tx pgx.Tx, actor Actor, bookID string) (*importIndex, error) {
	ix := &importIndex{byEmail: map[string]*importTarget{}, byPhone: map[string]*importTarget{}, byName: map[string]*importTarget{}}
	rows, err := tx.Query(ctx, `SELECT c.id, c.kind, c.given_name, c.family_name, c.org_name,
			coalesce((SELECT array_agg(lower(p.value)) FROM contact_points p WHERE p.contact_id = c.id AND p.kind = 'email'), '{}'),
			coalesce((SELECT array_agg(p.value) FROM contact_points p WHERE p.contact_id = c.id AND p.kind = 'phone'), '{}')
		  FROM contacts c WHERE c.book_id = $2 AND `+contactInVisibleBook+` ORDER BY c.created_at, c.id`, actor.UserID, bookID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var raw []string
	var owners []*importTarget
	for rows.Next() {
		var id, kind, given, family, org string
		var emails, phones []string
		if err := rows.Scan(&id, &kind, &given, &family, &org, &emails, &phones); err != nil {
			return nil, err
		}
		t := &importTarget{id: id, existing: true}
		for _, e := range emails {
			if k := pointKey(kind, e); ix.byEmail[k] == nil {
				ix.byEmail[k] = t
			}
		}
		for _, p := range phones {
			if k := pointKey(kind, p); ix.byPhone[k] == nil {
				ix.byPhone[k] = t
			}
		}
		raw = append(raw, nameKeyOf(kind, given, family, org))
		owners = append(owners, t)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	keys, err := foldAll(ctx, tx, raw)
	if err != nil {
		return nil, err
	}
	for i, k := range keys {
		if ix.byName[k] == nil {
			ix.byName[k] = owners[i]
		}
	}
	return ix, nil
}

// loadTargets reads the existing contacts rows are merged into.
func loadTargets(ctx context.Context, tx pgx.Tx, s *Store, actor Actor, targets []*importTarget) error {
	var ids []string
	for _, t := range targets {
		if t != nil && t.existing && t.contact == nil && !slices.Contains(ids, t.id) {
			ids = append(ids, t.id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	rows, err := tx.Query(ctx, `SELECT `+contactColumns+` FROM contacts c WHERE c.id = ANY($2) AND `+contactInVisibleBook, actor.UserID, ids)
	if err != nil {
		return err
	}
	cs, err := collect(rows, func(r pgx.Row) (model.Contact, error) {
		c, _, err := scanContact(r)
		return c, err
	})
	if err != nil {
		return err
	}
	if err := s.loadDetails(ctx, tx, actor, cs); err != nil {
		return err
	}
	for i := range cs {
		for _, t := range targets {
			if t != nil && t.id == cs[i].ID {
				c := cs[i]
				t.contact = &c
			}
		}
	}
	return nil
}

// mergeContact fills dst's empty fields from src and adds the contact points, tags and
// custom values dst lacks. It reports whether dst changed.
func mergeContact(dst *model.Contact, src model.Contact) bool {
	changed := false
	fill := func(d *string, s string) {
		if *d == "" && s != "" {
			*d, changed = s, true
		}
	}
	fill(&dst.Prefix, src.Prefix)
	fill(&dst.GivenName, src.GivenName)
	fill(&dst.AdditionalName, src.AdditionalName)
	fill(&dst.FamilyName, src.FamilyName)
	fill(&dst.Suffix, src.Suffix)
	fill(&dst.OrgName, src.OrgName)
	fill(&dst.JobTitle, src.JobTitle)
	if dst.Birthday == nil && src.Birthday != nil {
		dst.Birthday, changed = src.Birthday, true
	}
	for _, e := range src.Emails {
		if !slices.ContainsFunc(dst.Emails, func(x model.Email) bool { return strings.EqualFold(x.Value, e.Value) }) {
			e.Preferred = e.Preferred && len(dst.Emails) == 0
			dst.Emails, changed = append(dst.Emails, e), true
		}
	}
	for _, p := range src.Phones {
		if !slices.ContainsFunc(dst.Phones, func(x model.Phone) bool { return x.Value == p.Value }) {
			p.Preferred = p.Preferred && len(dst.Phones) == 0
			dst.Phones, changed = append(dst.Phones, p), true
		}
	}
	for _, a := range src.Addresses {
		key := func(x model.Address) string {
			return strings.ToLower(strings.Join([]string{x.Street, x.Locality, x.PostalCode, x.Country}, "|"))
		}
		if !slices.ContainsFunc(dst.Addresses, func(x model.Address) bool { return key(x) == key(a) }) {
			a.Preferred = a.Preferred && len(dst.Addresses) == 0
			dst.Addresses, changed = append(dst.Addresses, a), true
		}
	}
	for _, w := range src.Websites {
		if !slices.ContainsFunc(dst.Websites, func(x model.Website) bool { return x.URL == w.URL }) {
			dst.Websites, changed = append(dst.Websites, w), true
		}
	}
	for _, so := range src.Socials {
		if !slices.ContainsFunc(dst.Socials, func(x model.Social) bool { return x.Network == so.Network && x.Handle == so.Handle }) {
			dst.Socials, changed = append(dst.Socials, so), true
		}
	}
	for _, t := range src.Tags {
		if !slices.Contains(dst.Tags, t) {
			dst.Tags, changed = append(dst.Tags, t), true
		}
	}
	for k, v := range src.Custom {
		if _, ok := dst.Custom[k]; !ok {
			if dst.Custom == nil {
				dst.Custom = map[string]any{}
			}
			dst.Custom[k], changed = v, true
		}
	}
	return changed
}

// copyContacts writes new, normalised contacts (with their ids) and their contact points
// with COPY, then computes their search text in one statement. The contacts' feed
// triggers fire per row as for any insert, so devices syncing the book get them.
func copyContacts(ctx context.Context, tx pgx.Tx, actor Actor, cs []model.Contact) error {
	if len(cs) == 0 {
		return nil
	}
	var createdBy *string
	if actor.UserID != "" {
		createdBy = &actor.UserID
	}
	ids := make([]string, len(cs))
	crow := make([][]any, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
		crow[i] = []any{c.ID, c.BookID, string(c.Kind), string(c.Type), c.Prefix, c.GivenName, c.AdditionalName, c.FamilyName,
			c.Suffix, c.OrgName, c.DisplayName, c.JobTitle, birthdayOf(c), c.Tags, c.Custom, createdBy}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"contacts"}, []string{"id", "book_id", "kind", "contact_type", "prefix",
		"given_name", "additional_name", "family_name", "suffix", "org_name", "display_name", "job_title", "birthday", "tags",
		"custom", "created_by"}, pgx.CopyFromRows(crow)); err != nil {
		return fmt.Errorf("copy contacts: %w", err)
	}
	return writeImportedPoints(ctx, tx, cs, ids)
}

func birthdayOf(c model.Contact) *time.Time {
	if c.Birthday == nil {
		return nil
	}
	t, err := time.Parse(time.DateOnly, *c.Birthday)
	if err != nil {
		return nil
	}
	return &t
}

// writeImportedPoints replaces the contact points of cs (ids) with COPY and refreshes their
// search text, as writePoints does for one contact.
func writeImportedPoints(ctx context.Context, tx pgx.Tx, cs []model.Contact, ids []string) error {
	var prow [][]any
	for _, c := range cs {
		for j, e := range c.Emails {
			prow = append(prow, []any{c.ID, "email", e.Label, e.Value, "", "", "", "", "", "", "", e.Preferred, j})
		}
		for j, p := range c.Phones {
			prow = append(prow, []any{c.ID, "phone", p.Label, p.Value, "", "", "", "", "", "", "", p.Preferred, j})
		}
		for j, w := range c.Websites {
			prow = append(prow, []any{c.ID, "url", w.Label, w.URL, "", "", "", "", "", "", "", false, j})
		}
		for j, so := range c.Socials {
			prow = append(prow, []any{c.ID, "social", "", so.Handle, string(so.Network), so.URL, "", "", "", "", "", false, j})
		}
		for j, a := range c.Addresses {
			prow = append(prow, []any{c.ID, "address", a.Label, "", "", "", a.Street, a.Locality, a.Region, a.PostalCode, a.Country, a.Preferred, j})
		}
	}
	if _, err := tx.Exec(ctx, `DELETE FROM contact_points WHERE contact_id = ANY($1)`, ids); err != nil {
		return err
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"contact_points"}, []string{"contact_id", "kind", "label", "value", "network",
		"url", "street", "locality", "region", "postal_code", "country", "preferred", "position"}, pgx.CopyFromRows(prow)); err != nil {
		return fmt.Errorf("copy contact points: %w", err)
	}
	_, err := tx.Exec(ctx, `UPDATE contacts c SET search_text = kontakt_fold(concat_ws(' ', c.display_name, c.org_name, c.job_title,
			array_to_string(c.tags, ' '),
			(SELECT string_agg(concat_ws(' ', p.value, p.network, p.locality, p.street, p.postal_code), ' ')
			   FROM contact_points p WHERE p.contact_id = c.id)))
		WHERE c.id = ANY($1)`, ids)
	return err
}

// updateImported writes the merged contacts as UpdateContact does (new version, so the
// feed tells devices), set-based: one UPDATE from a JSON array, then their points.
func updateImported(ctx context.Context, tx pgx.Tx, targets []*importTarget, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	type row struct {
		ID             string         `json:"id"`
		Prefix         string         `json:"prefix"`
		GivenName      string         `json:"given_name"`
		AdditionalName string         `json:"additional_name"`
		FamilyName     string         `json:"family_name"`
		Suffix         string         `json:"suffix"`
		OrgName        string         `json:"org_name"`
		DisplayName    string         `json:"display_name"`
		JobTitle       string         `json:"job_title"`
		Birthday       *string        `json:"birthday"`
		Tags           []string       `json:"tags"`
		Custom         map[string]any `json:"custom"`
	}
	byID := make(map[string]*model.Contact, len(ids))
	for _, t := range targets {
		if t != nil && t.changed && t.existing {
			byID[t.id] = t.contact
		}
	}
	rows := make([]row, 0, len(ids))
	cs := make([]model.Contact, 0, len(ids))
	for _, id := range ids {
		c := byID[id]
		c.ID = id
		rows = append(rows, row{id, c.Prefix, c.GivenName, c.AdditionalName, c.FamilyName, c.Suffix, c.OrgName, c.DisplayName,
			c.JobTitle, c.Birthday, c.Tags, c.Custom})
		cs = append(cs, *c)
	}
	data, err := json.Marshal(rows)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE contacts c SET prefix = m.prefix, given_name = m.given_name,
			additional_name = m.additional_name, family_name = m.family_name, suffix = m.suffix, org_name = m.org_name,
			display_name = m.display_name, job_title = m.job_title, birthday = m.birthday::date, tags = coalesce(m.tags, '{}'),
			custom = coalesce(m.custom, '{}'), version = c.version + 1, updated_at = now()
		FROM jsonb_to_recordset($1::jsonb) AS m(id uuid, prefix text, given_name text, additional_name text,
			family_name text, suffix text, org_name text, display_name text, job_title text, birthday text, tags text[], custom jsonb)
		WHERE c.id = m.id`, data); err != nil {
		return err
	}
	return writeImportedPoints(ctx, tx, cs, ids)
}
