package devstack

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/kontakt/kontakt/auth"
	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// DemoUser is a seeded login and its password, printed by `kontakt dev`.
type DemoUser struct {
	Login, Name, Password string
	Admin                 bool
}

// Demo is what SeedDemo made (or found). When Seeded is false nothing was made and the
// other fields are zero.
type Demo struct {
	Seeded   bool
	Users    []DemoUser
	Books    int
	Contacts int
	Projects int
}

// SeedDemo seeds the demo organisation once: when the database already has users it
// changes nothing and returns Seeded=false (passwords are then unknown: Users nil).
//
// The demo organisation is four users (the admin "admin" and the staff "jana", "petr" and
// "eva"), two groups, three address books with grants and custom fields, about 300
// contacts (organisations and their people, related to each other) and about 100 notes,
// some of them restricted, and one active project (demoProject) whose member jana syncs it
// to her devices. Everything goes through the store, so it is valid and audited like data
// entered by hand. The contacts are generated from a fixed seed, so every run
// makes the same ones; only ids, timestamps and (without password) passwords differ.
//
// password, when non-empty, is every demo user's password; otherwise each gets a random
// one, returned in Demo.Users. SeedDemo is not atomic: if it fails part way the database
// keeps what was written (and has users, so a later call will not seed again).
func SeedDemo(ctx context.Context, st *store.Store, password string, log *slog.Logger) (Demo, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if password != "" {
		if err := auth.CheckPassword(password); err != nil {
			return Demo{}, fmt.Errorf("devstack: demo password: %w", err)
		}
	}
	n, err := st.CountUsers(ctx)
	if err != nil {
		return Demo{}, fmt.Errorf("devstack: seed demo: %w", err)
	}
	if n > 0 {
		log.Info("demo data not seeded: the database already has users", "users", n)
		return Demo{}, nil
	}
	start := time.Now()
	s := &seeder{st: st, users: map[string]string{}, groups: map[string]string{}}
	demo, err := s.seed(ctx, password)
	if err != nil {
		return Demo{}, fmt.Errorf("devstack: seed demo: %w", err)
	}
	log.Info("demo organisation seeded", "users", len(demo.Users), "books", demo.Books,
		"contacts", demo.Contacts, "notes", s.notes, "took", time.Since(start).Round(time.Millisecond))
	return demo, nil
}

// seeder writes the demo plan through the store, remembering the ids it made.
type seeder struct {
	st     *store.Store
	users  map[string]string // login → id
	groups map[string]string // name → id
	books  []string          // ids, in the order of demoBooks
	notes  int
}

// system is the actor of the writes that need no user (users and groups).
var system = store.Actor{Channel: model.ChannelSystem}

// as is the actor of writes made in the name of the user with login.
func (s *seeder) as(login string) store.Actor {
	return store.Actor{UserID: s.users[login], Channel: model.ChannelSystem}
}

func (s *seeder) seed(ctx context.Context, password string) (Demo, error) {
	demo := Demo{Seeded: true}
	for _, u := range demoUsers {
		pw := password
		if pw == "" {
			pw = auth.RandomPassword(14)
		}
		hash, err := auth.HashPassword(pw, auth.DefaultParams)
		if err != nil {
			return Demo{}, err
		}
		created, err := s.st.CreateUser(ctx, system, model.User{
			Login: u.Login, Name: u.Name, Email: u.Email, IsAdmin: u.Admin, Locale: "cs",
		}, hash)
		if err != nil {
			return Demo{}, fmt.Errorf("user %s: %w", u.Login, err)
		}
		s.users[u.Login] = created.ID
		demo.Users = append(demo.Users, DemoUser{Login: u.Login, Name: u.Name, Password: pw, Admin: u.Admin})
	}
	for _, g := range demoGroups {
		created, err := s.st.CreateGroup(ctx, system, g.Name, g.Description)
		if err != nil {
			return Demo{}, fmt.Errorf("group %s: %w", g.Name, err)
		}
		s.groups[g.Name] = created.ID
		for _, login := range g.Members {
			if err := s.st.AddGroupMember(ctx, system, created.ID, s.users[login]); err != nil {
				return Demo{}, fmt.Errorf("group %s: member %s: %w", g.Name, login, err)
			}
		}
	}
	admin := s.as("admin")
	for _, b := range demoBooks {
		created, err := s.st.CreateBook(ctx, admin, b.Name, b.Description)
		if err != nil {
			return Demo{}, fmt.Errorf("book %s: %w", b.Name, err)
		}
		s.books = append(s.books, created.ID)
		for _, f := range b.Fields {
			if err := s.st.PutField(ctx, admin, created.ID, f); err != nil {
				return Demo{}, fmt.Errorf("book %s: field %s: %w", b.Name, f.Key, err)
			}
		}
		for _, g := range b.Grants {
			grant := model.Grant{BookID: created.ID, Role: g.Role}
			if id, ok := s.groups[g.To]; ok {
				grant.GroupID = &id
			} else {
				id := s.users[g.To]
				grant.UserID = &id
			}
			if _, err := s.st.PutGrant(ctx, admin, grant); err != nil {
				return Demo{}, fmt.Errorf("book %s: grant to %s: %w", b.Name, g.To, err)
			}
		}
	}
	demo.Books = len(s.books)

	plan := demoPlan()
	ids := make([]string, len(plan.Contacts))
	for i, dc := range plan.Contacts {
		book := demoBooks[dc.Book]
		c := dc.Contact
		c.BookID = s.books[dc.Book]
		created, err := s.st.CreateContact(ctx, s.as(book.Writer), c)
		if err != nil {
			name := model.DisplayName(c.Kind, c.Prefix, c.GivenName, c.AdditionalName, c.FamilyName, c.Suffix, c.OrgName)
			return Demo{}, fmt.Errorf("contact %q in %s: %w", name, book.Name, err)
		}
		ids[i] = created.ID
		if dc.Org < 0 {
			continue
		}
		from := dc.Since
		if _, err := s.st.AddRelation(ctx, s.as(book.Writer), model.Relation{
			PersonID: created.ID, OrganisationID: ids[dc.Org], Role: dc.Role, ValidFrom: &from,
		}); err != nil {
			return Demo{}, fmt.Errorf("relation of %q: %w", created.DisplayName, err)
		}
	}
	demo.Contacts = len(ids)

	for _, dn := range plan.Notes {
		n := model.Note{ContactID: ids[dn.Contact], Body: dn.Body, Audience: model.AudienceContact}
		if dn.Restricted {
			n.Audience = model.AudienceRestricted
			for _, login := range dn.Users {
				n.Users = append(n.Users, s.users[login])
			}
			for _, g := range dn.Groups {
				n.Groups = append(n.Groups, s.groups[g])
			}
		}
		if _, err := s.st.CreateNote(ctx, s.as(dn.Author), n); err != nil {
			return Demo{}, fmt.Errorf("note by %s: %w", dn.Author, err)
		}
		s.notes++
	}
	if err := s.project(ctx, plan, ids); err != nil {
		return Demo{}, fmt.Errorf("project %s: %w", demoProject.Name, err)
	}
	demo.Projects = 1
	return demo, nil
}

