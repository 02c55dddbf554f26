package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// TestSyncCollections: a collection needs both the policy's visibility and a live sync
// grant; the change feed reports edits, and deletions, moves and lost visibility as
// removals, in pages; the ledger and the audit log record what a device was given.
func TestSyncCollections(t *testing.T) {
	ctx := context.Background()
	st, pool := newStore(t)
	sys := store.Actor{Channel: model.ChannelSystem}
	admin, err := st.CreateUser(ctx, sys, model.User{Login: "admin", Name: "Admin", IsAdmin: true}, "")
	mustNoErr(t, err)
	jana, err := st.CreateUser(ctx, sys, model.User{Login: "jana", Name: "Jana"}, "")
	mustNoErr(t, err)
	a := store.Actor{UserID: admin.ID, Channel: model.ChannelAPI}
	books := map[string]model.Book{}
	for _, n := range []string{"synced", "unsynced", "invisible", "expired"} {
		b, err := st.CreateBook(ctx, a, n, "")
		mustNoErr(t, err)
		books[n] = b
	}
	for _, n := range []string{"synced", "unsynced", "expired"} {
		_, err := st.PutGrant(ctx, a, model.Grant{BookID: books[n].ID, UserID: &jana.ID, Role: model.RoleEditor})
		mustNoErr(t, err)
	}
	for _, n := range []string{"synced", "invisible", "expired"} {
		_, err := st.PutSyncGrant(ctx, a, model.SyncGrant{UserID: jana.ID, BookID: books[n].ID, Mode: model.SyncRead})
		mustNoErr(t, err)
	}
	_, err = pool.Exec(ctx, `UPDATE sync_grants SET until = now() - interval '1 day' WHERE book_id = $1`, books["expired"].ID)
	mustNoErr(t, err)

	colls, err := st.SyncCollections(ctx, jana.ID)
	mustNoErr(t, err)
	if len(colls) != 1 || colls[0].BookID != books["synced"].ID || colls[0].Role != model.RoleEditor || colls[0].Mode != model.SyncRead || colls[0].CTag != "0" {
		t.Fatalf("collections %+v", colls)
	}
	for _, n := range []string{"unsynced", "invisible", "expired"} {
		if _, err := st.SyncCollectionOf(ctx, jana.ID, books[n].ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: %v, want ErrNotFound", n, err)
		}
		if _, err := st.CollectionContacts(ctx, jana.ID, books[n].ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("contacts of %s: %v, want ErrNotFound", n, err)
		}
	}

	book := books["synced"].ID
	var ids []string
	for _, name := range []string{"Adam", "Bára", "Cyril", "Dana"} {
		c, err := st.CreateContact(ctx, a, model.Contact{BookID: book, Kind: model.KindPerson, FamilyName: name,
			Emails: []model.Email{{Value: name[:1] + "@example.com", Label: "work"}}})
		mustNoErr(t, err)
		ids = append(ids, c.ID)
	}
	cs, err := st.CollectionContacts(ctx, jana.ID, book)
	mustNoErr(t, err)
	if len(cs) != 4 || len(cs[0].Emails) != 1 {
		t.Fatalf("contacts %+v", cs)
	}
	coll, err := st.SyncCollectionOf(ctx, jana.ID, book)
	mustNoErr(t, err)
	head := coll.Seq

	// an edit, a delete, a move out
	title := "Ředitel"
	_, err = st.UpdateContact(ctx, a, ids[0], model.ContactPatch{JobTitle: &title}, 0)
	mustNoErr(t, err)
	mustNoErr(t, st.DeleteContact(ctx, a, ids[1]))
	to := books["unsynced"].ID
	_, err = st.UpdateContact(ctx, a, ids[2], model.ContactPatch{BookID: &to}, 0)
	mustNoErr(t, err)
	changed, removed, seq, truncated, err := st.CollectionChanges(ctx, jana.ID, book, head, 0)
	mustNoErr(t, err)
	slices.Sort(removed)
	wantRemoved := []string{ids[1], ids[2]}
	slices.Sort(wantRemoved)
	if len(changed) != 1 || changed[0].ID != ids[0] || changed[0].JobTitle != title || !slices.Equal(removed, wantRemoved) || truncated || seq <= head {
		t.Fatalf("changes: %v %v %d %v", changed, removed, seq, truncated)
	}
	// paged: one contact at a time, every change covered
	var seen []string
	for since, rounds := head, 0; ; rounds++ {
		if rounds > 5 {
			t.Fatal("paging never ended")
		}
		ch, rm, next, more, err := st.CollectionChanges(ctx, jana.ID, book, since, 1)
		mustNoErr(t, err)
		if len(ch)+len(rm) != 1 && more {
			t.Fatalf("page of %d", len(ch)+len(rm))
		}
		for _, c := range ch {
			seen = append(seen, c.ID)
		}
		seen = append(seen, rm...)
		since = next
		if !more {
			break
		}
	}
	if len(seen) != 3 {
		t.Fatalf("paged changes %v", seen)
	}
	// no changes: the same position
	if ch, rm, next, _, err := st.CollectionChanges(ctx, jana.ID, book, seq, 0); err != nil || len(ch)+len(rm) != 0 || next != seq {
		t.Fatalf("no change: %v %v %d %v", ch, rm, next, err)
	}
	// losing the book grant: the collection is gone
	grants, err := st.ListGrants(ctx, a, book)
	mustNoErr(t, err)
	mustNoErr(t, st.DeleteGrant(ctx, a, book, grants[0].ID))
	if _, _, _, _, err := st.CollectionChanges(ctx, jana.ID, book, seq, 0); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("changes of a book no longer visible: %v", err)
	}

	// the ledger
	dev, err := st.CreateDevice(ctx, store.Actor{UserID: jana.ID, Channel: model.ChannelAPI}, "telefon", "abcde", []byte("0123456789abcdef0123456789abcdef"))
	mustNoErr(t, err)
	mustNoErr(t, st.RecordServed(ctx, dev.ID, book, []store.ContactVersion{{ContactID: ids[0], Version: 2}, {ContactID: ids[3], Version: 1}}, nil))
	held, err := st.HeldContacts(ctx, dev.ID, book)
	mustNoErr(t, err)
	if len(held) != 2 {
		t.Fatalf("held %v", held)
	}
	mustNoErr(t, st.RecordServed(ctx, dev.ID, book, nil, []string{ids[3]}))
	mustNoErr(t, st.RecordHeld(ctx, dev.ID, book, []string{ids[0]}))
	hb, err := st.HeldBooks(ctx, dev.ID)
	mustNoErr(t, err)
	if held, _ = st.HeldContacts(ctx, dev.ID, book); len(held) != 1 || held[0] != ids[0] || len(hb) != 1 {
		t.Fatalf("held after removal %v, books %v", held, hb)
	}
	mustNoErr(t, st.RecordHeld(ctx, dev.ID, book, nil))
	if held, _ = st.HeldContacts(ctx, dev.ID, book); len(held) != 0 {
		t.Fatalf("held after an empty listing %v", held)
	}
	entries, err := st.ListAudit(ctx, store.AuditFilter{Action: "carddav.sync"})
	mustNoErr(t, err)
	if len(entries) != 2 || entries[1].Channel != model.ChannelCardDAV || len(entries[1].ContactIDs) != 2 || *entries[1].ActorID != jana.ID {
		t.Fatalf("audit %+v", entries)
	}
	devs, err := st.ListDevices(ctx, store.Actor{UserID: jana.ID}, jana.ID)
	mustNoErr(t, err)
	if devs[0].LastSyncAt == nil {
		t.Fatal("last sync time not set")
	}
}

