package store_test

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/kontakt/kontakt/contactfile"
	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

func importRows(t *testing.T, rows []contactfile.Row) []store.ImportRow {
	t.Helper()
	out := make([]store.ImportRow, len(rows))
	for i, r := range rows {
		out[i] = store.ImportRow{Line: r.Line, Contact: r.Contact, Err: r.Err}
	}
	return out
}

func fileRows(t *testing.T, name string) []store.ImportRow {
	t.Helper()
	b, err := os.ReadFile("../contactfile/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	if name[len(name)-4:] == ".csv" {
		rows, _, err := contactfile.ParseCSV(b, contactfile.CSVOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return importRows(t, rows)
	}
	return importRows(t, contactfile.ParseVCards(b))
}

func countBook(t *testing.T, st *store.Store, a store.Actor, bookID string) int {
	t.Helper()
	n, err := st.CountContacts(context.Background(), a, store.ContactFilter{BookID: bookID})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestImportDryRunThenRealThenAgain(t *testing.T) {
	ctx := context.Background()
	st, pool := newStore(t)
	a, b := fixture(t, st)
	// Tomáš is already in the book with his home address only: the import merges.
	if _, err := st.CreateContact(ctx, a, model.Contact{BookID: b.ID, Kind: "person", GivenName: "Tomáš", FamilyName: "Černý",
		Emails: []model.Email{{Value: "tomas.cerny@example.com"}}}); err != nil {
		t.Fatal(err)
	}
	rows := append(fileRows(t, "thunderbird.vcf"), fileRows(t, "ios.vcf")...)
	dry, err := st.ImportContacts(ctx, a, b.ID, rows, store.ImportOptions{DryRun: true, Format: "vcard"})
	if err != nil {
		t.Fatal(err)
	}
	if dry.Applied || dry.Created != 5 || dry.Merged != 1 || dry.Errors != 0 || countBook(t, st, a, b.ID) != 1 {
		t.Fatalf("dry run: %+v", dry)
	}
	if r := dry.Rows[1]; r.Action != store.ImportMerge || r.MatchedBy != "email" || r.ContactID == "" {
		t.Errorf("Tomáš: %+v", r)
	}
	real, err := st.ImportContacts(ctx, a, b.ID, rows, store.ImportOptions{Format: "vcard"})
	if err != nil {
		t.Fatal(err)
	}
	if !real.Applied || real.Created != 5 || real.Merged != 1 || countBook(t, st, a, b.ID) != 6 {
		t.Fatalf("real run: %+v", real)
	}
	tomas, err := st.GetContact(ctx, a, real.Rows[1].ContactID)
	if err != nil || len(tomas.Emails) != 2 || len(tomas.Phones) != 1 || tomas.Birthday == nil || tomas.Version != 2 {
		t.Errorf("merged Tomáš: %+v %v", tomas, err)
	}
	petr, err := st.GetContact(ctx, a, real.Rows[3].ContactID)
	if err != nil || petr.DisplayName != "Petr Dvořák" || petr.Phones[0].Value != "+420777123456" {
		t.Errorf("Petr: %+v %v", petr, err)
	}
	page, err := st.ListContacts(ctx, a, store.ContactFilter{Query: "pekarna"})
	if err != nil || len(page.Contacts) != 2 {
		t.Errorf("imported contacts are searchable: %d, %v", len(page.Contacts), err)
	}
	// The same file again: nothing new.
	again, err := st.ImportContacts(ctx, a, b.ID, rows, store.ImportOptions{Format: "vcard"})
	if err != nil {
		t.Fatal(err)
	}
	if again.Created != 0 || again.Merged != 0 || again.Skipped != 6 || countBook(t, st, a, b.ID) != 6 {
		t.Fatalf("second import: %+v", again)
	}
	// Devices syncing the book hear of the five new contacts and the merge, and of nothing
	// from the second run (invariant 4).
	var changes int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM book_changes WHERE book_id = $1`, b.ID).Scan(&changes); err != nil || changes != 7 {
		t.Errorf("book changes: %d, %v; want 1 create + 5 imported + 1 merge", changes, err)
	}
	entries, err := st.ListAudit(ctx, store.AuditFilter{Action: "contact.import"})
	if err != nil || len(entries) != 2 || len(entries[1].ContactIDs) != 6 {
		t.Fatalf("audit: %+v %v", entries, err)
	}
}

func TestImportCSVPerRowAndAllOrNothing(t *testing.T) {
	ctx := context.Background()
	st, _ := newStore(t)
	a, b := fixture(t, st)
	rows := fileRows(t, "kontakty-1250.csv")
	all, err := st.ImportContacts(ctx, a, b.ID, rows, store.ImportOptions{AllOrNothing: true})
	if err != nil {
		t.Fatal(err)
	}
	if all.Applied || all.Errors != 3 || countBook(t, st, a, b.ID) != 0 {
		t.Fatalf("all or nothing with bad rows wrote: %+v", all)
	}
	want := map[int]string{2: "create", 3: "create", 4: "create", 5: "error", 6: "error", 7: "error", 8: "create", 9: "skip"}
	for _, r := range all.Rows {
		if want[r.Line] != r.Action {
			t.Errorf("line %d: %s (%s), want %s", r.Line, r.Action, r.Reason, want[r.Line])
		}
	}
	if r := all.Rows[3]; r.Field != "emails[0].value" {
		t.Errorf("bad e-mail reported as %+v", r)
	}
	per, err := st.ImportContacts(ctx, a, b.ID, rows, store.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !per.Applied || per.Created != 4 || per.Errors != 3 || countBook(t, st, a, b.ID) != 4 {
		t.Fatalf("per row: %+v", per)
	}
	// Šárka's second row merged into her first: one contact with both phones' worth.
	sarka, err := st.GetContact(ctx, a, per.Rows[1].ContactID)
	if err != nil || len(sarka.Phones) != 2 || len(sarka.Tags) != 1 || len(sarka.Emails) != 1 {
		t.Errorf("Šárka: %+v %v", sarka, err)
	}
	again, err := st.ImportContacts(ctx, a, b.ID, rows, store.ImportOptions{})
	if err != nil || again.Created != 0 || countBook(t, st, a, b.ID) != 4 {
		t.Fatalf("second import: %+v %v", again, err)
	}
}

func TestImportRules(t *testing.T) {
	ctx := context.Background()
	st, _ := newStore(t)
	a, b := fixture(t, st)
	existing, err := st.CreateContact(ctx, a, model.Contact{BookID: b.ID, Kind: "person", GivenName: "Jana", FamilyName: "Nováková",
		OrgName: "Stavby Novák s.r.o."})
	if err != nil {
		t.Fatal(err)
	}
	rows := fileRows(t, "thunderbird.vcf")[:1] // Jana: matched by name + organisation
	skip, err := st.ImportContacts(ctx, a, b.ID, rows, store.ImportOptions{OnMatch: "skip"})
	if err != nil || skip.Skipped != 1 || skip.Rows[0].MatchedBy != "name" {
		t.Fatalf("skip: %+v %v", skip, err)
	}
	if c, _ := st.GetContact(ctx, a, existing.ID); len(c.Emails) != 0 {
		t.Error("skip changed the contact")
	}
	create, err := st.ImportContacts(ctx, a, b.ID, rows, store.ImportOptions{OnMatch: "create"})
	if err != nil || create.Created != 1 || countBook(t, st, a, b.ID) != 2 {
		t.Fatalf("create: %+v %v", create, err)
	}
	if _, err := st.ImportContacts(ctx, a, b.ID, rows, store.ImportOptions{OnMatch: "replace"}); err == nil {
		t.Error("unknown rule accepted")
	}
}

// The same file sent twice at once still creates each contact once.
func TestImportConcurrentTwice(t *testing.T) {
	ctx := context.Background()
	st, _ := newStore(t)
	a, b := fixture(t, st)
	rows := fileRows(t, "thunderbird.vcf")
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			_, err := st.ImportContacts(ctx, a, b.ID, rows, store.ImportOptions{})
			errs <- err
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if n := countBook(t, st, a, b.ID); n != 3 {
		t.Errorf("%d contacts, want 3", n)
	}
}

func TestImportNeedsAnEditor(t *testing.T) {
	ctx := context.Background()
	st, _ := newStore(t)
	a, b := fixture(t, st)
	mk := func(login string) store.Actor {
		u, err := st.CreateUser(ctx, a, model.User{Login: login, Name: login}, "")
		if err != nil {
			t.Fatal(err)
		}
		return store.Actor{UserID: u.ID, Channel: "api"}
	}
	viewer, stranger := mk("viewer"), mk("stranger")
	if _, err := st.PutGrant(ctx, a, model.Grant{BookID: b.ID, UserID: &viewer.UserID, Role: model.RoleViewer}); err != nil {
		t.Fatal(err)
	}
	rows := fileRows(t, "ios.vcf")
	if _, err := st.ImportContacts(ctx, viewer, b.ID, rows, store.ImportOptions{}); !errors.Is(err, store.ErrForbidden) {
		t.Errorf("viewer: %v", err)
	}
	if _, err := st.ImportContacts(ctx, stranger, b.ID, rows, store.ImportOptions{DryRun: true}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("stranger: %v", err)
	}
}
