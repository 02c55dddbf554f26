package devstack

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// DemoNewsletterBook names the demo book that requires a consent.
const DemoNewsletterBook = "Newsletter"

// DemoNewsletter is what SeedDemoNewsletter made or found.
type DemoNewsletter struct {
	Book    model.Book
	Purpose model.Purpose
	Seeded  bool
}

// demoSubscribers are the Newsletter book's people: given, family name, e-mail, and the
// consent each holds: months since it was given at a branch and how long it was valid (0:
// no consent; such a contact is hidden until one is recorded).
var demoSubscribers = []struct {
	Given, Family, Email string
	GivenMonthsAgo       int
	ValidMonths          int
}{
	{"Lucie", "Bartošová", "lucie.bartosova@posta.example", 3, 24},
	{"Tomáš", "Havlíček", "tomas.havlicek@posta.example", 14, 24},
	{"Marie", "Procházková", "marie.prochazkova@posta.example", 1, 24},
	{"David", "Šimek", "david.simek@posta.example", 20, 24},
	{"Helena", "Kučerová", "helena.kucerova@posta.example", 25, 24}, // lapsed a month ago
	{"Ondřej", "Pokorný", "ondrej.pokorny@posta.example", 0, 0},     // never consented
}

// SeedDemoNewsletter makes, once, the book "Newsletter" that requires an active consent
// to the demo purpose newsletter: Obchod (jana, eva) edit it and jana may sync it, and it
// holds six people, four with consents recorded at the Brno branch, one whose consent
// lapsed and one who never gave one; only the four are visible, on every channel. It is
// the ground of the README's consent-expiry walk-through. Without the demo admin it does
// nothing and returns store.ErrNotFound.
func SeedDemoNewsletter(ctx context.Context, st *store.Store) (DemoNewsletter, error) {
	var out DemoNewsletter
	admin, _, err := st.UserLogin(ctx, "admin")
	if err != nil {
		return out, err
	}
	a := store.Actor{UserID: admin.ID, Channel: model.ChannelSystem}
	purposes, err := ensureDemoPurposes(ctx, st, a)
	if err != nil {
		return out, err
	}
	out.Purpose = purposes["newsletter"]
	books, err := st.ListBooks(ctx, a)
	if err != nil {
		return out, fmt.Errorf("devstack: demo newsletter: %w", err)
	}
	for _, b := range books {
		if b.Name == DemoNewsletterBook {
			out.Book = b
			return out, nil
		}
	}
	jana, _, err := st.UserLogin(ctx, "jana")
	if err != nil {
		return out, errors.Join(store.ErrNotFound, err)
	}
	groups, err := st.ListGroups(ctx)
	if err != nil {
		return out, fmt.Errorf("devstack: demo newsletter: %w", err)
	}
	if out.Book, err = st.CreateBook(ctx, a, DemoNewsletterBook,
		"Odběratelé newsletteru: vidět jsou jen ti s platným souhlasem (the book requires the newsletter consent)"); err != nil {
		return out, fmt.Errorf("devstack: demo newsletter: %w", err)
	}
	if out.Book, err = st.UpdateBook(ctx, a, out.Book.ID, store.BookPatch{RequiredPurposeID: &out.Purpose.ID}); err != nil {
		return out, fmt.Errorf("devstack: demo newsletter: %w", err)
	}
	for _, g := range groups {
		if g.Name == "Obchod" {
			if _, err := st.PutGrant(ctx, a, model.Grant{BookID: out.Book.ID, GroupID: &g.ID, Role: model.RoleEditor}); err != nil {
				return out, fmt.Errorf("devstack: demo newsletter: %w", err)
			}
		}
	}
	if _, err := st.PutSyncGrant(ctx, a, model.SyncGrant{UserID: jana.ID, BookID: out.Book.ID, Mode: model.SyncRead}); err != nil {
		return out, fmt.Errorf("devstack: demo newsletter: %w", err)
	}
	now := time.Now()
	as := store.Actor{UserID: jana.ID, Channel: model.ChannelSystem}
	for i, s := range demoSubscribers {
		c, err := st.CreateContact(ctx, as, model.Contact{BookID: out.Book.ID, Kind: model.KindPerson, Type: model.TypeCustomer,
			GivenName: s.Given, FamilyName: s.Family, Emails: []model.Email{{Value: s.Email, Label: "work", Preferred: true}},
			Tags: []string{"newsletter"}})
		if err != nil {
			return out, fmt.Errorf("devstack: demo subscriber %s: %w", s.Family, err)
		}
		if s.ValidMonths == 0 {
			continue
		}
		given := now.AddDate(0, -s.GivenMonthsAgo, 0)
		until := given.AddDate(0, s.ValidMonths, 0)
		if _, err := st.RecordConsent(ctx, as, store.ConsentRecord{ContactID: c.ID, PurposeID: out.Purpose.ID,
			Source: model.SourceBranch, GivenAt: given, ValidUntil: &until,
			Evidence: map[string]any{"branch": "Brno", "form_number": fmt.Sprintf("B-%d-%03d", given.Year(), 101+i)}}); err != nil {
			return out, fmt.Errorf("devstack: demo consent of %s: %w", s.Family, err)
		}
	}
	out.Seeded = true
	return out, nil
}
