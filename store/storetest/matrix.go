// Package storetest holds fixtures shared by the tests of every channel (store, API, and
// later CardDAV and exports). Matrix seeds the authorisation matrix of ARCHITECTURE.md
// invariant 1 and computes, independently of the SQL policy, what each user may see, so
// that every channel can be held to the same expectations. Only tests import it.
package storetest

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// MatrixWord occurs in the name of every matrix contact, so a search for it should return
// exactly the visible contacts.
const MatrixWord = "Maticový"

// Matrix is the seeded fixture: users, groups, books, grants, contacts and notes, and the
// expected visibility worked out in Go from the grants.
type Matrix struct {
	Admin    model.User
	Users    map[string]model.User // by login: admin, alena, bohdan, cyril, dana, emil, frantisek (disabled)
	Groups   map[string]model.Group
	Books    map[string]model.Book // B1..B4
	Contacts map[string]model.Contact
	Notes    map[string]model.Note
	// RelationID links person "b1-person" to organisation "b4-org".
	RelationID string

	bookGrants map[string]map[string]model.Role // book name → grantee ("u:login" / "g:name") → role
	members    map[string][]string              // group → logins
	noteBook   map[string]string                // note key → contact key
	noteAud    map[string][]string              // note key → allowed "u:login"/"g:name" (restricted notes)
	noteAuthor map[string]string                // note key → login
	hidden     map[string]bool                  // contact key → lacks the consent its book requires
	shared     map[string][]string              // login → contact keys shared through active projects
	// Projects are P1 (active) and P2 (closed); see SeedMatrix.
	Projects map[string]model.Project
	// Meetings and Collaboration are attached to the projects; see seedMeetings and
	// seedCollaboration.
	Meetings      map[string]model.Meeting
	Collaboration map[string]model.CollaborationRecord

	// CRM holds activities, tasks and an event; see seedCRM.
	CRM *CRM

	projectMembers map[string][]string // project name → logins of its members, lead included
	meetings       map[string]matrixMeeting
	records        map[string]matrixRecord
}

// Logins lists the matrix users in a stable order.
func (m *Matrix) Logins() []string {
	var out []string
	for l := range m.Users {
		out = append(out, l)
	}
	sort.Strings(out)
	return out
}

// Actor returns the API-channel actor of a matrix user.
func (m *Matrix) Actor(login string) store.Actor {
	return store.Actor{UserID: m.Users[login].ID, Channel: "api"}
}

