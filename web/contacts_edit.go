package web

// Editing the directory (issue #8): a new contact (person or organisation) in a book the
// user edits, editing a contact with optimistic concurrency (the row version rides in the
// form; a concurrent change answers 409 and nothing is overwritten), deleting one, notes
// with their own audience, and person↔organisation relations. The store decides every
// write with the API's rules (store/contacts.go, store/notes.go); these pages only offer
// what it would allow, and answer 404 for what the user may not see or not change.

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// mountContacts routes contact editing, notes, relations and the user's own settings.
func (h *handler) mountContacts(r chi.Router) {
	r.Get("/contacts/new", h.newContactPage)
	r.Post("/contacts/new", h.createContact)
	r.Get("/contacts/{id}/edit", h.editContactPage)
	r.Post("/contacts/{id}/edit", h.updateContact)
	r.Get("/contacts/{id}/delete", h.deleteContactPage)
	r.Post("/contacts/{id}/delete", h.deleteContact)
	r.Post("/contacts/{id}/notes", h.createNote)
	r.Get("/contacts/{id}/notes/{note}/edit", h.editNotePage)
	r.Post("/contacts/{id}/notes/{note}/edit", h.updateNote)
	r.Post("/contacts/{id}/notes/{note}/delete", h.deleteNote)
	r.Get("/contacts/{id}/relations/new", h.newRelationPage)
	r.Post("/contacts/{id}/relations", h.createRelation)
	r.Post("/contacts/{id}/relations/{rel}/remove", h.removeRelation)
	h.mountMe(r)
}

// emptyRows is how many blank rows a repeating group (phones, e-mails ...) offers.
const emptyRows = 2

// cardEdit is what the user may change on a contact's card: the card shows the matching
// links and forms (card.html).
type cardEdit struct {
	CanEdit bool            // edit and delete the contact (editors of its book)
	Relate  bool            // link organisations or people from this card
	Notes   map[string]bool // notes the user may change, by id (their own, or all for editors)
	Users   []model.User    // who a restricted note can name
	Groups  []model.Group
	Fields  []cardField // the contact's custom field values, in the book's order
}

// cardField is one custom field value on the card.
type cardField struct {
	Label string
	Type  model.FieldType
	Value any
}

// CedValue formats a custom field value in the page's language: numbers with the locale's
// separators, dates as the page writes them.
func (p page) CedValue(f cardField) string {
	switch v := f.Value.(type) {
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1e15 {
			return p.Num(int(v))
		}
		s := strconv.FormatFloat(v, 'f', -1, 64)
		if p.Lang == "cs" {
			s = strings.Replace(s, ".", ",", 1)
		}
		return s
	case string:
		if f.Type == model.FieldDate {
			return p.DateText(&v)
		}
		return v
	}
	return fmt.Sprint(f.Value)
}

// cardFields lists the custom values of c with their labels from book b (nil when the
// user sees c only through a project: the keys stand in for the labels).
func cardFields(c model.Contact, b *model.Book) []cardField {
	var out []cardField
	if b != nil {
		for _, d := range b.Fields {
			if v, ok := c.Custom[d.Key]; ok {
				out = append(out, cardField{Label: d.Label, Type: d.Type, Value: v})
			}
		}
		return out
	}
	for _, k := range slices.Sorted(maps.Keys(c.Custom)) {
		out = append(out, cardField{Label: k, Value: c.Custom[k]})
	}
	return out
}

// contactRole is the user's role on the book of c, "" when they see c only through a
// project (no book grant).
func (h *handler) contactRole(r *http.Request, c model.Contact) (model.Role, error) {
	b, err := h.store.GetBook(r.Context(), actor(r), c.BookID)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	return b.Role, err
}

// editableBooks are the books the user may add contacts to or import into (editor or
// manager).
func (h *handler) editableBooks(r *http.Request) ([]model.Book, error) {
	books, err := h.store.ListBooks(r.Context(), actor(r))
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(books, func(b model.Book) bool { return !b.Role.AtLeast(model.RoleEditor) }), nil
}

// bookNames maps the ids of the books the user sees to their names.
func (h *handler) bookNames(r *http.Request) (map[string]string, error) {
	books, err := h.store.ListBooks(r.Context(), actor(r))
	names := map[string]string{}
	for _, b := range books {
		names[b.ID] = b.Name
	}
	return names, err
}

// cardEditFor works out cardEdit for the card of c with notes.
func (h *handler) cardEditFor(r *http.Request, c model.Contact, notes []model.Note) (cardEdit, error) {
	var book *model.Book
	b, err := h.store.GetBook(r.Context(), actor(r), c.BookID)
	switch {
	case err == nil:
		book = &b
	case !errors.Is(err, store.ErrNotFound):
		return cardEdit{}, err
	}
	e := cardEdit{CanEdit: book != nil && book.Role.AtLeast(model.RoleEditor), Notes: map[string]bool{}, Fields: cardFields(c, book)}
	e.Relate = e.CanEdit
	if c.Kind == model.KindOrganisation && !e.Relate {
		// On an organisation's card anyone who edits some book may link one of its people.
		books, err := h.editableBooks(r)
		if err != nil {
			return e, err
		}
		e.Relate = len(books) > 0
	}
	me := currentUser(r).ID
	for _, n := range notes {
		e.Notes[n.ID] = e.CanEdit || n.CreatedBy != nil && *n.CreatedBy == me
	}
	if e.Users, e.Groups, err = h.audienceChoices(r); err != nil {
		return e, err
	}
	return e, nil
}

