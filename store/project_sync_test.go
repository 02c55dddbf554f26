package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
	"github.com/kontakt/kontakt/store/storetest"
)

// TestProjectCollectionsMatrix holds project collections to the policy on the matrix: every
// member of P1 (active) and P2 (closed) gets project sync, and each project collection holds
// exactly the project's involved contacts the member sees (b2-org stays out for lack of its
// book's consent), none of a closed project, and nothing for anyone else.
func TestProjectCollectionsMatrix(t *testing.T) {
	ctx := context.Background()
	st, _ := newStore(t)
	m, err := storetest.SeedMatrix(ctx, st, "")
	mustNoErr(t, err)
	admin := m.Actor("admin")
	read := "read"
	for _, p := range []struct {
		name    string
		members []string
	}{{"P1", []string{"cyril", "emil", "dana"}}, {"P2", []string{"admin", "alena"}}} {
		for _, l := range p.members {
			mustNoErr(t, st.PutProjectMember(ctx, admin, m.Projects[p.name].ID, m.Users[l].ID, &read))
		}
	}
	p1, p2 := m.Projects["P1"].ID, m.Projects["P2"].ID
	for _, login := range m.Logins() {
		uid := m.Users[login].ID
		colls, err := st.SyncCollections(ctx, uid)
		mustNoErr(t, err)
		var projects []string
		for _, c := range colls {
			if c.Project {
				projects = append(projects, c.BookID)
				if c.Mode != model.SyncRead || c.Role != model.RoleViewer || c.Name != "Project P1 "+storetest.MatrixWord && c.Name != "Project P2 "+storetest.MatrixWord {
					t.Errorf("%s: project collection %+v", login, c)
				}
			}
		}
		want := map[string][]string{ // login → contact keys of P1's collection
			"cyril": {"b1-org", "b4-person"}, "emil": {"b1-org", "b4-person"}, "dana": {"b1-org", "b4-person"},
		}[login]
		// P2 closed just now: its collection stays listed, empty, for its members with sync.
		wantColls := 0
		if want != nil {
			wantColls++
		}
		if login == "admin" || login == "alena" {
			wantColls++
		}
		if len(projects) != wantColls {
			t.Errorf("%s: %d project collections, want %d", login, len(projects), wantColls)
		}
		cs, err := st.CollectionContacts(ctx, uid, p1)
		if want == nil {
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s: P1 collection: %v, want ErrNotFound", login, err)
			}
		} else {
			mustNoErr(t, err)
			var got []string
			for _, c := range cs {
				got = append(got, m.ContactKey(c.ID))
				// Everything in a project collection is visible to the user by the policy.
				if _, err := st.GetContact(ctx, m.Actor(login), c.ID); err != nil {
					t.Errorf("%s: %s in P1's collection but GetContact: %v", login, m.ContactKey(c.ID), err)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("%s: P1 collection %v, want %v", login, got, want)
			}
		}
		cs, err = st.CollectionContacts(ctx, uid, p2)
		if login == "admin" || login == "alena" {
			if err != nil || len(cs) != 0 {
				t.Errorf("%s: closed P2 collection %d contacts, %v; want empty", login, len(cs), err)
			}
		} else if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: P2 collection: %v, want ErrNotFound", login, err)
		}
		// No contact of a project is served in its collection to a non-member, by id either.
		for key, c := range m.Contacts {
			for _, p := range []string{p1, p2} {
				got, err := st.CollectionContact(ctx, uid, p, c.ID)
				inP1 := p == p1 && slices.Contains(want, key)
				if inP1 != (err == nil) || err != nil && !errors.Is(err, store.ErrNotFound) {
					t.Errorf("%s: %s in project %s: %v, %v", login, key, p, got.ID, err)
				}
			}
		}
	}
	// A member without project sync has no collection, though the project shares with them.
	mustNoErr(t, st.PutProjectMember(ctx, admin, p1, m.Users["emil"].ID, nil))
	if _, err := st.SyncCollectionOf(ctx, m.Users["emil"].ID, p1); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("emil without project sync: %v", err)
	}
	if _, err := st.GetContact(ctx, m.Actor("emil"), m.Contacts["b4-person"].ID); err != nil {
		t.Errorf("emil sees b4-person through P1 still: %v", err)
	}
}