// SeedMatrix builds the fixture through the store's public methods. hash is the password
// hash every user gets.
//
//	groups: G1 = {bohdan, cyril}, G2 = {cyril, dana}
//	B1: alena viewer, G1 editor, frantisek (disabled) viewer
//	B2: G2 viewer
//	B3: cyril manager
//	B4: no grants (admins only)
//	emil: no grants at all
//
// B2 requires an active consent for the purpose "matrix-news": b2-person holds one,
// b2-org none, and b2-lapsed one that is still active but past its valid_until, so all
// but b2-person are hidden from everyone, admins included.
//
//	P1 (active, lead cyril, members emil and dana): involves b4-person, b1-org and b2-org
//	P2 (closed, lead admin, member alena): involves b3-person
//
// so emil and dana see b4-person and b1-org through P1 (b2-org stays hidden: sharing does
// not lift a consent requirement), and alena does not see b3-person. Meetings and
// collaboration records on the projects are listed at seedMeetings and seedCollaboration.
func SeedMatrix(ctx context.Context, st *store.Store, hash string) (*Matrix, error) {
	m := &Matrix{
		Users: map[string]model.User{}, Groups: map[string]model.Group{}, Books: map[string]model.Book{},
		Contacts: map[string]model.Contact{}, Notes: map[string]model.Note{},
		bookGrants: map[string]map[string]model.Role{}, members: map[string][]string{},
		noteBook: map[string]string{}, noteAud: map[string][]string{}, noteAuthor: map[string]string{}, hidden: map[string]bool{},
		shared: map[string][]string{}, Projects: map[string]model.Project{},
		Meetings: map[string]model.Meeting{}, Collaboration: map[string]model.CollaborationRecord{},
		projectMembers: map[string][]string{}, meetings: map[string]matrixMeeting{}, records: map[string]matrixRecord{},
	}
	system := store.Actor{Channel: "system"}
	for _, u := range []struct {
		login, name string
		admin       bool
	}{{"admin", "Admin Správce", true}, {"alena", "Alena", false}, {"bohdan", "Bohdan", false}, {"cyril", "Cyril", false},
		{"dana", "Dana", false}, {"emil", "Emil", false}, {"frantisek", "František", false}} {
		created, err := st.CreateUser(ctx, system, model.User{Login: u.login, Name: u.name, IsAdmin: u.admin}, hash)
		if err != nil {
			return nil, fmt.Errorf("user %s: %w", u.login, err)
		}
		m.Users[u.login] = created
	}
	m.Admin = m.Users["admin"]
	admin := m.Actor("admin")
	for g, logins := range map[string][]string{"G1": {"bohdan", "cyril"}, "G2": {"cyril", "dana"}} {
		grp, err := st.CreateGroup(ctx, admin, g, "")
		if err != nil {
			return nil, err
		}
		for _, l := range logins {
			if err := st.AddGroupMember(ctx, admin, grp.ID, m.Users[l].ID); err != nil {
				return nil, err
			}
		}
		m.Groups[g] = grp
		m.members[g] = logins
	}
	for _, b := range []string{"B1", "B2", "B3", "B4"} {
		book, err := st.CreateBook(ctx, admin, b, "")
		if err != nil {
			return nil, err
		}
		m.Books[b] = book
		m.bookGrants[b] = map[string]model.Role{}
	}
	grant := func(book, grantee string, role model.Role) error {
		g := model.Grant{BookID: m.Books[book].ID, Role: role}
		if grantee[:2] == "u:" {
			id := m.Users[grantee[2:]].ID
			g.UserID = &id
		} else {
			id := m.Groups[grantee[2:]].ID
			g.GroupID = &id
		}
		_, err := st.PutGrant(ctx, admin, g)
		m.bookGrants[book][grantee] = role
		return err
	}
	for _, g := range []struct {
		book, grantee string
		role          model.Role
	}{{"B1", "u:alena", "viewer"}, {"B1", "g:G1", "editor"}, {"B1", "u:frantisek", "viewer"},
		{"B2", "g:G2", "viewer"}, {"B3", "u:cyril", "manager"}} {
		if err := grant(g.book, g.grantee, g.role); err != nil {
			return nil, err
		}
	}
	for _, b := range []string{"B1", "B2", "B3", "B4"} {
		for _, c := range []model.Contact{
			{Kind: "person", GivenName: "Jiří", FamilyName: MatrixWord + " " + b, Tags: []string{"matrix", "tag-" + b},
				Emails: []model.Email{{Value: "person-" + b + "@example.com"}}, Phones: []model.Phone{{Value: "601 000 00" + b[1:]}}},
			{Kind: "organisation", OrgName: MatrixWord + " s.r.o. " + b, Type: "supplier", Tags: []string{"matrix"}},
		} {
			c.BookID = m.Books[b].ID
			created, err := st.CreateContact(ctx, admin, c)
			if err != nil {
				return nil, fmt.Errorf("contact in %s: %w", b, err)
			}
			key := map[model.ContactKind]string{"person": "-person", "organisation": "-org"}[c.Kind]
			m.Contacts[lower(b)+key] = created
		}
	}
	if err := m.requireConsent(ctx, st); err != nil {
		return nil, fmt.Errorf("consent requirement: %w", err)
	}
	if err := m.seedProjects(ctx, st); err != nil {
		return nil, fmt.Errorf("projects: %w", err)
	}
	rel, err := st.AddRelation(ctx, admin, model.Relation{PersonID: m.Contacts["b1-person"].ID, OrganisationID: m.Contacts["b4-org"].ID, Role: "jednatel"})
	if err != nil {
		return nil, err
	}
	m.RelationID = rel.ID
	if _, err := st.AddRelation(ctx, admin, model.Relation{PersonID: m.Contacts["b1-person"].ID, OrganisationID: m.Contacts["b1-org"].ID, Role: "nákupčí"}); err != nil {
		return nil, err
	}
	notes := []struct {
		key, contact, author string
		audience             []string
	}{
		{"b1-open", "b1-person", "admin", nil},
		{"b1-alena", "b1-person", "admin", []string{"u:alena"}},
		{"b1-g2", "b1-org", "admin", []string{"g:G2"}},
		{"b1-private-bohdan", "b1-org", "bohdan", []string{}},
		{"b2-open", "b2-person", "admin", nil},
		{"b2-dana", "b2-person", "admin", []string{"u:dana"}},
		{"b3-g1", "b3-org", "cyril", []string{"g:G1"}},
		{"b4-open", "b4-person", "admin", nil},
	}
	for _, n := range notes {
		in := model.Note{ContactID: m.Contacts[n.contact].ID, Body: "Poznámka " + n.key, Audience: "contact"}
		if n.audience != nil {
			in.Audience = "restricted"
			for _, a := range n.audience {
				if a[:2] == "u:" {
					in.Users = append(in.Users, m.Users[a[2:]].ID)
				} else {
					in.Groups = append(in.Groups, m.Groups[a[2:]].ID)
				}
			}
			m.noteAud[n.key] = n.audience
		}
		created, err := st.CreateNote(ctx, m.Actor(n.author), in)
		if err != nil {
			return nil, fmt.Errorf("note %s: %w", n.key, err)
		}
		m.Notes[n.key] = created
		m.noteBook[n.key] = n.contact
		m.noteAuthor[n.key] = n.author
	}
	if err := m.seedMeetings(ctx, st); err != nil {
		return nil, fmt.Errorf("meetings: %w", err)
	}
	if err := m.seedCollaboration(ctx, st); err != nil {
		return nil, fmt.Errorf("collaboration: %w", err)
	}
	if err := m.seedCRM(ctx, st); err != nil {
		return nil, fmt.Errorf("crm: %w", err)
	}
	// frantisek is disabled last, so that he could be named where only enabled users may
	// be (a meeting's participants) and be seen to lose it.
	disabled, err := st.UpdateUser(ctx, admin, m.Users["frantisek"].ID, store.UserPatch{Disabled: ptr(true)})
	if err != nil {
		return nil, err
	}
	m.Users["frantisek"] = disabled
	return m, nil
}

