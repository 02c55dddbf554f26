package web

// Defining campaigns (issue #8, work screens): a new campaign and the edit of a draft, with
// the target filter the store's campaigns support (books, tags, contact types,
// organisations, a consent purpose), the task each target gets and for which reps, and
// invitations to an event. "Preview" shows how many contacts the filter reaches now, and
// the first of them by name, before anything is saved (store.PreviewCampaignFilter: the
// owner's targeting, as at launch). Only who may manage the campaign gets the form (its
// owner and admins; for a new one, book managers); everyone else gets 404. Launching and
// progress are on the campaign's page (work.go). Imports and exports (imports.go,
// exports.go) share this room's catalogue and the filter fieldsets.

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// previewNames is how many targets a campaign preview names.
const previewNames = 10

// mountCampaigns routes this room's pages: campaigns, imports and exports.
func (h *handler) mountCampaigns(r chi.Router) {
	r.Get("/campaigns/new", h.newCampaignForm)
	r.Post("/campaigns/new", h.saveNewCampaign)
	r.Get("/campaigns/{id}/edit", h.editCampaignForm)
	r.Post("/campaigns/{id}/edit", h.saveCampaign)
	h.mountImports(r)
	h.mountExports(r)
}

// filterForm is a target filter as the forms carry it (campaigns and exports).
type filterForm struct {
	BookIDs, Tags, Types, OrganisationIDs []string
}

// Has reports whether list holds v (a checkbox or option is selected).
func (filterForm) Has(list []string, v string) bool { return slices.Contains(list, v) }

// filterOptions are what a filter's fieldsets offer: what the user sees.
type filterOptions struct {
	Books         []model.Book
	Tags          []string
	Types         []model.ContactType
	Organisations []model.Contact
}

