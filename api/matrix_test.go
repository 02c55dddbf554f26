package api_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"testing"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
	"github.com/kontakt/kontakt/store/storetest"
)

// TestAPIAuthorisationMatrix holds the API channel to the same expectations as the store's
// matrix: for every user × contact × read path, exactly the allowed set, and 404 (never
// 403) for the rest.
func TestAPIAuthorisationMatrix(t *testing.T) {
	e := newEnv(t)
	m, err := storetest.SeedMatrix(context.Background(), e.st, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, login := range m.Logins() {
		t.Run(login, func(t *testing.T) {
			u := m.Users[login]
			c := e.tokenFor(u.ID)
			if u.Disabled {
				if r := c.do("GET", "/api/contacts", nil); r.status != http.StatusUnauthorized {
					t.Fatalf("disabled user's token: %d", r.status)
				}
				return
			}
			want := m.VisibleContacts(login)
			for key, ct := range m.Contacts {
				r := c.do("GET", "/api/contacts/"+ct.ID, nil)
				wantStatus := http.StatusNotFound
				if slices.Contains(want, key) {
					wantStatus = http.StatusOK
				}
				if r.status != wantStatus {
					t.Errorf("GET contact %s: %d, want %d", key, r.status, wantStatus)
				}
				r = c.do("GET", "/api/contacts/"+ct.ID+"/notes", nil)
				if wantStatus == http.StatusNotFound {
					if r.status != http.StatusNotFound {
						t.Errorf("notes of invisible %s: %d", key, r.status)
					}
					continue
				}
				var notes []model.Note
				r.json(t, &notes)
				var got []string
				for _, n := range notes {
					got = append(got, m.NoteKey(n.ID))
				}
				sort.Strings(got)
				if w := m.VisibleNotes(login, key); !slices.Equal(got, w) {
					t.Errorf("notes of %s: %v, want %v", key, got, w)
				}
			}
			for key, n := range m.Notes {
				r := c.do("GET", "/api/notes/"+n.ID, nil)
				if (r.status == http.StatusOK) != m.SeesNote(login, key) || (r.status != http.StatusOK && r.status != http.StatusNotFound) {
					t.Errorf("GET note %s: %d, want visible=%v", key, r.status, m.SeesNote(login, key))
				}
			}
			for _, q := range []string{"", "?q=" + url.QueryEscape(storetest.MatrixWord), "?q=maticovy&limit=1", "?q=maticovyy&limit=2", "?tag=matrix"} {
				var got []string
				next := "/api/contacts" + q
				for next != "" {
					var page store.ContactPage
					r := c.do("GET", next, nil)
					if r.status != http.StatusOK {
						t.Fatalf("list %s: %d %s", next, r.status, r.body)
					}
					r.json(t, &page)
					for _, ct := range page.Contacts {
						got = append(got, m.ContactKey(ct.ID))
					}
					next = ""
					if page.NextCursor != "" {
						sep := "?"
						if q != "" {
							sep = "&"
						}
						next = "/api/contacts" + q + sep + "cursor=" + page.NextCursor
					}
				}
				sort.Strings(got)
				if !slices.Equal(got, want) {
					t.Errorf("list %q: %v, want %v", q, got, want)
				}
			}

			checkProjectMatrixAPI(t, c, m, login)
			checkCRMMatrixAPI(t, c, m, login)
		})
	}
}
