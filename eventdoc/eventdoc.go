// Package eventdoc reads the upload of an event document, shared by the JSON API (package
// api) and the staff web pages (package web) so that both channels accept exactly the same
// files: a multipart/form-data body whose part "file" holds at most MaxBytes, with its
// content type sniffed from the bytes (never taken from the upload). The store checks the
// name and the sniffed type (store.AddEventDocument, store.EventDocumentTypes).
package eventdoc

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
)

// MaxBytes bounds an uploaded event document.
const MaxBytes = 20 << 20

// FormOverhead is what an upload may hold besides the file: other fields and the multipart
// framing. A body limit of MaxBytes plus FormOverhead fits.
const FormOverhead = 64 << 10

// maxField bounds each text field read besides the file.
const maxField = 1024

// Error is a refused upload: not multipart (415), a file too large (413), no file or a
// malformed body (400). Field names the part at fault, if one is.
type Error struct {
	Status int
	Msg    string
	Field  string
}

func (e *Error) Error() string { return "eventdoc: " + e.Msg }

// The refusals.
var (
	ErrNotMultipart = &Error{http.StatusUnsupportedMediaType, "send multipart/form-data with a part named file", ""}
	ErrMalformed    = &Error{http.StatusBadRequest, "malformed multipart body", ""}
	ErrNoFile       = &Error{http.StatusBadRequest, "no part named file", "file"}
	ErrTooLarge     = &Error{http.StatusRequestEntityTooLarge, "file larger than " + strconv.Itoa(MaxBytes) + " bytes", "file"}
)

// Upload is the file of an upload: its name as sent, the content type sniffed from its
// bytes, the bytes, and the text fields asked for that came before it.
type Upload struct {
	Name        string
	ContentType string
	Data        []byte
	Fields      map[string]string
}

// Read reads r's multipart body up to and including its part "file" (the rest is not
// read): the text fields named in fields that precede it (at most 1 KiB each, the first
// of each name), other parts skipped. The caller caps r.Body (MaxBytes + FormOverhead) so
// that a body over the limit is a 413.
func Read(r *http.Request, fields ...string) (Upload, error) {
	up := Upload{Fields: map[string]string{}}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return up, ErrNotMultipart
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return up, ErrMalformed
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return up, ErrNoFile
		}
		if err != nil {
			return up, partError(err)
		}
		name := part.FormName()
		if name == "file" {
			data, err := io.ReadAll(io.LimitReader(part, MaxBytes+1))
			if err != nil {
				return up, partError(err)
			}
			if len(data) > MaxBytes {
				return up, ErrTooLarge
			}
			up.Name, up.ContentType, up.Data = part.FileName(), http.DetectContentType(data), data
			return up, nil
		}
		if _, seen := up.Fields[name]; !seen && slices.Contains(fields, name) {
			b, err := io.ReadAll(io.LimitReader(part, maxField))
			if err != nil {
				return up, partError(err)
			}
			up.Fields[name] = string(b)
		}
	}
}

// partError turns a failure to read the body into a 413 (over the caller's limit) or 400.
func partError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return ErrTooLarge
	}
	return ErrMalformed
}
