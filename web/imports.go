package web

// Imports (issue #8, work screens): a vCard or CSV file into a book the user edits, through
// exactly the API's path (contactfile reads the file, store.ImportContacts matches, merges
// and writes with COPY in one transaction, audited). First a dry run: counts of new,
// merged, skipped and bad rows, the first rows with their reasons, and for a CSV file the
// column mapping to correct; nothing is stored. Then the real import, whose result page is
// its audit entry. The preview carries the file to the confirming form itself (hidden,
// base64) when it is small, so nothing is kept on the server between the two steps; a
// larger file is chosen again and must be the same (SHA-256). An existing contact a row
// matches is named only when the user may see it.

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/kontakt/kontakt/contactfile"
	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

const (
	// defaultImportMaxBytes is the largest file when Deps.ImportMaxBytes is 0 (the API's).
	defaultImportMaxBytes = 32 << 20
	// inlineImportMax is the largest file the preview carries to the confirming form.
	inlineImportMax = 2 << 20
	// importPreviewRows is how many rows the preview and result pages list.
	importPreviewRows = 100
)

func (h *handler) mountImports(r chi.Router) {
	r.Get("/imports", h.importsPage)
	r.Post("/imports/preview", h.previewImport)
	r.Post("/imports", h.runImport)
	r.Get("/imports/{n}", h.importResult)
}

func (h *handler) importMaxBytes() int64 {
	if h.files.importMaxBytes > 0 {
		return h.files.importMaxBytes
	}
	return defaultImportMaxBytes
}

// importUpload is a posted import: the file and its options.
type importUpload struct {
	BookID       string
	Format       string // vcard or csv
	Charset      string // "" detects
	OnMatch      string
	AllOrNothing bool
	Name         string
	Data         []byte
	Mapping      map[string]string
}

// SHA256 is the file's hash (hex).
func (u importUpload) SHA256() string {
	s := sha256.Sum256(u.Data)
	return hex.EncodeToString(s[:])
}

type importRecent struct {
	ID       int64
	At       string
	Source   string
	BookName string
	Created  int
	Merged   int
}

type importsData struct {
	Books   []model.Book // those the user edits
	Recent  []importRecent
	Upload  importUpload
	Error   string
	MaxSize string
}

func (h *handler) importsPage(w http.ResponseWriter, r *http.Request) {
	h.showImports(w, r, http.StatusOK, importsData{Upload: importUpload{OnMatch: store.ImportMerge}})
}

func (h *handler) showImports(w http.ResponseWriter, r *http.Request, status int, d importsData) {
	var err error
	if d.Books, err = h.editableBooks(r); err != nil {
		h.serverError(w, r, err)
		return
	}
	names, err := h.bookNames(r)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	entries, err := h.store.ListAudit(r.Context(), store.AuditFilter{ActorID: currentUser(r).ID, Action: "contact.import", Limit: 20})
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	p := h.newPage(r, "imp.title", nil)
	for _, e := range entries {
		d.Recent = append(d.Recent, importRecent{ID: e.ID, At: p.Time(e.At), Source: detailString(e.Detail, "source"),
			BookName: names[detailString(e.Detail, "book_id")], Created: len(detailList(e.Detail, "created")), Merged: len(detailList(e.Detail, "merged"))})
	}
	d.MaxSize = p.Num(int(h.importMaxBytes() >> 20))
	p.Data = d
	h.render(w, r, status, "imp_imports.html", p)
}

