package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

const books = 10

// Which books the reader sees, and how: a viewer grant on these directly...
var readerDirect = []int{0, 1, 2}

// ...and on these through the group "Obchod".
var readerViaGroup = []int{3, 4}

// narrowBook is the one book the second reader ("reader-one") sees, by a direct grant.
const narrowBook = 0

// listBook is the book the list benchmark pages through; the reader sees it through the group.
const listBook = 3

// searchTextSQL is the search text the store computes in writePoints (store/contacts.go),
// here for every contact at once.
const searchTextSQL = `UPDATE contacts c SET search_text = kontakt_fold(concat_ws(' ', c.display_name, c.org_name, c.job_title,
			array_to_string(c.tags, ' '),
			(SELECT string_agg(concat_ws(' ', p.value, p.network, p.locality, p.street, p.postal_code), ' ')
			   FROM contact_points p WHERE p.contact_id = c.id)))`

type dataset struct {
	readerID, adminID string
	narrowID          string // sees one book
	bookIDs           []string
	perBook           int
	contacts, points  int
	grants, users     int
	timing            genTiming
}

type genTiming struct {
	setup, build, copy, searchText, analyze, total time.Duration
}

func (t genTiming) String() string {
	r := func(d time.Duration) time.Duration { return d.Round(10 * time.Millisecond) }
	return fmt.Sprintf("users/books/grants %s, building rows in Go %s, COPY %s, search_text UPDATE %s, VACUUM ANALYZE %s",
		r(t.setup), r(t.build), r(t.copy), r(t.searchText), r(t.analyze))
}

// gen is a deterministic generator.
type gen struct{ r *rand.Rand }