// audienceChoices are the enabled users and the groups a restricted note may name.
func (h *handler) audienceChoices(r *http.Request) ([]model.User, []model.Group, error) {
	users, err := h.store.ListUsers(r.Context())
	if err != nil {
		return nil, nil, err
	}
	users = slices.DeleteFunc(users, func(u model.User) bool { return u.Disabled })
	groups, err := h.store.ListGroups(r.Context())
	return users, groups, err
}

// contactMessages are this room's strings: contact editing, notes, relations (ced.) and
// the user's own settings (me.), in contacts_edit.go and me.go.
func contactMessages() catalogue {
	return catalogue{
		"en": {
			"ced.book":              "Address book",
			"ced.cancel":            "Cancel",
			"ced.conflict":          "Someone else saved this contact while you were editing it. Your changes were NOT saved.",
			"ced.conflict.again":    "The form below still holds your changes. Compare them with the current card; saving again replaces the other changes with yours.",
			"ced.conflict.open":     "Open the current card in a new tab",
			"ced.conflict.when":     "It was changed",
			"ced.continue":          "Continue",
			"ced.create":            "Create contact",
			"ced.delete":            "Delete contact",
			"ced.delete.explain":    "The contact is deleted with its phones, e-mails, addresses, relations, notes and activities. This cannot be undone; devices remove it at their next sync.",
			"ced.delete.submit":     "Delete for good",
			"ced.edit":              "Edit",
			"ced.noversion":         "The form is missing the contact's version. Reload the page and try again.",
			"ced.f.prefix":          "Title before name",
			"ced.f.given_name":      "Given name",
			"ced.f.additional_name": "Middle name",
			"ced.f.family_name":     "Family name",
			"ced.f.suffix":          "Title after name",
			"ced.f.company":         "Company",
			"ced.f.org_name":        "Organisation name",
			"ced.f.job_title":       "Job title",
			"ced.f.birthday":        "Birthday",
			"ced.f.type":            "Relationship to us",
			"ced.f.kind":            "Kind",
			"ced.f.book_id":         "Address book",
			"ced.f.phones":          "Phone",
			"ced.f.emails":          "E-mail",
			"ced.f.addresses":       "Address",
			"ced.f.street":          "Street and number",
			"ced.f.postal_code":     "Postcode",
			"ced.f.locality":        "City",
			"ced.f.region":          "Region",
			"ced.f.country":         "Country",
			"ced.f.websites":        "Website",
			"ced.f.network":         "Social network",
			"ced.f.socials":         "Profile (handle or URL)",
			"ced.f.tags":            "Categories",
			"ced.f.custom":          "Custom field",
			"ced.kind":              "Kind of contact",
			"ced.kind.person":       "Person",
			"ced.kind.organisation": "Organisation",
			"ced.label":             "Label",
			"ced.more":              "Categories and more",
			"ced.name":              "Name",
			"ced.organisation":      "Organisation",
			"ced.new":               "New contact",
			"ced.new.person":        "New person",
			"ced.new.organisation":  "New organisation",
			"ced.nobooks":           "You may not add contacts to any address book. Ask a manager of a book to make you its editor.",
			"ced.preferred":         "preferred",
			"ced.tags.hint":         "Separate categories with commas, e.g. supplier, Prague.",
			"ced.type.supplier":     "Supplier",
			"ced.type.partner":      "Partner",
			"ced.type.employee":     "Employee",
			"ced.type.member":       "Member",
			"ced.type.customer":     "Customer",
			"ced.type.other":        "Other",
			"ced.net.linkedin":      "LinkedIn",
			"ced.net.x":             "X (Twitter)",
			"ced.net.facebook":      "Facebook",
			"ced.net.instagram":     "Instagram",
			"ced.net.github":        "GitHub",
			"ced.net.mastodon":      "Mastodon",
			"ced.net.xing":          "XING",
			"ced.net.youtube":       "YouTube",
			"ced.net.tiktok":        "TikTok",
			"ced.net.other":         "Other (URL)",
			"ced.note.add":          "Add a note",
			"ced.note.edit":         "Edit note",
			"ced.note.audience":     "Who sees the note",
			"ced.note.body":         "Note",
			"ced.note.change":       "Edit",
			"ced.note.delete":       "Delete note",
			"ced.note.everyone":     "Everyone who sees this contact",
			"ced.note.restricted":   "Only me and the people and groups ticked below",
			"ced.note.groups":       "Groups",
			"ced.note.users":        "People",
			"ced.note.save":         "Save note",
			"ced.note.who":          "Choose people and groups",
			"ced.note.whohint":      "They see the note only while they can see this contact.",
			"ced.rel.addorg":        "Link an organisation",
			"ced.rel.addperson":     "Link a person",
			"ced.rel.findorg":       "Find the organisation",
			"ced.rel.findperson":    "Find the person",
			"ced.rel.link":          "Link",
			"ced.rel.remove":        "Remove link",
			"ced.rel.role":          "Role (optional)",
			"ced.rel.rolehint":      "For example managing director or buyer.",
			"me.title":              "My settings",
			"me.lang":               "Language",
			"me.lang.label":         "Language of the pages",
			"me.lang.bad":           "Choose Czech or English.",
			"me.pw":                 "Password",
			"me.pw.current":         "Current password",
			"me.pw.new":             "New password",
			"me.pw.repeat":          "New password again",
			"me.pw.hint":            "At least 10 characters. Your other sessions are signed out.",
			"me.pw.submit":          "Change password",
			"me.pw.wrong":           "The current password is wrong. Nothing was changed.",
			"me.pw.mismatch":        "The two new passwords differ. Nothing was changed.",
			"me.pw.weak":            "The new password must have at least 10 characters. Nothing was changed.",
			"me.devices":            "Phones and other devices (CardDAV)",
			"me.devices.hint":       "Each device gets its own password, so you can revoke one without touching the others. Your login password never works on a device.",
			"me.grants":             "Address books you may sync",
			"me.nogrants":           "You may not sync any address book yet; an administrator grants it. A device password works once you may.",
			"me.dev.name":           "Device name",
			"me.dev.example":        "e.g. my iPhone",
			"me.dev.create":         "Create device password",
			"me.dev.badname":        "Give the device a name of 1 to 100 characters.",
			"me.dev.created":        "Device password created",
			"me.dev.created.at":     "created",
			"me.dev.lastuse":        "last used",
			"me.dev.once":           "Copy the password now: it is shown only this once and cannot be shown again.",
			"me.dev.url":            "CardDAV server",
			"me.dev.user":           "User name",
			"me.dev.password":       "Password",
			"me.dev.howto":          "In the phone's settings add a CardDAV account with these three values (on iPhone: Settings → Contacts → Accounts → Add Account → Other → Add CardDAV Account).",
			"me.dev.done":           "Done, back to my settings",
			"me.done.language":      "The language was saved.",
			"me.done.password":      "The password was changed; your other sessions were signed out.",
			"me.done.revoked":       "The device was revoked; it can no longer sync.",
		},
		"cs": {
			"ced.book":              "Adresář",
			"ced.cancel":            "Zrušit",
			"ced.conflict":          "Někdo jiný mezitím tento kontakt uložil. Vaše změny NEBYLY uloženy.",
			"ced.conflict.again":    "Formulář níže stále obsahuje vaše změny. Porovnejte je s aktuální kartou; opětovné uložení nahradí cizí změny vašimi.",
			"ced.conflict.open":     "Otevřít aktuální kartu v nové záložce",
			"ced.conflict.when":     "Změněno",
			"ced.continue":          "Pokračovat",
			"ced.create":            "Vytvořit kontakt",
			"ced.delete":            "Smazat kontakt",
			"ced.delete.explain":    "Kontakt bude smazán i s telefony, e-maily, adresami, vazbami, poznámkami a aktivitami. Nelze to vrátit; zařízení jej odstraní při příští synchronizaci.",
			"ced.delete.submit":     "Smazat natrvalo",
			"ced.edit":              "Upravit",
			"ced.noversion":         "Ve formuláři chybí verze kontaktu. Načtěte stránku znovu a zkuste to znovu.",
			"ced.f.prefix":          "Titul před jménem",
			"ced.f.given_name":      "Jméno",
			"ced.f.additional_name": "Druhé jméno",
			"ced.f.family_name":     "Příjmení",
			"ced.f.suffix":          "Titul za jménem",
			"ced.f.company":         "Firma",
			"ced.f.org_name":        "Název organizace",
			"ced.f.job_title":       "Pracovní pozice",
			"ced.f.birthday":        "Narozeniny",
			"ced.f.type":            "Vztah k nám",
			"ced.f.kind":            "Druh",
			"ced.f.book_id":         "Adresář",
			"ced.f.phones":          "Telefon",
			"ced.f.emails":          "E-mail",
			"ced.f.addresses":       "Adresa",
			"ced.f.street":          "Ulice a číslo",
			"ced.f.postal_code":     "PSČ",
			"ced.f.locality":        "Obec",
			"ced.f.region":          "Kraj",
			"ced.f.country":         "Země",
			"ced.f.websites":        "Web",
			"ced.f.network":         "Sociální síť",
			"ced.f.socials":         "Profil (přezdívka nebo URL)",
			"ced.f.tags":            "Kategorie",
			"ced.f.custom":          "Vlastní pole",
			"ced.kind":              "Druh kontaktu",
			"ced.kind.person":       "Osoba",
			"ced.kind.organisation": "Organizace",
			"ced.label":             "Označení",
			"ced.more":              "Kategorie a další",
			"ced.name":              "Jméno",
			"ced.organisation":      "Organizace",
			"ced.new":               "Nový kontakt",
			"ced.new.person":        "Nová osoba",
			"ced.new.organisation":  "Nová organizace",
			"ced.nobooks":           "Nemůžete přidávat kontakty do žádného adresáře. Požádejte správce adresáře, aby vás jmenoval editorem.",
			"ced.preferred":         "preferovaný",
			"ced.tags.hint":         "Kategorie oddělte čárkami, např. dodavatel, Praha.",
			"ced.type.supplier":     "Dodavatel",
			"ced.type.partner":      "Partner",
			"ced.type.employee":     "Zaměstnanec",
			"ced.type.member":       "Člen",
			"ced.type.customer":     "Zákazník",
			"ced.type.other":        "Jiný",
			"ced.net.linkedin":      "LinkedIn",
			"ced.net.x":             "X (Twitter)",
			"ced.net.facebook":      "Facebook",
			"ced.net.instagram":     "Instagram",
			"ced.net.github":        "GitHub",
			"ced.net.mastodon":      "Mastodon",
			"ced.net.xing":          "XING",
			"ced.net.youtube":       "YouTube",
			"ced.net.tiktok":        "TikTok",
			"ced.net.other":         "Jiná (URL)",
			"ced.note.add":          "Přidat poznámku",
			"ced.note.edit":         "Upravit poznámku",
			"ced.note.audience":     "Kdo poznámku uvidí",
			"ced.note.body":         "Poznámka",
			"ced.note.change":       "Upravit",
			"ced.note.delete":       "Smazat poznámku",
			"ced.note.everyone":     "Každý, kdo vidí tento kontakt",
			"ced.note.restricted":   "Jen já a lidé a skupiny zaškrtnuté níže",
			"ced.note.groups":       "Skupiny",
			"ced.note.users":        "Lidé",
			"ced.note.save":         "Uložit poznámku",
			"ced.note.who":          "Vybrat lidi a skupiny",
			"ced.note.whohint":      "Poznámku uvidí, jen dokud vidí tento kontakt.",
			"ced.rel.addorg":        "Připojit organizaci",
			"ced.rel.addperson":     "Připojit osobu",
			"ced.rel.findorg":       "Najít organizaci",
			"ced.rel.findperson":    "Najít osobu",
			"ced.rel.link":          "Připojit",
			"ced.rel.remove":        "Odebrat vazbu",
			"ced.rel.role":          "Role (nepovinné)",
			"ced.rel.rolehint":      "Například jednatel nebo nákupčí.",
			"me.title":              "Moje nastavení",
			"me.lang":               "Jazyk",
			"me.lang.label":         "Jazyk stránek",
			"me.lang.bad":           "Vyberte češtinu nebo angličtinu.",
			"me.pw":                 "Heslo",
			"me.pw.current":         "Současné heslo",
			"me.pw.new":             "Nové heslo",
			"me.pw.repeat":          "Nové heslo znovu",
			"me.pw.hint":            "Alespoň 10 znaků. Vaše ostatní přihlášení budou ukončena.",
			"me.pw.submit":          "Změnit heslo",
			"me.pw.wrong":           "Současné heslo není správné. Nic se nezměnilo.",
			"me.pw.mismatch":        "Obě nová hesla se liší. Nic se nezměnilo.",
			"me.pw.weak":            "Nové heslo musí mít alespoň 10 znaků. Nic se nezměnilo.",
			"me.devices":            "Telefony a další zařízení (CardDAV)",
			"me.devices.hint":       "Každé zařízení má vlastní heslo, takže jedno můžete zrušit a ostatní zůstanou. Vaše přihlašovací heslo v zařízení nikdy nefunguje.",
			"me.grants":             "Adresáře, které smíte synchronizovat",
			"me.nogrants":           "Zatím nesmíte synchronizovat žádný adresář; oprávnění uděluje administrátor. Heslo zařízení začne fungovat, jakmile ho dostanete.",
			"me.dev.name":           "Název zařízení",
			"me.dev.example":        "např. můj iPhone",
			"me.dev.create":         "Vytvořit heslo zařízení",
			"me.dev.badname":        "Pojmenujte zařízení (1 až 100 znaků).",
			"me.dev.created":        "Heslo zařízení vytvořeno",
			"me.dev.created.at":     "vytvořeno",
			"me.dev.lastuse":        "naposledy použito",
			"me.dev.once":           "Heslo si zkopírujte hned: zobrazí se jen teď a znovu ho zobrazit nelze.",
			"me.dev.url":            "Server CardDAV",
			"me.dev.user":           "Uživatelské jméno",
			"me.dev.password":       "Heslo",
			"me.dev.howto":          "V nastavení telefonu přidejte účet CardDAV s těmito třemi údaji (na iPhonu: Nastavení → Kontakty → Účty → Přidat účet → Jiný → Přidat účet CardDAV).",
			"me.dev.done":           "Hotovo, zpět do nastavení",
			"me.done.language":      "Jazyk byl uložen.",
			"me.done.password":      "Heslo bylo změněno; ostatní přihlášení byla ukončena.",
			"me.done.revoked":       "Zařízení bylo zrušeno; už se nemůže synchronizovat.",
		},
	}
}

