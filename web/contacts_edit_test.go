package web_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// contactsFixture is an admin, an editor jana and a viewer petr of the book "Zákazníci"
// (with two custom fields), olga without any grant, a second book "Partneři" that only the
// admin sees, and in "Zákazníci" a person and an organisation.
type contactsFixture struct {
	admin, jana, petr, olga model.User
	book, other             model.Book
	person, org             model.Contact
}

func (e *env) contactsFixture() contactsFixture {
	e.t.Helper()
	ctx := context.Background()
	sys := store.Actor{Channel: model.ChannelSystem}
	var f contactsFixture
	for _, u := range []struct {
		dst          *model.User
		login, name  string
		admin        bool
		locale, hash string
	}{{&f.admin, "admin", "Admin", true, "en", ""}, {&f.jana, "jana", "Jana Nováková", false, "cs", ""},
		{&f.petr, "petr", "Petr Svoboda", false, "en", ""}, {&f.olga, "olga", "Olga Malá", false, "en", ""}} {
		created, err := e.st.CreateUser(ctx, sys, model.User{Login: u.login, Name: u.name, IsAdmin: u.admin, Locale: u.locale}, u.hash)
		if err != nil {
			e.t.Fatal(err)
		}
		*u.dst = created
	}
	a := store.Actor{UserID: f.admin.ID, Channel: model.ChannelAPI}
	var err error
	if f.book, err = e.st.CreateBook(ctx, a, "Zákazníci", ""); err != nil {
		e.t.Fatal(err)
	}
	if f.other, err = e.st.CreateBook(ctx, a, "Partneři", ""); err != nil {
		e.t.Fatal(err)
	}
	for _, g := range []struct {
		u    model.User
		role model.Role
	}{{f.jana, model.RoleEditor}, {f.petr, model.RoleViewer}} {
		if _, err := e.st.PutGrant(ctx, a, model.Grant{BookID: f.book.ID, UserID: &g.u.ID, Role: g.role}); err != nil {
			e.t.Fatal(err)
		}
	}
	for _, d := range []model.FieldDef{
		{Key: "segment", Label: "Segment", Type: model.FieldChoice, Choices: []string{"malý", "velký"}},
		{Key: "employees", Label: "Employees", Type: model.FieldNumber},
	} {
		if err := e.st.PutField(ctx, a, f.book.ID, d); err != nil {
			e.t.Fatal(err)
		}
	}
	if f.person, err = e.st.CreateContact(ctx, a, model.Contact{BookID: f.book.ID, Kind: model.KindPerson,
		GivenName: "Antonín", FamilyName: "Dvořák", Phones: []model.Phone{{Value: "601 234 567", Label: "mobile"}}}); err != nil {
		e.t.Fatal(err)
	}
	if f.org, err = e.st.CreateContact(ctx, a, model.Contact{BookID: f.book.ID, Kind: model.KindOrganisation, OrgName: "Stavby Brno s.r.o."}); err != nil {
		e.t.Fatal(err)
	}
	return f
}

func actorOf(u model.User) store.Actor { return store.Actor{UserID: u.ID, Channel: model.ChannelAPI} }

var cardIDRe = regexp.MustCompile(`^/contacts/([0-9a-f-]{36})$`)