// demoProject is the demo's active project: eva leads it, jana is a member who syncs it to
// her devices (project sync), and it involves suppliers (Dodavatelé, which jana sees as a
// viewer) and partners (Partneři a členové, which only eva sees), so jana sees the partners
// through the project alone. petr is no member: the project changes nothing for him.
var demoProject = struct {
	Name, Description, StartsOn string
	Lead                        string
	// Members are the members besides the lead, who sync the project to their devices.
	Members []string
	// Orgs organisations of each book are involved, with the first person of each.
	Orgs map[int]int
}{
	Name:        "Rekonstrukce skladu Brno",
	Description: "Přestavba skladu v Brně-Slatině: dodavatelé materiálu a partneři stavby (demo projekt)",
	StartsOn:    "2026-03-02",
	Lead:        "eva",
	Members:     []string{"jana"},
	Orgs:        map[int]int{bookSuppliers: 3, bookPartners: 2},
}

// project creates demoProject as the admin (who sees every book its contacts come from).
func (s *seeder) project(ctx context.Context, p plan, ids []string) error {
	admin := s.as("admin")
	lead := s.users[demoProject.Lead]
	kind := model.ProjectKindProject
	created, err := s.st.CreateProject(ctx, admin, store.ProjectInput{Name: &demoProject.Name, Description: &demoProject.Description,
		Kind: &kind, LeadID: &lead, StartsOn: &demoProject.StartsOn})
	if err != nil {
		return err
	}
	read := "read"
	for _, login := range demoProject.Members {
		if err := s.st.PutProjectMember(ctx, admin, created.ID, s.users[login], &read); err != nil {
			return fmt.Errorf("member %s: %w", login, err)
		}
	}
	for _, b := range []int{bookSuppliers, bookPartners} {
		orgs := 0
		for i, pc := range p.Contacts {
			if pc.Book != b || pc.Org != -1 || orgs == demoProject.Orgs[b] {
				continue
			}
			orgs++
			role := map[int]string{bookSuppliers: "dodavatel", bookPartners: "partner stavby"}[b]
			if err := s.st.PutProjectContact(ctx, admin, created.ID, ids[i], store.ProjectContactInput{Role: role}); err != nil {
				return err
			}
			for j, person := range p.Contacts {
				if person.Org == i {
					if err := s.st.PutProjectContact(ctx, admin, created.ID, ids[j], store.ProjectContactInput{Role: "kontaktní osoba"}); err != nil {
						return err
					}
					break
				}
			}
		}
	}
	return nil
}

// The demo organisation's people and structure.

var demoUsers = []struct {
	Login, Name, Email string
	Admin              bool
}{
	{"admin", "Alena Adminová", "alena.adminova@example.com", true},
	{"jana", "Jana Nováková", "jana.novakova@example.com", false}, // sales
	{"petr", "Petr Dvořák", "petr.dvorak@example.com", false},     // purchasing
	{"eva", "Eva Svobodová", "eva.svobodova@example.com", false},  // projects
}

var demoGroups = []struct {
	Name, Description string
	Members           []string
}{
	{"Obchod", "Obchodní oddělení (sales)", []string{"jana", "eva"}},
	{"Nákup", "Nákupní oddělení (purchasing)", []string{"petr"}},
}

// demoBook is one demo address book and how its contacts are generated.
type demoBook struct {
	Name, Description string
	Grants            []demoGrant
	Fields            []model.FieldDef
	// Writer is the login that enters the book's contacts and relations.
	Writer string
	// Orgs organisations (English of them English) with Persons people among them.
	Orgs, English, Persons int
}

// demoGrant gives To, a group name or a user login, Role on a demo book.
type demoGrant struct {
	To   string
	Role model.Role
}

// The books, in the order demoPlan refers to them.
const (
	bookCustomers = iota
	bookSuppliers
	bookPartners
)

var demoBooks = []demoBook{
	bookCustomers: {
		Name: "Zákazníci", Description: "Zákazníci a jejich kontaktní osoby (customers)",
		Grants: []demoGrant{{"Obchod", model.RoleEditor}, {"petr", model.RoleViewer}},
		Fields: []model.FieldDef{
			{Key: "segment", Label: "Segment", Type: model.FieldChoice, Choices: []string{"malý", "střední", "velký"}},
			{Key: "employees", Label: "Počet zaměstnanců", Type: model.FieldNumber},
		},
		Writer: "jana", Orgs: 30, English: 4, Persons: 120,
	},
	bookSuppliers: {
		Name: "Dodavatelé", Description: "Dodavatelé materiálu a služeb (suppliers)",
		Grants: []demoGrant{{"Nákup", model.RoleManager}, {"jana", model.RoleViewer}},
		Fields: []model.FieldDef{
			{Key: "ico", Label: "IČO", Type: model.FieldText},
			{Key: "contract_until", Label: "Smlouva platí do", Type: model.FieldDate},
		},
		Writer: "petr", Orgs: 18, English: 3, Persons: 72,
	},
	bookPartners: {
		Name: "Partneři a členové", Description: "Partnerské firmy, spolky a jejich členové (partners & members)",
		Grants: []demoGrant{{"eva", model.RoleManager}},
		Fields: []model.FieldDef{
			{Key: "member_since", Label: "Členem od", Type: model.FieldDate},
		},
		Writer: "eva", Orgs: 12, English: 2, Persons: 48,
	},
}