// TestProjectCollectionLifecycle: a project collection's feed reports edits and releases,
// minimises by the project's profile, closing it empties it (sync-collection reports every
// contact removed, and the ledger lets the device go), reopening fills it again, and a
// project closed long ago is no collection any more. The ledger keeps a contact held through
// a book and through a project as two copies.
func TestProjectCollectionLifecycle(t *testing.T) {
	ctx := context.Background()
	st, pool := newStore(t)
	sys := store.Actor{Channel: model.ChannelSystem}
	admin, err := st.CreateUser(ctx, sys, model.User{Login: "admin", Name: "Admin", IsAdmin: true}, "")
	mustNoErr(t, err)
	jana, err := st.CreateUser(ctx, sys, model.User{Login: "jana", Name: "Jana", Locale: "cs"}, "")
	mustNoErr(t, err)
	a := store.Actor{UserID: admin.ID, Channel: model.ChannelAPI}
	book, err := st.CreateBook(ctx, a, "Dodavatelé", "")
	mustNoErr(t, err)
	_, err = st.PutGrant(ctx, a, model.Grant{BookID: book.ID, UserID: &jana.ID, Role: model.RoleViewer})
	mustNoErr(t, err)
	_, err = st.PutSyncGrant(ctx, a, model.SyncGrant{UserID: jana.ID, BookID: book.ID, Mode: model.SyncRead})
	mustNoErr(t, err)
	var ids []string
	for _, n := range []string{"Adam", "Bára", "Cyril"} {
		c, err := st.CreateContact(ctx, a, model.Contact{BookID: book.ID, Kind: model.KindPerson, FamilyName: n})
		mustNoErr(t, err)
		ids = append(ids, c.ID)
	}
	name := "Most přes Vltavu"
	p, err := st.CreateProject(ctx, a, store.ProjectInput{Name: &name})
	mustNoErr(t, err)
	read := "read"
	mustNoErr(t, st.PutProjectMember(ctx, a, p.ID, jana.ID, &read))
	for _, id := range ids[:2] {
		mustNoErr(t, st.PutProjectContact(ctx, a, p.ID, id, store.ProjectContactInput{Role: "dodavatel"}))
	}

	coll, err := st.SyncCollectionOf(ctx, jana.ID, p.ID)
	mustNoErr(t, err)
	if !coll.Project || coll.Name != "Projekt "+name || coll.Mode != model.SyncRead || coll.Seq == 0 ||
		!slices.Equal(coll.SyncProfile, []string{"name", "org", "title", "email.work", "tel.work"}) {
		t.Fatalf("collection %+v", coll)
	}
	cs, err := st.CollectionContacts(ctx, jana.ID, p.ID)
	mustNoErr(t, err)
	if len(cs) != 2 {
		t.Fatalf("project collection: %d contacts", len(cs))
	}
	vs, err := st.CollectionVersions(ctx, jana.ID, p.ID)
	mustNoErr(t, err)
	if len(vs) != 2 {
		t.Fatalf("versions %v", vs)
	}

	// The device syncs the book and the project: two copies of Adam and Bára.
	dev, err := st.CreateDevice(ctx, store.Actor{UserID: jana.ID}, "telefon", "kd_xx", []byte("hash-of-a-secret"))
	mustNoErr(t, err)
	served := func(cs []model.Contact) []store.ContactVersion {
		var out []store.ContactVersion
		for _, c := range cs {
			out = append(out, store.ContactVersion{ContactID: c.ID, Version: c.Version})
		}
		return out
	}
	mustNoErr(t, st.RecordServed(ctx, dev.ID, p.ID, served(cs), nil))
	bookCs, err := st.CollectionContacts(ctx, jana.ID, book.ID)
	mustNoErr(t, err)
	mustNoErr(t, st.RecordServed(ctx, dev.ID, book.ID, served(bookCs), nil))
	h, err := st.DeviceHoldings(ctx, store.Actor{UserID: jana.ID}, dev.ID)
	mustNoErr(t, err)
	if len(h) != 5 {
		t.Fatalf("holdings %d, want 3 of the book and 2 of the project", len(h))
	}

	// An edit and a release reach the project's feed.
	head := coll.Seq
	title := "Stavbyvedoucí"
	_, err = st.UpdateContact(ctx, a, ids[0], model.ContactPatch{JobTitle: &title}, 0)
	mustNoErr(t, err)
	mustNoErr(t, st.DeleteProjectContact(ctx, a, p.ID, ids[1]))
	changed, removed, seq, _, err := st.CollectionChanges(ctx, jana.ID, p.ID, head, 0)
	mustNoErr(t, err)
	if len(changed) != 1 || changed[0].ID != ids[0] || changed[0].JobTitle != title || !slices.Equal(removed, []string{ids[1]}) {
		t.Fatalf("changes: %v, removed %v", changed, removed)
	}
	mustNoErr(t, st.RecordServed(ctx, dev.ID, p.ID, served(changed), removed))
	head = seq

	// A new profile is a change of every vCard.
	profile := []string{"name", "title"}
	_, err = st.UpdateProject(ctx, a, p.ID, store.ProjectInput{SyncProfile: &profile})
	mustNoErr(t, err)
	changed, _, seq, _, err = st.CollectionChanges(ctx, jana.ID, p.ID, head, 0)
	mustNoErr(t, err)
	if coll, _ = st.SyncCollectionOf(ctx, jana.ID, p.ID); len(changed) != 1 || !slices.Equal(coll.SyncProfile, profile) {
		t.Fatalf("after a new profile: %d changed, profile %v", len(changed), coll.SyncProfile)
	}
	head = seq

	// Closing: the collection stays, empty; its feed reports the removal; the book keeps
	// its copy.
	mustNoErr(t, st.RequestProjectClosure(ctx, a, p.ID, time.Hour))
	if cs, err = st.CollectionContacts(ctx, jana.ID, p.ID); err != nil || len(cs) != 1 {
		t.Fatalf("during the grace period: %d contacts, %v", len(cs), err)
	}
	closed, devices, err := st.FinishProjectClosure(ctx, p.ID)
	mustNoErr(t, err)
	if !closed || !slices.Equal(devices, []string{dev.ID}) {
		t.Fatalf("finish: closed %v, devices %v", closed, devices)
	}
	if cs, err = st.CollectionContacts(ctx, jana.ID, p.ID); err != nil || len(cs) != 0 {
		t.Fatalf("closed project's collection: %d contacts, %v", len(cs), err)
	}
	if _, err := st.CollectionContact(ctx, jana.ID, p.ID, ids[0]); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a contact of the closed project by id: %v", err)
	}
	if _, err := st.CollectionContact(ctx, jana.ID, book.ID, ids[0]); err != nil {
		t.Fatalf("the same contact in the book: %v", err)
	}
	changed, removed, seq, _, err = st.CollectionChanges(ctx, jana.ID, p.ID, head, 0)
	mustNoErr(t, err)
	if len(changed) != 0 || !slices.Equal(removed, []string{ids[0]}) {
		t.Fatalf("closure changes: %v, removed %v", changed, removed)
	}
	head = seq
	pending, err := st.ProjectClosurePendingDevices(ctx, p.ID)
	mustNoErr(t, err)
	if !slices.Equal(pending, []string{dev.ID}) {
		t.Fatalf("pending before the sync: %v", pending)
	}
	mustNoErr(t, st.RecordServed(ctx, dev.ID, p.ID, nil, removed))
	if pending, err = st.ProjectClosurePendingDevices(ctx, p.ID); err != nil || len(pending) != 0 {
		t.Fatalf("pending after the sync: %v, %v", pending, err)
	}
	if h, _ = st.DeviceHoldings(ctx, store.Actor{UserID: jana.ID}, dev.ID); len(h) != 3 {
		t.Fatalf("holdings after the closure %d, want the book's 3", len(h))
	}

	// Reopening fills the collection again, through the feed.
	mustNoErr(t, st.ReopenProject(ctx, a, p.ID))
	changed, removed, _, _, err = st.CollectionChanges(ctx, jana.ID, p.ID, head, 0)
	mustNoErr(t, err)
	if len(changed) != 1 || changed[0].ID != ids[0] || len(removed) != 0 {
		t.Fatalf("after reopening: %v, removed %v", changed, removed)
	}

	// Closed longer ago than store.HeldGrace: no collection any more.
	mustNoErr(t, st.RequestProjectClosure(ctx, a, p.ID, 0))
	_, _, err = st.FinishProjectClosure(ctx, p.ID)
	mustNoErr(t, err)
	if _, err := st.SyncCollectionOf(ctx, jana.ID, p.ID); err != nil {
		t.Fatalf("just closed: %v", err)
	}
	_, err = pool.Exec(ctx, `UPDATE projects SET closed_at = now() - interval '31 days' WHERE id = $1`, p.ID)
	mustNoErr(t, err)
	if _, err := st.SyncCollectionOf(ctx, jana.ID, p.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("closed 31 days ago: %v", err)
	}
	colls, err := st.SyncCollections(ctx, jana.ID)
	mustNoErr(t, err)
	if len(colls) != 1 || colls[0].BookID != book.ID {
		t.Fatalf("collections %+v", colls)
	}
}

