package store

import (
	"context"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/kontakt/kontakt/model"
)

// What the CardDAV server reads and writes. Every read here goes through the one visibility
// policy (policy.go) and, on top of it, needs a live sync grant: a book the user may see but
// does not sync is not a collection, and a sync grant on a book the user may not see gives
// nothing. The carddav package never decides who sees what; it only asks these functions.
//
// In every query that uses the policy, $1 is, as there, the id of the user who syncs.

// SyncCollection is an address book a user syncs to devices: one they may see (policy) and
// hold a live sync grant for; or a project they are a member of with project sync (Project
// set, BookID the project's id, read-only, named "Project <name>", or "Projekt <name>" for
// Czech users). CTag is the collection's position in the change feed (the highest
// book_changes.seq, "0" for a collection without changes); it changes whenever a contact of
// the collection, or its sync profile, changes.
type SyncCollection struct {
	BookID      string
	Name        string
	Description string
	Mode        model.SyncMode
	Role        model.Role
	SyncProfile []string
	CTag        string
	Seq         int64 // CTag as a number: the head of the collection's change feed
	Project     bool
}

// ContactVersion is a contact as a device was given it: the sync ledger's unit.
type ContactVersion struct {
	ContactID string
	Version   int64
}

// syncCollectionSelect lists the books user $1 syncs, with their role, grant mode and the
// head of their change feed (an index-only look-up on book_changes_book_seq).
var syncCollectionSelect = `SELECT b.id, b.name, b.description, g.mode, r.role, b.sync_profile,
		coalesce((SELECT max(bc.seq) FROM book_changes bc WHERE bc.book_id = b.id), 0) AS seq, false AS project
	  FROM sync_grants g
	  JOIN address_books b ON b.id = g.book_id
	  JOIN LATERAL (SELECT ` + roleOn("b.id") + ` AS role) r ON r.role IS NOT NULL
	 WHERE g.user_id = $1 AND ` + liveSyncGrant("b.id") + ` AND ` + bookVisible("b.id")

// projectCollectionSelect lists the projects user $1 syncs: read-only, with the viewer's
// role, named in the user's language, fed by the project's own change feed.
var projectCollectionSelect = `SELECT p.id,
		CASE WHEN lower(u.locale) LIKE 'cs%' THEN 'Projekt ' ELSE 'Project ' END || p.name, p.description,
		'read', 'viewer', p.sync_profile,
		coalesce((SELECT max(bc.seq) FROM book_changes bc WHERE bc.book_id = p.id), 0) AS seq, true AS project
	  FROM project_members m
	  JOIN projects p ON p.id = m.project_id
	  JOIN users u ON u.id = m.user_id AND NOT u.disabled
	 WHERE m.user_id = $1 AND ` + liveProjectSync("p.id")

func scanSyncCollection(row pgx.Row) (SyncCollection, error) {
	var c SyncCollection
	err := row.Scan(&c.BookID, &c.Name, &c.Description, &c.Mode, &c.Role, &c.SyncProfile, &c.Seq, &c.Project)
	c.CTag = strconv.FormatInt(c.Seq, 10)
	return c, wrap(err)
}

// SyncCollections returns the books userID may see and holds a live sync grant for, and the
// projects they sync, by name.
func (s *Store) SyncCollections(ctx context.Context, userID string) ([]SyncCollection, error) {
	rows, err := s.pool.Query(ctx, `SELECT * FROM (`+syncCollectionSelect+` UNION ALL `+projectCollectionSelect+`) x
		ORDER BY lower(x.name), x.id`, userID)
	if err != nil {
		return nil, wrap(err)
	}
	return collect(rows, scanSyncCollection)
}

// SyncCollectionOf returns one of the user's sync collections, a book or a project;
// ErrNotFound when it is invisible to them, unknown, or not synced.
func (s *Store) SyncCollectionOf(ctx context.Context, userID, id string) (SyncCollection, error) {
	if !ValidID(id) {
		return SyncCollection{}, ErrNotFound
	}
	return scanSyncCollection(s.pool.QueryRow(ctx, syncCollectionSelect+` AND b.id = $2 UNION ALL `+projectCollectionSelect+` AND p.id = $2`,
		userID, id))
}

