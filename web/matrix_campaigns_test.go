package web_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/kontakt/kontakt/store/storetest"
)

// TestWebCampaignsMatrix holds this room's pages to the store's matrix: a campaign preview
// counts and names only contacts its maker sees (and, with a purpose, only those holding an
// active consent), and only book managers get the form; an export file holds exactly the
// contacts the user sees that consent; an import preview never names an existing contact
// the importer may not see, in their book (hidden by a consent requirement) or another.
func TestWebCampaignsMatrix(t *testing.T) {
	e, _ := newFilesEnv(t, 0)
	ctx := context.Background()
	m, err := storetest.SeedMatrix(ctx, e.st, "")
	if err != nil {
		t.Fatal(err)
	}
	x, err := m.SeedExports(ctx, e.st)
	if err != nil {
		t.Fatal(err)
	}
	for _, login := range m.Logins() {
		u := m.Users[login]
		if u.Disabled {
			continue
		}
		t.Run(login, func(t *testing.T) {
			b := e.sessionFor(u.ID)
			manager := slices.ContainsFunc([]string{"B1", "B2", "B3", "B4"}, func(book string) bool { return m.Manages(login, book) })
			p := b.get("/campaigns/new")
			if !manager {
				if p.status != http.StatusNotFound {
					t.Errorf("campaign form: %d, want 404", p.status)
				}
			} else {
				for _, purpose := range []string{"", x.PurposeID} {
					form := campaignFormValues(token(t, p), "preview", "Matice")
					form.Set("purpose_id", purpose)
					pv := b.do("POST", "/campaigns/new", form)
					want := m.VisibleContacts(login)
					if purpose != "" {
						want = m.Exportable(x, login) // the consenting ones (all hold an address)
					}
					if n := previewCount(t, pv); n != len(want) {
						t.Errorf("preview (purpose %q) counts %d, want %d", purpose, n, len(want))
					}
					for _, id := range matches(previewNameRe, pv.body) {
						if !slices.Contains(want, m.ContactKey(id)) {
							t.Errorf("preview (purpose %q) names %s", purpose, m.ContactKey(id))
						}
					}
				}
			}

			got, _ := exportKeys(t, m, b, url.Values{"purpose_id": {x.PurposeID}, "format": {"listmonk"}})
			if want := m.Exportable(x, login); !slices.Equal(got, want) {
				t.Errorf("export holds %v, want %v", got, want)
			}
			p = b.get("/exports")
			for key, c := range m.Contacts {
				if !m.SeesContact(login, key) && strings.Contains(p.body, c.ID) {
					t.Errorf("exports page names %s", key)
				}
			}
		})
	}

	// Imports: matching stays in the chosen book and names only what the importer sees.
	hidden := []string{"b2-org", "b2-lapsed"}
	for _, k := range hidden {
		if m.SeesContact("admin", k) {
			t.Fatalf("the matrix changed: admin sees %s", k)
		}
	}
	admin := e.sessionFor(m.Users["admin"].ID)
	tok := token(t, admin.get("/imports"))
	// A row matching b2-org, which its book hides for want of consent, by name.
	csvB2 := "Organizace;E-mail\n" + m.Contacts["b2-org"].OrgName + ";novy@example.com\n"
	p := admin.upload("/imports/preview", url.Values{"csrf": {tok}, "book_id": {m.Books["B2"].ID}}, "b2.csv", []byte(csvB2))
	if p.status != http.StatusOK || !(strings.Contains(p.body, "imp-merge") || strings.Contains(p.body, "imp-skip")) {
		t.Fatalf("import preview into B2 does not match b2-org: %d %s", p.status, p.body)
	}
	for _, k := range hidden {
		if strings.Contains(p.body, m.Contacts[k].ID) {
			t.Errorf("the import preview names %s, which admin may not see", k)
		}
	}
	// bohdan (editor of B1) imports a row with b4-person's address into B1: a new contact;
	// nothing tells of b4-person.
	bohdan := e.sessionFor(m.Users["bohdan"].ID)
	csvB1 := "Jméno;Příjmení;E-mail\nJiří;Jiný;person-B4@example.com\nJiří;Maticový B1;person-B1@example.com\n"
	p = bohdan.upload("/imports/preview", url.Values{"csrf": {token(t, bohdan.get("/imports"))}, "book_id": {m.Books["B1"].ID}}, "b1.csv", []byte(csvB1))
	if c := counts(p); p.status != http.StatusOK || c["created"] != "1" {
		t.Fatalf("import preview into B1: %d %v", p.status, c)
	}
	var named []string
	for key, c := range m.Contacts {
		if strings.Contains(p.body, c.ID) {
			named = append(named, key)
		}
	}
	sort.Strings(named)
	if !slices.Equal(named, []string{"b1-person"}) {
		t.Errorf("bohdan's import preview names %v, want [b1-person]", named)
	}
}