// readFilter reads the filter's fields from a parsed form (trimmed, empty values and
// duplicates dropped).
func readFilter(r *http.Request) filterForm {
	clean := func(vs []string) []string {
		out := []string{}
		for _, v := range vs {
			if v = strings.TrimSpace(v); v != "" && !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
		return out
	}
	tags := clean(r.PostForm["tags"])
	// Tags may also come typed, separated by commas.
	for _, t := range strings.Split(r.PostFormValue("tags_text"), ",") {
		if t = strings.TrimSpace(t); t != "" && !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	return filterForm{BookIDs: clean(r.PostForm["book_ids"]), Tags: tags, Types: clean(r.PostForm["types"]),
		OrganisationIDs: clean(r.PostForm["organisation_ids"])}
}

// maxOrganisations bounds the organisations a filter form lists.
const maxOrganisations = 500

// filterChoices loads what the user may pick from; selected tags and organisations stay
// listed even when the user no longer sees a contact carrying them.
func (h *handler) filterChoices(r *http.Request, f filterForm) (filterOptions, error) {
	o := filterOptions{Types: model.ContactTypes}
	var err error
	if o.Books, err = h.store.ListBooks(r.Context(), actor(r)); err != nil {
		return o, err
	}
	tags, err := h.store.ListTags(r.Context(), actor(r))
	if err != nil {
		return o, err
	}
	for _, t := range tags {
		o.Tags = append(o.Tags, t.Tag)
	}
	for _, t := range f.Tags {
		if !slices.Contains(o.Tags, t) {
			o.Tags = append(o.Tags, t)
		}
	}
	cursor := ""
	for len(o.Organisations) < maxOrganisations {
		pg, err := h.store.ListContacts(r.Context(), actor(r), store.ContactFilter{Kind: string(model.KindOrganisation), Cursor: cursor, Limit: 500})
		if err != nil {
			return o, err
		}
		o.Organisations = append(o.Organisations, pg.Contacts...)
		if cursor = pg.NextCursor; cursor == "" {
			break
		}
	}
	return o, nil
}

// campaignForm is the campaign form's fields as entered.
type campaignForm struct {
	ID                 string // "" for a new campaign
	Name               string
	TaskType           string
	TaskTitle          string
	TaskDueOn          string
	AssignMode         string
	RepIDs             []string
	PurposeID          string
	EventID            string
	SendInvitations    bool
	InvitationLanguage string
	Filter             filterForm
}

// Has reports whether list holds v.
func (campaignForm) Has(list []string, v string) bool { return slices.Contains(list, v) }

type campaignFormData struct {
	Form        campaignForm
	Options     filterOptions
	Purposes    []model.Purpose
	Events      []model.Event
	Users       []model.User
	TaskTypes   []string
	AssignModes []string
	Preview     *store.CampaignFilterPreview
	Error       string
}

// campaignFormOf is the form of a stored campaign.
func campaignFormOf(c model.Campaign) campaignForm {
	f := campaignForm{ID: c.ID, Name: c.Name, TaskType: c.TaskType, TaskTitle: c.TaskTitle, AssignMode: c.AssignMode,
		RepIDs: c.RepIDs, SendInvitations: c.SendInvitations, InvitationLanguage: c.InvitationLanguage,
		Filter: filterForm{BookIDs: c.Filter.BookIDs, Tags: c.Filter.Tags, Types: c.Filter.Types, OrganisationIDs: c.Filter.OrganisationIDs}}
	if c.TaskDueOn != nil {
		f.TaskDueOn = *c.TaskDueOn
	}
	if c.PurposeID != nil {
		f.PurposeID = *c.PurposeID
	}
	if c.EventID != nil {
		f.EventID = *c.EventID
	}
	return f
}

// readCampaignForm reads the posted form.
func readCampaignForm(r *http.Request, id string) campaignForm {
	f := campaignForm{ID: id, Name: r.PostFormValue("name"), TaskType: r.PostFormValue("task_type"),
		TaskTitle: r.PostFormValue("task_title"), TaskDueOn: strings.TrimSpace(r.PostFormValue("task_due_on")),
		AssignMode: r.PostFormValue("assign_mode"), PurposeID: r.PostFormValue("purpose_id"), EventID: r.PostFormValue("event_id"),
		SendInvitations: r.PostFormValue("send_invitations") != "", InvitationLanguage: r.PostFormValue("invitation_language"),
		Filter: readFilter(r), RepIDs: []string{}}
	for _, v := range r.PostForm["rep_ids"] {
		if v != "" && !slices.Contains(f.RepIDs, v) {
			f.RepIDs = append(f.RepIDs, v)
		}
	}
	return f
}

// modelFilter is the form's filter as the store takes it.
func (f filterForm) modelFilter() model.CampaignFilter {
	return model.CampaignFilter{BookIDs: f.BookIDs, Tags: f.Tags, Types: f.Types, OrganisationIDs: f.OrganisationIDs}.Normalised()
}

// input is the form as a store.CampaignInput (every field set: PUT semantics).
func (f campaignForm) input() store.CampaignInput {
	filter := f.Filter.modelFilter()
	reps := slices.Clone(f.RepIDs)
	return store.CampaignInput{Name: &f.Name, Filter: &filter, PurposeID: &f.PurposeID, EventID: &f.EventID,
		SendInvitations: &f.SendInvitations, InvitationLanguage: &f.InvitationLanguage, TaskType: &f.TaskType,
		TaskTitle: &f.TaskTitle, TaskDueOn: &f.TaskDueOn, AssignMode: &f.AssignMode, RepIDs: &reps}
}

// mayCreateCampaign reports whether the user may create a campaign: the store lets book
// managers (admins manage every book).
func (h *handler) mayCreateCampaign(r *http.Request) (bool, error) {
	books, err := h.store.ListBooks(r.Context(), actor(r))
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(books, func(b model.Book) bool { return b.Role.AtLeast(model.RoleManager) }), nil
}

// manageableCampaign is the {id} draft-or-not campaign the user may manage, or false after
// answering 404 (unknown, unseen, or only readable: a rep).
func (h *handler) manageableCampaign(w http.ResponseWriter, r *http.Request) (model.Campaign, bool) {
	id, ok := h.pathID(w, r)
	if !ok {
		return model.Campaign{}, false
	}
	c, err := h.store.GetCampaign(r.Context(), actor(r), id)
	if err != nil {
		h.storeError(w, r, err)
		return c, false
	}
	u := currentUser(r)
	if !u.IsAdmin && (c.OwnerID == nil || *c.OwnerID != u.ID) {
		h.notFound(w, r)
		return c, false
	}
	return c, true
}

// showCampaignForm renders the form with its choices.
func (h *handler) showCampaignForm(w http.ResponseWriter, r *http.Request, status int, d campaignFormData) {
	var err error
	if d.Options, err = h.filterChoices(r, d.Form.Filter); err == nil {
		if d.Purposes, err = h.store.ListPurposes(r.Context()); err == nil {
			if d.Events, err = h.store.ListEvents(r.Context(), actor(r)); err == nil {
				d.Users, err = h.store.ListUsers(r.Context())
			}
		}
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	d.Users = slices.DeleteFunc(d.Users, func(u model.User) bool { return u.Disabled && !slices.Contains(d.Form.RepIDs, u.ID) })
	d.TaskTypes = []string{"call", "meeting", "email", "visit", "todo"}
	d.AssignModes = []string{model.AssignRoundRobin, model.AssignBookOwner}
	key := "cmp.new"
	if d.Form.ID != "" {
		key = "cmp.edit"
	}
	p := h.newPage(r, key, d)
	if d.Form.ID != "" {
		p.Title = p.T(key) + ": " + d.Form.Name
	}
	h.render(w, r, status, "cmp_form.html", p)
}

func (h *handler) newCampaignForm(w http.ResponseWriter, r *http.Request) {
	ok, err := h.mayCreateCampaign(r)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if !ok {
		h.notFound(w, r)
		return
	}
	h.showCampaignForm(w, r, http.StatusOK, campaignFormData{Form: campaignForm{TaskType: "call", AssignMode: model.AssignRoundRobin,
		InvitationLanguage: requestLocale(r, currentUser(r).Locale), RepIDs: []string{currentUser(r).ID}}})
}

func (h *handler) editCampaignForm(w http.ResponseWriter, r *http.Request) {
	c, ok := h.manageableCampaign(w, r)
	if !ok {
		return
	}
	if c.Status != model.CampaignDraft {
		// Launched campaigns follow what they were launched with.
		http.Redirect(w, r, "/campaigns/"+c.ID, http.StatusSeeOther)
		return
	}
	h.showCampaignForm(w, r, http.StatusOK, campaignFormData{Form: campaignFormOf(c)})
}

// saveNewCampaign previews (action=preview) or creates the campaign.
func (h *handler) saveNewCampaign(w http.ResponseWriter, r *http.Request) {
	if !h.checkForm(w, r) {
		return
	}
	ok, err := h.mayCreateCampaign(r)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if !ok {
		h.notFound(w, r)
		return
	}
	h.campaignPost(w, r, readCampaignForm(r, ""))
}

// saveCampaign previews (action=preview) or saves a draft.
func (h *handler) saveCampaign(w http.ResponseWriter, r *http.Request) {
	c, ok := h.manageableCampaign(w, r)
	if !ok || !h.checkForm(w, r) {
		return
	}
	h.campaignPost(w, r, readCampaignForm(r, c.ID))
}

// campaignPost runs the form's action: a preview changes nothing and shows the form again
// with the count and the first names; a save creates or updates and redirects to the
// campaign's page, where it is launched.
func (h *handler) campaignPost(w http.ResponseWriter, r *http.Request, f campaignForm) {
	again := func(status int, msg string) {
		h.showCampaignForm(w, r, status, campaignFormData{Form: f, Error: msg})
	}
	if r.PostFormValue("action") == "preview" {
		pv, err := h.store.PreviewCampaignFilter(r.Context(), actor(r), f.ID, f.Filter.modelFilter(), f.PurposeID, previewNames)
		if err != nil {
			h.failForm(w, r, err, again)
			return
		}
		h.showCampaignForm(w, r, http.StatusOK, campaignFormData{Form: f, Preview: &pv})
		return
	}
	var c model.Campaign
	var err error
	if f.ID == "" {
		c, err = h.store.CreateCampaign(r.Context(), actor(r), f.input())
	} else {
		c, err = h.store.UpdateCampaign(r.Context(), actor(r), f.ID, f.input())
	}
	if err != nil {
		if errors.Is(err, store.ErrForbidden) {
			h.notFound(w, r)
			return
		}
		h.failForm(w, r, err, again)
		return
	}
	http.Redirect(w, r, "/campaigns/"+c.ID, http.StatusSeeOther)
}

// campaignMessages are this room's strings: Defining campaigns, imports and exports (campaigns_edit.go, imports.go, exports.go).
func campaignMessages() catalogue {
	return catalogue{
		"en": {
			// campaigns
			"cmp.new":                "New campaign",
			"cmp.edit":               "Edit campaign",
			"cmp.name":               "Name",
			"cmp.targets":            "Whom it targets",
			"cmp.f.books":            "Address books",
			"cmp.f.anyhint":          "Nothing ticked in a group means any. Only contacts you may see count.",
			"cmp.f.nobooks":          "You see no address books.",
			"cmp.f.tags":             "Tags (any of them)",
			"cmp.f.tagstext":         "Other tags, separated by commas",
			"cmp.f.types":            "Contact types",
			"cmp.f.orgs":             "Organisations",
			"cmp.f.orgshint":         "The organisations themselves and the people related to them now. Hold Ctrl (or ⌘) to pick several.",
			"cmp.type.supplier":      "supplier",
			"cmp.type.partner":       "partner",
			"cmp.type.employee":      "employee",
			"cmp.type.member":        "member",
			"cmp.type.customer":      "customer",
			"cmp.type.other":         "other",
			"cmp.purpose":            "Consent purpose",
			"cmp.nopurpose":          "none (no consent needed)",
			"cmp.purposehint":        "With a purpose, only contacts holding an active consent for it are targeted.",
			"cmp.preview":            "Preview",
			"cmp.preview.title":      "Preview",
			"cmp.preview.first":      "The first contacts it targets",
			"cmp.preview.more":       "… and more.",
			"cmp.preview.unsaved":    "Nothing has been saved yet.",
			"cmp.task":               "Task for the reps",
			"cmp.tasktype":           "Task type",
			"cmp.tasktitle":          "Task title",
			"cmp.taskdue":            "Due on",
			"cmp.assign":             "Who gets each task",
			"cmp.assign.round_robin": "the reps in turn",
			"cmp.assign.book_owner":  "the manager of the contact's book",
			"cmp.reps":               "Reps",
			"cmp.invitations":        "Invitations",
			"cmp.event":              "Event",
			"cmp.noevent":            "no event",
			"cmp.invite":             "Invitations by e-mail",
			"cmp.invitehint":         "Mail each target an invitation to the event (needs a purpose and an event)",
			"cmp.invitelang":         "Language of the invitation",
			"cmp.create":             "Save the draft",
			"cmp.save":               "Save changes",
			"cmp.savehint":           "A saved draft is launched from its page.",
			// imports
			"imp.title":             "Import contacts",
			"imp.book":              "Into the address book",
			"imp.nobooks":           "You edit no address book, so you cannot import.",
			"imp.file":              "File (vCard or CSV)",
			"imp.filehint":          "vCard from a phone, Outlook or Google; CSV from Excel (UTF-8 or Windows-1250). At most",
			"imp.charset":           "Characters (CSV)",
			"imp.charset.auto":      "detect",
			"imp.onmatch":           "A row that matches a contact in the book",
			"imp.onmatch.merge":     "fills in what the contact lacks",
			"imp.onmatch.skip":      "is skipped",
			"imp.onmatch.create":    "becomes a new contact anyway",
			"imp.bad":               "Bad rows",
			"imp.allornothing":      "import nothing if any row is bad",
			"imp.check":             "Check the file",
			"imp.checkhint":         "Checking imports nothing: you see what would happen first.",
			"imp.recent":            "My recent imports",
			"imp.norecent":          "No imports yet.",
			"imp.created":           "new",
			"imp.merged":            "updated",
			"imp.preview":           "What the import would do",
			"imp.new":               "New contacts",
			"imp.updated":           "Updated contacts",
			"imp.skipped":           "Skipped",
			"imp.errors":            "Errors",
			"imp.dryhint":           "Nothing has been imported yet.",
			"imp.line":              "Line",
			"imp.action.create":     "new",
			"imp.action.merge":      "update",
			"imp.action.skip":       "skip",
			"imp.action.error":      "error",
			"imp.matches":           "matches",
			"imp.matchedby":         "matches an existing contact by",
			"imp.by.email":          "e-mail",
			"imp.by.phone":          "phone",
			"imp.by.name":           "name",
			"imp.reason.nothingnew": "already in the book; nothing new",
			"imp.reason.earlierrow": "merged into the contact created from an earlier row",
			"imp.reason.byemail":    "matches a contact by e-mail",
			"imp.reason.byphone":    "matches a contact by phone",
			"imp.reason.byname":     "matches a contact by name",
			"imp.morerows":          "Rows not listed:",
			"imp.again":             "The file is large: choose the same file again",
			"imp.mapping":           "Columns",
			"imp.mappinghint":       "What each column of the file holds; check again after a change.",
			"imp.recheck":           "Check again",
			"imp.run":               "Import",
			"imp.result":            "Import done",
			"imp.contacts":          "Imported contacts",
			"imp.another":           "Import another file",
			"imp.toobig":            "The file is too large; nothing was imported.",
			"imp.nofile":            "Choose a file; nothing was imported.",
			"imp.badformat":         "The file must be a vCard or CSV file.",
			"imp.nobook":            "Choose an address book.",
			"imp.notsame":           "This is not the file that was checked; check it first.",
			"imp.refused":           "Some rows are bad, and you asked to import nothing then: nothing was imported.",
			"imp.t.given_name":      "given name",
			"imp.t.family_name":     "family name",
			"imp.t.additional_name": "middle name",
			"imp.t.prefix":          "title before",
			"imp.t.suffix":          "title after",
			"imp.t.name":            "full name",
			"imp.t.org_name":        "organisation",
			"imp.t.job_title":       "job title",
			"imp.t.email":           "e-mail",
			"imp.t.work_email":      "work e-mail",
			"imp.t.phone":           "phone",
			"imp.t.mobile":          "mobile",
			"imp.t.work_phone":      "work phone",
			"imp.t.street":          "street",
			"imp.t.locality":        "city",
			"imp.t.postal_code":     "postal code",
			"imp.t.region":          "region",
			"imp.t.country":         "country",
			"imp.t.website":         "website",
			"imp.t.tags":            "tags",
			"imp.t.birthday":        "birthday",
			"imp.t.kind":            "person or organisation",
			"imp.t.type":            "contact type",
			"imp.t.ignore":          "— ignore —",
			// exports
			"exp.title":            "Export for newsletters",
			"exp.explain":          "A CSV file for listmonk or Mailchimp with the contacts you see that hold an active consent for the purpose: an address and a name, nothing more. Creating and downloading it are recorded in the audit log.",
			"exp.purpose":          "Consent purpose",
			"exp.choose":           "choose…",
			"exp.purposehint":      "Only contacts with an active consent for this purpose are exported.",
			"exp.format":           "For",
			"exp.format.listmonk":  "listmonk",
			"exp.format.mailchimp": "Mailchimp",
			"exp.create":           "Create the export",
			"exp.mine":             "My exports",
			"exp.none":             "No exports yet.",
			"exp.count":            "contacts:",
			"exp.download":         "Download CSV",
			"exp.until":            "until",
			"exp.elsewhere":        "Download it in the browser that created it.",
			"exp.expired":          "The download has expired.",
			"exp.downloaded":       "Downloaded",
			"exp.nopurpose":        "Choose the consent purpose; nothing was exported.",
			"exp.gone":             "This export's download has expired.",
		},
		"cs": {
			// kampaně
			"cmp.new":                "Nová kampaň",
			"cmp.edit":               "Úprava kampaně",
			"cmp.name":               "Název",
			"cmp.targets":            "Koho oslovuje",
			"cmp.f.books":            "Adresáře",
			"cmp.f.anyhint":          "Když ve skupině nic nezaškrtnete, platí jakákoli hodnota. Počítají se jen kontakty, které smíte vidět.",
			"cmp.f.nobooks":          "Nevidíte žádný adresář.",
			"cmp.f.tags":             "Štítky (kterýkoli z nich)",
			"cmp.f.tagstext":         "Další štítky, oddělené čárkami",
			"cmp.f.types":            "Typy kontaktů",
			"cmp.f.orgs":             "Organizace",
			"cmp.f.orgshint":         "Organizace samotné a lidé, kteří k nim nyní patří. Více jich vyberete s klávesou Ctrl (nebo ⌘).",
			"cmp.type.supplier":      "dodavatel",
			"cmp.type.partner":       "partner",
			"cmp.type.employee":      "zaměstnanec",
			"cmp.type.member":        "člen",
			"cmp.type.customer":      "zákazník",
			"cmp.type.other":         "jiný",
			"cmp.purpose":            "Účel souhlasu",
			"cmp.nopurpose":          "žádný (souhlas není potřeba)",
			"cmp.purposehint":        "S účelem kampaň osloví jen kontakty s platným souhlasem pro tento účel.",
			"cmp.preview":            "Náhled",
			"cmp.preview.title":      "Náhled",
			"cmp.preview.first":      "První kontakty, které osloví",
			"cmp.preview.more":       "… a další.",
			"cmp.preview.unsaved":    "Zatím nic není uloženo.",
			"cmp.task":               "Úkol pro obchodníky",
			"cmp.tasktype":           "Druh úkolu",
			"cmp.tasktitle":          "Název úkolu",
			"cmp.taskdue":            "Termín",
			"cmp.assign":             "Kdo dostane který úkol",
			"cmp.assign.round_robin": "obchodníci postupně",
			"cmp.assign.book_owner":  "správce adresáře kontaktu",
			"cmp.reps":               "Obchodníci",
			"cmp.invitations":        "Pozvánky",
			"cmp.event":              "Akce",
			"cmp.noevent":            "bez akce",
			"cmp.invite":             "Pozvánky e-mailem",
			"cmp.invitehint":         "Každému oslovenému poslat pozvánku na akci (potřebuje účel a akci)",
			"cmp.invitelang":         "Jazyk pozvánky",
			"cmp.create":             "Uložit koncept",
			"cmp.save":               "Uložit změny",
			"cmp.savehint":           "Uložený koncept spustíte na jeho stránce.",
			// importy
			"imp.title":             "Import kontaktů",
			"imp.book":              "Do adresáře",
			"imp.nobooks":           "Neupravujete žádný adresář, proto nemůžete importovat.",
			"imp.file":              "Soubor (vCard nebo CSV)",
			"imp.filehint":          "vCard z telefonu, Outlooku nebo Googlu; CSV z Excelu (UTF-8 nebo Windows-1250). Nejvýše",
			"imp.charset":           "Kódování znaků (CSV)",
			"imp.charset.auto":      "rozpoznat",
			"imp.onmatch":           "Řádek, který odpovídá kontaktu v adresáři,",
			"imp.onmatch.merge":     "doplní, co kontaktu chybí",
			"imp.onmatch.skip":      "se přeskočí",
			"imp.onmatch.create":    "přesto vytvoří nový kontakt",
			"imp.bad":               "Chybné řádky",
			"imp.allornothing":      "neimportovat nic, je-li některý řádek chybný",
			"imp.check":             "Zkontrolovat soubor",
			"imp.checkhint":         "Kontrola nic neimportuje: nejdřív uvidíte, co by se stalo.",
			"imp.recent":            "Moje poslední importy",
			"imp.norecent":          "Zatím žádné importy.",
			"imp.created":           "nové",
			"imp.merged":            "doplněné",
			"imp.preview":           "Co by import udělal",
			"imp.new":               "Nové kontakty",
			"imp.updated":           "Doplněné kontakty",
			"imp.skipped":           "Přeskočené",
			"imp.errors":            "Chyby",
			"imp.dryhint":           "Zatím nebylo nic importováno.",
			"imp.line":              "Řádek",
			"imp.action.create":     "nový",
			"imp.action.merge":      "doplnění",
			"imp.action.skip":       "přeskočit",
			"imp.action.error":      "chyba",
			"imp.matches":           "odpovídá kontaktu",
			"imp.matchedby":         "odpovídá existujícímu kontaktu podle",
			"imp.by.email":          "e-mailu",
			"imp.by.phone":          "telefonu",
			"imp.by.name":           "jména",
			"imp.reason.nothingnew": "v adresáři už je; nic nového",
			"imp.reason.earlierrow": "sloučeno s kontaktem vytvořeným z dřívějšího řádku",
			"imp.reason.byemail":    "odpovídá kontaktu podle e-mailu",
			"imp.reason.byphone":    "odpovídá kontaktu podle telefonu",
			"imp.reason.byname":     "odpovídá kontaktu podle jména",
			"imp.morerows":          "Nevypsané řádky:",
			"imp.again":             "Soubor je velký: vyberte znovu tentýž soubor",
			"imp.mapping":           "Sloupce",
			"imp.mappinghint":       "Co který sloupec souboru obsahuje; po změně soubor zkontrolujte znovu.",
			"imp.recheck":           "Zkontrolovat znovu",
			"imp.run":               "Importovat",
			"imp.result":            "Import dokončen",
			"imp.contacts":          "Importované kontakty",
			"imp.another":           "Importovat další soubor",
			"imp.toobig":            "Soubor je příliš velký; nic nebylo importováno.",
			"imp.nofile":            "Vyberte soubor; nic nebylo importováno.",
			"imp.badformat":         "Soubor musí být vCard nebo CSV.",
			"imp.nobook":            "Vyberte adresář.",
			"imp.notsame":           "Toto není zkontrolovaný soubor; nejdřív ho zkontrolujte.",
			"imp.refused":           "Některé řádky jsou chybné a chtěli jste v tom případě neimportovat nic: nic nebylo importováno.",
			"imp.t.given_name":      "jméno",
			"imp.t.family_name":     "příjmení",
			"imp.t.additional_name": "prostřední jméno",
			"imp.t.prefix":          "titul před jménem",
			"imp.t.suffix":          "titul za jménem",
			"imp.t.name":            "celé jméno",
			"imp.t.org_name":        "organizace",
			"imp.t.job_title":       "funkce",
			"imp.t.email":           "e-mail",
			"imp.t.work_email":      "pracovní e-mail",
			"imp.t.phone":           "telefon",
			"imp.t.mobile":          "mobil",
			"imp.t.work_phone":      "pracovní telefon",
			"imp.t.street":          "ulice",
			"imp.t.locality":        "obec",
			"imp.t.postal_code":     "PSČ",
			"imp.t.region":          "kraj",
			"imp.t.country":         "stát",
			"imp.t.website":         "web",
			"imp.t.tags":            "štítky",
			"imp.t.birthday":        "datum narození",
			"imp.t.kind":            "osoba nebo organizace",
			"imp.t.type":            "typ kontaktu",
			"imp.t.ignore":          "— nepoužít —",
			// exporty
			"exp.title":            "Export pro newslettery",
			"exp.explain":          "Soubor CSV pro listmonk nebo Mailchimp s kontakty, které vidíte a které mají platný souhlas pro zvolený účel: adresa a jméno, nic víc. Vytvoření i stažení se zapíše do auditního záznamu.",
			"exp.purpose":          "Účel souhlasu",
			"exp.choose":           "vyberte…",
			"exp.purposehint":      "Exportují se jen kontakty s platným souhlasem pro tento účel.",
			"exp.format":           "Pro",
			"exp.format.listmonk":  "listmonk",
			"exp.format.mailchimp": "Mailchimp",
			"exp.create":           "Vytvořit export",
			"exp.mine":             "Moje exporty",
			"exp.none":             "Zatím žádné exporty.",
			"exp.count":            "kontaktů:",
			"exp.download":         "Stáhnout CSV",
			"exp.until":            "do",
			"exp.elsewhere":        "Stáhnete ho v prohlížeči, ve kterém vznikl.",
			"exp.expired":          "Platnost stažení vypršela.",
			"exp.downloaded":       "Staženo",
			"exp.nopurpose":        "Vyberte účel souhlasu; nic nebylo exportováno.",
			"exp.gone":             "Platnost stažení tohoto exportu vypršela.",
		},
	}
}