// ---- The contact form ----

// contactForm is what contact_form.html shows: the contact as entered, with blank rows to
// add phones, e-mails and the rest.
type contactForm struct {
	New       bool
	Contact   model.Contact
	Book      model.Book
	Tags      string
	Custom    map[string]string
	Phones    []model.Phone
	Emails    []model.Email
	Addresses []model.Address
	Websites  []model.Website
	Socials   []model.Social
	Error     string
	// Conflict is set when someone else saved the contact meanwhile.
	Conflict *model.Contact
}

// Types and Networks are the choices of the form's selects.
func (contactForm) Types() []model.ContactType      { return model.ContactTypes }
func (contactForm) Networks() []model.SocialNetwork { return model.SocialNetworks }

// Labels are the suggested labels of phones, e-mails and addresses.
func (contactForm) Labels() []string {
	return []string{"mobile", "work", "home", "main", "fax", "other"}
}

// Nth numbers rows from 1.
func (contactForm) Nth(i int) int { return i + 1 }

// PhonePref reports whether the i-th phone row is the preferred one.
func (f contactForm) PhonePref(i int) bool { return i < len(f.Phones) && f.Phones[i].Preferred }

// EmailPref reports whether the i-th e-mail row is the preferred one.
func (f contactForm) EmailPref(i int) bool { return i < len(f.Emails) && f.Emails[i].Preferred }