// countContacts counts the contacts the admin sees.
func (e *env) countContacts(f contactsFixture) int {
	e.t.Helper()
	n, err := e.st.CountContacts(context.Background(), actorOf(f.admin), store.ContactFilter{})
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// TestContactCreate: an editor creates a person with phones, e-mails, an address, links,
// categories and custom fields; bad input is refused with the reason and stores nothing;
// a viewer is offered no book and cannot post one.
func TestContactCreate(t *testing.T) {
	e := newEnv(t)
	f := e.contactsFixture()
	ctx := context.Background()
	jana, petr, admin := e.sessionFor(f.jana.ID), e.sessionFor(f.petr.ID), e.sessionFor(f.admin.ID)

	if p := jana.get("/"); !strings.Contains(p.body, `href="/contacts/new?kind=person"`) {
		t.Error("the directory has no link to a new contact")
	}
	// Jana edits one book: the form comes straight away, with its custom fields.
	p := jana.get("/contacts/new?kind=person")
	if p.status != http.StatusOK || !strings.Contains(p.body, `name="custom_segment"`) || !strings.Contains(p.body, `value="`+f.book.ID+`"`) ||
		!strings.Contains(p.body, "Nová osoba") {
		t.Fatalf("new person form: %d %s", p.status, p.body)
	}
	tok := token(t, p)
	form := url.Values{"csrf": {tok}, "book_id": {f.book.ID}, "kind": {"person"}, "type": {"customer"},
		"prefix": {"Ing."}, "given_name": {" Božena "}, "family_name": {"Němcová"}, "org_name": {"Stavby Brno s.r.o."},
		"job_title": {"nákupčí"}, "birthday": {"1980-02-04"},
		"phone": {"602 111 222", ""}, "phone_label": {"work", "home"}, "phone_pref": {"0"},
		"email": {"Bozena@Example.com", ""}, "email_label": {"", ""},
		"addr_street": {"Náměstí 1", ""}, "addr_postal": {"602 00", ""}, "addr_locality": {"Brno", ""},
		"addr_region": {"", ""}, "addr_country": {"CZ", ""}, "addr_label": {"work", ""},
		"web_url": {"example.com"}, "web_label": {"web"},
		"social_network": {"linkedin"}, "social_handle": {"bozena-nemcova"},
		"tags": {"Dodavatel, Praha ,, dodavatel"}, "custom_segment": {"velký"}, "custom_employees": {"1234"}}

	// Without the token, or as a viewer: refused, nothing stored.
	before := e.countContacts(f)
	noTok := url.Values{}
	for k, v := range form {
		if k != "csrf" {
			noTok[k] = v
		}
	}
	if p := jana.do("POST", "/contacts/new", noTok); p.status != http.StatusForbidden {
		t.Errorf("create without token: %d", p.status)
	}
	if p := petr.get("/contacts/new?kind=person"); p.status != http.StatusOK || !strings.Contains(p.body, `id="ced-nobooks"`) {
		t.Errorf("viewer's new contact page: %d", p.status)
	}
	pform := url.Values{}
	for k, v := range form {
		pform[k] = v
	}
	pform.Set("csrf", token(t, petr.get("/")))
	if p := petr.do("POST", "/contacts/new", pform); p.status != http.StatusNotFound {
		t.Errorf("viewer creates: %d", p.status)
	}
	// Bad input: the reason, the entered values kept, nothing stored.
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	for _, k := range []string{"prefix", "given_name", "family_name", "org_name"} {
		bad.Set(k, "")
	}
	if p := jana.do("POST", "/contacts/new", bad); p.status != http.StatusBadRequest || !strings.Contains(p.body, `role="alert"`) ||
		!strings.Contains(p.body, "Příjmení") || !strings.Contains(p.body, `value="Bozena@Example.com"`) {
		t.Errorf("person without a name: %d %s", p.status, p.body)
	}
	bad = url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad["phone"] = []string{"602 111 222", "12"}
	if p := jana.do("POST", "/contacts/new", bad); p.status != http.StatusBadRequest || !strings.Contains(p.body, "Telefon 2") {
		t.Errorf("bad second phone: %d %s", p.status, p.body)
	}
	bad.Set("phone", "602 111 222")
	bad.Set("custom_segment", "obří")
	if p := jana.do("POST", "/contacts/new", bad); p.status != http.StatusBadRequest || !strings.Contains(p.body, "segment") {
		t.Errorf("bad custom value: %d", p.status)
	}
	if n := e.countContacts(f); n != before {
		t.Fatalf("refused forms stored contacts: %d → %d", before, n)
	}

	p = jana.do("POST", "/contacts/new", form)
	m := cardIDRe.FindStringSubmatch(p.header.Get("Location"))
	if p.status != http.StatusSeeOther || m == nil {
		t.Fatalf("create: %d %s %s", p.status, p.header.Get("Location"), p.body)
	}
	c, err := e.st.GetContact(ctx, actorOf(f.jana), m[1])
	if err != nil {
		t.Fatal(err)
	}
	if c.DisplayName != "Ing. Božena Němcová" || c.BookID != f.book.ID || c.Type != model.TypeCustomer || c.JobTitle != "nákupčí" ||
		c.Birthday == nil || *c.Birthday != "1980-02-04" {
		t.Errorf("stored contact: %+v", c)
	}
	if len(c.Phones) != 1 || c.Phones[0].Value != "+420602111222" || c.Phones[0].Label != "work" || !c.Phones[0].Preferred {
		t.Errorf("phones: %+v", c.Phones)
	}
	if len(c.Emails) != 1 || c.Emails[0].Value != "Bozena@example.com" {
		t.Errorf("emails: %+v", c.Emails)
	}
	if len(c.Addresses) != 1 || c.Addresses[0].Locality != "Brno" || c.Addresses[0].PostalCode != "602 00" {
		t.Errorf("addresses: %+v", c.Addresses)
	}
	if len(c.Websites) != 1 || c.Websites[0].URL != "https://example.com" || len(c.Socials) != 1 ||
		c.Socials[0].URL != "https://www.linkedin.com/in/bozena-nemcova" {
		t.Errorf("links: %+v %+v", c.Websites, c.Socials)
	}
	if !slices.Equal(c.Tags, []string{"dodavatel", "praha"}) || c.Custom["segment"] != "velký" || c.Custom["employees"] != float64(1234) {
		t.Errorf("tags and custom fields: %v %v", c.Tags, c.Custom)
	}
	// The card offers the editor the edit link, and shows categories and custom fields in
	// her language.
	p = jana.get("/contacts/" + c.ID)
	if !strings.Contains(p.body, `href="/contacts/`+c.ID+`/edit"`) {
		t.Error("the editor's card has no edit link")
	}
	for _, want := range []string{`<span class="tag">dodavatel</span>`, "<dd>velký</dd>", "<dd>1\u00a0234</dd>", "<dd>4. 2. 1980</dd>"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("card lacks %q", want)
		}
	}

	// An organisation; the admin, who edits both books, first chooses the book.
	p = admin.get("/contacts/new?kind=organisation")
	if p.status != http.StatusOK || !strings.Contains(p.body, `name="book"`) || !strings.Contains(p.body, "Partneři") {
		t.Fatalf("book chooser: %d %s", p.status, p.body)
	}
	p = admin.get("/contacts/new?kind=organisation&book=" + f.other.ID)
	if p.status != http.StatusOK || strings.Contains(p.body, "custom_segment") || !strings.Contains(p.body, `name="org_name"`) ||
		strings.Contains(p.body, `name="family_name"`) {
		t.Fatalf("organisation form: %d", p.status)
	}
	p = admin.do("POST", "/contacts/new", url.Values{"csrf": {token(t, p)}, "book_id": {f.other.ID}, "kind": {"organisation"},
		"org_name": {"Partner a.s."}, "type": {"partner"}})
	if m := cardIDRe.FindStringSubmatch(p.header.Get("Location")); p.status != http.StatusSeeOther || m == nil {
		t.Fatalf("create organisation: %d %s", p.status, p.body)
	} else if c, err := e.st.GetContact(ctx, actorOf(f.admin), m[1]); err != nil || c.Kind != model.KindOrganisation || c.BookID != f.other.ID {
		t.Errorf("organisation: %+v %v", c, err)
	}
	// Jana cannot put one into a book she does not edit.
	if p := jana.do("POST", "/contacts/new", url.Values{"csrf": {tok}, "book_id": {f.other.ID}, "kind": {"organisation"},
		"org_name": {"Cizí"}}); p.status != http.StatusNotFound {
		t.Errorf("create in a book jana does not edit: %d", p.status)
	}
}