// collectionWhere selects the contacts of the collection $2 that user $1 may see in it: of a
// book, its contacts the user sees through it; of a project, its involved contacts the
// project shares with the user (the policy's visibleThroughBook and visibleThroughProject),
// in either case only while the user syncs the collection.
func collectionWhere(project bool) string {
	if project {
		return projectCollectionWhere
	}
	return bookCollectionWhere
}

var (
	bookCollectionWhere    = `c.book_id = $2 AND ` + visibleThroughBook + ` AND ` + liveSyncGrant("c.book_id")
	projectCollectionWhere = visibleThroughProject("$2") + ` AND ` + liveProjectSync("$2")
)

// isProject reports whether a collection id names a project (ids of books and projects are
// random UUIDs and never collide), for the reads that are not given the collection.
func (s *Store) isProject(ctx context.Context, id string) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM projects WHERE id = $1)`, id).Scan(&ok)
	return ok, wrap(err)
}

// CollectionContacts returns every contact of a sync collection the user may see, with
// contact points and visible relations, ordered by id. ErrNotFound when the collection is
// not the user's. Reads are not audited here: RecordServed audits what a device was given.
func (s *Store) CollectionContacts(ctx context.Context, userID, bookID string) ([]model.Contact, error) {
	cs, _, err := s.CollectionContactsAfter(ctx, userID, bookID, "", 0)
	return cs, err
}

// CollectionContactsAfter returns the collection's contacts with an id greater than afterID
// ("" from the start), at most limit of them (0: all), ordered by id, and whether more
// follow. It pages an initial sync.
func (s *Store) CollectionContactsAfter(ctx context.Context, userID, bookID, afterID string, limit int) ([]model.Contact, bool, error) {
	coll, err := s.SyncCollectionOf(ctx, userID, bookID)
	if err != nil {
		return nil, false, err
	}
	args := []any{userID, bookID}
	sql := `SELECT ` + contactColumns + ` FROM contacts c WHERE ` + collectionWhere(coll.Project)
	if afterID != "" {
		if !ValidID(afterID) {
			return nil, false, ErrNotFound
		}
		args = append(args, afterID)
		sql += ` AND c.id > $3`
	}
	sql += ` ORDER BY c.id`
	if limit > 0 {
		args = append(args, limit+1)
		sql += ` LIMIT $` + strconv.Itoa(len(args))
	}
	cs, err := s.scanContacts(ctx, userID, sql, args...)
	if err != nil {
		return nil, false, err
	}
	more := limit > 0 && len(cs) > limit
	if more {
		cs = cs[:limit]
	}
	return cs, more, s.loadDetails(ctx, s.pool, Actor{UserID: userID}, cs)
}

// CollectionVersions lists the id and version of every contact of a sync collection the
// user may see, ordered by id: what a PROPFIND of the collection needs for its ETags,
// without loading the contacts.
func (s *Store) CollectionVersions(ctx context.Context, userID, bookID string) ([]ContactVersion, error) {
	coll, err := s.SyncCollectionOf(ctx, userID, bookID)
	if err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT c.id, c.version FROM contacts c WHERE `+collectionWhere(coll.Project)+` ORDER BY c.id`, userID, bookID)
	if err != nil {
		return nil, wrap(err)
	}
	return collect(rows, func(r pgx.Row) (ContactVersion, error) {
		var v ContactVersion
		return v, wrap(r.Scan(&v.ContactID, &v.Version))
	})
}

// CollectionContact returns one contact of a sync collection with its details; ErrNotFound
// when it is not in that book, invisible to the user, or the book is not synced.
func (s *Store) CollectionContact(ctx context.Context, userID, bookID, contactID string) (model.Contact, error) {
	if !ValidID(bookID) || !ValidID(contactID) {
		return model.Contact{}, ErrNotFound
	}
	project, err := s.isProject(ctx, bookID)
	if err != nil {
		return model.Contact{}, err
	}
	cs, err := s.scanContacts(ctx, userID, `SELECT `+contactColumns+` FROM contacts c WHERE `+collectionWhere(project)+` AND c.id = $3`,
		userID, bookID, contactID)
	if err != nil {
		return model.Contact{}, err
	}
	if len(cs) == 0 {
		return model.Contact{}, ErrNotFound
	}
	if err := s.loadDetails(ctx, s.pool, Actor{UserID: userID}, cs); err != nil {
		return model.Contact{}, err
	}
	return cs[0], nil
}