// AddrPref reports whether the i-th address row is the preferred one.
func (f contactForm) AddrPref(i int) bool { return i < len(f.Addresses) && f.Addresses[i].Preferred }

// formOf fills a contactForm from c, adding blank rows.
func formOf(c model.Contact, b model.Book) contactForm {
	f := contactForm{Contact: c, Book: b, Tags: strings.Join(c.Tags, ", "), Custom: map[string]string{}}
	for k, v := range c.Custom {
		switch v := v.(type) {
		case float64:
			f.Custom[k] = strconv.FormatFloat(v, 'f', -1, 64)
		case string:
			f.Custom[k] = v
		default:
			f.Custom[k] = fmt.Sprint(v)
		}
	}
	f.Phones = append(slices.Clone(c.Phones), make([]model.Phone, emptyRows)...)
	f.Emails = append(slices.Clone(c.Emails), make([]model.Email, emptyRows)...)
	f.Addresses = append(slices.Clone(c.Addresses), make([]model.Address, 1)...)
	f.Websites = append(slices.Clone(c.Websites), make([]model.Website, 1)...)
	f.Socials = append(slices.Clone(c.Socials), make([]model.Social, 1)...)
	return f
}

// formValues returns the i-th value of a repeated form field ("" past its end).
func formValues(r *http.Request, name string) func(i int) string {
	vs := r.PostForm[name]
	return func(i int) string {
		if i < len(vs) {
			return strings.TrimSpace(vs[i])
		}
		return ""
	}
}

