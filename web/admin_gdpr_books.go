package web

// Address books beyond grants and sync (admin_books.go): creating a book (admins, as the
// store checks), its custom field definitions (add or redefine, remove; the book's
// managers) and deleting an empty book (admins). The book page shows these through the
// "gdpr_book" template.

import (
	"errors"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

type newBookData struct {
	Name, Description string
	Error             string
}

func (h *handler) newBookPage(w http.ResponseWriter, r *http.Request) {
	if h.requireAdminPage(w, r) {
		h.render(w, r, http.StatusOK, "gdpr_book_new.html", h.newPage(r, "gdpr.book.new", newBookData{}))
	}
}

// createBook adds a book with a name of 1 to 200 characters (the API's rule).
func (h *handler) createBook(w http.ResponseWriter, r *http.Request) {
	if !h.requireAdminPage(w, r) || !h.checkForm(w, r) {
		return
	}
	d := newBookData{Name: strings.TrimSpace(r.PostFormValue("name")), Description: strings.TrimSpace(r.PostFormValue("description"))}
	again := func(status int, msg string) {
		d.Error = msg
		h.render(w, r, status, "gdpr_book_new.html", h.newPage(r, "gdpr.book.new", d))
	}
	if d.Name == "" || len([]rune(d.Name)) > 200 {
		again(http.StatusBadRequest, h.newPage(r, "app", nil).T("adm.user.badname"))
		return
	}
	b, err := h.store.CreateBook(r.Context(), actor(r), d.Name, d.Description)
	if err != nil {
		h.failForm(w, r, err, again)
		return
	}
	http.Redirect(w, r, "/admin/books/"+b.ID, http.StatusSeeOther)
}

// FieldTypes are the custom field types the book page offers.
func (p page) FieldTypes() []model.FieldType { return model.FieldTypes }

// putField defines a custom field of the book, or redefines the one with the same key.
// Choices are one per line.
func (h *handler) putField(w http.ResponseWriter, r *http.Request) {
	b, ok := h.adminBook(w, r)
	if !ok || !h.checkForm(w, r) {
		return
	}
	d := model.FieldDef{Key: strings.TrimSpace(r.PostFormValue("key")), Label: strings.TrimSpace(r.PostFormValue("label")),
		Type: model.FieldType(r.PostFormValue("type")), Required: r.PostFormValue("required") == "on"}
	for _, c := range strings.Split(r.PostFormValue("choices"), "\n") {
		if c = strings.TrimSpace(c); c != "" {
			d.Choices = append(d.Choices, c)
		}
	}
	err := h.store.PutField(r.Context(), actor(r), b.ID, d)
	var fe *model.FieldError
	switch {
	case errors.As(err, &fe):
		h.showBook(w, r, http.StatusBadRequest, b, "gdpr.field.invalid."+fieldErrorKey(fe.Field))
		return
	case err != nil:
		h.storeError(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/books/"+b.ID+"#fields", http.StatusSeeOther)
}

// fieldErrorKey names the message of a bad field definition's attribute.
func fieldErrorKey(attr string) string {
	switch attr {
	case "key", "label", "type", "choices":
		return attr
	}
	return "other"
}

// removeField removes a custom field definition; values stay until the contact is edited.
func (h *handler) removeField(w http.ResponseWriter, r *http.Request) {
	b, ok := h.adminBook(w, r)
	if !ok || !h.checkForm(w, r) {
		return
	}
	if err := h.store.DeleteField(r.Context(), actor(r), b.ID, chi.URLParam(r, "key")); err != nil {
		h.storeError(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/books/"+b.ID+"#fields", http.StatusSeeOther)
}

// deleteBook removes an empty book (the store refuses one that holds contacts).
func (h *handler) deleteBook(w http.ResponseWriter, r *http.Request) {
	if !h.requireAdminPage(w, r) { // the store's rule: only admins delete books
		return
	}
	b, ok := h.adminBook(w, r)
	if !ok || !h.checkForm(w, r) {
		return
	}
	err := h.store.DeleteBook(r.Context(), actor(r), b.ID)
	var ce *store.ConflictError
	switch {
	case errors.As(err, &ce):
		h.showBook(w, r, http.StatusConflict, b, "gdpr.book.notempty")
		return
	case err != nil:
		h.storeError(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/books", http.StatusSeeOther)
}