// requireConsent makes B2 require the purpose matrix-news and records the consents of its
// contacts (see SeedMatrix).
func (m *Matrix) requireConsent(ctx context.Context, st *store.Store) error {
	admin := m.Actor("admin")
	p, err := st.CreatePurpose(ctx, admin, model.Purpose{Key: "matrix-news", Name: "Matrix news", Wording: "Zasílejte mi novinky."})
	if err != nil {
		return err
	}
	if _, err := st.UpdateBook(ctx, admin, m.Books["B2"].ID, store.BookPatch{RequiredPurposeID: &p.ID}); err != nil {
		return err
	}
	lapsed, err := st.CreateContact(ctx, admin, model.Contact{Kind: "person", BookID: m.Books["B2"].ID,
		GivenName: "Lída", FamilyName: MatrixWord + " prošlá", Tags: []string{"matrix"}})
	if err != nil {
		return err
	}
	m.Contacts["b2-lapsed"] = lapsed
	now := time.Now()
	past := now.Add(-time.Hour)
	for _, r := range []store.ConsentRecord{
		{ContactID: m.Contacts["b2-person"].ID, GivenAt: now.Add(-time.Minute)},
		{ContactID: lapsed.ID, GivenAt: now.AddDate(-2, 0, 0), ValidUntil: &past},
	} {
		r.PurposeID, r.Source = p.ID, model.SourceStaff
		if _, err := st.RecordConsent(ctx, admin, r); err != nil {
			return err
		}
	}
	m.hidden["b2-org"], m.hidden["b2-lapsed"] = true, true
	return nil
}