// TestProjectClosureNotices: the members with an address are told once per closure, and
// again after a reopening and a second closure.
func TestProjectClosureNotices(t *testing.T) {
	ctx := context.Background()
	st, _ := newStore(t)
	sys := store.Actor{Channel: model.ChannelSystem}
	admin, err := st.CreateUser(ctx, sys, model.User{Login: "admin", Name: "Admin", IsAdmin: true, Email: "admin@example.com"}, "")
	mustNoErr(t, err)
	jana, err := st.CreateUser(ctx, sys, model.User{Login: "jana", Name: "Jana", Email: "jana@example.com", Locale: "cs"}, "")
	mustNoErr(t, err)
	petr, err := st.CreateUser(ctx, sys, model.User{Login: "petr", Name: "Petr"}, "") // no address
	mustNoErr(t, err)
	a := store.Actor{UserID: admin.ID, Channel: model.ChannelAPI}
	name := "Hala"
	p, err := st.CreateProject(ctx, a, store.ProjectInput{Name: &name})
	mustNoErr(t, err)
	read := "read"
	mustNoErr(t, st.PutProjectMember(ctx, a, p.ID, jana.ID, &read))
	mustNoErr(t, st.PutProjectMember(ctx, a, p.ID, petr.ID, nil))

	if ns, err := st.ProjectClosureNotices(ctx, p.ID); err != nil || len(ns) != 0 {
		t.Fatalf("notices of an active project: %v, %v", ns, err)
	}
	for round := range 2 {
		mustNoErr(t, st.RequestProjectClosure(ctx, a, p.ID, 0))
		_, _, err = st.FinishProjectClosure(ctx, p.ID)
		mustNoErr(t, err)
		ns, err := st.ProjectClosureNotices(ctx, p.ID)
		mustNoErr(t, err)
		if len(ns) != 2 {
			t.Fatalf("round %d: notices %+v", round, ns)
		}
		for _, n := range ns {
			if n.ProjectName != name || n.ClosedAt.IsZero() || (n.UserID == jana.ID) != n.Synced || n.Email == "" {
				t.Errorf("round %d: notice %+v", round, n)
			}
		}
		mustNoErr(t, st.MarkProjectClosureNotified(ctx, p.ID, ns[0].UserID, ns[0].ClosedAt))
		mustNoErr(t, st.MarkProjectClosureNotified(ctx, p.ID, ns[0].UserID, ns[0].ClosedAt))
		if again, err := st.ProjectClosureNotices(ctx, p.ID); err != nil || len(again) != 1 || again[0].UserID != ns[1].UserID {
			t.Fatalf("round %d: after one notice: %+v, %v", round, again, err)
		}
		mustNoErr(t, st.ReopenProject(ctx, a, p.ID))
	}
	if _, err := st.ProjectClosureNotices(ctx, "00000000-0000-0000-0000-000000000000"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown project: %v", err)
	}
}

