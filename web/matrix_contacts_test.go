package web_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/kontakt/kontakt/store/storetest"
)

// TestWebContactEditMatrix holds the editing pages to the matrix: the edit and delete pages
// (and their POSTs) open only to editors of a contact's book who see it, and answer 404 to
// everyone else (viewers and project members who see the contact included); the card
// offers the edit link exactly then. A user who does not see a contact cannot note on it;
// a restricted note is absent from the card of everyone not on its list, and its edit page
// is 404 to all but its author and the book's editors who see it.
func TestWebContactEditMatrix(t *testing.T) {
	e := newEnv(t)
	m, err := storetest.SeedMatrix(context.Background(), e.st, "")
	if err != nil {
		t.Fatal(err)
	}
	keys := make([]string, 0, len(m.Contacts))
	for k := range m.Contacts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	versions := map[string]int64{}
	for key, c := range m.Contacts {
		if now, err := e.st.GetContact(context.Background(), m.Actor("admin"), c.ID); err == nil {
			versions[key] = now.Version
		}
	}
	editable := 0
	for _, login := range m.Logins() {
		if m.Users[login].Disabled {
			continue
		}
		t.Run(login, func(t *testing.T) {
			b := e.sessionFor(m.Users[login].ID)
			tok := token(t, b.get("/"))
			for _, key := range keys {
				id := m.Contacts[key].ID
				sees := m.SeesContact(login, key)
				edits := sees && m.Edits(login, storetest.BookOf(key))
				if edits {
					editable++
				}
				want := http.StatusNotFound
				if edits {
					want = http.StatusOK
				}
				for _, path := range []string{"/contacts/" + id + "/edit", "/contacts/" + id + "/delete"} {
					if p := b.get(path); p.status != want {
						t.Errorf("%s GET %s: %d, want %d", key, path, p.status, want)
					}
				}
				if !edits {
					// The POSTs are refused before anything is read from the form.
					for _, path := range []string{"/contacts/" + id + "/edit", "/contacts/" + id + "/delete"} {
						if p := b.do("POST", path, url.Values{"csrf": {tok}, "version": {"1"}, "family_name": {"X"}}); p.status != http.StatusNotFound {
							t.Errorf("%s POST %s: %d", key, path, p.status)
						}
					}
				}
				card := b.get("/contacts/" + id)
				if sees {
					if has := strings.Contains(card.body, `href="/contacts/`+id+`/edit"`); has != edits {
						t.Errorf("%s: edit link on the card %v, want %v", key, has, edits)
					}
					continue
				}
				for _, path := range []string{"/contacts/" + id + "/notes", "/contacts/" + id + "/relations"} {
					if p := b.do("POST", path, url.Values{"csrf": {tok}, "body": {"x"}, "other": {m.Contacts["b1-org"].ID}}); p.status != http.StatusNotFound {
						t.Errorf("%s POST %s: %d", key, path, p.status)
					}
				}
				if p := b.get("/contacts/" + id + "/relations/new?q=x"); p.status != http.StatusNotFound {
					t.Errorf("%s relation search: %d", key, p.status)
				}
			}
			for nk, n := range m.Notes {
				ck := m.NoteContact(nk)
				seesNote := m.SeesNote(login, nk)
				if !seesNote && m.SeesContact(login, ck) {
					if p := b.get("/contacts/" + m.Contacts[ck].ID); strings.Contains(p.body, "Poznámka "+nk+"<") || strings.Contains(p.body, n.ID) {
						t.Errorf("note %s shows on the card of %s", nk, ck)
					}
				}
				mayChange := seesNote && (m.NoteAuthor(nk) == login || m.Edits(login, storetest.BookOf(ck)))
				want := http.StatusNotFound
				if mayChange {
					want = http.StatusOK
				}
				if p := b.get("/contacts/" + m.Contacts[ck].ID + "/notes/" + n.ID + "/edit"); p.status != want {
					t.Errorf("note %s edit page: %d, want %d", nk, p.status, want)
				}
				if !mayChange {
					if p := b.do("POST", "/contacts/"+m.Contacts[ck].ID+"/notes/"+n.ID+"/delete", url.Values{"csrf": {tok}}); p.status != http.StatusNotFound {
						t.Errorf("note %s delete: %d", nk, p.status)
					}
				}
			}
		})
	}
	if editable == 0 {
		t.Fatal("nobody may edit anything: the matrix checked nothing")
	}
	// Nothing refused above changed a thing.
	for key, c := range m.Contacts {
		if now, err := e.st.GetContact(context.Background(), m.Actor("admin"), c.ID); err == nil && now.Version != versions[key] {
			t.Errorf("%s changed: version %d → %d", key, versions[key], now.Version)
		}
	}
	for nk, n := range m.Notes {
		if _, err := e.st.GetNote(context.Background(), m.Actor(m.NoteAuthor(nk)), n.ID); err != nil {
			t.Errorf("note %s after the matrix: %v", nk, err)
		}
	}
}