// TestContactEdit: the editor changes a contact; the version in the form guards against a
// concurrent change (409, the form as entered, nothing overwritten); a viewer and an
// outsider get 404 and no edit link.
func TestContactEdit(t *testing.T) {
	e := newEnv(t)
	f := e.contactsFixture()
	ctx := context.Background()
	jana, petr, olga := e.sessionFor(f.jana.ID), e.sessionFor(f.petr.ID), e.sessionFor(f.olga.ID)
	edit := "/contacts/" + f.person.ID + "/edit"

	// A viewer sees the card without the link, and the form not at all; an outsider neither.
	if p := petr.get("/contacts/" + f.person.ID); p.status != http.StatusOK || strings.Contains(p.body, edit) {
		t.Errorf("viewer's card: %d, edit link %v", p.status, strings.Contains(p.body, edit))
	}
	ptok := token(t, petr.get("/"))
	for _, b := range []*browser{petr, olga} {
		if p := b.get(edit); p.status != http.StatusNotFound {
			t.Errorf("GET edit: %d", p.status)
		}
		if p := b.do("POST", edit, url.Values{"csrf": {ptok}, "version": {"1"}, "family_name": {"X"}}); p.status != http.StatusNotFound {
			t.Errorf("POST edit: %d", p.status)
		}
	}
	if p := jana.get("/contacts/not-an-id/edit"); p.status != http.StatusNotFound {
		t.Errorf("malformed id: %d", p.status)
	}

	p := jana.get(edit)
	if p.status != http.StatusOK || !strings.Contains(p.body, `name="version" value="1"`) || !strings.Contains(p.body, `value="&#43;420601234567"`) ||
		!strings.Contains(p.body, `id="phone-2"`) {
		t.Fatalf("edit form: %d %s", p.status, p.body)
	}
	tok := token(t, p)
	form := url.Values{"csrf": {tok}, "version": {"1"}, "type": {"partner"}, "given_name": {"Antonín"}, "family_name": {"Dvořák ml."},
		"phone": {"+420601234567", "777 888 999", ""}, "phone_label": {"mobile", "home", ""}, "phone_pref": {"1"},
		"tags": {"hudba"}, "custom_segment": {"malý"}}
	if p := jana.do("POST", edit, url.Values{"version": {"1"}, "family_name": {"X"}}); p.status != http.StatusForbidden {
		t.Errorf("edit without token: %d", p.status)
	}
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("email", "not-an-email")
	if p := jana.do("POST", edit, bad); p.status != http.StatusBadRequest || !strings.Contains(p.body, "E-mail 1") ||
		!strings.Contains(p.body, `value="Dvořák ml."`) {
		t.Errorf("bad e-mail: %d %s", p.status, p.body)
	}
	if c, _ := e.st.GetContact(ctx, actorOf(f.admin), f.person.ID); c.Version != 1 {
		t.Fatalf("a refused edit changed the contact: version %d", c.Version)
	}

	// Someone else saves first: 409, the other change stays.
	other := "Dvořáková"
	if _, err := e.st.UpdateContact(ctx, actorOf(f.admin), f.person.ID, model.ContactPatch{FamilyName: &other}, 0); err != nil {
		t.Fatal(err)
	}
	p = jana.do("POST", edit, form)
	if p.status != http.StatusConflict || !strings.Contains(p.body, `id="conflict"`) || !strings.Contains(p.body, "NEBYLY uloženy") ||
		!strings.Contains(p.body, `value="Dvořák ml."`) || !strings.Contains(p.body, `name="version" value="2"`) {
		t.Fatalf("concurrent edit: %d %s", p.status, p.body)
	}
	c, err := e.st.GetContact(ctx, actorOf(f.admin), f.person.ID)
	if err != nil || c.FamilyName != other || c.Version != 2 || len(c.Phones) != 1 {
		t.Fatalf("the conflict overwrote: %+v %v", c, err)
	}
	// Saving again, knowingly, from the answer's version.
	form.Set("version", "2")
	if p := jana.do("POST", edit, form); p.status != http.StatusSeeOther || p.header.Get("Location") != "/contacts/"+f.person.ID {
		t.Fatalf("edit: %d %s", p.status, p.body)
	}
	c, err = e.st.GetContact(ctx, actorOf(f.admin), f.person.ID)
	if err != nil || c.FamilyName != "Dvořák ml." || c.Type != model.TypePartner || len(c.Phones) != 2 || !c.Phones[1].Preferred ||
		c.Phones[1].Value != "+420777888999" || !slices.Equal(c.Tags, []string{"hudba"}) || c.Custom["segment"] != "malý" || c.Version != 3 {
		t.Errorf("edited contact: %+v %v", c, err)
	}
	// A stale form (version 1) now conflicts again.
	form.Set("version", "1")
	if p := jana.do("POST", edit, form); p.status != http.StatusConflict {
		t.Errorf("stale version: %d", p.status)
	}
}

