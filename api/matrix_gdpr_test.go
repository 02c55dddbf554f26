package api_test

import (
	"bytes"
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
	"github.com/kontakt/kontakt/store/storetest"
)

// TestAPIMatrixScansAndExport holds the scan download and the subject export to the
// matrix: for every user × contact, exactly who holds the right gets the answer, a user
// who sees the contact without the right gets 403 from the export (and 404 from the
// download), and everyone else 404, hidden contacts included.
//
//	scans: admin, alena (B1 viewer), dana (B2 viewer through G2), emil (no grants)
//	gdpr:  bohdan (B1 editor through G1), emil
//
// A scan holder gets a contact's scan when they see its book, even while the contact is
// hidden for lacking the consent its book requires; the export is for managers of the
// contact's book (admins; cyril on B3) and gdpr holders, in any book.
func TestAPIMatrixScansAndExport(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	m, err := storetest.SeedMatrix(ctx, e.st, "")
	if err != nil {
		t.Fatal(err)
	}
	admin := m.Actor("admin")
	perms := map[string][]string{"admin": {"scans"}, "alena": {"scans"}, "dana": {"scans"}, "emil": {"scans", "gdpr"}, "bohdan": {"gdpr"}}
	for login, ps := range perms {
		if _, err := e.st.UpdateUser(ctx, admin, m.Users[login].ID, store.UserPatch{Permissions: &ps}); err != nil {
			t.Fatal(err)
		}
	}
	purpose, err := e.st.CreatePurpose(ctx, admin, model.Purpose{Key: "matrix-signed", Name: "Podepsaný souhlas", Wording: "Souhlasím."})
	if err != nil {
		t.Fatal(err)
	}
	scan := []byte("%PDF-1.4\nmatrix\n%%EOF\n")
	consents := map[string]string{} // contact key → consent with a scan
	for key, c := range m.Contacts {
		got, err := e.st.RecordSignedConsent(ctx, admin, store.ConsentRecord{ContactID: c.ID, PurposeID: purpose.ID,
			Source: model.SourceBranch, GivenAt: time.Now().Add(-time.Hour), Scan: &store.Scan{ContentType: "application/pdf", Data: scan}})
		if err != nil {
			t.Fatalf("signed consent of %s: %v", key, err)
		}
		consents[key] = got.ID
	}

	for _, login := range m.Logins() {
		t.Run(login, func(t *testing.T) {
			u := m.Users[login]
			c := e.tokenFor(u.ID)
			for key, ct := range m.Contacts {
				book := storetest.BookOf(key)
				holds := func(p string) bool { return !u.Disabled && slices.Contains(perms[login], p) }

				want := http.StatusNotFound
				if holds("scans") && m.SeesBook(login, book) {
					want = http.StatusOK
				}
				if u.Disabled {
					want = http.StatusUnauthorized
				}
				r := c.do("GET", "/api/consents/"+consents[key]+"/scan", nil)
				if r.status != want || want == http.StatusOK && !bytes.Equal(r.body, scan) {
					t.Errorf("scan of %s: %d, want %d", key, r.status, want)
				}

				switch {
				case u.Disabled:
					want = http.StatusUnauthorized
				case holds("gdpr") || m.Manages(login, book):
					want = http.StatusOK
				case m.SeesContact(login, key):
					want = http.StatusForbidden
				default:
					want = http.StatusNotFound
				}
				if r := c.do("GET", "/api/contacts/"+ct.ID+"/subject-export", nil); r.status != want {
					t.Errorf("export of %s: %d, want %d", key, r.status, want)
				}
			}
		})
	}
}
