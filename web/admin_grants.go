package web

// Sync grants and book management for managers (the "grants" room): granting a user the
// CardDAV sync of a book, read-only or read-write, optionally until a date, and changing
// or revoking it, from the user's sync page and from the book's page; and "My address
// books" (/me/books), where a book's managers who are not admins find its page. Every
// write is the API's store call (PutSyncGrant, DeleteSyncGrant: the book's managers and
// admins), so the pages allow exactly what the API allows. Edit and cancel a task
// (tasks_edit.go) and event documents (event_docs.go) are mounted from here too.

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// mountGrants routes the room's pages (inside the authenticated group).
func (h *handler) mountGrants(r chi.Router) {
	r.Get("/me/books", h.grantsMyBooks)
	r.Post("/admin/users/{id}/sync/grant", h.grantsUserGrant)
	r.Post("/admin/users/{id}/sync/{book}/change", h.grantsUserChange)
	r.Post("/admin/books/{id}/sync", h.grantsBookGrant)
	r.Post("/admin/books/{id}/sync/{user}/revoke", h.grantsBookRevoke)
	h.mountTaskEdit(r)
	h.mountEventDocs(r)
}

// SyncModes are the modes a sync grant form offers.
func (p page) SyncModes() []model.SyncMode {
	return []model.SyncMode{model.SyncRead, model.SyncReadWrite}
}

// GrantsDay is the last day a grant ending at until holds, as a date input's value
// (YYYY-MM-DD; "" for no end). A grant entered for a day ends at the next midnight.
func (p page) GrantsDay(until *time.Time) string {
	if until == nil {
		return ""
	}
	return until.Local().Add(-time.Second).Format(time.DateOnly)
}

// GrantsThrough is the last day a grant ending at until holds, in the page's language.
func (p page) GrantsThrough(until *time.Time) string {
	if until == nil {
		return ""
	}
	return p.Date(until.Local().Add(-time.Second))
}

// grantsUntil reads a form's end date: "" for none, else the grant holds through that day
// (it ends at the next local midnight); the store refuses an end in the past.
func grantsUntil(s string) (*time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	d, err := time.ParseInLocation(time.DateOnly, s, time.Local)
	if err != nil {
		return nil, &model.FieldError{Field: "until", Msg: "must be a date (YYYY-MM-DD)"}
	}
	end := d.AddDate(0, 0, 1)
	return &end, nil
}

// grantsFailure is the page's words for a refused sync grant; false for other errors.
func (h *handler) grantsFailure(r *http.Request, err error) (int, string, bool) {
	p := h.newPage(r, "app", nil)
	var fe *model.FieldError
	if errors.As(err, &fe) {
		switch fe.Field {
		case "mode":
			return http.StatusBadRequest, p.T("grants.badmode"), true
		case "until":
			return http.StatusBadRequest, p.T("grants.baduntil"), true
		case "user_id":
			return http.StatusBadRequest, p.T("grants.nouser"), true
		}
	}
	return h.formFailure(r, err)
}

// grantsFail answers a failed grant: 404 for what the user may not manage, the form again
// with the reason for bad input, 500 otherwise.
func (h *handler) grantsFail(w http.ResponseWriter, r *http.Request, err error, again func(status int, msg string)) {
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrForbidden) {
		h.notFound(w, r)
		return
	}
	if status, msg, ok := h.grantsFailure(r, err); ok {
		again(status, msg)
		return
	}
	h.serverError(w, r, err)
}

// ---- A user's sync page (/admin/users/{id}/sync, admin.go) ----

// syncForm is the grant part of a user's sync page: the books the current user manages
// that the user sees (offered), those they do not see (explained), and the values and
// error of a refused form (At: "new", or the book id of a grant's change form).
type syncForm struct {
	Books   []store.ManagedBook
	Unseen  []store.ManagedBook
	Manages map[string]bool // book id: the current user may change its grants
	Sees    map[string]bool // book id: the user sees the book (of the books managed)
	BookID  string
	Mode    string
	Until   string
	Error   string
	At      string
}

// syncFormFor fills the grant form of user u's sync page for the current user.
func (h *handler) syncFormFor(r *http.Request, u model.User, f syncForm) (syncForm, error) {
	books, err := h.store.ManagedBooksFor(r.Context(), actor(r), u.ID)
	if err != nil {
		return f, err
	}
	f.Manages, f.Sees = map[string]bool{}, map[string]bool{}
	for _, b := range books {
		f.Manages[b.ID], f.Sees[b.ID] = true, b.UserSees
		if b.UserSees {
			f.Books = append(f.Books, b)
		} else {
			f.Unseen = append(f.Unseen, b)
		}
	}
	return f, nil
}

