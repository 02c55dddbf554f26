package web_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/kontakt/kontakt/store/storetest"
)

// TestWebAuthorisationMatrix holds the web channel to the store's matrix: every user sees
// on a card exactly the contacts (200, else 404) and notes the API shows them, and a search
// lists exactly the visible contacts, on the page and in the search-as-you-type fragment.
func TestWebAuthorisationMatrix(t *testing.T) {
	e := newEnv(t)
	m, err := storetest.SeedMatrix(context.Background(), e.st, "")
	if err != nil {
		t.Fatal(err)
	}
	seenNotes := 0
	for _, login := range m.Logins() {
		t.Run(login, func(t *testing.T) {
			u := m.Users[login]
			b := e.sessionFor(u.ID)
			if u.Disabled {
				if p := b.get("/contacts/" + m.Contacts["b1-person"].ID); p.status != http.StatusSeeOther {
					t.Fatalf("disabled user's session: %d", p.status)
				}
				return
			}
			want := m.VisibleContacts(login)
			for key, ct := range m.Contacts {
				p := b.get("/contacts/" + ct.ID)
				wantStatus := http.StatusNotFound
				if slices.Contains(want, key) {
					wantStatus = http.StatusOK
				}
				if p.status != wantStatus {
					t.Errorf("card %s: %d, want %d", key, p.status, wantStatus)
					continue
				}
				if p.status != http.StatusOK {
					continue
				}
				if key == "b2-person" && !strings.Contains(p.body, `class="status status-active"`) {
					t.Errorf("card of b2-person does not show its active consent")
				}
				var notes []string
				for _, id := range matches(noteRe, p.body) {
					notes = append(notes, m.NoteKey(id))
				}
				sort.Strings(notes)
				seenNotes += len(notes)
				if w := m.VisibleNotes(login, key); !slices.Equal(notes, w) {
					t.Errorf("notes on card %s: %v, want %v", key, notes, w)
				}
			}
			for _, path := range []string{"/?q=", "/search?q="} {
				for _, q := range []string{storetest.MatrixWord, "maticovy", "MATICOVY"} {
					var got []string
					next := path + url.QueryEscape(q)
					for next != "" {
						p := b.get(next)
						if p.status != http.StatusOK {
							t.Fatalf("search %s: %d", next, p.status)
						}
						for _, id := range matches(resultRe, p.body) {
							got = append(got, m.ContactKey(id))
						}
						next = ""
						if more := matches(moreRe, p.body); len(more) > 0 {
							next = html.UnescapeString(more[0])
						}
					}
					sort.Strings(got)
					if !slices.Equal(got, want) {
						t.Errorf("search %s%q: %v, want %v", path, q, got, want)
					}
				}
			}
		})
	}
	if seenNotes == 0 {
		t.Fatal("no note on any card: the matrix checked nothing")
	}
}