// plannedContact is a contact to create in book Book; a person is related to the
// organisation at index Org of the plan (-1 for organisations) with Role since Since.
type plannedContact struct {
	Book    int
	Contact model.Contact
	Org     int
	Role    string
	Since   string
}

// plannedNote is a note by Author on the contact at index Contact of the plan; a restricted
// note is seen by its author and the named users (logins) and groups (names).
type plannedNote struct {
	Contact    int
	Author     string
	Body       string
	Restricted bool
	Users      []string
	Groups     []string
}

type plan struct {
	Contacts []plannedContact // organisations before the people related to them
	Notes    []plannedNote
}

// demoSeed fixes the generator, so every run seeds the same contacts.
const demoSeed1, demoSeed2 = 20260420, 0x6b6f6e74616b74

// demoPlan generates the demo contacts and notes; it is deterministic.
func demoPlan() plan {
	g := &generator{r: rand.New(rand.NewPCG(demoSeed1, demoSeed2)), names: map[string]bool{}, orgNames: map[string]bool{}}
	var p plan
	// The README promises that `dvorak` finds Dvořák, and Jan Novák is everyone's example.
	g.names["Antonín Dvořák"], g.names["Jan Novák"] = true, true
	for b := range demoBooks {
		g.book(&p, b)
	}
	return p
}

// generator draws the demo data from word lists.
type generator struct {
	r        *rand.Rand
	names    map[string]bool // people's given and family names taken
	orgNames map[string]bool
}

func (g *generator) pick(list []string) string { return pick(g, list) }

// pick returns a random element of list.
func pick[T any](g *generator, list []T) T { return list[g.r.IntN(len(list))] }

// chance is true with probability percent/100.
func (g *generator) chance(percent int) bool { return g.r.IntN(100) < percent }

// digits returns n random decimal digits.
func (g *generator) digits(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + g.r.IntN(10))
	}
	return string(b)
}

// date returns a random day in [fromYear, toYear] as YYYY-MM-DD.
func (g *generator) date(fromYear, toYear int) string {
	start := time.Date(fromYear, 1, 1, 0, 0, 0, 0, time.UTC)
	days := int(time.Date(toYear+1, 1, 1, 0, 0, 0, 0, time.UTC).Sub(start).Hours() / 24)
	return start.AddDate(0, 0, g.r.IntN(days)).Format(time.DateOnly)
}

// org is a generated organisation and what its people inherit from it.
type org struct {
	index   int // in the plan
	book    int
	english bool   // English-speaking: most of its people have English names
	uk      bool   // in the United Kingdom
	member  bool   // an association whose people are members
	domain  string // for e-mail addresses
	town    town
	people  int // planned so far
}

// book adds the organisations, people and notes of book b to p.
func (g *generator) book(p *plan, b int) {
	spec := demoBooks[b]
	var orgs []*org
	for i := range spec.Orgs {
		english := i >= spec.Orgs-spec.English
		member := b == bookPartners && i%2 == 0
		o := g.organisation(b, english, member)
		o.index = len(p.Contacts)
		p.Contacts = append(p.Contacts, plannedContact{Book: b, Contact: g.orgContact(b, o), Org: -1})
		orgs = append(orgs, &o.org)
	}
	var people []int
	addPerson := func(o *org, pc plannedContact) {
		o.people++
		pc.Book, pc.Org = b, o.index
		people = append(people, len(p.Contacts))
		p.Contacts = append(p.Contacts, pc)
	}
	if b == bookCustomers {
		addPerson(orgs[0], g.fixedPerson(orgs[0], "Antonín", "Dvořák", "jednatel", "2011-04-01"))
		addPerson(orgs[1], g.fixedPerson(orgs[1], "Jan", "Novák", "nákupčí", "2019-09-16"))
	}
	// Every organisation gets its head first, then the rest are spread at random.
	for _, o := range orgs {
		if len(people) < spec.Persons && o.people == 0 {
			addPerson(o, g.person(b, o, true))
		}
	}
	for len(people) < spec.Persons {
		o := orgs[g.r.IntN(len(orgs))]
		addPerson(o, g.person(b, o, false))
	}
	g.notes(p, b, people)
}

// namedOrg is an org with the contact data of its organisation record.
type namedOrg struct {
	org
	name, sector string
}

// organisation draws a unique organisation of book b.
func (g *generator) organisation(b int, english, member bool) *namedOrg {
	for {
		o := &namedOrg{org: org{book: b, english: english, member: member}}
		switch {
		case member && english:
			o.name, o.sector = g.pick(englishAssociations), "členská organizace"
		case member:
			o.name, o.sector = g.association(), "členská organizace"
		case english:
			s := g.r.IntN(len(englishSectors))
			o.name = g.pick(englishWords) + " " + g.pick(englishSectors[s].Words) + " " + g.pick([]string{"Ltd.", "Ltd.", "Ltd.", "plc"})
			o.sector = englishSectors[s].Tag
		default:
			o.name, o.sector = g.czechCompany(b)
		}
		if g.orgNames[o.name] {
			continue
		}
		g.orgNames[o.name] = true
		// English associations are expatriate clubs in Czechia.
		o.uk = english && !member
		o.domain = domainOf(o.name, o.english, o.uk)
		if o.uk {
			o.town = pick(g, ukTowns)
		} else {
			o.town = pick(g, czechTowns)
		}
		return o
	}
}

