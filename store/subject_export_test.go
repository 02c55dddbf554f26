package store_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
	"github.com/kontakt/kontakt/store/storetest"
)

func TestSubjectExport(t *testing.T) {
	ctx := context.Background()
	st, pool := newStore(t)
	s, err := storetest.SeedSubject(ctx, st, pool, "")
	if err != nil {
		t.Fatal(err)
	}
	as := func(u model.User) store.Actor { return store.Actor{UserID: u.ID, Channel: "api"} }

	x, err := st.SubjectExport(ctx, as(s.Manager), s.Person.ID, "json")
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(x)
	if err != nil {
		t.Fatal(err)
	}
	var sections map[string]json.RawMessage
	if err := json.Unmarshal(b, &sections); err != nil {
		t.Fatal(err)
	}
	for section, values := range s.Found {
		raw := string(sections[section])
		for _, v := range values {
			if !strings.Contains(raw, v) {
				t.Errorf("section %s lacks %q: %s", section, v, raw)
			}
		}
	}
	for _, v := range append(s.Absent, base64.StdEncoding.EncodeToString(s.Scan)) {
		if strings.Contains(string(b), v) {
			t.Errorf("export holds %q", v)
		}
	}
	if x.GeneratedBy.ID != s.Manager.ID || len(x.Notes) != 2 || len(x.Consents) != 2 || len(x.ConsentRequests) != 2 ||
		len(x.SubjectRequests) != 2 || len(x.Devices) != 1 || len(x.Contact.Relations) != 1 {
		t.Errorf("export counts: notes %d consents %d requests %d subject requests %d devices %d relations %d",
			len(x.Notes), len(x.Consents), len(x.ConsentRequests), len(x.SubjectRequests), len(x.Devices), len(x.Contact.Relations))
	}
	for _, c := range x.Consents {
		if c.PurposeKey == "s-events" && (len(c.Scans) != 1 || c.Scans[0].SHA256 == "" || len(c.History) == 0) {
			t.Errorf("signed consent in the export: %+v", c)
		}
	}
	if d := x.Devices[0]; d.DeviceID != s.DeviceID || d.UserID != s.Manager.ID || d.LastSyncAt == nil {
		t.Errorf("device %+v", d)
	}

	// Who may export: managers of the book (admins are), gdpr holders in any book; a viewer
	// who sees the contact is refused, a stranger does not learn it exists.
	for _, u := range []model.User{s.Admin, s.DPO} {
		if _, err := st.SubjectExport(ctx, as(u), s.Person.ID, "html"); err != nil {
			t.Errorf("%s: %v", u.Login, err)
		}
	}
	if _, err := st.SubjectExport(ctx, as(s.Viewer), s.Person.ID, "json"); !errors.Is(err, store.ErrForbidden) {
		t.Errorf("viewer: %v, want ErrForbidden", err)
	}
	for _, id := range []string{s.Person.ID, "00000000-0000-0000-0000-000000000000", "x"} {
		if _, err := st.SubjectExport(ctx, as(s.Stranger), id, "json"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("stranger %s: %v, want ErrNotFound", id, err)
		}
	}
	// The DPO exports the organisation in a book without grants.
	if _, err := st.SubjectExport(ctx, as(s.DPO), s.Org.ID, "json"); err != nil {
		t.Errorf("gdpr holder, other book: %v", err)
	}
	if _, err := st.SubjectExport(ctx, as(s.Manager), s.Org.ID, "json"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("manager of another book: %v, want ErrNotFound", err)
	}

	var exports int
	var channel string
	if err := pool.QueryRow(ctx, `SELECT count(*), min(channel) FROM audit_log WHERE action = 'contact.subject_export'
		AND contact_ids = ARRAY[$1::uuid]`, s.Person.ID).Scan(&exports, &channel); err != nil {
		t.Fatal(err)
	}
	if exports != 3 || channel != "export" {
		t.Errorf("export audit entries: %d on %q, want 3 on export", exports, channel)
	}
	// A second export shows the first among the accesses.
	x, err = st.SubjectExport(ctx, as(s.DPO), s.Person.ID, "json")
	if err != nil {
		t.Fatal(err)
	}
	if last := x.Access[len(x.Access)-1]; last.Action != "contact.subject_export" || last.Channel != "export" {
		t.Errorf("last access %+v", last)
	}
}

// TestSubjectExportHiddenContact: a contact hidden for lacking the consent its book
// requires is still its book managers' to export (a person's rights do not lapse with their
// consent), while its viewers do not learn it exists.
func TestSubjectExportHiddenContact(t *testing.T) {
	ctx := context.Background()
	st, pool := newStore(t)
	s, err := storetest.SeedSubject(ctx, st, pool, "")
	if err != nil {
		t.Fatal(err)
	}
	admin := store.Actor{UserID: s.Admin.ID, Channel: "api"}
	purpose, err := st.CreatePurpose(ctx, admin, model.Purpose{Key: "s-required", Name: "Členství", Wording: "Souhlasím se zpracováním."})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.UpdateBook(ctx, admin, s.Book.ID, store.BookPatch{RequiredPurposeID: &purpose.ID}); err != nil {
		t.Fatal(err)
	}
	viewer, manager := store.Actor{UserID: s.Viewer.ID, Channel: "api"}, store.Actor{UserID: s.Manager.ID, Channel: "api"}
	if _, err := st.GetContact(ctx, manager, s.Person.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("contact not hidden: %v", err)
	}
	if _, err := st.SubjectExport(ctx, manager, s.Person.ID, "json"); err != nil {
		t.Errorf("manager of the book: %v", err)
	}
	if _, err := st.SubjectExport(ctx, viewer, s.Person.ID, "json"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("viewer of the hidden contact: %v, want ErrNotFound", err)
	}
}