// contactFromForm reads the posted form into a contact of kind in book b. Blank rows are
// left out; the store validates the rest (model.Contact.Normalize) exactly as for the API.
func contactFromForm(r *http.Request, kind model.ContactKind, b model.Book) model.Contact {
	v := func(name string) string { return strings.TrimSpace(r.PostFormValue(name)) }
	c := model.Contact{BookID: b.ID, Kind: kind, Type: model.ContactType(v("type")), OrgName: v("org_name"),
		JobTitle: v("job_title"), Custom: map[string]any{}}
	if kind == model.KindPerson {
		c.Prefix, c.GivenName, c.AdditionalName, c.FamilyName, c.Suffix =
			v("prefix"), v("given_name"), v("additional_name"), v("family_name"), v("suffix")
		if s := v("birthday"); s != "" {
			c.Birthday = &s
		}
	}
	pref := func(name string) int {
		n, err := strconv.Atoi(r.PostFormValue(name))
		if err != nil {
			return -1
		}
		return n
	}
	val, label := formValues(r, "phone"), formValues(r, "phone_label")
	for i, p := 0, pref("phone_pref"); i < len(r.PostForm["phone"]); i++ {
		if val(i) != "" {
			c.Phones = append(c.Phones, model.Phone{Value: val(i), Label: label(i), Preferred: i == p})
		}
	}
	val, label = formValues(r, "email"), formValues(r, "email_label")
	for i, p := 0, pref("email_pref"); i < len(r.PostForm["email"]); i++ {
		if val(i) != "" {
			c.Emails = append(c.Emails, model.Email{Value: val(i), Label: label(i), Preferred: i == p})
		}
	}
	street, postal, locality := formValues(r, "addr_street"), formValues(r, "addr_postal"), formValues(r, "addr_locality")
	region, country, alabel := formValues(r, "addr_region"), formValues(r, "addr_country"), formValues(r, "addr_label")
	for i, p := 0, pref("addr_pref"); i < len(r.PostForm["addr_street"]); i++ {
		a := model.Address{Label: alabel(i), Street: street(i), PostalCode: postal(i), Locality: locality(i),
			Region: region(i), Country: country(i), Preferred: i == p}
		if a.Street+a.PostalCode+a.Locality+a.Region+a.Country != "" {
			c.Addresses = append(c.Addresses, a)
		}
	}
	val, label = formValues(r, "web_url"), formValues(r, "web_label")
	for i := 0; i < len(r.PostForm["web_url"]); i++ {
		if val(i) != "" {
			c.Websites = append(c.Websites, model.Website{URL: val(i), Label: label(i)})
		}
	}
	network, handle := formValues(r, "social_network"), formValues(r, "social_handle")
	for i := 0; i < len(r.PostForm["social_handle"]); i++ {
		if handle(i) != "" {
			c.Socials = append(c.Socials, model.Social{Network: model.SocialNetwork(network(i)), Handle: handle(i)})
		}
	}
	for _, t := range strings.Split(r.PostFormValue("tags"), ",") {
		if t = strings.TrimSpace(t); t != "" {
			c.Tags = append(c.Tags, t)
		}
	}
	for _, d := range b.Fields {
		if s := v("custom_" + d.Key); s != "" {
			c.Custom[d.Key] = s
		}
	}
	return c
}

// fieldName is a validation error's field in the page's language: "phones[1].value"
// becomes "Phone 2".
func (p page) fieldName(field string) string {
	name, rest, _ := strings.Cut(field, "[")
	name, _, _ = strings.Cut(name, ".")
	if key, ok := strings.CutPrefix(field, "custom."); ok {
		return key
	}
	label := p.T("ced.f." + name)
	if label == "ced.f."+name {
		return field
	}
	if n, _, ok := strings.Cut(rest, "]"); ok && rest != "" {
		if i, err := strconv.Atoi(n); err == nil {
			return fmt.Sprintf("%s %d", label, i+1)
		}
	}
	return label
}

// contactFailure is the reason shown for a refused contact form, or false for an error
// that is not the form's fault.
func (h *handler) contactFailure(r *http.Request, err error) (int, string, bool) {
	p := h.newPage(r, "app", nil)
	var fe *model.FieldError
	if errors.As(err, &fe) {
		return http.StatusBadRequest, p.T("work.invalid") + " " + p.fieldName(fe.Field) + ": " + fe.Msg, true
	}
	return h.formFailure(r, err)
}