// readUpload reads a posted import within the size limit and checks its CSRF token; it
// answers (and returns false) when the request is refused or unreadable.
func (h *handler) readUpload(w http.ResponseWriter, r *http.Request) (importUpload, bool) {
	limit := h.importMaxBytes()
	// The file comes as a part, or base64 in a field (4/3 as large), with the form's fields.
	r.Body = http.MaxBytesReader(w, r.Body, limit/3*4+1<<20)
	err := r.ParseMultipartForm(8 << 20)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		h.importRefused(w, r, http.StatusRequestEntityTooLarge, "imp.toobig", importUpload{})
		return importUpload{}, false
	}
	if err != nil && !errors.Is(err, http.ErrNotMultipart) {
		h.importRefused(w, r, http.StatusBadRequest, "imp.nofile", importUpload{})
		return importUpload{}, false
	}
	if !h.checkForm(w, r) {
		return importUpload{}, false
	}
	u := importUpload{BookID: r.PostFormValue("book_id"), Format: strings.ToLower(r.PostFormValue("format")),
		Charset: strings.ToLower(r.PostFormValue("charset")), OnMatch: r.PostFormValue("on_match"),
		AllOrNothing: r.PostFormValue("all_or_nothing") != ""}
	var ctype string
	if f, hd, err := r.FormFile("file"); err == nil {
		u.Data, err = readLimited(f, limit)
		if err != nil {
			h.importRefused(w, r, http.StatusRequestEntityTooLarge, "imp.toobig", u)
			return u, false
		}
		u.Name, ctype = path.Base(hd.Filename), hd.Header.Get("Content-Type")
		if want := r.PostFormValue("sha256"); want != "" && want != u.SHA256() {
			h.importRefused(w, r, http.StatusConflict, "imp.notsame", u)
			return u, false
		}
	} else if s := r.PostFormValue("file_data"); s != "" {
		if u.Data, err = base64.StdEncoding.DecodeString(s); err != nil {
			h.importRefused(w, r, http.StatusBadRequest, "imp.nofile", u)
			return u, false
		}
		if int64(len(u.Data)) > limit {
			h.importRefused(w, r, http.StatusRequestEntityTooLarge, "imp.toobig", u)
			return u, false
		}
		u.Name = path.Base(r.PostFormValue("file_name"))
	}
	if len(u.Data) == 0 {
		h.importRefused(w, r, http.StatusBadRequest, "imp.nofile", u)
		return u, false
	}
	if u.Format == "" {
		u.Format = guessImportFormat(ctype, u.Name, u.Data)
	}
	if u.Format != "vcard" && u.Format != "csv" {
		h.importRefused(w, r, http.StatusBadRequest, "imp.badformat", u)
		return u, false
	}
	heads, targets := r.PostForm["map_h"], r.PostForm["map_t"]
	if len(heads) == len(targets) && len(heads) > 0 {
		u.Mapping = map[string]string{}
		for i, hd := range heads {
			u.Mapping[hd] = targets[i]
		}
	}
	return u, true
}

// readLimited reads a file part of at most limit bytes.
func readLimited(f multipart.File, limit int64) ([]byte, error) {
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err == nil && int64(len(b)) > limit {
		err = errors.New("web: import file too large")
	}
	return b, err
}

// guessImportFormat tells vCard from CSV by content type, file name or the first line, as
// the API does.
func guessImportFormat(ctype, name string, data []byte) string {
	switch {
	case ctype == "text/vcard" || ctype == "text/x-vcard" || strings.EqualFold(path.Ext(name), ".vcf"):
		return "vcard"
	case ctype == "text/csv" || strings.EqualFold(path.Ext(name), ".csv"):
		return "csv"
	}
	head := strings.ToUpper(strings.TrimSpace(strings.TrimPrefix(string(data[:min(len(data), 64)]), "\ufeff")))
	if strings.HasPrefix(head, "BEGIN:VCARD") {
		return "vcard"
	}
	return "csv"
}

// importRefused shows the upload form again with the reason.
func (h *handler) importRefused(w http.ResponseWriter, r *http.Request, status int, key string, u importUpload) {
	u.Data = nil
	h.showImports(w, r, status, importsData{Upload: u, Error: h.newPage(r, "app", nil).T(key)})
}

// importRowView is a reported row with the existing contact it matched, when the user
// may see it.
type importRowView struct {
	store.ImportResult
	ExistingID   string
	ExistingName string
}

type importPreviewData struct {
	Upload   importUpload
	FileData string // base64 of a small file, carried to the confirming form
	SHA256   string // of the file: a large one must be chosen again, the same
	BookName string
	Report   store.ImportReport
	Rows     []importRowView
	More     int
	Headers  []string // CSV: the file's columns
	Columns  []string // CSV: what each maps to
	Targets  []string
	Error    string
}

