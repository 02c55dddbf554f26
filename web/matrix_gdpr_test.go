package web_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
	"github.com/kontakt/kontakt/store/storetest"
	"github.com/kontakt/kontakt/web"
)

// TestWebMatrixConsents holds the consent pages to the store's matrix, as the API's
// TestAPIMatrixScansAndExport does:
//
//   - a contact's consents page answers 200 exactly to those who see the contact (as its
//     card), else 404, hidden contacts included;
//   - its scan downloads exactly for holders of the scans permission who see the contact's
//     book (admin, alena, dana, emil hold it), else 404; the page offers the link only to
//     holders;
//   - purposes, forms and new books are the admin's: everyone else gets 404, also on POST,
//     and nothing is stored.
func TestWebMatrixConsents(t *testing.T) {
	ctx := context.Background()
	e := newGdprEnv(t, web.GdprOptions{})
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
	form, err := e.st.CreateForm(ctx, admin, model.Form{Name: "Matrix form", BookID: m.Books["B4"].ID, PurposeIDs: []string{purpose.ID}}, true)
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
	adminPages := []string{"/admin/purposes", "/admin/purposes/" + purpose.ID, "/admin/forms", "/admin/forms/new",
		"/admin/forms/" + form.ID, "/admin/books/new"}

	pages := 0
	for _, login := range m.Logins() {
		t.Run(login, func(t *testing.T) {
			u := m.Users[login]
			b := e.sessionFor(u.ID)
			if u.Disabled {
				for _, p := range append(adminPages, "/contacts/"+m.Contacts["b1-person"].ID+"/consents") {
					if r := b.get(p); r.status != http.StatusSeeOther {
						t.Errorf("disabled user's %s: %d", p, r.status)
					}
				}
				return
			}
			holdsScans := slices.Contains(perms[login], model.PermScans)
			for key, ct := range m.Contacts {
				path := "/contacts/" + ct.ID + "/consents"
				scanPath := path + "/" + consents[key] + "/scan"
				want := http.StatusNotFound
				if m.SeesContact(login, key) {
					want = http.StatusOK
				}
				p := b.get(path)
				if p.status != want {
					t.Errorf("consents of %s: %d, want %d", key, p.status, want)
				} else if want == http.StatusOK {
					pages++
					if !strings.Contains(p.body, `data-consent="`+consents[key]+`"`) {
						t.Errorf("consents of %s do not show the signed consent", key)
					}
					if got := strings.Contains(p.body, `href="`+scanPath); got != holdsScans {
						t.Errorf("consents of %s: scan link %v, want %v", key, got, holdsScans)
					}
				}
				want = http.StatusNotFound
				if holdsScans && m.SeesBook(login, storetest.BookOf(key)) {
					want = http.StatusOK
				}
				if r := b.get(scanPath); r.status != want || want == http.StatusOK && !bytes.Equal([]byte(r.body), scan) {
					t.Errorf("scan of %s: %d, want %d", key, r.status, want)
				}
			}
			want := http.StatusNotFound
			if u.IsAdmin {
				want = http.StatusOK
			}
			for _, p := range adminPages {
				if r := b.get(p); r.status != want {
					t.Errorf("%s: %d, want %d", p, r.status, want)
				}
			}
			if u.IsAdmin {
				return
			}
			tok := matches(csrfRe, b.get("/").body)[0]
			for path, form := range map[string]url.Values{
				"/admin/purposes":                            {"key": {"sneaky"}, "name": {"S"}, "wording": {"S"}, "validity_months": {"12"}, "reminder_days": {"0"}},
				"/admin/purposes/" + purpose.ID:              {"name": {"S"}, "wording": {"S"}, "validity_months": {"12"}, "reminder_days": {"0"}},
				"/admin/forms":                               {"name": {"S"}, "book_id": {m.Books["B1"].ID}, "purpose_ids": {purpose.ID}, "confirm_hours": {"1"}},
				"/admin/forms/" + form.ID:                    {"name": {"S"}, "book_id": {m.Books["B1"].ID}, "purpose_ids": {purpose.ID}, "confirm_hours": {"1"}},
				"/admin/forms/" + form.ID + "/rotate-secret": {},
				"/admin/books":                               {"name": {"S"}},
			} {
				form.Set("csrf", tok)
				if r := b.do("POST", path, form); r.status != http.StatusNotFound {
					t.Errorf("POST %s: %d", path, r.status)
				}
			}
		})
	}
	if pages == 0 {
		t.Fatal("no consents page answered: the matrix checked nothing")
	}
	ps, _ := e.st.ListPurposes(ctx)
	fs, _ := e.st.ListForms(ctx, admin)
	bs, _ := e.st.ListBooks(ctx, admin)
	if len(ps) != 2 || ps[1].Name != "Podepsaný souhlas" || len(fs) != 1 || fs[0].Name != "Matrix form" || fs[0].HMACSecret != form.HMACSecret || len(bs) != 4 {
		t.Errorf("refused posts changed something: %d purposes, %+v, %d books", len(ps), fs, len(bs))
	}
}