func (h *handler) grantsUserGrant(w http.ResponseWriter, r *http.Request) {
	u, ok := h.syncSubject(w, r)
	if !ok || !h.checkForm(w, r) {
		return
	}
	h.grantsPutForUser(w, r, u, syncForm{BookID: r.PostFormValue("book_id"), Mode: r.PostFormValue("mode"),
		Until: r.PostFormValue("until"), At: "new"})
}

func (h *handler) grantsUserChange(w http.ResponseWriter, r *http.Request) {
	u, ok := h.syncSubject(w, r)
	if !ok || !h.checkForm(w, r) {
		return
	}
	book := chi.URLParam(r, "book")
	h.grantsPutForUser(w, r, u, syncForm{BookID: book, Mode: r.PostFormValue("mode"), Until: r.PostFormValue("until"), At: book})
}

// grantsPutForUser grants user u the sync of the form's book, or changes its mode and end.
// The book must be one the current user manages (else 404, as the store answers) and that
// u may see: a grant on a book they cannot see would sync nothing.
func (h *handler) grantsPutForUser(w http.ResponseWriter, r *http.Request, u model.User, f syncForm) {
	again := func(status int, msg string) {
		f.Error = msg
		h.showUserSync(w, r, status, u, f)
	}
	pg := h.newPage(r, "app", nil)
	if f.BookID == "" && f.At == "new" {
		again(http.StatusBadRequest, pg.T("grants.nobook"))
		return
	}
	books, err := h.store.ManagedBooksFor(r.Context(), actor(r), u.ID)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	i := slices.IndexFunc(books, func(b store.ManagedBook) bool { return b.ID == f.BookID })
	if i < 0 {
		h.notFound(w, r)
		return
	}
	if !books[i].UserSees {
		again(http.StatusBadRequest, pg.T("grants.unseen"))
		return
	}
	until, err := grantsUntil(f.Until)
	if err == nil {
		_, err = h.store.PutSyncGrant(r.Context(), actor(r), model.SyncGrant{UserID: u.ID, BookID: f.BookID, Mode: model.SyncMode(f.Mode), Until: until})
	}
	if err != nil {
		h.grantsFail(w, r, err, again)
		return
	}
	http.Redirect(w, r, "/admin/users/"+u.ID+"/sync", http.StatusSeeOther)
}

// ---- A book's page (/admin/books/{id}, admin_books.go) ----

// bookSyncForm is the sync part of a book's page: who holds a sync grant on it, who may
// be given one (the users who see the book), and the values and error of a refused form
// (At: "new", or the user id of a grant's change form).
type bookSyncForm struct {
	Grants  []store.BookSyncGrant
	Readers []model.User
	UserID  string
	Mode    string
	Until   string
	Error   string
	At      string
}

// bookSyncFor fills the sync part of book b's page.
func (h *handler) bookSyncFor(r *http.Request, b model.Book, f bookSyncForm) (bookSyncForm, error) {
	var err error
	if f.Grants, err = h.store.ListBookSyncGrants(r.Context(), actor(r), b.ID); err != nil {
		return f, err
	}
	f.Readers, err = h.store.BookReaders(r.Context(), actor(r), b.ID)
	return f, err
}

// grantsBookGrant grants a user who sees the book its sync, or changes their grant.
func (h *handler) grantsBookGrant(w http.ResponseWriter, r *http.Request) {
	b, ok := h.adminBook(w, r)
	if !ok || !h.checkForm(w, r) {
		return
	}
	f := bookSyncForm{UserID: r.PostFormValue("user_id"), Mode: r.PostFormValue("mode"), Until: r.PostFormValue("until"), At: "new"}
	if r.PostFormValue("change") != "" {
		f.At = f.UserID
	}
	again := func(status int, msg string) {
		f.Error = msg
		h.showBookWith(w, r, status, b, "", f)
	}
	pg := h.newPage(r, "app", nil)
	readers, err := h.store.BookReaders(r.Context(), actor(r), b.ID)
	if err != nil {
		h.grantsFail(w, r, err, again)
		return
	}
	if !slices.ContainsFunc(readers, func(u model.User) bool { return u.ID == f.UserID }) {
		key := "grants.nouser"
		if store.ValidID(f.UserID) {
			if _, err := h.store.GetUser(r.Context(), f.UserID); err == nil {
				key = "grants.unseenuser"
			}
		}
		again(http.StatusBadRequest, pg.T(key))
		return
	}
	until, err := grantsUntil(f.Until)
	if err == nil {
		_, err = h.store.PutSyncGrant(r.Context(), actor(r), model.SyncGrant{UserID: f.UserID, BookID: b.ID, Mode: model.SyncMode(f.Mode), Until: until})
	}
	if err != nil {
		h.grantsFail(w, r, err, again)
		return
	}
	http.Redirect(w, r, "/admin/books/"+b.ID+"#h-bsync", http.StatusSeeOther)
}