// TestCreateContact: a client-chosen UUID becomes the contact's id unless taken.
func TestCreateContact(t *testing.T) {
	ctx := context.Background()
	st, _ := newStore(t)
	admin, err := st.CreateUser(ctx, store.Actor{Channel: model.ChannelSystem}, model.User{Login: "admin", Name: "Admin", IsAdmin: true}, "")
	mustNoErr(t, err)
	a := store.Actor{UserID: admin.ID, Channel: model.ChannelCardDAV}
	b, err := st.CreateBook(ctx, a, "Kniha", "")
	mustNoErr(t, err)
	want := "6b8f3c0e-2b7a-4d39-9d1c-4f2e7a1b9c01"
	c, err := st.CreateContact(ctx, a, model.Contact{ID: want, BookID: b.ID, Kind: model.KindPerson, FamilyName: "Nová"})
	mustNoErr(t, err)
	if c.ID != want {
		t.Fatalf("id %s, want %s", c.ID, want)
	}
	again, err := st.CreateContact(ctx, a, model.Contact{ID: want, BookID: b.ID, Kind: model.KindPerson, FamilyName: "Druhá"})
	mustNoErr(t, err)
	if again.ID == want || !store.ValidID(again.ID) {
		t.Fatalf("a taken id was reused: %s", again.ID)
	}
	if _, err := st.CreateContact(ctx, a, model.Contact{ID: "x", BookID: b.ID, Kind: model.KindPerson}); err == nil {
		t.Fatal("a contact without a name was stored")
	}
}