func (h *handler) showContactForm(w http.ResponseWriter, r *http.Request, status int, f contactForm) {
	key := "ced.edit"
	if f.New {
		key = "ced.new." + string(f.Contact.Kind)
	}
	p := h.newPage(r, key, f)
	if !f.New {
		p.Title = p.T("ced.edit") + ": " + f.Contact.DisplayName
	}
	h.render(w, r, status, "contact_form.html", p)
}

// ---- New contact ----

type newChoice struct {
	Books []model.Book
	Kind  string
	Book  string
}

// newContactTarget reads ?book= and ?kind=: the book (one the user edits) and the kind of
// the new contact, or false when the user must still choose.
func (h *handler) newContactTarget(r *http.Request, book, kind string) (model.Book, []model.Book, bool, error) {
	books, err := h.editableBooks(r)
	if err != nil {
		return model.Book{}, nil, false, err
	}
	if book == "" && len(books) == 1 {
		book = books[0].ID
	}
	i := slices.IndexFunc(books, func(b model.Book) bool { return b.ID == book })
	if i < 0 || !model.ContactKind(kind).Valid() {
		return model.Book{}, books, false, nil
	}
	return books[i], books, true, nil
}

// newContactPage asks for the book and kind, then shows the empty form.
func (h *handler) newContactPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	b, books, ok, err := h.newContactTarget(r, q.Get("book"), q.Get("kind"))
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if !ok {
		kind := q.Get("kind")
		if !model.ContactKind(kind).Valid() {
			kind = string(model.KindPerson)
		}
		h.render(w, r, http.StatusOK, "contact_new.html", h.newPage(r, "ced.new", newChoice{Books: books, Kind: kind, Book: q.Get("book")}))
		return
	}
	f := formOf(model.Contact{BookID: b.ID, Kind: model.ContactKind(q.Get("kind")), Type: model.TypeOther}, b)
	f.New = true
	h.showContactForm(w, r, http.StatusOK, f)
}

// createContact stores the new contact and shows its card.
func (h *handler) createContact(w http.ResponseWriter, r *http.Request) {
	if !h.checkForm(w, r) {
		return
	}
	b, _, ok, err := h.newContactTarget(r, r.PostFormValue("book_id"), r.PostFormValue("kind"))
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if !ok {
		h.notFound(w, r)
		return
	}
	in := contactFromForm(r, model.ContactKind(r.PostFormValue("kind")), b)
	c, err := h.store.CreateContact(r.Context(), actor(r), in)
	if err != nil {
		if status, msg, ok := h.contactFailure(r, err); ok {
			f := formOf(in, b)
			f.New, f.Error = true, msg
			h.showContactForm(w, r, status, f)
			return
		}
		h.storeError(w, r, err)
		return
	}
	http.Redirect(w, r, "/contacts/"+c.ID, http.StatusSeeOther)
}

// ---- Edit and delete ----

// editableContact is the {id} contact with its book, when the user edits that book; else
// it answers 404 (a contact they do not see, or see without the right to change it, as
// the web pages never answer 403) and returns false.
func (h *handler) editableContact(w http.ResponseWriter, r *http.Request) (model.Contact, model.Book, bool) {
	id, ok := h.pathID(w, r)
	if !ok {
		return model.Contact{}, model.Book{}, false
	}
	c, err := h.store.GetContact(r.Context(), actor(r), id)
	if err != nil {
		h.storeError(w, r, err)
		return c, model.Book{}, false
	}
	b, err := h.store.GetBook(r.Context(), actor(r), c.BookID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		h.serverError(w, r, err)
		return c, b, false
	}
	if err != nil || !b.Role.AtLeast(model.RoleEditor) {
		h.notFound(w, r)
		return c, b, false
	}
	return c, b, true
}

func (h *handler) editContactPage(w http.ResponseWriter, r *http.Request) {
	c, b, ok := h.editableContact(w, r)
	if !ok {
		return
	}
	h.showContactForm(w, r, http.StatusOK, formOf(c, b))
}

// updateContact saves the form if the contact is still at the version the form was made
// from; otherwise it answers 409 with the form as entered, saving nothing.
func (h *handler) updateContact(w http.ResponseWriter, r *http.Request) {
	c, b, ok := h.editableContact(w, r)
	if !ok || !h.checkForm(w, r) {
		return
	}
	version, err := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	in := contactFromForm(r, c.Kind, b)
	in.ID, in.Version, in.DisplayName = c.ID, version, c.DisplayName
	again := func(status int, msg string, conflict *model.Contact) {
		f := formOf(in, b)
		f.Error, f.Conflict = msg, conflict
		if conflict != nil {
			f.Contact.Version = conflict.Version
		}
		h.showContactForm(w, r, status, f)
	}
	if err != nil || version < 1 {
		again(http.StatusBadRequest, h.newPage(r, "app", nil).T("ced.noversion"), nil)
		return
	}
	p := model.ContactPatch{Type: &in.Type, Prefix: &in.Prefix, GivenName: &in.GivenName,
		AdditionalName: &in.AdditionalName, FamilyName: &in.FamilyName, Suffix: &in.Suffix, OrgName: &in.OrgName,
		JobTitle: &in.JobTitle, Birthday: model.Optional[string]{Set: true, Value: in.Birthday}, Tags: &in.Tags,
		Custom: &in.Custom, Emails: &in.Emails, Phones: &in.Phones, Addresses: &in.Addresses,
		Websites: &in.Websites, Socials: &in.Socials}
	_, err = h.store.UpdateContact(r.Context(), actor(r), c.ID, p, version)
	var ce *store.ConflictError
	if errors.As(err, &ce) && ce.Field == "version" {
		now, gerr := h.store.GetContact(r.Context(), actor(r), c.ID)
		if gerr != nil {
			h.storeError(w, r, gerr)
			return
		}
		again(http.StatusConflict, h.newPage(r, "app", nil).T("ced.conflict"), &now)
		return
	}
	if err != nil {
		if status, msg, ok := h.contactFailure(r, err); ok {
			again(status, msg, nil)
			return
		}
		h.storeError(w, r, err)
		return
	}
	http.Redirect(w, r, "/contacts/"+c.ID, http.StatusSeeOther)
}