// parseImport reads the upload's rows exactly as the API does; for CSV it also returns the
// file's headers and their mapping (even when the mapping is refused).
func parseImport(u importUpload) (rows []store.ImportRow, headers, cols []string, err error) {
	var in []contactfile.Row
	switch u.Format {
	case "vcard":
		in = contactfile.ParseVCards(u.Data)
	case "csv":
		if headers, err = contactfile.Headers(u.Data, u.Charset); err != nil {
			return nil, nil, nil, err
		}
		in, cols, err = contactfile.ParseCSV(u.Data, contactfile.CSVOptions{Charset: u.Charset, Mapping: u.Mapping})
		if err != nil {
			if cols == nil {
				cols, _ = contactfile.Columns(headers, nil)
			}
			return nil, headers, cols, err
		}
	}
	rows = make([]store.ImportRow, len(in))
	for i, row := range in {
		rows[i] = store.ImportRow{Line: row.Line, Contact: row.Contact, Err: row.Err}
	}
	return rows, headers, cols, nil
}

// importOptions are the store's options of an upload.
func importOptions(u importUpload, dryRun bool) store.ImportOptions {
	return store.ImportOptions{DryRun: dryRun, AllOrNothing: u.AllOrNothing, OnMatch: u.OnMatch, Format: u.Format, Source: u.Name}
}

// previewImport is the dry run: what would happen to each row; nothing is stored.
func (h *handler) previewImport(w http.ResponseWriter, r *http.Request) {
	u, ok := h.readUpload(w, r)
	if !ok {
		return
	}
	h.dryRun(w, r, u, http.StatusOK, "")
}

// dryRun renders the preview of u with status and an error message.
func (h *handler) dryRun(w http.ResponseWriter, r *http.Request, u importUpload, status int, msg string) {
	d := importPreviewData{Upload: u, Targets: contactfile.Targets, Error: msg, SHA256: u.SHA256()}
	if len(u.Data) <= inlineImportMax {
		d.FileData = base64.StdEncoding.EncodeToString(u.Data)
	}
	if !store.ValidID(u.BookID) {
		h.importRefused(w, r, http.StatusBadRequest, "imp.nobook", u)
		return
	}
	b, err := h.store.GetBook(r.Context(), actor(r), u.BookID)
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	d.BookName = b.Name
	rows, headers, cols, err := parseImport(u)
	d.Headers, d.Columns = headers, cols
	if err == nil {
		d.Report, err = h.store.ImportContacts(r.Context(), actor(r), u.BookID, rows, importOptions(u, true))
	}
	if err != nil {
		if errors.Is(err, store.ErrForbidden) {
			h.notFound(w, r)
			return
		}
		h.failForm(w, r, err, func(st int, m string) {
			d.Error = m
			h.renderPreview(w, r, st, d)
		})
		return
	}
	if err := h.viewRows(r, &d); err != nil {
		h.serverError(w, r, err)
		return
	}
	h.renderPreview(w, r, status, d)
}

func (h *handler) renderPreview(w http.ResponseWriter, r *http.Request, status int, d importPreviewData) {
	d.Upload.Data = nil
	p := h.newPage(r, "imp.preview", d)
	h.render(w, r, status, "imp_preview.html", p)
}

// viewRows lists the first rows of the report, naming an existing contact a row matched
// only when the user sees it.
func (h *handler) viewRows(r *http.Request, d *importPreviewData) error {
	names := map[string]string{}
	for i, res := range d.Report.Rows {
		if i == importPreviewRows {
			d.More = len(d.Report.Rows) - i
			break
		}
		v := importRowView{ImportResult: res}
		if res.ContactID != "" && res.Action != store.ImportCreate {
			name, seen := names[res.ContactID]
			if !seen {
				c, err := h.store.GetContact(r.Context(), actor(r), res.ContactID)
				switch {
				case err == nil:
					name = c.DisplayName
				case !errors.Is(err, store.ErrNotFound):
					return err
				}
				names[res.ContactID] = name
			}
			if name != "" {
				v.ExistingID, v.ExistingName = res.ContactID, name
			}
		}
		d.Rows = append(d.Rows, v)
	}
	return nil
}