// TestContactDelete: a confirmation page, then the POST; viewers and outsiders get 404.
func TestContactDelete(t *testing.T) {
	e := newEnv(t)
	f := e.contactsFixture()
	jana, petr, olga := e.sessionFor(f.jana.ID), e.sessionFor(f.petr.ID), e.sessionFor(f.olga.ID)
	del := "/contacts/" + f.org.ID + "/delete"
	ptok := token(t, petr.get("/"))
	for _, b := range []*browser{petr, olga} {
		if p := b.get(del); p.status != http.StatusNotFound {
			t.Errorf("GET delete: %d", p.status)
		}
		if p := b.do("POST", del, url.Values{"csrf": {ptok}}); p.status != http.StatusNotFound {
			t.Errorf("POST delete: %d", p.status)
		}
	}
	p := jana.get(del)
	if p.status != http.StatusOK || !strings.Contains(p.body, "Smazat natrvalo") {
		t.Fatalf("confirm page: %d", p.status)
	}
	if p := jana.do("POST", del, url.Values{}); p.status != http.StatusForbidden {
		t.Errorf("delete without token: %d", p.status)
	}
	if _, err := e.st.GetContact(context.Background(), actorOf(f.jana), f.org.ID); err != nil {
		t.Fatalf("refused deletes removed the contact: %v", err)
	}
	if p := jana.do("POST", del, url.Values{"csrf": {token(t, p)}}); p.status != http.StatusSeeOther || p.header.Get("Location") != "/" {
		t.Fatalf("delete: %d %s", p.status, p.body)
	}
	if _, err := e.st.GetContact(context.Background(), actorOf(f.admin), f.org.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted contact: %v", err)
	}
	if p := jana.get("/contacts/" + f.org.ID); p.status != http.StatusNotFound {
		t.Errorf("deleted card: %d", p.status)
	}
}