// czechCompany draws a Czech company name and its sector tag.
func (g *generator) czechCompany(b int) (name, sector string) {
	sectors := customerSectors
	if b == bookSuppliers {
		sectors = supplierSectors
	}
	s := sectors[g.r.IntN(len(sectors))]
	form := g.pick(legalForms)
	switch {
	case len(s.Shops) == 0 || g.chance(50):
		if g.chance(50) { // "Stavby Morava s.r.o."
			return strings.TrimSpace(g.pick(s.Prefixes) + " " + g.pick(places) + " " + form), s.Tag
		}
		// "Elektro Šimek a.s."
		return strings.TrimSpace(g.pick(s.Prefixes) + " " + pick(g, czechSurnames)[0] + " " + form), s.Tag
	default: // "Pekárna U Zlatého klasu"
		sign := pick(g, signs)
		adj := g.pick(signAdjectives)
		if sign.Feminine {
			adj = adj[:len(adj)-len("ho")] // Zlatého → Zlaté
		}
		return g.pick(s.Shops) + " U " + adj + " " + sign.Genitive, s.Tag
	}
}

// association draws the name of a Czech association.
func (g *generator) association() string {
	switch g.r.IntN(3) {
	case 0:
		return "Spolek podnikatelů " + g.pick(placesGenitive) + " z. s."
	case 1:
		return "Klastr " + g.pick(clusterTopics) + " z. s."
	default:
		return "Asociace " + g.pick(associationTopics) + " z. s."
	}
}

// orgContact makes the contact of organisation o in book b.
func (g *generator) orgContact(b int, o *namedOrg) model.Contact {
	c := model.Contact{
		Kind:     model.KindOrganisation,
		Type:     bookType(b, o.member),
		OrgName:  o.name,
		Tags:     []string{o.sector},
		Emails:   []model.Email{{Value: g.pick([]string{"info", "info", "kancelar", "obchod"}) + "@" + o.domain, Label: "work", Preferred: true}},
		Phones:   []model.Phone{{Value: g.landline(o.town), Label: "work", Preferred: true}},
		Websites: []model.Website{{URL: "https://www." + o.domain, Label: "work"}},
		Custom:   map[string]any{},
	}
	if o.uk {
		c.Emails[0].Value = g.pick([]string{"info", "hello", "sales"}) + "@" + o.domain
	}
	c.Addresses = []model.Address{g.address(o.town, "work")}
	switch b {
	case bookCustomers:
		seg := g.r.IntN(3)
		c.Custom["segment"] = []string{"malý", "střední", "velký"}[seg]
		c.Custom["employees"] = float64([]int{5, 50, 250}[seg] + g.r.IntN([]int{45, 200, 2750}[seg]))
		if seg == 2 && g.chance(60) || g.chance(8) {
			c.Tags = append(c.Tags, "vip")
		}
	case bookSuppliers:
		if !o.uk {
			c.Custom["ico"] = g.ico()
		}
		if g.chance(70) {
			end := time.Date(2026+g.r.IntN(3), time.Month(3*(1+g.r.IntN(4))+1), 0, 0, 0, 0, 0, time.UTC) // a quarter's end
			c.Custom["contract_until"] = end.Format(time.DateOnly)
		}
		if g.chance(25) {
			c.Tags = append(c.Tags, "klíčový dodavatel")
		}
	case bookPartners:
		if o.member {
			c.Custom["member_since"] = g.date(2008, 2025)
		}
	}
	if o.sector == "gastro" && !o.uk && g.chance(70) {
		handle := strings.ReplaceAll(strings.TrimSuffix(o.domain, ".example"), "-", "")
		if len(handle) > 50 {
			handle = handle[:50]
		}
		c.Socials = []model.Social{{Network: model.SocialFacebook, Handle: handle}}
	}
	if g.chance(15) {
		c.Tags = append(c.Tags, "veletrh 2026")
	}
	return c
}

// bookType is the contact type of the contacts of book b.
func bookType(b int, member bool) model.ContactType {
	switch {
	case b == bookCustomers:
		return model.TypeCustomer
	case b == bookSuppliers:
		return model.TypeSupplier
	case member:
		return model.TypeMember
	}
	return model.TypePartner
}

// fixedPerson makes a named Czech man working at o.
func (g *generator) fixedPerson(o *org, given, family, role, since string) plannedContact {
	c := g.personContact(o, given, family, false)
	c.JobTitle = role
	c.Tags = append(c.Tags, "vip")
	return plannedContact{Contact: c, Role: role, Since: since}
}

// person draws a unique person working at o in book b; head says they lead it.
func (g *generator) person(b int, o *org, head bool) plannedContact {
	english := o.english && g.chance(75) || !o.english && g.chance(5)
	var given, family string
	var female bool
	for {
		female = g.chance(50)
		switch {
		case english && female:
			given, family = g.pick(englishFemale), g.pick(englishSurnames)
		case english:
			given, family = g.pick(englishMale), g.pick(englishSurnames)
		case female:
			given, family = g.pick(czechFemale), pick(g, czechSurnames)[1]
		default:
			given, family = g.pick(czechMale), pick(g, czechSurnames)[0]
		}
		if !g.names[given+" "+family] {
			g.names[given+" "+family] = true
			break
		}
	}
	c := g.personContact(o, given, family, english)
	roles := czechRoles[roleSet(b, o.member)]
	if english {
		roles = englishRoles[roleSet(b, o.member)]
	}
	i := 0
	if !head {
		i = 1 + g.r.IntN(len(roles)-1)
	}
	role := roles[i][0]
	if female {
		role = roles[i][1]
	}
	c.JobTitle = role
	if !english {
		c.Prefix, c.Suffix = g.degrees()
	}
	if b == bookCustomers && head && !english && g.chance(40) {
		c.Tags = append(c.Tags, "rozhoduje o nákupu")
	}
	since := g.date(2010, 2025)
	if head {
		since = g.date(2005, 2018)
	}
	return plannedContact{Contact: c, Role: role, Since: since}
}