// TestGetProjectClosure: the lead and admins read a closure, members get ErrForbidden, and
// everyone else ErrNotFound; pending devices come live from the ledger.
func TestGetProjectClosure(t *testing.T) {
	ctx := context.Background()
	st, _ := newStore(t)
	sys := store.Actor{Channel: model.ChannelSystem}
	users := map[string]model.User{}
	for _, l := range []string{"lead", "member", "stranger"} {
		u, err := st.CreateUser(ctx, sys, model.User{Login: l, Name: l}, "")
		mustNoErr(t, err)
		users[l] = u
	}
	lead := store.Actor{UserID: users["lead"].ID, Channel: model.ChannelAPI}
	name := "Sklad"
	p, err := st.CreateProject(ctx, lead, store.ProjectInput{Name: &name})
	mustNoErr(t, err)
	mustNoErr(t, st.PutProjectMember(ctx, lead, p.ID, users["member"].ID, nil))
	mustNoErr(t, st.RequestProjectClosure(ctx, lead, p.ID, 2*time.Hour))
	r, err := st.GetProjectClosure(ctx, lead, p.ID)
	mustNoErr(t, err)
	if r.Status != "closing" || r.GraceSeconds != 7200 || r.RequestedAt == nil || r.GraceEndsAt == nil ||
		r.GraceEndsAt.Sub(*r.RequestedAt) != 2*time.Hour || r.PendingDevices == nil || len(r.PendingDevices) != 0 || r.Stragglers != nil {
		t.Fatalf("closure %+v", r)
	}
	if _, err := st.GetProjectClosure(ctx, store.Actor{UserID: users["member"].ID}, p.ID); !errors.Is(err, store.ErrForbidden) {
		t.Errorf("member: %v", err)
	}
	if _, err := st.GetProjectClosure(ctx, store.Actor{UserID: users["stranger"].ID}, p.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("stranger: %v", err)
	}
	_, _, err = st.FinishProjectClosure(ctx, p.ID)
	mustNoErr(t, err)
	mustNoErr(t, st.CompleteProjectClosure(ctx, p.ID, []string{"3f1c7a10-8e2b-4f6a-b1c3-2a9e4f0d7c55"}))
	if r, err = st.GetProjectClosure(ctx, lead, p.ID); err != nil || r.Status != "closed" || r.ClosedAt == nil || len(r.Stragglers) != 1 {
		t.Fatalf("closed: %+v, %v", r, err)
	}
}