// seedProjects creates P1 and P2 (see SeedMatrix).
func (m *Matrix) seedProjects(ctx context.Context, st *store.Store) error {
	admin := m.Actor("admin")
	for _, p := range []struct {
		name, lead string
		members    []string
		contacts   []string
		closed     bool
	}{
		{"P1", "cyril", []string{"emil", "dana"}, []string{"b4-person", "b1-org", "b2-org"}, false},
		{"P2", "admin", []string{"alena"}, []string{"b3-person"}, true},
	} {
		lead := m.Users[p.lead].ID
		created, err := st.CreateProject(ctx, admin, store.ProjectInput{Name: ptr(p.name + " " + MatrixWord), LeadID: &lead})
		if err != nil {
			return err
		}
		for _, l := range p.members {
			if err := st.PutProjectMember(ctx, admin, created.ID, m.Users[l].ID, nil); err != nil {
				return err
			}
		}
		for _, k := range p.contacts {
			if err := st.PutProjectContact(ctx, admin, created.ID, m.Contacts[k].ID, store.ProjectContactInput{Role: "dodavatel"}); err != nil {
				return err
			}
		}
		if p.closed {
			if err := st.RequestProjectClosure(ctx, admin, created.ID, 0); err != nil {
				return err
			}
			if _, _, err := st.FinishProjectClosure(ctx, created.ID); err != nil {
				return err
			}
		} else {
			for _, l := range append(p.members, p.lead) {
				m.shared[l] = append(m.shared[l], p.contacts...)
			}
		}
		m.Projects[p.name] = created
		m.projectMembers[p.name] = append([]string{p.lead}, p.members...)
	}
	return nil
}

func ptr[T any](v T) *T { return &v }

func lower(b string) string { return "b" + b[1:] }

// inGroup reports whether login belongs to group.
func (m *Matrix) inGroup(login, group string) bool {
	for _, l := range m.members[group] {
		if l == login {
			return true
		}
	}
	return false
}

// SeesBook reports whether login may see the contacts of book, from the grants alone.
func (m *Matrix) SeesBook(login, book string) bool {
	u := m.Users[login]
	if u.Disabled {
		return false
	}
	if u.IsAdmin {
		return true
	}
	for grantee := range m.bookGrants[book] {
		if grantee == "u:"+login || grantee[:2] == "g:" && m.inGroup(login, grantee[2:]) {
			return true
		}
	}
	return false
}

// bookOf returns the book name of a contact key ("b3-org" → "B3").
func bookOf(key string) string { return "B" + key[1:2] }

// SeesContact reports whether login may see contact key: its book, and the consent the
// book requires.
func (m *Matrix) SeesContact(login, key string) bool {
	if m.hidden[key] || m.Users[login].Disabled {
		return false
	}
	return m.SeesBook(login, bookOf(key)) || slices.Contains(m.shared[login], key)
}

// VisibleContacts returns the keys of the contacts login may see, sorted.
func (m *Matrix) VisibleContacts(login string) []string {
	var out []string
	for key := range m.Contacts {
		if m.SeesContact(login, key) {
			out = append(out, key)
		}
	}
	sort.Strings(out)
	return out
}

// VisibleNotes returns the keys of the notes login may see on contact key, sorted.
func (m *Matrix) VisibleNotes(login, contact string) []string {
	var out []string
	for key, c := range m.noteBook {
		if c == contact && m.SeesNote(login, key) {
			out = append(out, key)
		}
	}
	sort.Strings(out)
	return out
}

// SeesNote reports whether login may see note key.
func (m *Matrix) SeesNote(login, key string) bool {
	if !m.SeesContact(login, m.noteBook[key]) {
		return false
	}
	aud, restricted := m.noteAud[key]
	if !restricted || m.noteAuthor[key] == login {
		return true
	}
	for _, a := range aud {
		if a == "u:"+login || a[:2] == "g:" && m.inGroup(login, a[2:]) {
			return true
		}
	}
	return false
}

// SeesRelation reports whether login sees the b1-person ↔ b4-org relation.
func (m *Matrix) SeesRelation(login string) bool {
	return m.SeesContact(login, "b1-person") && m.SeesContact(login, "b4-org")
}

// ContactKey returns the matrix key of a contact id, or "" for an id not in the matrix.
func (m *Matrix) ContactKey(id string) string {
	for k, c := range m.Contacts {
		if c.ID == id {
			return k
		}
	}
	return ""
}

// NoteKey returns the matrix key of a note id.
func (m *Matrix) NoteKey(id string) string {
	for k, n := range m.Notes {
		if n.ID == id {
			return k
		}
	}
	return ""
}