// personContact makes the contact of a person working at o.
func (g *generator) personContact(o *org, given, family string, english bool) model.Contact {
	local := emailLocal(given) + "." + emailLocal(family)
	c := model.Contact{
		Kind:       model.KindPerson,
		Type:       bookType(o.book, o.member),
		GivenName:  given,
		FamilyName: family,
		Tags:       []string{},
		Emails:     []model.Email{{Value: local + "@" + o.domain, Label: "work", Preferred: true}},
		Phones:     []model.Phone{{Value: g.mobile(o.uk && english), Label: "mobile", Preferred: true}},
	}
	if o.member && !o.english {
		// Members of an association write from their own addresses.
		c.Emails[0] = model.Email{Value: local + "@" + g.pick(freemail), Label: "home", Preferred: true}
	} else if g.chance(15) && !english {
		c.Emails = append(c.Emails, model.Email{Value: local + g.digits(2) + "@" + g.pick(freemail), Label: "home"})
	}
	if g.chance(30) {
		c.Phones = append(c.Phones, model.Phone{Value: g.landline(o.town), Label: "work"})
	}
	if g.chance(15) {
		c.Addresses = []model.Address{g.address(o.town, "home")}
	}
	if g.chance(35) {
		handle := emailLocal(given) + "-" + emailLocal(family)
		if g.chance(60) {
			handle += "-" + fmt.Sprintf("%x", g.r.Uint32()>>8)
		}
		c.Socials = []model.Social{{Network: model.SocialLinkedIn, Handle: strings.ReplaceAll(handle, ".", "-")}}
	}
	if g.chance(30) {
		b := g.date(1962, 1998)
		c.Birthday = &b
	}
	for _, t := range []struct {
		tag     string
		percent int
	}{{"newsletter", 40}, {"veletrh 2026", 15}, {"vánoční přání", 10}, {"vip", 5}} {
		if g.chance(t.percent) {
			c.Tags = append(c.Tags, t.tag)
		}
	}
	return c
}

// degrees draws Czech academic titles before and after a name.
func (g *generator) degrees() (prefix, suffix string) {
	switch n := g.r.IntN(100); {
	case n < 16:
		prefix = "Ing."
	case n < 22:
		prefix = "Mgr."
	case n < 25:
		prefix = "Bc."
	case n < 27:
		prefix = "JUDr."
	case n < 28:
		prefix = "RNDr."
	}
	switch n := g.r.IntN(100); {
	case prefix == "Ing." && n < 12:
		suffix = "MBA"
	case prefix != "" && prefix != "Bc." && n < 20:
		suffix = "Ph.D."
	}
	return prefix, suffix
}

// notes adds notes on the contacts of book b: on people (indexes in people) and their
// organisations.
func (g *generator) notes(p *plan, b int, people []int) {
	type author struct {
		login  string
		weight int
		users  []string // restricted notes name these users...
		groups []string // ...or these groups
	}
	var authors []author
	count := 0
	switch b {
	case bookCustomers:
		count = 50
		authors = []author{{"jana", 55, nil, []string{"Obchod"}}, {"eva", 35, []string{"jana"}, nil}, {"petr", 10, []string{"jana"}, nil}}
	case bookSuppliers:
		count = 30
		authors = []author{{"petr", 80, []string{"admin"}, nil}, {"jana", 20, []string{"petr"}, nil}}
	case bookPartners:
		count = 20
		authors = []author{{"eva", 100, []string{"admin"}, nil}}
	}
	public, restricted := publicNotes[b], restrictedNotes[b]
	for i := range count {
		var target int
		var body string
		a := authors[0]
		isRestricted := false
		if b == bookCustomers && i == 0 {
			target, body = people[0], "Pan Dvořák preferuje osobní schůzky v Brně; další jednání o rámcové smlouvě v září."
		} else {
			target = people[g.r.IntN(len(people))]
			if g.chance(35) {
				target = p.Contacts[target].Org // a note on the organisation
			}
			w := g.r.IntN(100)
			for _, x := range authors {
				if a = x; w < x.weight {
					break
				}
				w -= x.weight
			}
			isRestricted = g.chance(25)
			if isRestricted {
				body = g.pick(restricted)
			} else {
				body = g.pick(public)
			}
			body = strings.NewReplacer("{n}", g.digits(4), "{date}", g.noteDate()).Replace(body)
		}
		n := plannedNote{Contact: target, Author: a.login, Body: body, Restricted: isRestricted}
		if isRestricted {
			n.Users, n.Groups = a.users, a.groups
		}
		p.Notes = append(p.Notes, n)
	}
}

// noteDate draws a day of 2026 in Czech form ("14. 5. 2026").
func (g *generator) noteDate() string {
	d := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, g.r.IntN(365))
	return fmt.Sprintf("%d. %d. %d", d.Day(), d.Month(), d.Year())
}

// mobile draws a mobile number: Czech, or a British one from Ofcom's range for drama.
func (g *generator) mobile(british bool) string {
	if british {
		return "+44 7700 900" + g.digits(3)
	}
	d := g.digits(6)
	return "+420 " + g.pick(czechMobilePrefixes) + " " + d[:3] + " " + d[3:]
}

// landline draws a fixed-line number in town t.
func (g *generator) landline(t town) string {
	if t.Country != "Česko" {
		return t.Phone + g.digits(3)
	}
	d := t.Phone + g.digits(9-len(t.Phone))
	return "+420 " + d[:3] + " " + d[3:6] + " " + d[6:]
}

// address draws a street address in town t.
func (g *generator) address(t town, label string) model.Address {
	a := model.Address{Label: label, Locality: t.Name, Region: t.Region, PostalCode: g.pick(t.Postcodes), Country: t.Country, Preferred: true}
	if t.Country == "Česko" {
		a.Street = g.pick(czechStreets) + " " + fmt.Sprint(1+g.r.IntN(80))
		if g.chance(50) {
			a.Street = g.pick(czechStreets) + " " + fmt.Sprintf("%d/%d", 100+g.r.IntN(2900), 1+g.r.IntN(60))
		}
	} else {
		a.Street = fmt.Sprintf("%d %s", 1+g.r.IntN(120), g.pick(ukStreets))
	}
	return a
}

// ico draws a Czech company id (IČO) with a valid check digit.
func (g *generator) ico() string {
	d := g.digits(7)
	sum := 0
	for i := range 7 {
		sum += int(d[i]-'0') * (8 - i)
	}
	check := (11 - sum%11) % 10 // remainder 0 gives 1, remainder 1 gives 0
	return d + fmt.Sprint(check)
}

// emailLocal is s folded to ASCII for an e-mail address or a handle: "Kučerová" → "kucerova".
func emailLocal(s string) string {
	return strings.Map(func(r rune) rune {
		if 'a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '.' || r == '-' {
			return r
		}
		if r == ' ' {
			return '.'
		}
		return -1
	}, model.FoldForSearch(s))
}