// TestContactNotes: any reader adds a note, restricted to named users if they like; the
// note is absent from the card of anyone else; its author (or an editor) changes and
// deletes it, others get 404.
func TestContactNotes(t *testing.T) {
	e := newEnv(t)
	f := e.contactsFixture()
	ctx := context.Background()
	jana, petr, olga, admin := e.sessionFor(f.jana.ID), e.sessionFor(f.petr.ID), e.sessionFor(f.olga.ID), e.sessionFor(f.admin.ID)
	card := "/contacts/" + f.person.ID
	notes := card + "/notes"

	p := petr.get(card)
	if !strings.Contains(p.body, `action="`+notes+`"`) || !strings.Contains(p.body, `value="`+f.jana.ID+`"`) {
		t.Fatalf("the card has no note form naming jana: %s", p.body)
	}
	tok := token(t, p)
	if p := petr.do("POST", notes, url.Values{"body": {"bez tokenu"}}); p.status != http.StatusForbidden {
		t.Errorf("note without token: %d", p.status)
	}
	if p := petr.do("POST", notes, url.Values{"csrf": {tok}, "body": {"   "}}); p.status != http.StatusBadRequest || !strings.Contains(p.body, `role="alert"`) {
		t.Errorf("empty note: %d", p.status)
	}
	if p := olga.do("POST", notes, url.Values{"csrf": {token(t, olga.get("/"))}, "body": {"cizí"}}); p.status != http.StatusNotFound {
		t.Errorf("outsider's note: %d", p.status)
	}
	if ns, _ := e.st.ListNotes(ctx, actorOf(f.admin), f.person.ID); len(ns) != 0 {
		t.Fatalf("refused notes stored: %v", ns)
	}
	p = petr.do("POST", notes, url.Values{"csrf": {tok}, "body": {"Jen pro Janu"}, "audience": {"restricted"}, "users": {f.jana.ID}})
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), card+"#note-") {
		t.Fatalf("restricted note: %d %s", p.status, p.body)
	}
	ns, err := e.st.ListNotes(ctx, actorOf(f.jana), f.person.ID)
	if err != nil || len(ns) != 1 || ns[0].Audience != model.AudienceRestricted || !slices.Equal(ns[0].Users, []string{f.jana.ID}) {
		t.Fatalf("jana's notes: %+v %v", ns, err)
	}
	note := ns[0].ID
	noteEdit := notes + "/" + note + "/edit"
	for who, b := range map[string]*browser{"petr": petr, "jana": jana} {
		if p := b.get(card); !strings.Contains(p.body, "Jen pro Janu") || !strings.Contains(p.body, noteEdit) {
			t.Errorf("%s's card lacks the note or its edit link", who)
		}
	}
	// The admin, not named, does not learn that it exists.
	if p := admin.get(card); strings.Contains(p.body, "Jen pro Janu") || strings.Contains(p.body, note) {
		t.Error("the restricted note shows to the admin")
	}
	if p := admin.get(noteEdit); p.status != http.StatusNotFound {
		t.Errorf("admin opens the restricted note: %d", p.status)
	}
	if p := olga.get(noteEdit); p.status != http.StatusNotFound {
		t.Errorf("outsider opens the note: %d", p.status)
	}

	// Jana's open note: petr (a viewer, not its author) may not change it.
	p = jana.do("POST", notes, url.Values{"csrf": {token(t, jana.get(card))}, "body": {"Pro všechny"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("open note: %d", p.status)
	}
	janaNote := strings.TrimPrefix(p.header.Get("Location"), card+"#note-")
	if p := petr.get(card); !strings.Contains(p.body, "Pro všechny") || strings.Contains(p.body, janaNote+"/edit") {
		t.Error("petr's card: the open note is missing or offered for editing")
	}
	if p := petr.get(notes + "/" + janaNote + "/edit"); p.status != http.StatusNotFound {
		t.Errorf("petr edits jana's note: %d", p.status)
	}
	if p := petr.do("POST", notes+"/"+janaNote+"/delete", url.Values{"csrf": {tok}}); p.status != http.StatusNotFound {
		t.Errorf("petr deletes jana's note: %d", p.status)
	}

	// Petr edits his note: bad input first, then opening it to everyone.
	p = petr.get(noteEdit)
	if p.status != http.StatusOK || !strings.Contains(p.body, "Jen pro Janu") {
		t.Fatalf("note form: %d", p.status)
	}
	if p := petr.do("POST", noteEdit, url.Values{"csrf": {tok}, "body": {""}, "audience": {"contact"}}); p.status != http.StatusBadRequest {
		t.Errorf("empty edit: %d", p.status)
	}
	if p := petr.do("POST", noteEdit, url.Values{"csrf": {tok}, "body": {"Pro všechny teď"}, "audience": {"contact"}}); p.status != http.StatusSeeOther {
		t.Fatalf("edit note: %d %s", p.status, p.body)
	}
	if n, err := e.st.GetNote(ctx, actorOf(f.admin), note); err != nil || n.Body != "Pro všechny teď" || n.Audience != model.AudienceContact || len(n.Users) != 0 {
		t.Errorf("edited note: %+v %v", n, err)
	}
	// Jana, an editor of the book, may delete petr's note.
	if p := jana.do("POST", notes+"/"+note+"/delete", url.Values{"csrf": {token(t, jana.get(card))}}); p.status != http.StatusSeeOther {
		t.Fatalf("delete note: %d", p.status)
	}
	if _, err := e.st.GetNote(ctx, actorOf(f.admin), note); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted note: %v", err)
	}
}