// runImport is the real import; it shows its result (its audit entry) after the commit.
func (h *handler) runImport(w http.ResponseWriter, r *http.Request) {
	u, ok := h.readUpload(w, r)
	if !ok {
		return
	}
	if !store.ValidID(u.BookID) {
		h.importRefused(w, r, http.StatusBadRequest, "imp.nobook", u)
		return
	}
	rows, _, _, err := parseImport(u)
	if err != nil {
		h.dryRun(w, r, u, http.StatusBadRequest, "")
		return
	}
	rep, err := h.store.ImportContacts(r.Context(), actor(r), u.BookID, rows, importOptions(u, false))
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrForbidden) {
		h.notFound(w, r)
		return
	}
	if err != nil {
		h.failForm(w, r, err, func(st int, m string) { h.dryRun(w, r, u, st, m) })
		return
	}
	if !rep.Applied {
		// All or nothing, with bad rows: nothing was imported.
		h.dryRun(w, r, u, http.StatusUnprocessableEntity, h.newPage(r, "app", nil).T("imp.refused"))
		return
	}
	entries, err := h.store.ListAudit(r.Context(), store.AuditFilter{ActorID: currentUser(r).ID, Action: "contact.import", Limit: 10})
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	for _, e := range entries {
		if detailString(e.Detail, "book_id") == u.BookID && detailString(e.Detail, "source") == u.Name {
			http.Redirect(w, r, "/imports/"+strconv.FormatInt(e.ID, 10), http.StatusSeeOther)
			return
		}
	}
	http.Redirect(w, r, "/imports", http.StatusSeeOther)
}

type importResultData struct {
	At       string
	Source   string
	Format   string
	BookID   string
	BookName string
	Created  int
	Merged   int
	Skipped  int
	Errors   int
	Contacts []model.Contact // the created and merged ones the user sees, the first of them
}

// importResult is one of the user's imports, from its audit entry; anyone else's is 404.
func (h *handler) importResult(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.ParseInt(chi.URLParam(r, "n"), 10, 64)
	if err != nil || n <= 0 {
		h.notFound(w, r)
		return
	}
	entries, err := h.store.ListAudit(r.Context(), store.AuditFilter{ActorID: currentUser(r).ID, Action: "contact.import", Before: n + 1, Limit: 1})
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if len(entries) == 0 || entries[0].ID != n {
		h.notFound(w, r)
		return
	}
	e := entries[0]
	names, err := h.bookNames(r)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	p := h.newPage(r, "imp.result", nil)
	created, merged := detailList(e.Detail, "created"), detailList(e.Detail, "merged")
	d := importResultData{At: p.Time(e.At), Source: detailString(e.Detail, "source"), Format: detailString(e.Detail, "format"),
		BookID: detailString(e.Detail, "book_id"), Created: len(created), Merged: len(merged),
		Skipped: detailInt(e.Detail, "skipped"), Errors: detailInt(e.Detail, "errors")}
	d.BookName = names[d.BookID]
	for _, id := range append(created, merged...) {
		if len(d.Contacts) == importPreviewRows {
			break
		}
		c, err := h.store.GetContact(r.Context(), actor(r), id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		d.Contacts = append(d.Contacts, c)
	}
	p.Data = d
	h.render(w, r, http.StatusOK, "imp_result.html", p)
}

// detailString, detailList and detailInt read an audit entry's detail (decoded JSON).
func detailString(d map[string]any, k string) string {
	s, _ := d[k].(string)
	return s
}

func detailList(d map[string]any, k string) []string {
	l, _ := d[k].([]any)
	out := []string{}
	for _, v := range l {
		if s, ok := v.(string); ok && store.ValidID(s) {
			out = append(out, s)
		}
	}
	return out
}

func detailInt(d map[string]any, k string) int {
	f, _ := d[k].(float64)
	return int(f)
}

// fileDeps are the limits of imports and exports (Deps.ImportMaxBytes, Deps.ExportTTL).
type fileDeps struct {
	importMaxBytes int64
	exportTTL      time.Duration
}

// ImportReason translates the store's fixed reasons for a row ("already in the book; nothing
// new" ...); any other reason (a field's validation message) is shown as the store gives it.
func (p page) ImportReason(s string) string {
	key := map[string]string{
		"already in the book; nothing new":                    "imp.reason.nothingnew",
		"merged into the contact created from an earlier row": "imp.reason.earlierrow",
		"matches a contact by email":                          "imp.reason.byemail",
		"matches a contact by phone":                          "imp.reason.byphone",
		"matches a contact by name":                           "imp.reason.byname",
	}[s]
	if key == "" {
		return s
	}
	return p.T(key)
}