func mustNoErr(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestFeedSeqsCommitInOrder: a writer to a book waits for an earlier writer's commit before
// it draws its seq, so a sync token (a seq) can never pass over a change that commits later.
func TestFeedSeqsCommitInOrder(t *testing.T) {
	ctx := context.Background()
	st, pool := newStore(t)
	a, b := fixture(t, st)
	var ids []string
	for _, name := range []string{"První", "Druhý"} {
		c, err := st.CreateContact(ctx, a, model.Contact{BookID: b.ID, Kind: "person", FamilyName: name})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	tx1, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx1.Rollback(ctx) //nolint:errcheck
	if _, err := tx1.Exec(ctx, `UPDATE contacts SET version = version + 1 WHERE id = $1`, ids[0]); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := pool.Exec(ctx, `UPDATE contacts SET version = version + 1 WHERE id = $1`, ids[1])
		done <- err
	}()
	// The second writer must be waiting for the book's feed lock.
	for waiting := 0; waiting == 0; {
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-done:
			t.Fatalf("the second writer did not wait for the first: %v", err)
		default:
		}
	}
	if err := tx1.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var first, second int64
	if err := pool.QueryRow(ctx, `SELECT (SELECT max(seq) FROM book_changes WHERE contact_id = $1),
		(SELECT max(seq) FROM book_changes WHERE contact_id = $2)`, ids[0], ids[1]).Scan(&first, &second); err != nil {
		t.Fatal(err)
	}
	if first >= second {
		t.Fatalf("seq of the first commit %d, of the second %d", first, second)
	}
}

// TestRelationsMoveVersions: a person's ORG comes from relations, so adding one, renaming the
// organisation and removing the relation each give the person a new version and a feed row.
func TestRelationsMoveVersions(t *testing.T) {
	ctx := context.Background()
	st, pool := newStore(t)
	a, b := fixture(t, st)
	person, err := st.CreateContact(ctx, a, model.Contact{BookID: b.ID, Kind: "person", FamilyName: "Horák"})
	if err != nil {
		t.Fatal(err)
	}
	org, err := st.CreateContact(ctx, a, model.Contact{BookID: b.ID, Kind: "organisation", OrgName: "Cihelna"})
	if err != nil {
		t.Fatal(err)
	}
	state := func() (version int64, feed int) {
		t.Helper()
		if err := pool.QueryRow(ctx, `SELECT (SELECT version FROM contacts WHERE id = $1),
			(SELECT count(*) FROM book_changes WHERE contact_id = $1)`, person.ID).Scan(&version, &feed); err != nil {
			t.Fatal(err)
		}
		return version, feed
	}
	v0, f0 := state()
	rel, err := st.AddRelation(ctx, a, model.Relation{PersonID: person.ID, OrganisationID: org.ID, Role: "mistr"})
	if err != nil {
		t.Fatal(err)
	}
	v1, f1 := state()
	name := "Cihelna Horák a syn"
	if _, err := st.UpdateContact(ctx, a, org.ID, model.ContactPatch{OrgName: &name}, 0); err != nil {
		t.Fatal(err)
	}
	v2, f2 := state()
	if err := st.DeleteRelation(ctx, a, rel.ID); err != nil {
		t.Fatal(err)
	}
	v3, f3 := state()
	if !(v0 < v1 && v1 < v2 && v2 < v3) || !(f0 < f1 && f1 < f2 && f2 < f3) {
		t.Fatalf("versions %d %d %d %d, feed rows %d %d %d %d: each step must move both", v0, v1, v2, v3, f0, f1, f2, f3)
	}
}