// TestContactRelations: an editor links a person to an organisation with a role, from
// either card, and removes the link; a viewer gets 404.
func TestContactRelations(t *testing.T) {
	e := newEnv(t)
	f := e.contactsFixture()
	ctx := context.Background()
	jana, petr := e.sessionFor(f.jana.ID), e.sessionFor(f.petr.ID)
	card := "/contacts/" + f.person.ID

	if p := petr.get(card); strings.Contains(p.body, card+"/relations/new") {
		t.Error("a viewer is offered to link")
	}
	p := jana.get(card)
	if !strings.Contains(p.body, card+"/relations/new") {
		t.Fatal("the editor's card has no link form")
	}
	tok := token(t, p)
	p = jana.get(card + "/relations/new?q=stavby&role=jednatelka")
	if p.status != http.StatusOK || !strings.Contains(p.body, `data-candidate="`+f.org.ID+`"`) || strings.Contains(p.body, `data-candidate="`+f.person.ID+`"`) {
		t.Fatalf("candidates: %d %s", p.status, p.body)
	}
	add := url.Values{"csrf": {tok}, "other": {f.org.ID}, "role": {strings.Repeat("x", 201)}, "q": {"stavby"}}
	if p := jana.do("POST", card+"/relations", add); p.status != http.StatusBadRequest || !strings.Contains(p.body, `role="alert"`) {
		t.Errorf("too long a role: %d", p.status)
	}
	add.Set("role", "jednatelka")
	if p := petr.do("POST", card+"/relations", url.Values{"csrf": {token(t, petr.get("/"))}, "other": {f.org.ID}}); p.status != http.StatusNotFound {
		t.Errorf("viewer links: %d", p.status)
	}
	if c, _ := e.st.GetContact(ctx, actorOf(f.admin), f.person.ID); len(c.Relations) != 0 {
		t.Fatalf("refused links stored: %+v", c.Relations)
	}
	if p := jana.do("POST", card+"/relations", url.Values{"other": {f.org.ID}}); p.status != http.StatusForbidden {
		t.Errorf("link without token: %d", p.status)
	}
	if p := jana.do("POST", card+"/relations", add); p.status != http.StatusSeeOther {
		t.Fatalf("link: %d %s", p.status, p.body)
	}
	c, _ := e.st.GetContact(ctx, actorOf(f.admin), f.person.ID)
	if len(c.Relations) != 1 || c.Relations[0].OrganisationID != f.org.ID || c.Relations[0].Role != "jednatelka" {
		t.Fatalf("relations: %+v", c.Relations)
	}
	rel := c.Relations[0].ID
	remove := card + "/relations/" + rel + "/remove"
	if p := jana.get(card); !strings.Contains(p.body, remove) {
		t.Error("the card offers no removal")
	}
	if p := petr.do("POST", remove, url.Values{"csrf": {token(t, petr.get("/"))}}); p.status != http.StatusNotFound {
		t.Errorf("viewer removes: %d", p.status)
	}
	if p := jana.do("POST", remove, url.Values{"csrf": {tok}}); p.status != http.StatusSeeOther {
		t.Fatalf("remove: %d", p.status)
	}
	if c, _ := e.st.GetContact(ctx, actorOf(f.admin), f.person.ID); len(c.Relations) != 0 {
		t.Errorf("relation after removal: %+v", c.Relations)
	}
	// From the organisation's card: jana links the person.
	orgCard := "/contacts/" + f.org.ID
	if p := jana.get(orgCard + "/relations/new?q=dvorak"); !strings.Contains(p.body, `data-candidate="`+f.person.ID+`"`) {
		t.Errorf("person candidates: %s", p.body)
	}
	if p := jana.do("POST", orgCard+"/relations", url.Values{"csrf": {tok}, "other": {f.person.ID}, "role": {"nákupčí"}}); p.status != http.StatusSeeOther {
		t.Fatalf("link from the organisation: %d %s", p.status, p.body)
	}
	if c, _ := e.st.GetContact(ctx, actorOf(f.admin), f.org.ID); len(c.Relations) != 1 || c.Relations[0].PersonID != f.person.ID {
		t.Errorf("organisation's relations: %+v", c.Relations)
	}
}
