package store_test

import (
	"context"
	"errors"
	"slices"
	"sort"
	"testing"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
	"github.com/kontakt/kontakt/store/storetest"
)

// TestAuthorisationMatrix holds every store read path to the expected visibility of every
// user × contact × attached item (ARCHITECTURE.md, invariant 1).
func TestAuthorisationMatrix(t *testing.T) {
	ctx := context.Background()
	st, _ := newStore(t)
	m, err := storetest.SeedMatrix(ctx, st, "")
	if err != nil {
		t.Fatal(err)
	}
	keysOf := func(page []string) []string { sort.Strings(page); return page }
	for _, login := range m.Logins() {
		t.Run(login, func(t *testing.T) {
			a := m.Actor(login)
			want := m.VisibleContacts(login)

			// detail
			for key, c := range m.Contacts {
				got, err := st.GetContact(ctx, a, c.ID)
				visible := slices.Contains(want, key)
				switch {
				case visible && err != nil:
					t.Errorf("detail %s: %v, want visible", key, err)
				case !visible && !errors.Is(err, store.ErrNotFound):
					t.Errorf("detail %s: got %v, want ErrNotFound", key, err)
				}
				if visible && err == nil && key == "b1-person" {
					hasRel := slices.ContainsFunc(got.Relations, func(r model.Relation) bool { return r.ID == m.RelationID })
					if hasRel != m.SeesRelation(login) {
						t.Errorf("relation to b4-org shown=%v, want %v", hasRel, m.SeesRelation(login))
					}
				}
			}

			// list (small pages, to follow cursors) and search
			for _, f := range []store.ContactFilter{
				{Limit: 3},
				{Query: storetest.MatrixWord, Limit: 2},
				{Query: "maticovy", Limit: 500},
				{Query: "maticovyy", Limit: 2}, // a typo: the trigram search, paged
				{Tag: "matrix"},
			} {
				if got := keysOf(listAll(t, st, m, a, f)); !slices.Equal(got, want) {
					t.Errorf("list %+v: got %v, want %v", f, got, want)
				}
			}
			for name, b := range m.Books {
				var wantBook []string
				for _, k := range want {
					if k[:2] == "b"+name[1:] {
						wantBook = append(wantBook, k)
					}
				}
				if got := keysOf(listAll(t, st, m, a, store.ContactFilter{BookID: b.ID})); !slices.Equal(got, wantBook) {
					t.Errorf("book %s: got %v, want %v", name, got, wantBook)
				}
			}

			// attached items: lists per contact and details
			for key, c := range m.Contacts {
				notes, err := st.ListNotes(ctx, a, c.ID)
				if !slices.Contains(want, key) {
					if !errors.Is(err, store.ErrNotFound) {
						t.Errorf("notes of invisible %s: got %v, want ErrNotFound", key, err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("notes of %s: %v", key, err)
				}
				var got []string
				for _, n := range notes {
					got = append(got, m.NoteKey(n.ID))
				}
				sort.Strings(got)
				if wantNotes := m.VisibleNotes(login, key); !slices.Equal(got, wantNotes) {
					t.Errorf("notes of %s: got %v, want %v", key, got, wantNotes)
				}
			}
			for key, n := range m.Notes {
				_, err := st.GetNote(ctx, a, n.ID)
				if m.SeesNote(login, key) != (err == nil) {
					t.Errorf("note %s: err %v, want visible=%v", key, err, m.SeesNote(login, key))
				}
				if err != nil && !errors.Is(err, store.ErrNotFound) {
					t.Errorf("note %s: %v, want ErrNotFound", key, err)
				}
			}

			// tags count only visible contacts
			tags, err := st.ListTags(ctx, a)
			if err != nil {
				t.Fatal(err)
			}
			for _, tc := range tags {
				if tc.Tag == "matrix" && tc.Count != len(want) {
					t.Errorf("tag matrix counts %d, want %d", tc.Count, len(want))
				}
			}

			// projects, meetings and collaboration records
			checkProjectMatrix(t, st, m, login)

			// activities, tasks, worklog and event invitations
			checkCRMMatrix(t, st, m, login)
		})
	}
}

// listAll follows the cursor through every page and returns the matrix keys.
func listAll(t *testing.T, st *store.Store, m *storetest.Matrix, a store.Actor, f store.ContactFilter) []string {
	t.Helper()
	var keys []string
	for range 100 {
		page, err := st.ListContacts(context.Background(), a, f)
		if err != nil {
			t.Fatalf("list %+v: %v", f, err)
		}
		for _, c := range page.Contacts {
			keys = append(keys, m.ContactKey(c.ID))
		}
		if page.NextCursor == "" {
			return keys
		}
		f.Cursor = page.NextCursor
	}
	t.Fatal("cursor never ended")
	return nil
}
