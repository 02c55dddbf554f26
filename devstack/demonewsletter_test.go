package devstack_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/kontakt/kontakt/devstack"
	"github.com/kontakt/kontakt/store"
)

// The Newsletter book requires the newsletter consent: of its six people the four with a
// current consent are visible, to jana (Obchod, editor) as to the admin, and over CardDAV to
// jana, who holds a sync grant.
func TestSeedDemoNewsletter(t *testing.T) {
	ctx := t.Context()
	st, pool := openStore(t)
	if _, err := devstack.SeedDemoNewsletter(ctx, st); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("without the demo organisation: %v, want ErrNotFound", err)
	}
	const pw = "demo-heslo-2026"
	if _, err := devstack.SeedDemo(ctx, st, pw, nil); err != nil {
		t.Fatal(err)
	}
	nl, err := devstack.SeedDemoNewsletter(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if !nl.Seeded || nl.Book.Name != devstack.DemoNewsletterBook || nl.Book.RequiredPurposeID == nil ||
		*nl.Book.RequiredPurposeID != nl.Purpose.ID || nl.Purpose.Key != "newsletter" || nl.Purpose.ReminderDays != 30 {
		t.Fatalf("SeedDemoNewsletter = %+v", nl)
	}
	want := []string{"David Šimek", "Lucie Bartošová", "Marie Procházková", "Tomáš Havlíček"}
	for _, login := range []string{"admin", "jana"} {
		a := userActor(t, st, login, pw)
		got := names(allContacts(t, st, a, store.ContactFilter{BookID: nl.Book.ID}))
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s sees %v in Newsletter, want %v", login, got, want)
		}
	}
	jana := userActor(t, st, "jana", pw)
	cols, err := st.SyncCollections(ctx, jana.UserID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(cols, func(c store.SyncCollection) bool { return c.BookID == nl.Book.ID }) {
		t.Errorf("jana cannot sync Newsletter: %+v", cols)
	}
	var consents, hidden int
	if err := pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE valid_until < now()) FROM consents
		WHERE source = 'branch' AND status = 'active'`).Scan(&consents, &hidden); err != nil || consents != 5 || hidden != 1 {
		t.Errorf("branch consents %d, lapsed %d (%v); want 5 and 1", consents, hidden, err)
	}

	// Once only; the demo form still goes to Zákazníci with both purposes.
	again, err := devstack.SeedDemoNewsletter(ctx, st)
	if err != nil || again.Seeded || again.Book.ID != nl.Book.ID {
		t.Errorf("second SeedDemoNewsletter = %+v, %v", again, err)
	}
	f, err := devstack.SeedDemoForm(ctx, st, "http://127.0.0.1:8080")
	if err != nil || len(f.PurposeIDs) != 2 || f.PurposeIDs[0] != nl.Purpose.ID || f.BookID == nl.Book.ID {
		t.Errorf("demo form %+v, %v", f, err)
	}
}
