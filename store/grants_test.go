package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// TestBookSyncGrantViews checks the book-side views of sync grants: only the book's
// managers (and admins) read them, a grant on a book its user cannot see is flagged, and
// the readers and managed books follow roles held directly, through groups and as admin.
func TestBookSyncGrantViews(t *testing.T) {
	st, _ := newStore(t)
	ctx := context.Background()
	sys := store.Actor{Channel: model.ChannelSystem}
	mk := func(login string, admin bool) model.User {
		u, err := st.CreateUser(ctx, sys, model.User{Login: login, Name: login, IsAdmin: admin, Locale: "en"}, "")
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	admin, mgr, viewer, grouped, outsider := mk("admin", true), mk("mgr", false), mk("viewer", false), mk("grouped", false), mk("outsider", false)
	a := store.Actor{UserID: admin.ID, Channel: model.ChannelAPI}
	book, err := st.CreateBook(ctx, a, "Book", "")
	if err != nil {
		t.Fatal(err)
	}
	other, err := st.CreateBook(ctx, a, "Other", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range []model.Grant{{BookID: book.ID, UserID: &mgr.ID, Role: "manager"}, {BookID: book.ID, UserID: &viewer.ID, Role: "viewer"}} {
		if _, err := st.PutGrant(ctx, a, g); err != nil {
			t.Fatal(err)
		}
	}
	grp, err := st.CreateGroup(ctx, a, "Team", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.AddGroupMember(ctx, a, grp.ID, grouped.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.PutGrant(ctx, a, model.Grant{BookID: book.ID, GroupID: &grp.ID, Role: "viewer"}); err != nil {
		t.Fatal(err)
	}
	m := store.Actor{UserID: mgr.ID, Channel: model.ChannelWeb}
	until := time.Now().Add(48 * time.Hour)
	if _, err := st.PutSyncGrant(ctx, m, model.SyncGrant{UserID: viewer.ID, BookID: book.ID, Mode: model.SyncReadWrite, Until: &until}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.PutSyncGrant(ctx, m, model.SyncGrant{UserID: outsider.ID, BookID: book.ID, Mode: model.SyncRead}); err != nil {
		t.Fatal(err)
	}

	gs, err := st.ListBookSyncGrants(ctx, m, book.ID)
	if err != nil || len(gs) != 2 {
		t.Fatalf("grants: %v %+v", err, gs)
	}
	if gs[0].UserLogin != "outsider" || gs[0].Sees || gs[1].UserLogin != "viewer" || !gs[1].Sees || gs[1].Mode != model.SyncReadWrite || gs[1].Until == nil {
		t.Errorf("grants: %+v", gs)
	}
	for _, who := range []model.User{viewer, outsider} {
		_, err := st.ListBookSyncGrants(ctx, store.Actor{UserID: who.ID}, book.ID)
		if want := map[string]error{"viewer": store.ErrForbidden, "outsider": store.ErrNotFound}[who.Login]; !errors.Is(err, want) {
			t.Errorf("%s reads the book's sync grants: %v, want %v", who.Login, err, want)
		}
	}
	if _, err := st.ListBookSyncGrants(ctx, m, other.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("manager reads another book's sync grants: %v", err)
	}

	readers, err := st.BookReaders(ctx, m, book.ID)
	if err != nil {
		t.Fatal(err)
	}
	var logins []string
	for _, u := range readers {
		logins = append(logins, u.Login)
	}
	if want := []string{"admin", "grouped", "mgr", "viewer"}; len(logins) != len(want) || logins[0] != want[0] || logins[1] != want[1] || logins[2] != want[2] || logins[3] != want[3] {
		t.Errorf("readers: %v, want %v", logins, want)
	}
	if _, err := st.BookReaders(ctx, store.Actor{UserID: viewer.ID}, book.ID); !errors.Is(err, store.ErrForbidden) {
		t.Errorf("viewer lists readers: %v", err)
	}

	mb, err := st.ManagedBooksFor(ctx, m, outsider.ID)
	if err != nil || len(mb) != 1 || mb[0].ID != book.ID || mb[0].UserSees {
		t.Errorf("manager's books for outsider: %v %+v", err, mb)
	}
	mb, err = st.ManagedBooksFor(ctx, a, grouped.ID)
	if err != nil || len(mb) != 2 || mb[0].Name != "Book" || !mb[0].UserSees || mb[1].UserSees {
		t.Errorf("admin's books for grouped: %v %+v", err, mb)
	}
	if mb, err := st.ManagedBooksFor(ctx, store.Actor{UserID: viewer.ID}, viewer.ID); err != nil || len(mb) != 0 {
		t.Errorf("viewer manages: %v %+v", err, mb)
	}
}
