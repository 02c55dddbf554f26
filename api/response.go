package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"runtime/debug"
	"strings"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/kontakt/kontakt/eventdoc"
	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// errorBody is the JSON of every error answer.
type errorBody struct {
	Error string `json:"error"`
	Field string `json:"field,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v) //nolint:errcheck // the client went away
}

func writeError(w http.ResponseWriter, status int, msg, field string) {
	writeJSON(w, status, errorBody{Error: msg, Field: field})
}

// fail answers err with the matching status: validation → 400 with the field, not found
// → 404, forbidden → 403, conflict → 409, anything else → 500, logged once.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	var fe *model.FieldError
	var ce *store.ConflictError
	var de *decodeError
	switch {
	case errors.As(err, &de):
		writeError(w, de.status, de.msg, de.field)
	case errors.As(err, &fe):
		writeError(w, http.StatusBadRequest, fe.Msg, fe.Field)
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "not found", "")
	case errors.Is(err, store.ErrForbidden):
		writeError(w, http.StatusForbidden, "you may see this but not change it", "")
	case errors.As(err, &ce):
		writeError(w, http.StatusConflict, ce.Msg, ce.Field)
	case errors.Is(err, model.ErrInvalidPhone), errors.Is(err, model.ErrInvalidEmail):
		writeError(w, http.StatusBadRequest, strings.TrimPrefix(err.Error(), "model: "), "")
	default:
		h.log.ErrorContext(r.Context(), "request failed", "err", err, "method", r.Method,
			"route", r.URL.Path, "request_id", middleware.GetReqID(r.Context()))
		writeError(w, http.StatusInternalServerError, "internal error", "")
	}
}

// decodeError is a request body that cannot be read as the expected JSON.
type decodeError struct {
	status int
	msg    string
	field  string
}

func (e *decodeError) Error() string { return "api: " + e.msg }

// decode reads exactly one JSON object from the body into v, refusing unknown fields,
// wrong types, trailing data and bodies over the limit.
func decode(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return &decodeError{http.StatusUnsupportedMediaType, "send application/json", ""}
		}
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return &decodeError{http.StatusBadRequest, "unexpected data after the JSON object", ""}
	}
	return nil
}

func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return &decodeError{http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", tooBig.Limit), ""}
	case errors.As(err, &syn):
		return &decodeError{http.StatusBadRequest, fmt.Sprintf("malformed JSON at byte %d", syn.Offset), ""}
	case errors.As(err, &typ):
		return &decodeError{http.StatusBadRequest, "wrong type: expected " + typ.Type.String(), typ.Field}
	case errors.Is(err, io.EOF):
		return &decodeError{http.StatusBadRequest, "empty body: send a JSON object", ""}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &decodeError{http.StatusBadRequest, "truncated JSON", ""}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &decodeError{http.StatusBadRequest, "unknown field", field}
	}
	return &decodeError{http.StatusBadRequest, "invalid JSON: " + err.Error(), ""}
}

// recoverer turns a panic into a logged 500 instead of a dropped connection.
func (h *handler) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				h.log.ErrorContext(r.Context(), "panic", "value", fmt.Sprint(v), "stack", string(debug.Stack()))
				writeError(w, http.StatusInternalServerError, "internal error", "")
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// limitBody caps every request body: at MaxBodyBytes, the upload of a signed consent form
// at what its scan may hold, an event document at eventdoc.MaxBytes, and an import at
// ImportMaxBytes.
func (h *handler) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := h.opt.MaxBodyBytes
		switch {
		case isScanUpload(r):
			limit = h.scanMaxBytes() + scanFormOverhead
		case isDocumentUpload(r):
			limit = eventdoc.MaxBytes + eventdoc.FormOverhead
		case isImportUpload(r):
			limit = h.importMaxBytes() + scanFormOverhead
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r)
	})
}

// noStore keeps personal data out of caches.
func (h *handler) noStore(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(w, r)
	})
}

// passwordError turns auth.CheckPassword's complaint into a field error.
func passwordError(err error) error {
	if err == nil {
		return nil
	}
	return &model.FieldError{Field: "password", Msg: strings.TrimPrefix(err.Error(), "auth: ")}
}

// readByID serves a GET route that reads one thing (or one list) by the path's {id} for the
// caller: a malformed id and anything the caller may not see answer 404.
// listAll serves a GET that lists what the actor may see, as list returns it.
func listAll[T any](h *handler, list func(context.Context, store.Actor) (T, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, err := list(r.Context(), actor(r))
		if err != nil {
			h.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, v)
	}
}

// byIDs serves a request that acts on the path's id and a second id (the path parameter
// second), answering 204: adding or removing a member, a grant, a staff member.
func byIDs(h *handler, second string, act func(context.Context, store.Actor, string, string) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(w, r, "id")
		if !ok {
			return
		}
		other, ok := pathID(w, r, second)
		if !ok {
			return
		}
		h.noContent(w, r, act(r.Context(), actor(r), id, other))
	}
}

func readByID[T any](h *handler, read func(context.Context, store.Actor, string) (T, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(w, r, "id")
		if !ok {
			return
		}
		v, err := read(r.Context(), actor(r), id)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, v)
	}
}
