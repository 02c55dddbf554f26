package api

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/kontakt/kontakt/contactfile"
	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// defaultImportMaxBytes is the largest import file accepted when Options.ImportMaxBytes is 0.
const defaultImportMaxBytes = 32 << 20

func (h *handler) importMaxBytes() int64 {
	if h.opt.ImportMaxBytes > 0 {
		return h.opt.ImportMaxBytes
	}
	return defaultImportMaxBytes
}

// isImportUpload reports a POST to /api/books/{id}/imports, whose body limit is the
// import's rather than MaxBodyBytes.
func isImportUpload(r *http.Request) bool {
	rest, ok := strings.CutPrefix(r.URL.Path, "/api/books/")
	return ok && r.Method == http.MethodPost && strings.Count(rest, "/") == 1 && strings.HasSuffix(rest, "/imports")
}

// importFile is the uploaded file and the options that came with it.
type importFile struct {
	data     []byte
	name     string
	format   string
	charset  string
	mapping  map[string]string
	dryRun   bool
	allOrNot bool
	onMatch  string
}

// importContacts reads a vCard or CSV file into a book: POST /api/books/{id}/imports with
// the file as the body (text/vcard, text/csv) or as the multipart field "file". A dry run
// (the default) reports per row what would happen; dry_run=false applies it.
func (h *handler) importContacts(w http.ResponseWriter, r *http.Request) {
	bookID, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	f, err := readImport(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var rows []contactfile.Row
	switch f.format {
	case "vcard":
		rows = contactfile.ParseVCards(f.data)
	case "csv":
		rows, _, err = contactfile.ParseCSV(f.data, contactfile.CSVOptions{Charset: f.charset, Mapping: f.mapping})
		if err != nil {
			h.fail(w, r, err)
			return
		}
	}
	in := make([]store.ImportRow, len(rows))
	for i, row := range rows {
		in[i] = store.ImportRow{Line: row.Line, Contact: row.Contact, Err: row.Err}
	}
	rep, err := h.store.ImportContacts(r.Context(), actor(r), bookID, in, store.ImportOptions{
		DryRun: f.dryRun, AllOrNothing: f.allOrNot, OnMatch: f.onMatch, Format: f.format, Source: f.name})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	switch {
	case !f.dryRun && !rep.Applied:
		writeJSON(w, http.StatusUnprocessableEntity, struct {
			Error  string             `json:"error"`
			Report store.ImportReport `json:"report"`
		}{"bad rows in an all-or-nothing import: nothing was imported", rep})
	case rep.Applied && rep.Created+rep.Merged > 0:
		writeJSON(w, http.StatusCreated, rep)
	default:
		writeJSON(w, http.StatusOK, rep)
	}
}

// readImport reads the file and the options from the query (and, in a multipart upload,
// from the form's fields of the same names).
func readImport(r *http.Request) (importFile, error) {
	f := importFile{}
	opt := func(name string) string { return r.URL.Query().Get(name) }
	var ctype string
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "multipart/form-data" && params["boundary"] != "" {
		mr, err := r.MultipartReader()
		if err != nil {
			return f, &model.FieldError{Field: "file", Msg: "unreadable multipart body"}
		}
		fields := map[string]string{}
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				return f, bodyError(err, "file")
			}
			b, err := io.ReadAll(p)
			if err != nil {
				return f, bodyError(err, "file")
			}
			if p.FormName() == "file" {
				f.data, f.name, ctype = b, p.FileName(), p.Header.Get("Content-Type")
			} else {
				fields[p.FormName()] = string(b)
			}
		}
		if f.data == nil {
			return f, &model.FieldError{Field: "file", Msg: "send the file in the field \"file\""}
		}
		opt = func(name string) string {
			if v := r.URL.Query().Get(name); v != "" {
				return v
			}
			return fields[name]
		}
	} else {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return f, bodyError(err, "file")
		}
		f.data, ctype = b, mt
	}
	if len(f.data) == 0 {
		return f, &model.FieldError{Field: "file", Msg: "empty file"}
	}
	f.format = strings.ToLower(opt("format"))
	if f.format == "" {
		f.format = guessFormat(ctype, f.name, f.data)
	}
	if f.format != "vcard" && f.format != "csv" {
		return f, &model.FieldError{Field: "format", Msg: "must be vcard or csv"}
	}
	f.charset = strings.ToLower(opt("charset"))
	if m := opt("mapping"); m != "" {
		if err := json.Unmarshal([]byte(m), &f.mapping); err != nil {
			return f, &model.FieldError{Field: "mapping", Msg: "must be a JSON object of header → target"}
		}
	}
	var err error
	if f.dryRun, err = boolOpt(opt("dry_run"), true, "dry_run"); err != nil {
		return f, err
	}
	if f.allOrNot, err = boolOpt(opt("all_or_nothing"), false, "all_or_nothing"); err != nil {
		return f, err
	}
	f.onMatch = opt("on_match")
	return f, nil
}

func bodyError(err error, field string) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return &decodeError{http.StatusRequestEntityTooLarge, "file larger than " + strconv.FormatInt(tooBig.Limit, 10) + " bytes", field}
	}
	return &model.FieldError{Field: field, Msg: "unreadable body"}
}

func boolOpt(v string, def bool, field string) (bool, error) {
	if v == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return def, &model.FieldError{Field: field, Msg: "must be true or false"}
	}
	return b, nil
}

// guessFormat tells vCard from CSV by content type, file name or the first line.
func guessFormat(ctype, name string, data []byte) string {
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