func (h *handler) deleteContactPage(w http.ResponseWriter, r *http.Request) {
	c, _, ok := h.editableContact(w, r)
	if !ok {
		return
	}
	p := h.newPage(r, "ced.delete", c)
	p.Title = p.T("ced.delete") + ": " + c.DisplayName
	h.render(w, r, http.StatusOK, "contact_delete.html", p)
}

// deleteContact removes the contact with its points, relations and attached items (the
// API's rule: editors of its book may).
func (h *handler) deleteContact(w http.ResponseWriter, r *http.Request) {
	c, _, ok := h.editableContact(w, r)
	if !ok || !h.checkForm(w, r) {
		return
	}
	if err := h.store.DeleteContact(r.Context(), actor(r), c.ID); err != nil {
		h.storeError(w, r, err)
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// ---- Notes ----

// noteInput reads the note form: the body, and an audience restricted to the ticked users
// and groups when "restricted" is chosen.
func noteInput(r *http.Request) model.Note {
	n := model.Note{Body: r.PostFormValue("body"), Audience: model.AudienceKind(r.PostFormValue("audience"))}
	if n.Audience == model.AudienceRestricted {
		n.Users, n.Groups = r.PostForm["users"], r.PostForm["groups"]
	}
	return n
}

type noteForm struct {
	Contact model.Contact
	Note    model.Note
	Users   []model.User
	Groups  []model.Group
	Error   string
}

// Named reports whether the note names the user or group id.
func (f noteForm) Named(id string) bool {
	return slices.Contains(f.Note.Users, id) || slices.Contains(f.Note.Groups, id)
}

func (h *handler) showNoteForm(w http.ResponseWriter, r *http.Request, status int, f noteForm) {
	var err error
	if f.Users, f.Groups, err = h.audienceChoices(r); err != nil {
		h.serverError(w, r, err)
		return
	}
	key := "ced.note.edit"
	if f.Note.ID == "" {
		key = "ced.note.add"
	}
	p := h.newPage(r, key, f)
	p.Title = p.T(key) + ": " + f.Contact.DisplayName
	h.render(w, r, status, "contact_note.html", p)
}

// createNote attaches a note to a contact the user sees (any reader may, as in the API).
func (h *handler) createNote(w http.ResponseWriter, r *http.Request) {
	id, ok := h.pathID(w, r)
	if !ok || !h.checkForm(w, r) {
		return
	}
	in := noteInput(r)
	in.ContactID = id
	n, err := h.store.CreateNote(r.Context(), actor(r), in)
	if err != nil {
		h.failForm(w, r, err, func(status int, msg string) {
			c, cerr := h.store.GetContact(r.Context(), actor(r), id)
			if cerr != nil {
				h.storeError(w, r, cerr)
				return
			}
			h.showNoteForm(w, r, status, noteForm{Contact: c, Note: in, Error: msg})
		})
		return
	}
	http.Redirect(w, r, "/contacts/"+id+"#note-"+n.ID, http.StatusSeeOther)
}

// changeableNote is the {note} on the {id} contact when the user may change it (its
// author, or an editor of the book who sees it); else 404.
func (h *handler) changeableNote(w http.ResponseWriter, r *http.Request) (model.Contact, model.Note, bool) {
	id, ok := h.pathID(w, r)
	if !ok {
		return model.Contact{}, model.Note{}, false
	}
	n, err := h.store.GetNote(r.Context(), actor(r), chi.URLParam(r, "note"))
	if err == nil && n.ContactID != id {
		err = store.ErrNotFound
	}
	if err != nil {
		h.storeError(w, r, err)
		return model.Contact{}, n, false
	}
	c, err := h.store.GetContact(r.Context(), actor(r), id)
	if err != nil {
		h.storeError(w, r, err)
		return c, n, false
	}
	if n.CreatedBy == nil || *n.CreatedBy != currentUser(r).ID {
		role, err := h.contactRole(r, c)
		if err != nil {
			h.serverError(w, r, err)
			return c, n, false
		}
		if !role.AtLeast(model.RoleEditor) {
			h.notFound(w, r)
			return c, n, false
		}
	}
	return c, n, true
}

func (h *handler) editNotePage(w http.ResponseWriter, r *http.Request) {
	c, n, ok := h.changeableNote(w, r)
	if ok {
		h.showNoteForm(w, r, http.StatusOK, noteForm{Contact: c, Note: n})
	}
}

func (h *handler) updateNote(w http.ResponseWriter, r *http.Request) {
	c, n, ok := h.changeableNote(w, r)
	if !ok || !h.checkForm(w, r) {
		return
	}
	in := noteInput(r)
	users, groups := in.Users, in.Groups
	if users == nil {
		users = []string{}
	}
	if groups == nil {
		groups = []string{}
	}
	_, err := h.store.UpdateNote(r.Context(), actor(r), n.ID, store.NotePatch{Body: &in.Body, Audience: &in.Audience, Users: &users, Groups: &groups})
	if err != nil {
		in.ID = n.ID
		h.failForm(w, r, err, func(status int, msg string) {
			h.showNoteForm(w, r, status, noteForm{Contact: c, Note: in, Error: msg})
		})
		return
	}
	http.Redirect(w, r, "/contacts/"+c.ID+"#note-"+n.ID, http.StatusSeeOther)
}

func (h *handler) deleteNote(w http.ResponseWriter, r *http.Request) {
	c, n, ok := h.changeableNote(w, r)
	if !ok || !h.checkForm(w, r) {
		return
	}
	if err := h.store.DeleteNote(r.Context(), actor(r), n.ID); err != nil {
		h.storeError(w, r, err)
		return
	}
	http.Redirect(w, r, "/contacts/"+c.ID+"#h-notes", http.StatusSeeOther)
}

// ---- Relations ----

type relationForm struct {
	Contact    model.Contact
	Query      string
	Searched   bool
	Candidates []model.Contact
	Role       string
	Error      string
}

// relationCandidates are the contacts of the other kind that match q and that the user
// may link: organisations they see for a person whose book they edit, and persons in books
// they edit for an organisation (the store's rule: editors of the person's book).
func (h *handler) relationCandidates(r *http.Request, c model.Contact, q string) ([]model.Contact, error) {
	other := model.KindOrganisation
	if c.Kind == model.KindOrganisation {
		other = model.KindPerson
	}
	pg, err := h.store.ListContacts(r.Context(), actor(r), store.ContactFilter{Query: q, Kind: string(other), Limit: pageSize})
	if err != nil {
		return nil, err
	}
	if other == model.KindOrganisation {
		return pg.Contacts, nil
	}
	books, err := h.editableBooks(r)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(pg.Contacts, func(p model.Contact) bool {
		return !slices.ContainsFunc(books, func(b model.Book) bool { return b.ID == p.BookID })
	}), nil
}

func (h *handler) showRelationForm(w http.ResponseWriter, r *http.Request, status int, f relationForm) {
	if f.Query != "" {
		var err error
		if f.Candidates, err = h.relationCandidates(r, f.Contact, f.Query); err != nil {
			h.failForm(w, r, err, func(status int, msg string) {
				f.Error = msg
				h.renderRelationForm(w, r, status, f)
			})
			return
		}
	}
	h.renderRelationForm(w, r, status, f)
}

func (h *handler) renderRelationForm(w http.ResponseWriter, r *http.Request, status int, f relationForm) {
	key := "ced.rel.addorg"
	if f.Contact.Kind == model.KindOrganisation {
		key = "ced.rel.addperson"
	}
	p := h.newPage(r, key, f)
	p.Title = p.T(key) + ": " + f.Contact.DisplayName
	h.render(w, r, status, "contact_relation.html", p)
}

// newRelationPage searches the other side of a new relation (?q=) and offers each match.
func (h *handler) newRelationPage(w http.ResponseWriter, r *http.Request) {
	id, ok := h.pathID(w, r)
	if !ok {
		return
	}
	c, err := h.store.GetContact(r.Context(), actor(r), id)
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if rs := []rune(q); len(rs) > store.MaxQueryLen {
		q = string(rs[:store.MaxQueryLen])
	}
	h.showRelationForm(w, r, http.StatusOK, relationForm{Contact: c, Query: q, Searched: q != "", Role: r.URL.Query().Get("role")})
}

// createRelation links the {id} contact and the form's other contact with a role.
func (h *handler) createRelation(w http.ResponseWriter, r *http.Request) {
	id, ok := h.pathID(w, r)
	if !ok || !h.checkForm(w, r) {
		return
	}
	c, err := h.store.GetContact(r.Context(), actor(r), id)
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	other := r.PostFormValue("other")
	if !store.ValidID(other) {
		h.notFound(w, r)
		return
	}
	rel := model.Relation{PersonID: id, OrganisationID: other, Role: r.PostFormValue("role")}
	if c.Kind == model.KindOrganisation {
		rel.PersonID, rel.OrganisationID = other, id
	}
	if _, err := h.store.AddRelation(r.Context(), actor(r), rel); err != nil {
		if errors.Is(err, store.ErrForbidden) {
			err = store.ErrNotFound // a person whose book the user does not edit
		}
		h.failForm(w, r, err, func(status int, msg string) {
			h.showRelationForm(w, r, status, relationForm{Contact: c, Query: r.PostFormValue("q"), Searched: true,
				Role: rel.Role, Error: msg})
		})
		return
	}
	http.Redirect(w, r, "/contacts/"+id+"#h-rel", http.StatusSeeOther)
}

// removeRelation deletes a relation shown on the {id} contact's card (editors of the
// person's book may).
func (h *handler) removeRelation(w http.ResponseWriter, r *http.Request) {
	id, ok := h.pathID(w, r)
	if !ok || !h.checkForm(w, r) {
		return
	}
	c, err := h.store.GetContact(r.Context(), actor(r), id)
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	rel := chi.URLParam(r, "rel")
	if !slices.ContainsFunc(c.Relations, func(x model.Relation) bool { return x.ID == rel }) {
		h.notFound(w, r)
		return
	}
	if err := h.store.DeleteRelation(r.Context(), actor(r), rel); err != nil {
		h.storeError(w, r, err)
		return
	}
	http.Redirect(w, r, "/contacts/"+id+"#h-rel", http.StatusSeeOther)
}
