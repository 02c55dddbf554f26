package devstack_test

import (
	"errors"
	"log/slog"
	"maps"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kontakt/kontakt/auth"
	"github.com/kontakt/kontakt/devstack"
	"github.com/kontakt/kontakt/devstack/testdb"
	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// openStore returns a store over a fresh migrated database, and its pool for raw checks.
func openStore(t *testing.T) (*store.Store, *pgxpool.Pool) {
	t.Helper()
	pool, err := pgxpool.New(t.Context(), testdb.New(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close) // before testdb drops the database
	return store.New(pool, "CZ"), pool
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), nil))
}

// tableCounts counts the rows of every table the demo writes to.
func tableCounts(t *testing.T, pool *pgxpool.Pool) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range []string{"users", "groups", "group_members", "address_books", "book_grants",
		"custom_field_defs", "contacts", "contact_points", "relations", "attached_items",
		"attached_item_audience", "audit_log", "sessions"} {
		var n int
		if err := pool.QueryRow(t.Context(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[table] = n
	}
	return out
}

// allContacts pages through every contact actor sees.
func allContacts(t *testing.T, st *store.Store, actor store.Actor, f store.ContactFilter) []model.Contact {
	t.Helper()
	var out []model.Contact
	f.Limit = 100
	for {
		page, err := st.ListContacts(t.Context(), actor, f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page.Contacts...)
		if page.NextCursor == "" {
			return out
		}
		f.Cursor = page.NextCursor
	}
}

// userActor logs in as login with password through the store and auth, as the API does.
func userActor(t *testing.T, st *store.Store, login, password string) store.Actor {
	t.Helper()
	u, hash, err := st.UserLogin(t.Context(), login)
	if err != nil {
		t.Fatalf("user %s: %v", login, err)
	}
	if err := auth.VerifyPassword(password, hash); err != nil {
		t.Fatalf("user %s cannot log in with the printed password: %v", login, err)
	}
	if u.Disabled {
		t.Fatalf("user %s is disabled", login)
	}
	return store.Actor{UserID: u.ID, Channel: model.ChannelAPI}
}

func TestSeedDemo(t *testing.T) {
	ctx := t.Context()
	st, pool := openStore(t)

	start := time.Now()
	demo, err := devstack.SeedDemo(ctx, st, "", testLogger(t))
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("SeedDemo took %v", took)
	if took > 15*time.Second {
		t.Errorf("SeedDemo took %v, want under 15s", took)
	}
	if !demo.Seeded || demo.Books != 3 || demo.Contacts < 280 || demo.Contacts > 320 {
		t.Fatalf("SeedDemo = %+v, want seeded with 3 books and about 300 contacts", demo)
	}
	var logins []string
	passwords := map[string]string{}
	for _, u := range demo.Users {
		logins = append(logins, u.Login)
		passwords[u.Login] = u.Password
		if len(u.Password) != 14 || u.Name == "" {
			t.Errorf("demo user %+v: want a name and a 14-character password", u)
		}
		if u.Admin != (u.Login == "admin") {
			t.Errorf("demo user %s: Admin = %v", u.Login, u.Admin)
		}
	}
	if want := []string{"admin", "jana", "petr", "eva"}; !slices.Equal(logins, want) {
		t.Fatalf("demo users %v, want %v (admin first: `kontakt dev` prints it as the login to try)", logins, want)
	}
	distinct := map[string]bool{}
	for _, p := range passwords {
		distinct[p] = true
	}
	if len(distinct) != len(passwords) {
		t.Errorf("random passwords repeat: %v", passwords)
	}

	// A second run finds users and changes nothing.
	before := tableCounts(t, pool)
	again, err := devstack.SeedDemo(ctx, st, "", testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if again.Seeded || again.Users != nil {
		t.Errorf("second SeedDemo = %+v, want Seeded false and no users", again)
	}
	if after := tableCounts(t, pool); !maps.Equal(before, after) {
		t.Errorf("second SeedDemo changed the database: before %v, after %v", before, after)
	}

	// Every demo user logs in with the password SeedDemo returned, and only with it.
	actors := map[string]store.Actor{}
	for login, pw := range passwords {
		actors[login] = userActor(t, st, login, pw)
	}
	_, hash, _ := st.UserLogin(ctx, "jana")
	if err := auth.VerifyPassword(passwords["petr"], hash); !errors.Is(err, auth.ErrMismatch) {
		t.Errorf("jana's hash accepts petr's password: %v", err)
	}

	// The admin sees every contact; persons are related to an organisation of their book.
	all := allContacts(t, st, actors["admin"], store.ContactFilter{})
	if len(all) != demo.Contacts {
		t.Fatalf("admin sees %d contacts, SeedDemo made %d", len(all), demo.Contacts)
	}
	books, err := st.ListBooks(ctx, actors["admin"])
	if err != nil {
		t.Fatal(err)
	}
	bookID := map[string]string{}
	for _, b := range books {
		bookID[b.Name] = b.ID
	}
	customers, suppliers, partners := bookID["Zákazníci"], bookID["Dodavatelé"], bookID["Partneři a členové"]
	if len(books) != 3 || customers == "" || suppliers == "" || partners == "" {
		t.Fatalf("admin's books: %v", bookID)
	}
	byID := map[string]model.Contact{}
	perBook := map[string]int{}
	kinds := map[model.ContactKind]int{}
	for _, c := range all {
		byID[c.ID] = c
		perBook[c.BookID]++
		kinds[c.Kind]++
	}
	if kinds[model.KindOrganisation] < 50 || kinds[model.KindPerson] < 200 {
		t.Errorf("contacts by kind: %v, want about 60 organisations and 240 persons", kinds)
	}
	wantType := map[string][]model.ContactType{
		customers: {model.TypeCustomer}, suppliers: {model.TypeSupplier}, partners: {model.TypePartner, model.TypeMember},
	}
	mail := regexp.MustCompile(`^[a-z0-9.-]+@[a-z0-9.-]+\.[a-z]+$`)
	for _, c := range all {
		if !slices.Contains(wantType[c.BookID], c.Type) {
			t.Errorf("%s has type %s in book %s", c.DisplayName, c.Type, c.BookID)
		}
		if len(c.Emails) == 0 || !mail.MatchString(c.Emails[0].Value) || len(c.Phones) == 0 {
			t.Errorf("%s: emails %v, phones %v: want an ASCII e-mail address and a phone", c.DisplayName, c.Emails, c.Phones)
		}
		if c.Kind != model.KindPerson {
			continue
		}
		if len(c.Relations) != 1 {
			t.Errorf("%s has %d relations, want 1", c.DisplayName, len(c.Relations))
			continue
		}
		r := c.Relations[0]
		org := byID[r.OrganisationID]
		if org.Kind != model.KindOrganisation || org.BookID != c.BookID || r.Role == "" || r.ValidFrom == nil {
			t.Errorf("%s: relation %+v to %q in another book or incomplete", c.DisplayName, r, org.DisplayName)
		}
	}

	// Custom fields were defined and filled.
	b, err := st.GetBook(ctx, actors["admin"], suppliers)
	if err != nil {
		t.Fatal(err)
	}
	if keys := fieldKeys(b.Fields); !slices.Equal(keys, []string{"ico", "contract_until"}) {
		t.Errorf("Dodavatelé fields %v", keys)
	}
	ico := regexp.MustCompile(`^[0-9]{8}$`)
	icos := 0
	for _, c := range all {
		if v, ok := c.Custom["ico"].(string); ok && c.BookID == suppliers {
			icos++
			if !ico.MatchString(v) {
				t.Errorf("%s: IČO %q", c.DisplayName, v)
			}
		}
	}
	if icos == 0 {
		t.Error("no supplier has an IČO")
	}

	// petr: viewer of Zákazníci, manager of Dodavatelé through Nákup, nothing on Partneři.
	petrBooks, err := st.ListBooks(ctx, actors["petr"])
	if err != nil {
		t.Fatal(err)
	}
	roles := map[string]model.Role{}
	for _, b := range petrBooks {
		roles[b.Name] = b.Role
	}
	if want := map[string]model.Role{"Zákazníci": model.RoleViewer, "Dodavatelé": model.RoleManager}; !maps.Equal(roles, want) {
		t.Errorf("petr's books %v, want %v", roles, want)
	}
	petrSees := allContacts(t, st, actors["petr"], store.ContactFilter{})
	if want := perBook[customers] + perBook[suppliers]; len(petrSees) != want {
		t.Errorf("petr sees %d contacts, want %d (Zákazníci and Dodavatelé)", len(petrSees), want)
	}
	for _, c := range petrSees {
		if c.BookID != customers && c.BookID != suppliers {
			t.Errorf("petr sees %s of book %s", c.DisplayName, c.BookID)
		}
	}

	// jana finds Antonín Dvořák without typing the diacritics.
	found := allContacts(t, st, actors["jana"], store.ContactFilter{Query: "dvorak"})
	var dvorak *model.Contact
	for i, c := range found {
		if c.DisplayName == "Antonín Dvořák" && c.BookID == customers {
			dvorak = &found[i]
		}
	}
	if dvorak == nil {
		t.Fatalf("jana's search for dvorak found %v, want Antonín Dvořák in Zákazníci", names(found))
	}
	notes, err := st.ListNotes(ctx, actors["jana"], dvorak.ID)
	if err != nil || len(notes) == 0 {
		t.Errorf("notes on Antonín Dvořák: %v, %v", notes, err)
	}
	if novak := allContacts(t, st, actors["jana"], store.ContactFilter{Query: "jan novak"}); !slices.Contains(names(novak), "Jan Novák") {
		t.Errorf("search for jan novak found %v", names(novak))
	}

	// About 100 notes, some restricted to a user or a group.
	var total, restricted, named int
	if err := pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE audience = 'restricted'),
		(SELECT count(DISTINCT item_id) FROM attached_item_audience) FROM attached_items`).Scan(&total, &restricted, &named); err != nil {
		t.Fatal(err)
	}
	if total < 90 || total > 110 || restricted < 10 || named != restricted {
		t.Errorf("%d notes, %d restricted, %d with named users or groups", total, restricted, named)
	}
}

// TestSeedDemoPassword checks the fixed password of KONTAKT_DEMO_PASSWORD and that two
// runs seed the same contacts.
func TestSeedDemoPassword(t *testing.T) {
	ctx := t.Context()
	st1, _ := openStore(t)
	if _, err := devstack.SeedDemo(ctx, st1, "short", nil); err == nil {
		t.Error("SeedDemo accepted a 5-character password")
	}
	if n, _ := st1.CountUsers(ctx); n != 0 {
		t.Errorf("a refused SeedDemo left %d users", n)
	}
	const pw = "demo-heslo-2026"
	seed := func(st *store.Store) []string {
		demo, err := devstack.SeedDemo(ctx, st, pw, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(demo.Users) != 4 {
			t.Fatalf("demo users %+v", demo.Users)
		}
		var out []string
		admin := store.Actor{}
		for _, u := range demo.Users {
			if u.Password != pw {
				t.Errorf("%s: password %q, want %q", u.Login, u.Password, pw)
			}
			a := userActor(t, st, u.Login, pw)
			if u.Admin {
				admin = a
			}
		}
		for _, c := range allContacts(t, st, admin, store.ContactFilter{}) {
			out = append(out, c.DisplayName+" | "+string(c.Type)+" | "+c.Emails[0].Value)
		}
		return out
	}
	first := seed(st1)
	st2, _ := openStore(t)
	second := seed(st2)
	if !slices.Equal(first, second) {
		t.Errorf("two runs seeded different contacts:\n%v\n%v", first, second)
	}
}

func fieldKeys(defs []model.FieldDef) []string {
	var out []string
	for _, d := range defs {
		out = append(out, d.Key)
	}
	return out
}

func names(cs []model.Contact) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.DisplayName)
	}
	return out
}