// CollectionContactsByID returns the contacts among ids that are in a sync collection and
// visible to the user, with details, ordered by id; the others are simply absent. It answers
// an addressbook-multiget in three queries however many contacts it names.
func (s *Store) CollectionContactsByID(ctx context.Context, userID, bookID string, ids []string) ([]model.Contact, error) {
	if !ValidID(bookID) {
		return nil, ErrNotFound
	}
	valid := make([]string, 0, len(ids))
	for _, id := range ids {
		if ValidID(id) {
			valid = append(valid, id)
		}
	}
	project, err := s.isProject(ctx, bookID)
	if err != nil {
		return nil, err
	}
	cs, err := s.scanContacts(ctx, userID, `SELECT `+contactColumns+` FROM contacts c WHERE `+collectionWhere(project)+` AND c.id = ANY($3)
		ORDER BY c.id`, userID, bookID, valid)
	if err != nil {
		return nil, err
	}
	return cs, s.loadDetails(ctx, s.pool, Actor{UserID: userID}, cs)
}

// CollectionChanges reads the book's change feed after sinceSeq (ARCHITECTURE.md, invariant
// 4) and sorts the contacts it names into those the user may still see in the collection
// (changed, with details) and the rest (removed: deleted, moved out, or no longer visible),
// in time proportional to the number of changes. With limit > 0 at most limit contacts are
// reported; truncated says more remain after newSeq. newSeq is the position the next
// incremental sync starts from. ErrNotFound when the collection is not the user's.
func (s *Store) CollectionChanges(ctx context.Context, userID, bookID string, sinceSeq int64, limit int) (changed []model.Contact, removed []string, newSeq int64, truncated bool, err error) {
	coll, err := s.SyncCollectionOf(ctx, userID, bookID)
	if err != nil {
		return nil, nil, 0, false, err
	}
	// Each contact once, at its latest change; the oldest latest changes first, so that a
	// truncated answer's position covers every change of the contacts it reports.
	args := []any{bookID, sinceSeq}
	sql := `SELECT contact_id, max(seq) AS last FROM book_changes WHERE book_id = $1 AND seq > $2
		GROUP BY contact_id ORDER BY last, contact_id`
	if limit > 0 {
		args = append(args, limit+1)
		sql += ` LIMIT $3`
	}
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, nil, 0, false, wrap(err)
	}
	type change struct {
		id  string
		seq int64
	}
	list, err := collect(rows, func(r pgx.Row) (change, error) {
		var c change
		return c, wrap(r.Scan(&c.id, &c.seq))
	})
	if err != nil {
		return nil, nil, 0, false, err
	}
	newSeq = max(sinceSeq, coll.Seq)
	if limit > 0 && len(list) > limit {
		list, truncated = list[:limit], true
		newSeq = list[limit-1].seq
	} else if len(list) > 0 {
		newSeq = max(newSeq, list[len(list)-1].seq)
	}
	if len(list) == 0 {
		return []model.Contact{}, []string{}, newSeq, truncated, nil
	}
	ids := make([]string, len(list))
	for i, c := range list {
		ids[i] = c.id
	}
	changed, err = s.scanContacts(ctx, userID, `SELECT `+contactColumns+` FROM contacts c WHERE `+collectionWhere(coll.Project)+` AND c.id = ANY($3)
		ORDER BY c.id`, userID, bookID, ids)
	if err != nil {
		return nil, nil, 0, false, err
	}
	if err := s.loadDetails(ctx, s.pool, Actor{UserID: userID}, changed); err != nil {
		return nil, nil, 0, false, err
	}
	seen := make(map[string]bool, len(changed))
	for _, c := range changed {
		seen[c.ID] = true
	}
	removed = []string{}
	for _, id := range ids {
		if !seen[id] {
			removed = append(removed, id)
		}
	}
	return changed, removed, newSeq, truncated, nil
}

// scanContacts runs a query of contactColumns (with $1 the reading user) and scans it.
func (s *Store) scanContacts(ctx context.Context, userID, sql string, args ...any) ([]model.Contact, error) {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, wrap(err)
	}
	return collect(rows, func(r pgx.Row) (model.Contact, error) {
		c, _, err := scanContact(r)
		return c, err
	})
}