// domainOf derives a web domain from an organisation name: "Pekárna U Zlatého klasu" →
// "pekarna-u-zlateho-klasu.example".
func domainOf(name string, english, uk bool) string {
	s := " " + model.FoldForSearch(name) + " "
	for _, form := range []string{" spol. s r.o. ", " s.r.o. ", " a.s. ", " v.o.s. ", " z. s. ", " ltd. ", " plc "} {
		s = strings.ReplaceAll(s, form, " ")
	}
	var b strings.Builder
	dash := false
	for _, r := range strings.TrimSpace(s) {
		if 'a' <= r && r <= 'z' || '0' <= r && r <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		} else {
			dash = true
		}
	}
	d := b.String()
	for len(d) > 40 {
		d = d[:strings.LastIndexByte(d, '-')]
	}
	// Reserved top-level domain (RFC 2606): demo addresses must never reach a real mailbox.
	return d + ".example"
}

// Word lists. Czech surnames come as masculine and feminine forms.

var czechMale = []string{
	"Jan", "Jiří", "Petr", "Josef", "Pavel", "Martin", "Tomáš", "Jaroslav", "Miroslav", "Zdeněk",
	"Václav", "Michal", "František", "Jakub", "Ondřej", "Lukáš", "Karel", "Milan", "Vojtěch", "Antonín",
	"Radek", "David", "Filip", "Štěpán", "Matěj", "Roman", "Aleš", "Luboš",
}

var czechFemale = []string{
	"Marie", "Jana", "Eva", "Hana", "Anna", "Lenka", "Kateřina", "Lucie", "Věra", "Alena",
	"Petra", "Veronika", "Jaroslava", "Martina", "Tereza", "Michaela", "Zuzana", "Šárka", "Markéta", "Barbora",
	"Kristýna", "Ivana", "Monika", "Dagmar", "Klára", "Zdeňka", "Ludmila", "Radka",
}

var czechSurnames = [][2]string{
	{"Novák", "Nováková"}, {"Dvořák", "Dvořáková"}, {"Černý", "Černá"}, {"Procházka", "Procházková"},
	{"Kučera", "Kučerová"}, {"Růžička", "Růžičková"}, {"Hájek", "Hájková"}, {"Veselý", "Veselá"},
	{"Krejčí", "Krejčí"}, {"Svoboda", "Svobodová"}, {"Novotný", "Novotná"}, {"Horák", "Horáková"},
	{"Němec", "Němcová"}, {"Marek", "Marková"}, {"Pospíšil", "Pospíšilová"}, {"Pokorný", "Pokorná"},
	{"Jelínek", "Jelínková"}, {"Král", "Králová"}, {"Beneš", "Benešová"}, {"Fiala", "Fialová"},
	{"Sedláček", "Sedláčková"}, {"Doležal", "Doležalová"}, {"Zeman", "Zemanová"}, {"Kolář", "Kolářová"},
	{"Navrátil", "Navrátilová"}, {"Čermák", "Čermáková"}, {"Urban", "Urbanová"}, {"Vaněk", "Vaňková"},
	{"Blažek", "Blažková"}, {"Kříž", "Křížová"}, {"Kovář", "Kovářová"}, {"Bartoš", "Bartošová"},
	{"Vlček", "Vlčková"}, {"Polák", "Poláková"}, {"Kopecký", "Kopecká"}, {"Musil", "Musilová"},
	{"Šimek", "Šimková"}, {"Konečný", "Konečná"}, {"Malý", "Malá"}, {"Holub", "Holubová"},
	{"Štěpánek", "Štěpánková"}, {"Kadlec", "Kadlecová"}, {"Dostál", "Dostálová"}, {"Šťastný", "Šťastná"},
	{"Řezníček", "Řezníčková"}, {"Müller", "Müllerová"}, {"Tichý", "Tichá"}, {"Žák", "Žáková"},
}

var englishMale = []string{"John", "James", "David", "Michael", "Robert", "Thomas", "Daniel", "Oliver", "George", "William"}

var englishFemale = []string{"Emily", "Sarah", "Olivia", "Charlotte", "Emma", "Sophie", "Hannah", "Grace", "Lucy", "Rachel"}

var englishSurnames = []string{
	"Smith", "Clarke", "Johnson", "Brown", "Taylor", "Wilson", "Evans", "Walker",
	"Wright", "Green", "Hughes", "Baker", "Harris", "Cooper", "Turner", "Parker",
}

// sector is a line of business: its tag, the words company names start with and the
// shops named after a house sign ("Pekárna U Zlatého klasu").
type sector struct {
	Tag      string
	Prefixes []string
	Shops    []string
}

var customerSectors = []sector{
	{"stavebnictví", []string{"Stavby", "Stavitelství", "Dřevostavby", "Pozemní stavby", "Střechy"}, nil},
	{"strojírenství", []string{"Strojírny", "Kovovýroba", "Slévárna", "Nástrojárna"}, nil},
	{"gastro", []string{"Pivovar", "Vinařství", "Mlékárna", "Catering"}, []string{"Pekárna", "Hostinec", "Restaurace", "Cukrárna", "Kavárna", "Penzion"}},
	{"maloobchod", []string{"Potraviny", "Drogerie", "Nábytek", "Domácí potřeby"}, []string{"Lékárna", "Papírnictví", "Železářství", "Květinářství", "Vinotéka"}},
	{"it", []string{"Software", "Datové systémy", "Webové studio", "IT služby"}, nil},
	{"zemědělství", []string{"Agro", "Statek", "Farma", "Rybářství"}, nil},
	{"energetika", []string{"Teplárna", "Solární systémy", "Energie"}, nil},
}