func (g gen) uuid() (pgtype.UUID, string) {
	var b [16]byte
	for i := range 2 {
		v := g.r.Uint64()
		for j := range 8 {
			b[i*8+j] = byte(v >> (8 * j))
		}
	}
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	h := hex.EncodeToString(b[:])
	return pgtype.UUID{Bytes: b, Valid: true}, h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func (g gen) pick(s []string) string { return s[g.r.IntN(len(s))] }

func (g gen) chance(p float64) bool { return g.r.Float64() < p }

// zipf returns an index in [0, n) with weight 1/(i+offset).
type zipf struct{ cum []float64 }

func newZipf(n int, offset float64) zipf {
	z := zipf{cum: make([]float64, n)}
	sum := 0.0
	for i := range n {
		sum += 1 / (float64(i) + offset)
		z.cum[i] = sum
	}
	for i := range z.cum {
		z.cum[i] /= sum
	}
	return z
}

func (z zipf) draw(g gen) int {
	x := g.r.Float64()
	lo, hi := 0, len(z.cum)-1
	for lo < hi {
		m := (lo + hi) / 2
		if z.cum[m] < x {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// slug folds s to lowercase ASCII letters and digits, for email addresses.
func slug(s string, max int) string {
	var b strings.Builder
	for _, r := range model.FoldForSearch(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	out := b.String()
	if len(out) > max {
		out = out[:max]
	}
	return out
}

// generate fills the database: users, groups, 10 books with grants, and n contacts (n/10 a
// book) with an email and a phone each, then the search text and statistics.
func generate(ctx context.Context, pool *pgxpool.Pool, n int, seed uint64) (*dataset, error) {
	start := time.Now()
	g := gen{rand.New(rand.NewPCG(seed, 0x6b6f6e74616b74))}
	d := &dataset{perBook: n / books}
	d.contacts = d.perBook * books

	// Users, groups, books and grants: few rows, plain INSERTs in one transaction.
	tx, err := pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	addUser := func(login, name string, admin bool) (string, error) {
		_, id := g.uuid()
		_, err := tx.Exec(ctx, `INSERT INTO users (id, login, name, email, is_admin, locale) VALUES ($1, $2, $3, $4, $5, 'cs')`,
			id, login, name, login+"@kontakt.example", admin)
		d.users++
		return id, err
	}
	if d.adminID, err = addUser("admin", "Správce Systému", true); err != nil {
		return nil, err
	}
	if d.readerID, err = addUser("reader", "Čtenář Adresáře", false); err != nil {
		return nil, err
	}
	if d.narrowID, err = addUser("reader-one", "Čtenář Jedné Knihy", false); err != nil {
		return nil, err
	}
	var staff []string
	for i := range 30 {
		id, err := addUser(fmt.Sprintf("user%02d", i+1), fmt.Sprintf("%s %s", g.pick(czechFemale), czechSurnames[i%len(czechSurnames)][1]), false)
		if err != nil {
			return nil, err
		}
		staff = append(staff, id)
	}
	groupIDs := map[string]string{}
	for _, name := range []string{"Obchod", "Marketing", "Vedení", "Účetnictví", "Podpora"} {
		_, id := g.uuid()
		if _, err := tx.Exec(ctx, `INSERT INTO groups (id, name) VALUES ($1, $2)`, id, name); err != nil {
			return nil, err
		}
		groupIDs[name] = id
		for _, u := range staff {
			if g.chance(0.3) {
				if _, err := tx.Exec(ctx, `INSERT INTO group_members (group_id, user_id) VALUES ($1, $2)`, id, u); err != nil {
					return nil, err
				}
			}
		}
	}
	// The reader belongs to Obchod (viewer on books 3 and 4) and to Podpora (no grants).
	for _, gname := range []string{"Obchod", "Podpora"} {
		if _, err := tx.Exec(ctx, `INSERT INTO group_members (group_id, user_id) VALUES ($1, $2)`, groupIDs[gname], d.readerID); err != nil {
			return nil, err
		}
	}
	for _, name := range bookNames[:books] {
		_, id := g.uuid()
		if _, err := tx.Exec(ctx, `INSERT INTO address_books (id, name, description) VALUES ($1, $2, $3)`, id, name, "Adresář "+strings.ToLower(name)); err != nil {
			return nil, err
		}
		d.bookIDs = append(d.bookIDs, id)
	}
	grant := func(book int, userID, groupID *string, role string) error {
		d.grants++
		_, err := tx.Exec(ctx, `INSERT INTO book_grants (book_id, user_id, group_id, role) VALUES ($1, $2, $3, $4)`,
			d.bookIDs[book], userID, groupID, role)
		return err
	}
	for _, b := range readerDirect {
		if err := grant(b, &d.readerID, nil, "viewer"); err != nil {
			return nil, err
		}
	}
	if err := grant(narrowBook, &d.narrowID, nil, "viewer"); err != nil {
		return nil, err
	}
	for _, b := range readerViaGroup {
		id := groupIDs["Obchod"]
		if err := grant(b, nil, &id, "viewer"); err != nil {
			return nil, err
		}
	}
	for _, gb := range []struct {
		group string
		books []int
		role  string
	}{{"Marketing", []int{2, 5, 6}, "editor"}, {"Vedení", []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, "viewer"}, {"Účetnictví", []int{1, 7}, "manager"}} {
		id := groupIDs[gb.group]
		for _, b := range gb.books {
			if err := grant(b, nil, &id, gb.role); err != nil {
				return nil, err
			}
		}
	}
	roles := []string{"viewer", "viewer", "editor", "manager"}
	for i := range staff {
		for b := range books {
			if g.chance(0.25) {
				if err := grant(b, &staff[i], nil, roles[g.r.IntN(len(roles))]); err != nil {
					return nil, err
				}
			}
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, err
	}
	d.timing.setup = time.Since(start)

	// Contacts and their points, normalised by the model exactly as the store would.
	t := time.Now()
	bookUUIDs := make([]pgtype.UUID, books)
	for i, id := range d.bookIDs {
		if err := bookUUIDs[i].Scan(id); err != nil {
			return nil, err
		}
	}
	var admin pgtype.UUID
	if err := admin.Scan(d.adminID); err != nil {
		return nil, err
	}
	orgs := make([]string, 3000)
	for i := range orgs {
		orgs[i] = orgName(g)
	}
	surnames := newZipf(len(czechSurnames), 5)
	givenZ := newZipf(len(czechMale), 8)
	var typeW int
	for _, ct := range contactTypes {
		typeW += ct.w
	}
	contactRows := make([][]any, 0, d.contacts)
	pointRows := make([][]any, 0, 2*d.contacts)
	for i := range d.contacts {
		c := model.Contact{Tags: []string{}}
		domain := ""
		switch x := g.r.Float64(); {
		case x < 0.15:
			c.Kind = model.KindOrganisation
			c.OrgName = g.pick(orgs)
			domain = slug(strings.Fields(c.OrgName)[0], 16) + pickTLD(g)
			c.Emails = []model.Email{{Value: g.pick([]string{"info", "obchod", "office", "kontakt"}) + "@" + domain, Label: "work", Preferred: true}}
			c.Phones = []model.Phone{{Value: fmt.Sprintf("2%02d %03d %03d", g.r.IntN(100), g.r.IntN(1000), g.r.IntN(1000)), Label: "work", Preferred: true}}
		case x < 0.70:
			c.Kind = model.KindPerson
			female := g.chance(0.5)
			sn := czechSurnames[surnames.draw(g)]
			if g.chance(0.0002) {
				sn = rareSurname
			}
			if female {
				c.GivenName, c.FamilyName = czechFemale[givenZ.draw(g)], sn[1]
			} else {
				c.GivenName, c.FamilyName = czechMale[givenZ.draw(g)], sn[0]
			}
			for _, p := range prefixes {
				if g.chance(p.p) {
					c.Prefix = p.v
					break
				}
			}
			for _, s := range suffixes {
				if g.chance(s.p) {
					c.Suffix = s.v
					break
				}
			}
			c.Phones = []model.Phone{{Value: fmt.Sprintf("%d%02d %03d %03d", 6+g.r.IntN(2), g.r.IntN(100), g.r.IntN(1000), g.r.IntN(1000)), Label: "mobile", Preferred: true}}
		default:
			c.Kind = model.KindPerson
			c.GivenName, c.FamilyName = g.pick(englishGiven), g.pick(englishSurnames)
			if g.chance(0.05) {
				c.AdditionalName = g.pick(englishGiven)
			}
			c.Phones = []model.Phone{{Value: fmt.Sprintf("+44 7700 9%02d %03d", g.r.IntN(100), g.r.IntN(1000)), Label: "mobile", Preferred: true}}
		}
		if c.Kind == model.KindPerson {
			if g.chance(0.4) {
				c.OrgName = g.pick(orgs)
				c.JobTitle = g.pick(jobTitles)
				domain = slug(strings.Fields(c.OrgName)[0], 16) + pickTLD(g)
			} else {
				domain = g.pick(personalDomains)
			}
			local := slug(c.GivenName, 20) + "." + slug(c.FamilyName, 30)
			if g.chance(0.3) {
				local += fmt.Sprint(g.r.IntN(100))
			}
			c.Emails = []model.Email{{Value: local + "@" + domain, Label: "work", Preferred: true}}
			if g.chance(0.3) {
				bd := time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, g.r.IntN(50*365)).Format("2006-01-02")
				c.Birthday = &bd
			}
		}
		for range g.r.IntN(3) {
			c.Tags = append(c.Tags, g.pick(tagWords))
		}
		w := g.r.IntN(typeW)
		for _, ct := range contactTypes {
			if w < ct.w {
				c.Type = model.ContactType(ct.v)
				break
			}
			w -= ct.w
		}
		if err := c.Normalize("CZ", nil); err != nil {
			return nil, fmt.Errorf("contact %d (%s): %w", i, c.DisplayName, err)
		}
		id, _ := g.uuid()
		var birthday pgtype.Date
		if c.Birthday != nil {
			bd, _ := time.Parse("2006-01-02", *c.Birthday)
			birthday = pgtype.Date{Time: bd, Valid: true}
		}
		// Books interleave, as when contacts are entered over time.
		contactRows = append(contactRows, []any{id, bookUUIDs[i%books], string(c.Kind), string(c.Type), c.Prefix, c.GivenName,
			c.AdditionalName, c.FamilyName, c.Suffix, c.OrgName, c.DisplayName, c.JobTitle, birthday, c.Tags, c.Custom, admin})
		for pos, e := range c.Emails {
			pointRows = append(pointRows, []any{id, "email", e.Label, e.Value, e.Preferred, pos})
		}
		for pos, p := range c.Phones {
			pointRows = append(pointRows, []any{id, "phone", p.Label, p.Value, p.Preferred, pos})
		}
	}
	d.points = len(pointRows)
	d.timing.build = time.Since(t)

	t = time.Now()
	if _, err := pool.CopyFrom(ctx, pgx.Identifier{"contacts"}, []string{"id", "book_id", "kind", "contact_type", "prefix",
		"given_name", "additional_name", "family_name", "suffix", "org_name", "display_name", "job_title", "birthday",
		"tags", "custom", "created_by"}, pgx.CopyFromRows(contactRows)); err != nil {
		return nil, fmt.Errorf("copy contacts: %w", err)
	}
	if _, err := pool.CopyFrom(ctx, pgx.Identifier{"contact_points"}, []string{"contact_id", "kind", "label", "value",
		"preferred", "position"}, pgx.CopyFromRows(pointRows)); err != nil {
		return nil, fmt.Errorf("copy contact points: %w", err)
	}
	d.timing.copy = time.Since(t)

	t = time.Now()
	if _, err := pool.Exec(ctx, searchTextSQL); err != nil {
		return nil, fmt.Errorf("search text: %w", err)
	}
	d.timing.searchText = time.Since(t)

	if err := checkAgainstStore(ctx, pool, d); err != nil {
		return nil, err
	}

	t = time.Now()
	// VACUUM clears the dead row versions the UPDATE left (as autovacuum would) and sets the
	// visibility map; ANALYZE gives the planner statistics.
	if _, err := pool.Exec(ctx, `VACUUM (ANALYZE)`); err != nil {
		return nil, fmt.Errorf("vacuum analyze: %w", err)
	}
	d.timing.analyze = time.Since(t)
	d.timing.total = time.Since(start)
	return d, nil
}

func pickTLD(g gen) string {
	if g.chance(0.7) {
		return ".cz"
	}
	return ".com"
}

func orgName(g gen) string {
	switch g.r.IntN(4) {
	case 0:
		return czechSurnames[g.r.IntN(len(czechSurnames))][0] + " a syn " + g.pick(orgForms)
	case 1:
		return g.pick(orgWords) + " " + g.pick(cities) + " " + g.pick(orgForms)
	case 2:
		return g.pick(englishOrgA) + " " + g.pick(englishOrgB) + " Ltd"
	default:
		return g.pick(orgWords) + " " + czechSurnames[g.r.IntN(len(czechSurnames))][0] + " " + g.pick(orgForms)
	}
}

// checkAgainstStore writes one generated contact again through the store (as the admin)
// and checks that its display name and search text equal the bulk-loaded ones, then deletes
// the copy: the COPY path must produce what the store would.
func checkAgainstStore(ctx context.Context, pool *pgxpool.Pool, d *dataset) error {
	s := store.New(pool, "CZ")
	admin := store.Actor{UserID: d.adminID, Channel: model.ChannelSystem}
	var id string
	if err := pool.QueryRow(ctx, `SELECT id FROM contacts WHERE kind = 'person' AND org_name <> '' AND tags <> '{}'
		ORDER BY id LIMIT 1`).Scan(&id); err != nil {
		return fmt.Errorf("check: %w", err)
	}
	orig, err := s.GetContact(ctx, admin, id)
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
	cp := orig
	cp.ID = ""
	cp.Relations = nil
	created, err := s.CreateContact(ctx, admin, cp)
	if err != nil {
		return fmt.Errorf("check: create through the store: %w", err)
	}
	defer s.DeleteContact(context.WithoutCancel(ctx), admin, created.ID) //nolint:errcheck
	var a, b [2]string
	q := `SELECT display_name, search_text FROM contacts WHERE id = $1`
	if err := pool.QueryRow(ctx, q, id).Scan(&a[0], &a[1]); err != nil {
		return fmt.Errorf("check: %w", err)
	}
	if err := pool.QueryRow(ctx, q, created.ID).Scan(&b[0], &b[1]); err != nil {
		return fmt.Errorf("check: %w", err)
	}
	if a != b {
		return fmt.Errorf("check: bulk-loaded contact differs from the store's: %q vs %q", a, b)
	}
	logf("bulk-loaded search text matches the store's: %q", a[1])
	return nil
}
