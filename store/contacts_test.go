package store_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// fixture makes an admin and one book.
func fixture(t *testing.T, st *store.Store) (store.Actor, model.Book) {
	t.Helper()
	ctx := context.Background()
	u, err := st.CreateUser(ctx, store.Actor{Channel: "system"}, model.User{Login: "admin", Name: "Admin", IsAdmin: true}, "")
	if err != nil {
		t.Fatal(err)
	}
	a := store.Actor{UserID: u.ID, Channel: "api"}
	b, err := st.CreateBook(ctx, a, "Zákazníci", "")
	if err != nil {
		t.Fatal(err)
	}
	return a, b
}

func TestContactRoundTrip(t *testing.T) {
	ctx := context.Background()
	st, _ := newStore(t)
	a, b := fixture(t, st)
	if err := st.PutField(ctx, a, b.ID, model.FieldDef{Key: "segment", Label: "Segment", Type: "choice", Choices: []string{"malý", "velký"}}); err != nil {
		t.Fatal(err)
	}
	birthday := "1980-02-29"
	c, err := st.CreateContact(ctx, a, model.Contact{
		BookID: b.ID, Kind: "person", Type: "customer", GivenName: " Antonín ", FamilyName: "Dvořák", Birthday: &birthday,
		Tags:      []string{"VIP", "vip", "Veletrh  2026"},
		Custom:    map[string]any{"segment": "velký"},
		Emails:    []model.Email{{Value: "antonin@Example.CZ", Label: "work", Preferred: true}},
		Phones:    []model.Phone{{Value: "601 123 456"}},
		Addresses: []model.Address{{Street: "Národní 1", Locality: "Praha", PostalCode: "110 00", Country: "CZ"}},
		Websites:  []model.Website{{URL: "dvorak.example.cz"}},
		Socials:   []model.Social{{Network: "linkedin", Handle: "antonin-dvorak"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.DisplayName != "Antonín Dvořák" || c.Phones[0].Value != "+420601123456" || c.Emails[0].Value != "antonin@example.cz" ||
		len(c.Tags) != 2 || c.Tags[1] != "veletrh 2026" || c.Websites[0].URL != "https://dvorak.example.cz" ||
		c.Socials[0].URL == "" || *c.Birthday != birthday || c.Custom["segment"] != "velký" || c.Version != 1 {
		t.Fatalf("not normalised as expected: %+v", c)
	}
	for _, q := range []string{"dvorak", "DVOŘÁK", "antonin dvorak", "dvorak antonin", "601 123", "antonin@example", "praha", "dvorrak"} {
		page, err := st.ListContacts(ctx, a, store.ContactFilter{Query: q})
		if err != nil || len(page.Contacts) != 1 {
			t.Errorf("search %q: %d results, %v", q, len(page.Contacts), err)
		}
	}
	for q, want := range map[string]int{"dvorak": 1, "dvorrak": 1, "novak": 0, "": 1} {
		if n, err := st.CountContacts(ctx, a, store.ContactFilter{Query: q}); err != nil || n != want {
			t.Errorf("count %q: %d, %v; want %d", q, n, err, want)
		}
	}
	page, err := st.ListContacts(ctx, a, store.ContactFilter{Query: "novak"})
	if err != nil || len(page.Contacts) != 0 {
		t.Errorf("search novak found %d", len(page.Contacts))
	}

	// patch with optimistic locking
	name := "Antonín Leopold"
	c2, err := st.UpdateContact(ctx, a, c.ID, model.ContactPatch{GivenName: &name, Birthday: model.Optional[string]{Set: true}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if c2.Version != 2 || c2.Birthday != nil || c2.DisplayName != "Antonín Leopold Dvořák" || len(c2.Phones) != 1 {
		t.Fatalf("patch: %+v", c2)
	}
	var ce *store.ConflictError
	if _, err := st.UpdateContact(ctx, a, c.ID, model.ContactPatch{GivenName: &name}, 1); !errors.As(err, &ce) {
		t.Fatalf("stale version accepted: %v", err)
	}

	// invalid input changes nothing
	bad := []model.ContactPatch{
		{Custom: &map[string]any{"segment": "obří"}},
		{Custom: &map[string]any{"unknown": 1}},
		{Phones: &[]model.Phone{{Value: "abc"}}},
		{Emails: &[]model.Email{{Value: "no-at-sign"}}},
		{FamilyName: ptr(""), GivenName: ptr("")},
	}
	for _, p := range bad {
		var fe *model.FieldError
		if _, err := st.UpdateContact(ctx, a, c.ID, p, 0); !errors.As(err, &fe) {
			t.Errorf("patch %+v: got %v, want a field error", p, err)
		}
	}
	after, err := st.GetContact(ctx, a, c.ID)
	if err != nil || after.Version != 2 {
		t.Fatalf("a rejected patch changed the contact: %+v %v", after, err)
	}

	if err := st.DeleteContact(ctx, a, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.GetContact(ctx, a, c.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted contact still readable: %v", err)
	}
}

func TestViewerCannotWrite(t *testing.T) {
	ctx := context.Background()
	st, _ := newStore(t)
	a, b := fixture(t, st)
	v, err := st.CreateUser(ctx, a, model.User{Login: "viewer", Name: "Viewer"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.PutGrant(ctx, a, model.Grant{BookID: b.ID, UserID: &v.ID, Role: "viewer"}); err != nil {
		t.Fatal(err)
	}
	va := store.Actor{UserID: v.ID, Channel: "api"}
	c, err := st.CreateContact(ctx, a, model.Contact{BookID: b.ID, Kind: "organisation", OrgName: "Pekárna"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateContact(ctx, va, model.Contact{BookID: b.ID, Kind: "organisation", OrgName: "X"}); !errors.Is(err, store.ErrForbidden) {
		t.Errorf("viewer created a contact: %v", err)
	}
	if _, err := st.UpdateContact(ctx, va, c.ID, model.ContactPatch{OrgName: ptr("Y")}, 0); !errors.Is(err, store.ErrForbidden) {
		t.Errorf("viewer edited: %v", err)
	}
	if err := st.DeleteContact(ctx, va, c.ID); !errors.Is(err, store.ErrForbidden) {
		t.Errorf("viewer deleted: %v", err)
	}
	if _, err := st.PutGrant(ctx, va, model.Grant{BookID: b.ID, UserID: &v.ID, Role: "manager"}); !errors.Is(err, store.ErrForbidden) {
		t.Errorf("viewer raised their own role: %v", err)
	}
	if _, err := st.CreateBook(ctx, va, "Mine", ""); !errors.Is(err, store.ErrForbidden) {
		t.Errorf("non-admin created a book: %v", err)
	}
	// a viewer may still note something on a contact they see
	if _, err := st.CreateNote(ctx, va, model.Note{ContactID: c.ID, Body: "Volal, chce nabídku."}); err != nil {
		t.Errorf("viewer could not add a note: %v", err)
	}
}

func TestAuditIsAppendOnly(t *testing.T) {
	ctx := context.Background()
	st, pool := newStore(t)
	a, b := fixture(t, st)
	c, err := st.CreateContact(ctx, a, model.Contact{BookID: b.ID, Kind: "person", FamilyName: "Černá"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.GetContact(ctx, a, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ListContacts(ctx, a, store.ContactFilter{Query: "cerna"}); err != nil {
		t.Fatal(err)
	}
	entries, err := st.ListAudit(ctx, store.AuditFilter{ContactID: c.ID})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range entries {
		actions = append(actions, e.Action)
	}
	if len(actions) != 3 || actions[0] != "contact.search" || actions[1] != "contact.read" || actions[2] != "contact.create" {
		t.Fatalf("audit of the contact: %v", actions)
	}
	for _, sql := range []string{`UPDATE audit_log SET action = 'x'`, `DELETE FROM audit_log`, `TRUNCATE audit_log`} {
		if _, err := pool.Exec(ctx, sql); err == nil {
			t.Errorf("%s succeeded on the append-only audit log", sql)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// TestNewContactSearchText: the search text a new contact is inserted with holds the same
// words as the one writePoints computes from the stored points on an update.
func TestNewContactSearchText(t *testing.T) {
	ctx := context.Background()
	st, pool := newStore(t)
	a, b := fixture(t, st)
	c, err := st.CreateContact(ctx, a, model.Contact{BookID: b.ID, Kind: "person", GivenName: "Antonín", FamilyName: "Dvořák",
		OrgName: "Stavby Dvořák", JobTitle: "Jednatel", Tags: []string{"dodavatel", "beton"},
		Emails:    []model.Email{{Label: "work", Value: "antonin@stavby.example"}},
		Phones:    []model.Phone{{Label: "mobile", Value: "+420 777 123 456"}},
		Websites:  []model.Website{{URL: "https://stavby.example"}},
		Socials:   []model.Social{{Network: "linkedin", Handle: "advorak"}},
		Addresses: []model.Address{{Street: "Dlouhá 5", Locality: "Třebíč", PostalCode: "674 01", Country: "CZ"}}})
	if err != nil {
		t.Fatal(err)
	}
	words := func(s string) string { f := strings.Fields(s); slices.Sort(f); return strings.Join(f, " ") }
	var inserted, recomputed string
	err = pool.QueryRow(ctx, `SELECT c.search_text, kontakt_fold(concat_ws(' ', c.display_name, c.org_name, c.job_title,
			array_to_string(c.tags, ' '),
			(SELECT string_agg(concat_ws(' ', p.value, p.network, p.locality, p.street, p.postal_code), ' ')
			   FROM contact_points p WHERE p.contact_id = c.id)))
		FROM contacts c WHERE c.id = $1`, c.ID).Scan(&inserted, &recomputed)
	if err != nil {
		t.Fatal(err)
	}
	if words(inserted) != words(recomputed) || !strings.Contains(inserted, "trebic") {
		t.Errorf("inserted %q, from the points %q", inserted, recomputed)
	}
}