var supplierSectors = []sector{
	{"elektro", []string{"Elektro", "Elektromontáže", "Kabely"}, nil},
	{"kovovýroba", []string{"Kovovýroba", "Kovo", "Svařovna", "Povrchové úpravy"}, nil},
	{"obaly a tisk", []string{"Obaly", "Kartonáž", "Tiskárna"}, nil},
	{"logistika", []string{"Autodoprava", "Spedice", "Logistika", "Sklady"}, nil},
	{"dřevo", []string{"Pila", "Dřevovýroba", "Truhlářství"}, nil},
	{"chemie", []string{"Barvy a laky", "Chemické závody", "Čisticí prostředky"}, nil},
	{"kancelář", []string{"Kancelářské potřeby", "Tonery", "Úklidové služby"}, nil},
	{"potraviny", []string{"Velkoobchod", "Mlýny", "Pražírna"}, []string{"Pekárna", "Řeznictví", "Sýrárna"}},
}

var legalForms = []string{"s.r.o.", "s.r.o.", "s.r.o.", "s.r.o.", "a.s.", "a.s.", "spol. s r.o.", "v.o.s.", ""}

var places = []string{
	"Morava", "Vysočina", "Haná", "Šumava", "Krkonoše", "Polabí", "Slezsko", "Beskydy",
	"Posázaví", "Podřipsko", "Valašsko", "Plzeň", "Brno", "Praha", "Labe", "Vltava",
}

var placesGenitive = []string{
	"Moravy", "Vysočiny", "Hané", "Šumavy", "Krkonoš", "Polabí", "Slezska", "Beskyd", "Posázaví", "Podřipska", "Valašska",
}

// houseSign is the noun of a house sign, in the genitive after "U".
type houseSign struct {
	Genitive string
	Feminine bool
}

var signs = []houseSign{
	{"klasu", false}, {"koně", false}, {"lva", false}, {"jelena", false}, {"kohouta", false},
	{"medvěda", false}, {"hroznu", false}, {"kapra", false}, {"hvězdy", true}, {"růže", true},
	{"lípy", true}, {"hrušky", true}, {"konvice", true}, {"kotvy", true}, {"podkovy", true},
}

// signAdjectives are masculine genitives; the feminine drops the final "ho".
var signAdjectives = []string{"Zlatého", "Černého", "Bílého", "Modrého", "Zeleného", "Starého", "Červeného"}

var clusterTopics = []string{"Chytrá energetika", "Moravské dřevo", "Digitální výroba", "Udržitelné stavění", "Česká potravina"}

var associationTopics = []string{
	"malých a středních podniků", "dodavatelů pro stavebnictví", "regionálních pekařů",
	"výrobců obalů", "rodinných firem", "technických profesí",
}

var englishAssociations = []string{
	"Anglo-Czech Business Circle", "Central European Timber Forum", "Prague Logistics Network", "Danube Trade Association",
}

var englishWords = []string{
	"Northwind", "Bluebridge", "Greenfield", "Silverline", "Redwood", "Oakridge",
	"Brightwater", "Kingsley", "Ashford", "Whitestone", "Fairview", "Harbourside",
}

var englishSectors = []struct {
	Tag   string
	Words []string
}{
	{"it", []string{"Software", "Systems", "Digital"}},
	{"logistika", []string{"Logistics", "Freight"}},
	{"poradenství", []string{"Consulting", "Advisory"}},
	{"strojírenství", []string{"Engineering", "Components"}},
	{"gastro", []string{"Foods", "Catering"}},
}

// roleSet says which role list fits a person in book b (at an association when member).
func roleSet(b int, member bool) int {
	if b == bookPartners && member {
		return 3
	}
	return b
}

// czechRoles are job titles (masculine, feminine) by roleSet; the first leads the
// organisation.
var czechRoles = [4][][2]string{
	{
		{"jednatel", "jednatelka"}, {"obchodní ředitel", "obchodní ředitelka"}, {"nákupčí", "nákupčí"},
		{"vedoucí nákupu", "vedoucí nákupu"}, {"finanční ředitel", "finanční ředitelka"},
		{"provozní ředitel", "provozní ředitelka"}, {"projektový manažer", "projektová manažerka"},
		{"asistent ředitele", "asistentka ředitele"}, {"účetní", "účetní"}, {"technik", "technička"},
	},
	{
		{"jednatel", "jednatelka"}, {"obchodní zástupce", "obchodní zástupkyně"}, {"account manager", "account manager"},
		{"key account manager", "key account manager"}, {"vedoucí výroby", "vedoucí výroby"},
		{"dispečer", "dispečerka"}, {"fakturant", "fakturantka"}, {"technický poradce", "technická poradkyně"},
		{"vedoucí expedice", "vedoucí expedice"},
	},
	{
		{"ředitel", "ředitelka"}, {"projektový manažer", "projektová manažerka"},
		{"koordinátor partnerství", "koordinátorka partnerství"}, {"marketingový manažer", "marketingová manažerka"},
		{"obchodní ředitel", "obchodní ředitelka"},
	},
	{
		{"předseda", "předsedkyně"}, {"místopředseda", "místopředsedkyně"}, {"člen výboru", "členka výboru"},
		{"tajemník", "tajemnice"}, {"člen", "členka"}, {"člen", "členka"}, {"pokladník", "pokladní"},
	},
}

var englishRoles = [4][][2]string{
	{
		{"Managing Director", "Managing Director"}, {"Head of Procurement", "Head of Procurement"},
		{"Purchasing Manager", "Purchasing Manager"}, {"Finance Director", "Finance Director"},
		{"Operations Manager", "Operations Manager"}, {"Project Manager", "Project Manager"},
	},
	{
		{"Managing Director", "Managing Director"}, {"Account Manager", "Account Manager"},
		{"Key Account Manager", "Key Account Manager"}, {"Sales Representative", "Sales Representative"},
		{"Logistics Coordinator", "Logistics Coordinator"},
	},
	{
		{"Managing Director", "Managing Director"}, {"Partnership Manager", "Partnership Manager"},
		{"Marketing Manager", "Marketing Manager"},
	},
	{
		{"Chair", "Chair"}, {"Board Member", "Board Member"}, {"Secretary", "Secretary"}, {"Member", "Member"},
	},
}

var czechMobilePrefixes = []string{
	"601", "602", "603", "604", "605", "606", "607", "608", "702", "704", "720", "721", "722", "723",
	"724", "725", "728", "731", "732", "733", "736", "737", "739", "773", "774", "775", "776", "777", "792", "796",
}