// RecordServed writes the sync ledger after a device was given contacts of a book (served,
// at their versions) and told of removals (removed), sets the device's last sync time, and
// audits the sync once (channel carddav, action carddav.sync, the served contact ids), all
// in one transaction. A sync that gave and removed nothing only sets the time.
func (s *Store) RecordServed(ctx context.Context, deviceID, bookID string, served []ContactVersion, removed []string) error {
	return wrap(s.inTx(ctx, func(tx pgx.Tx) error {
		var userID string
		if err := tx.QueryRow(ctx, `UPDATE devices SET last_sync_at = now() WHERE id = $1 RETURNING user_id`, deviceID).Scan(&userID); err != nil {
			return err
		}
		if len(served) == 0 && len(removed) == 0 {
			return nil
		}
		ids := make([]string, len(served))
		versions := make([]int64, len(served))
		for i, v := range served {
			ids[i], versions[i] = v.ContactID, v.Version
		}
		if len(served) > 0 {
			if _, err := tx.Exec(ctx, `INSERT INTO device_contacts (device_id, contact_id, book_id, version)
				SELECT $1, x.id, $2, max(x.version) FROM unnest($3::uuid[], $4::bigint[]) AS x(id, version) GROUP BY x.id
				ON CONFLICT (device_id, book_id, contact_id) DO UPDATE
				SET version = EXCLUDED.version, served_at = now()`,
				deviceID, bookID, ids, versions); err != nil {
				return err
			}
		}
		if len(removed) > 0 {
			if _, err := tx.Exec(ctx, `DELETE FROM device_contacts WHERE device_id = $1 AND book_id = $2 AND contact_id = ANY($3::uuid[])`,
				deviceID, bookID, removed); err != nil {
				return err
			}
		}
		return audit(ctx, tx, Actor{UserID: userID, Channel: model.ChannelCardDAV}, "carddav.sync", ids, &deviceID,
			map[string]any{"book_id": bookID, "removed": removed})
	}))
}

// RecordHeld reconciles the ledger with a complete listing of a collection a device was
// given (a PROPFIND of the collection with Depth 1): what is not listed any more, the device
// no longer holds once it syncs. Clients that list instead of using sync-collection (e.g.
// vdirsyncer) would otherwise leave removed contacts in the ledger for ever.
func (s *Store) RecordHeld(ctx context.Context, deviceID, bookID string, listed []string) error {
	if listed == nil {
		listed = []string{} // <> ALL(NULL) would keep everything
	}
	_, err := s.pool.Exec(ctx, `DELETE FROM device_contacts WHERE device_id = $1 AND book_id = $2 AND contact_id <> ALL($3::uuid[])`,
		deviceID, bookID, listed)
	return wrap(err)
}

// HeldGrace is how long after a device was last given a contact the ledger still counts it
// as held when the contact's book is no longer synced: the book stays an empty collection
// for the device that long, so that every client, including those that refuse to apply an
// emptied collection until told to (vdirsyncer's --force-delete), can remove the contacts.
const HeldGrace = "30 days"

// HeldBooks lists the books of which the sync ledger says a device still holds contacts
// (within HeldGrace). A book among them that the user no longer syncs (grant revoked or
// ended, book no longer visible) is shown to the device as an empty collection.
func (s *Store) HeldBooks(ctx context.Context, deviceID string) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT book_id FROM device_contacts
		WHERE device_id = $1 AND served_at > now() - interval '`+HeldGrace+`' ORDER BY book_id`, deviceID)
	if err != nil {
		return nil, wrap(err)
	}
	return collect(rows, func(r pgx.Row) (string, error) {
		var id string
		return id, wrap(r.Scan(&id))
	})
}

// HeldContacts lists the contacts of a book the sync ledger says a device holds.
func (s *Store) HeldContacts(ctx context.Context, deviceID, bookID string) ([]string, error) {
	if !ValidID(bookID) {
		return []string{}, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT contact_id FROM device_contacts WHERE device_id = $1 AND book_id = $2
		AND served_at > now() - interval '`+HeldGrace+`' ORDER BY contact_id`, deviceID, bookID)
	if err != nil {
		return nil, wrap(err)
	}
	return collect(rows, func(r pgx.Row) (string, error) {
		var id string
		return id, wrap(r.Scan(&id))
	})
}