// grantsBookRevoke stops a user syncing the book; it leaves their devices at the next sync.
func (h *handler) grantsBookRevoke(w http.ResponseWriter, r *http.Request) {
	b, ok := h.adminBook(w, r)
	if !ok || !h.checkForm(w, r) {
		return
	}
	user := chi.URLParam(r, "user")
	if !store.ValidID(user) {
		h.notFound(w, r)
		return
	}
	if err := h.store.DeleteSyncGrant(r.Context(), actor(r), user, b.ID); err != nil {
		h.storeError(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/books/"+b.ID+"#h-bsync", http.StatusSeeOther)
}

// ---- My address books ----

// grantsMyBooks lists the books the user sees with their role, and links the page of each
// book they manage ("Manage book"); the administration's list of books stays admin-only.
func (h *handler) grantsMyBooks(w http.ResponseWriter, r *http.Request) {
	books, err := h.store.ListBooks(r.Context(), actor(r))
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "grants_books.html", h.newPage(r, "grants.mybooks", books))
}

// grantsMessages are the strings of sync grants, book management for managers, task
// editing and event documents.
func grantsMessages() catalogue {
	return catalogue{
		"en": {
			"grants.mybooks":      "My address books",
			"grants.mybooks.hint": "The address books you can see, with your role. Managers manage a book's access, sync, settings and custom fields.",
			"grants.mybooks.none": "You cannot see any address book yet.",
			"grants.manage":       "Manage book",
			"grants.sync":         "Synced to devices",
			"grants.sync.hint":    "Who may sync this book to their phones and computers (CardDAV). A user must be able to see the book: give them a role above first.",
			"grants.sync.none":    "Nobody syncs this book.",
			"grants.user":         "User",
			"grants.book":         "Address book",
			"grants.mode":         "Mode",
			"grants.until":        "Last day (optional)",
			"grants.untilhint":    "Leave empty for no end. The grant holds through that day.",
			"grants.through":      "through",
			"grants.grant":        "Grant sync",
			"grants.change":       "Change",
			"grants.revoke":       "Revoke",
			"grants.new":          "Grant the sync of a book",
			"grants.nobooks":      "There is no book you manage that this user can see.",
			"grants.unseenlist":   "Not offered, because this user cannot see them (give them a role on the book first):",
			"grants.cannotsee":    "cannot see this book: the grant syncs nothing",
			"grants.nobook":       "Choose an address book.",
			"grants.nouser":       "Choose a user.",
			"grants.unseen":       "This user cannot see that address book, so syncing it would give them nothing. Give them a role on the book first.",
			"grants.unseenuser":   "That user cannot see this address book, so syncing it would give them nothing. Give them a role on the book first.",
			"grants.badmode":      "Choose read only or read and write.",
			"grants.baduntil":     "The last day must be a date, today or later.",
			"tedit.edit":          "Edit",
			"tedit.title":         "Edit task",
			"tedit.save":          "Save",
			"tedit.cancel":        "Cancel task",
			"tedit.cancelhint":    "A cancelled task leaves the open tasks; it can be reopened.",
			"tedit.reopen":        "Reopen task",
			"tedit.cancelled":     "cancelled",
			"tedit.notopen":       "Only an open task can be changed here; a done task keeps its worklog entry.",
			"tedit.baddue":        "The due date must be a date.",
			"tedit.badassignee":   "Choose someone who can see the task's contact.",
			"tedit.badtitle":      "Enter a title of at most 300 characters.",
			"tedit.baddesc":       "The description is too long (at most 10,000 characters).",
			"tedit.ofproject":     "Tasks of the project",
			"tedit.ofcontact":     "Tasks about this contact",
			"tedit.none":          "No open tasks.",
			"evdoc.title":         "Documents",
			"evdoc.hint":          "Programmes, price lists, photos: PDF, images (JPEG, PNG, GIF, WebP), UTF-8 text or office files, up to 20 MB each. Everyone who sees the event sees its documents.",
			"evdoc.none":          "No documents yet.",
			"evdoc.file":          "File",
			"evdoc.upload":        "Upload",
			"evdoc.download":      "Download",
			"evdoc.delete":        "Delete",
			"evdoc.uploaded":      "uploaded",
			"evdoc.bytes":         "bytes",
			"evdoc.err.multipart": "Send the file with the upload form.",
			"evdoc.err.nofile":    "Choose a file to upload.",
			"evdoc.err.toolarge":  "The file is larger than 20 MB.",
			"evdoc.err.malformed": "The upload was incomplete. Try again.",
			"evdoc.err.type":      "This kind of file is not accepted: use a PDF, an image (JPEG, PNG, GIF, WebP), UTF-8 text or an office file.",
			"evdoc.err.name":      "The file name must have 1 to 255 characters and no slashes.",
			"evdoc.err.empty":     "The file is empty.",
		},
		"cs": {
			"grants.mybooks":      "Moje adresáře",
			"grants.mybooks.hint": "Adresáře, které vidíte, a vaše role v nich. Správci spravují přístup k adresáři, synchronizaci, nastavení a vlastní pole.",
			"grants.mybooks.none": "Zatím nevidíte žádný adresář.",
			"grants.manage":       "Spravovat adresář",
			"grants.sync":         "Synchronizace do zařízení",
			"grants.sync.hint":    "Kdo smí tento adresář synchronizovat do telefonu a počítače (CardDAV). Uživatel musí adresář vidět: nejdřív mu výše přidělte roli.",
			"grants.sync.none":    "Tento adresář nikdo nesynchronizuje.",
			"grants.user":         "Uživatel",
			"grants.book":         "Adresář",
			"grants.mode":         "Režim",
			"grants.until":        "Poslední den (nepovinné)",
			"grants.untilhint":    "Bez data platí neomezeně. Oprávnění platí včetně zadaného dne.",
			"grants.through":      "do",
			"grants.grant":        "Povolit synchronizaci",
			"grants.change":       "Změnit",
			"grants.revoke":       "Odebrat",
			"grants.new":          "Povolit synchronizaci adresáře",
			"grants.nobooks":      "Nespravujete žádný adresář, který tento uživatel vidí.",
			"grants.unseenlist":   "Nenabízíme, protože je tento uživatel nevidí (nejdřív mu v adresáři přidělte roli):",
			"grants.cannotsee":    "tento adresář nevidí: synchronizace mu nic nedá",
			"grants.nobook":       "Vyberte adresář.",
			"grants.nouser":       "Vyberte uživatele.",
			"grants.unseen":       "Tento uživatel daný adresář nevidí, synchronizace by mu tedy nic nedala. Nejdřív mu v adresáři přidělte roli.",
			"grants.unseenuser":   "Tento uživatel adresář nevidí, synchronizace by mu tedy nic nedala. Nejdřív mu v adresáři přidělte roli.",
			"grants.badmode":      "Zvolte jen čtení, nebo čtení i zápis.",
			"grants.baduntil":     "Poslední den musí být datum, dnešek nebo pozdější.",
			"tedit.edit":          "Upravit",
			"tedit.title":         "Upravit úkol",
			"tedit.save":          "Uložit",
			"tedit.cancel":        "Zrušit úkol",
			"tedit.cancelhint":    "Zrušený úkol zmizí z otevřených úkolů; lze ho znovu otevřít.",
			"tedit.reopen":        "Znovu otevřít úkol",
			"tedit.cancelled":     "zrušený",
			"tedit.notopen":       "Zde lze měnit jen otevřený úkol; splněný úkol si ponechá záznam o práci.",
			"tedit.baddue":        "Termín musí být datum.",
			"tedit.badassignee":   "Vyberte někoho, kdo vidí kontakt úkolu.",
			"tedit.badtitle":      "Zadejte název o nejvýše 300 znacích.",
			"tedit.baddesc":       "Popis je příliš dlouhý (nejvýše 10 000 znaků).",
			"tedit.ofproject":     "Úkoly projektu",
			"tedit.ofcontact":     "Úkoly ke kontaktu",
			"tedit.none":          "Žádné otevřené úkoly.",
			"evdoc.title":         "Dokumenty",
			"evdoc.hint":          "Programy, ceníky, fotografie: PDF, obrázky (JPEG, PNG, GIF, WebP), text v UTF-8 nebo kancelářské soubory, každý nejvýše 20 MB. Dokumenty vidí každý, kdo vidí akci.",
			"evdoc.none":          "Zatím žádné dokumenty.",
			"evdoc.file":          "Soubor",
			"evdoc.upload":        "Nahrát",
			"evdoc.download":      "Stáhnout",
			"evdoc.delete":        "Smazat",
			"evdoc.uploaded":      "nahráno",
			"evdoc.bytes":         "bajtů",
			"evdoc.err.multipart": "Soubor pošlete formulářem pro nahrání.",
			"evdoc.err.nofile":    "Vyberte soubor k nahrání.",
			"evdoc.err.toolarge":  "Soubor je větší než 20 MB.",
			"evdoc.err.malformed": "Nahrávání se nedokončilo. Zkuste to znovu.",
			"evdoc.err.type":      "Tento druh souboru nelze přijmout: použijte PDF, obrázek (JPEG, PNG, GIF, WebP), text v UTF-8 nebo kancelářský soubor.",
			"evdoc.err.name":      "Název souboru musí mít 1 až 255 znaků a nesmí obsahovat lomítka.",
			"evdoc.err.empty":     "Soubor je prázdný.",
		},
	}
}