var freemail = []string{"posta.example", "mail.example", "email.example"}

// town is where addresses and fixed-line numbers are drawn; Phone starts its numbers.
type town struct {
	Name, Region string
	Postcodes    []string
	Country      string
	Phone        string // Czech area digits, or a British prefix from Ofcom's drama ranges
}

// czechTowns repeats Praha and Brno so that they come up more often.
var czechTowns = func() []town {
	ts := []town{
		{"Praha", "Hlavní město Praha", []string{"110 00", "120 00", "130 00", "140 00", "150 00", "160 00", "170 00", "186 00"}, "Česko", "2"},
		{"Brno", "Jihomoravský kraj", []string{"602 00", "612 00", "614 00", "615 00", "616 00", "625 00"}, "Česko", "54"},
		{"Ostrava", "Moravskoslezský kraj", []string{"702 00", "703 00", "709 00", "710 00"}, "Česko", "59"},
		{"Plzeň", "Plzeňský kraj", []string{"301 00", "312 00", "323 00", "326 00"}, "Česko", "37"},
		{"Olomouc", "Olomoucký kraj", []string{"779 00"}, "Česko", "58"},
		{"České Budějovice", "Jihočeský kraj", []string{"370 01", "370 04", "370 05"}, "Česko", "38"},
		{"Hradec Králové", "Královéhradecký kraj", []string{"500 02", "500 03", "500 09"}, "Česko", "49"},
		{"Liberec", "Liberecký kraj", []string{"460 01", "460 07"}, "Česko", "48"},
		{"Pardubice", "Pardubický kraj", []string{"530 02", "530 03"}, "Česko", "46"},
		{"Zlín", "Zlínský kraj", []string{"760 01", "760 05"}, "Česko", "57"},
		{"Jihlava", "Kraj Vysočina", []string{"586 01"}, "Česko", "56"},
		{"Ústí nad Labem", "Ústecký kraj", []string{"400 01", "400 11"}, "Česko", "47"},
		{"Karlovy Vary", "Karlovarský kraj", []string{"360 01", "360 05"}, "Česko", "35"},
	}
	return append(ts, ts[0], ts[0], ts[1])
}()

var ukTowns = []town{
	{"London", "England", []string{"EC2A 4NE", "SE1 9GF", "W1D 3QF", "N1 7GU"}, "United Kingdom", "+44 20 7946 0"},
	{"Manchester", "England", []string{"M1 4BT", "M2 5DB"}, "United Kingdom", "+44 161 496 0"},
	{"Edinburgh", "Scotland", []string{"EH2 2ER", "EH1 1YZ"}, "United Kingdom", "+44 131 496 0"},
	{"Bristol", "England", []string{"BS1 4DJ", "BS1 6QF"}, "United Kingdom", "+44 117 496 0"},
}

var czechStreets = []string{
	"Masarykova", "Nádražní", "Husova", "Palackého", "Komenského", "Jiráskova", "Smetanova", "Tyršova",
	"Riegrova", "Sokolovská", "Průmyslová", "Zahradní", "Školní", "Lidická", "Vídeňská", "Dlouhá",
	"Na Výsluní", "K Lesu", "U Nádraží", "Havlíčkova", "Nerudova", "Purkyňova", "Hlavní", "Třída Svobody",
}

var ukStreets = []string{"Harbour Lane", "King Street", "Mill Road", "Victoria Street", "Station Road", "High Street", "Queen's Walk"}

// publicNotes and restrictedNotes are note bodies by book; {n} becomes a number and
// {date} a day of 2026.
var publicNotes = [3][]string{
	{
		"Schůzka v sídle firmy: zájem o rozšíření odběru, připravit cenovou nabídku do {date}.",
		"Telefonát: reklamace dodávky vyřešena dobropisem, zákazník spokojen.",
		"Potkali jsme se na veletrhu – chtějí katalog novinek na rok 2026.",
		"Preferuje komunikaci e-mailem, telefonicky nejlépe po 14. hodině.",
		"Poslána nabídka NAB-2026-{n}, čekáme na vyjádření.",
		"Rámcová smlouva podepsána, platnost do konce roku.",
		"Žádost o změnu fakturační adresy – předáno účtárně.",
		"Pozvat na jarní seminář pro zákazníky ({date}).",
		"Objednávka OBJ-{n} dodána v pořádku, faktura odeslána.",
		"Zajímá je servisní smlouva s garantovanou reakční dobou.",
	},
	{
		"Dodací lhůta se prodloužila na 6 týdnů kvůli nedostatku materiálu.",
		"Nový ceník platí od {date} – zdražení o 4 %.",
		"Audit kvality proběhl bez závažných zjištění.",
		"Objednávka OBJ-{n} potvrzena, expedice v pondělí.",
		"Kontakt pro urgentní objednávky i mimo pracovní dobu.",
		"Dodávka z {date} měla poškozené obaly, reklamace uznána.",
		"Nabízejí konsignační sklad, projednat na příští schůzce.",
	},
	{
		"Společná prezentace na konferenci {date} – připravit podklady.",
		"Členský příspěvek za rok 2026 uhrazen.",
		"Pozvánka na valnou hromadu doručena.",
		"Domluvena výměna referencí na webu.",
		"Navrhují společný stánek na veletrhu 2026.",
	},
}

var restrictedNotes = [3][]string{
	{
		"Interní: platební morálka se zhoršila, hlídat splatnost faktur.",
		"Interní: konkurence nabízí o 8 % nižší cenu, zvážit slevu při ročním plánu odběrů.",
		"Důvěrné: u nich probíhá reorganizace nákupu, kontaktní osoby se mohou změnit.",
		"Interní: maximální sleva 12 % schválená vedením do {date}.",
	},
	{
		"Interní: vyjednaná roční bonifikace 3 % při obratu nad 2 mil. Kč.",
		"Interní: hledáme alternativního dodavatele, zatím nesdělovat.",
		"Důvěrné: firma má podle rejstříku finanční potíže, sledovat.",
	},
	{
		"Pro vedení: návrh na strategické partnerství, projednat na poradě {date}.",
		"Důvěrné: zvažují vystoupení ze sdružení.",
	},
}
