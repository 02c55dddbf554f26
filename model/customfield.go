package model

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// FieldType is the type of a custom field's values.
type FieldType string

// The custom field types.
const (
	FieldText   FieldType = "text"
	FieldNumber FieldType = "number"
	FieldDate   FieldType = "date"
	FieldChoice FieldType = "choice"
)

// FieldTypes lists every valid FieldType.
var FieldTypes = []FieldType{FieldText, FieldNumber, FieldDate, FieldChoice}

// Valid reports whether t is one of FieldTypes.
func (t FieldType) Valid() bool { return slices.Contains(FieldTypes, t) }

// FieldDef defines a custom field of an address book's contacts.
type FieldDef struct {
	Key      string    `json:"key"`      // stable identifier, ^[a-z][a-z0-9_]{0,39}$
	Label    string    `json:"label"`    // name shown to users
	Type     FieldType `json:"type"`     // type of the values
	Choices  []string  `json:"choices"`  // allowed values of a choice field
	Required bool      `json:"required"` // every contact must have a value
}

// FieldError is a validation error about one named field. An HTTP layer can
// report Field next to the message; for custom field values Field is the
// field's key, to be shown as "custom.<key>".
type FieldError struct {
	Field string // the field at fault
	Msg   string // what is wrong with it
}

// Error returns "model: <field>: <message>".
func (e *FieldError) Error() string { return "model: " + e.Field + ": " + e.Msg }

// Limits on custom fields.
const (
	maxFieldLabel = 100  // runes in a label or choice
	maxFieldText  = 2000 // runes in a text value
)

var fieldKeyRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// Validate checks the definition. Its errors are *FieldError naming the
// attribute at fault: "key", "label", "type" or "choices".
func (d FieldDef) Validate() error {
	if !fieldKeyRE.MatchString(d.Key) {
		return &FieldError{"key", "must be a lowercase letter followed by up to 39 lowercase letters, digits or underscores"}
	}
	if !validFieldLabel(d.Label) {
		return &FieldError{"label", fmt.Sprintf("must have 1 to %d characters", maxFieldLabel)}
	}
	if !d.Type.Valid() {
		return &FieldError{"type", fmt.Sprintf("unknown type %q", d.Type)}
	}
	if d.Type != FieldChoice {
		if len(d.Choices) > 0 {
			return &FieldError{"choices", "only choice fields have choices"}
		}
		return nil
	}
	if len(d.Choices) == 0 {
		return &FieldError{"choices", "a choice field needs choices"}
	}
	for i, c := range d.Choices {
		if !validFieldLabel(c) {
			return &FieldError{"choices", fmt.Sprintf("each choice must have 1 to %d characters", maxFieldLabel)}
		}
		if slices.Contains(d.Choices[:i], c) {
			return &FieldError{"choices", fmt.Sprintf("duplicate choice %q", c)}
		}
	}
	return nil
}

// validFieldLabel reports whether s is a non-blank label of at most
// maxFieldLabel runes without control characters.
func validFieldLabel(s string) bool {
	return utf8.ValidString(s) && strings.TrimSpace(s) != "" &&
		utf8.RuneCountInString(s) <= maxFieldLabel &&
		strings.IndexFunc(s, unicode.IsControl) < 0
}

// Normalize checks v, a value of the field as decoded from JSON (string,
// float64, json.Number, bool or nil), and returns the value to store:
//
//   - text: the trimmed string, at most 2000 runes; tabs, carriage returns
//     and newlines are the only control characters allowed;
//   - number: a finite float64, from a float64, a json.Number or a decimal
//     string such as "-12.5e3";
//   - date: a "YYYY-MM-DD" string naming a real day;
//   - choice: a string equal to one of d.Choices.
//
// A nil value or a blank string means the field is unset: Normalize returns
// nil, or an error if the field is required. Errors are *FieldError with Field set to d.Key.
func (d FieldDef) Normalize(v any) (any, error) {
	if s, ok := v.(string); ok && strings.TrimSpace(s) == "" {
		v = nil
	}
	if v == nil {
		if d.Required {
			return nil, d.errorf("is required")
		}
		return nil, nil
	}
	switch d.Type {
	case FieldText:
		return d.normalizeText(v)
	case FieldNumber:
		return d.normalizeNumber(v)
	case FieldDate:
		return d.normalizeDate(v)
	case FieldChoice:
		s, ok := v.(string)
		if !ok || !slices.Contains(d.Choices, s) {
			return nil, d.errorf("must be one of the field's choices")
		}
		return s, nil
	}
	return nil, d.errorf("has unknown type %q", d.Type)
}

// errorf returns a *FieldError about d.
func (d FieldDef) errorf(format string, args ...any) *FieldError {
	return &FieldError{Field: d.Key, Msg: fmt.Sprintf(format, args...)}
}

func (d FieldDef) normalizeText(v any) (any, error) {
	s, ok := v.(string)
	if !ok {
		return nil, d.errorf("must be a string")
	}
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		return nil, d.errorf("is not valid UTF-8")
	}
	if utf8.RuneCountInString(s) > maxFieldText {
		return nil, d.errorf("must have at most %d characters", maxFieldText)
	}
	if strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r' }) >= 0 {
		return nil, d.errorf("contains a control character")
	}
	return s, nil
}

func (d FieldDef) normalizeNumber(v any) (any, error) {
	f, ok := v.(float64)
	if !ok {
		var s string
		switch v := v.(type) {
		case json.Number:
			s = v.String()
		case string:
			s = v
		default:
			return nil, d.errorf("must be a number")
		}
		s = strings.TrimSpace(s)
		if !isDecimal(s) {
			return nil, d.errorf("must be a number")
		}
		var err error
		if f, err = strconv.ParseFloat(s, 64); err != nil {
			return nil, d.errorf("is out of range")
		}
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, d.errorf("must be a finite number")
	}
	return f, nil
}

func (d FieldDef) normalizeDate(v any) (any, error) {
	s, ok := v.(string)
	if !ok {
		return nil, d.errorf("must be a date string")
	}
	t, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
	if err != nil {
		return nil, d.errorf("must be a date in YYYY-MM-DD form")
	}
	return t.Format(time.DateOnly), nil
}

// isDecimal reports whether s is a plain decimal number: an optional sign,
// digits, an optional fraction and an optional exponent, as in "-12.5e3".
func isDecimal(s string) bool {
	mant, exp, hasExp := s, "", false
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant, exp, hasExp = s[:i], s[i+1:], true
	}
	whole, frac, hasFrac := strings.Cut(trimSign(mant), ".")
	return isDigits(whole) && (!hasFrac || isDigits(frac)) && (!hasExp || isDigits(trimSign(exp)))
}

// trimSign drops one leading "+" or "-" from s.
func trimSign(s string) string {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		return s[1:]
	}
	return s
}

// isDigits reports whether s is one or more ASCII digits.
func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// ValidateCustomFields checks values, the custom field values of a contact
// keyed by field key, against defs. It returns the normalised values (see
// FieldDef.Normalize) that are set, leaving out unset ones. Errors are
// *FieldError naming the key at fault: an unknown key, a bad value or a
// missing required field.
func ValidateCustomFields(defs []FieldDef, values map[string]any) (map[string]any, error) {
	for _, k := range slices.Sorted(maps.Keys(values)) {
		if !slices.ContainsFunc(defs, func(d FieldDef) bool { return d.Key == k }) {
			return nil, &FieldError{Field: k, Msg: "unknown field"}
		}
	}
	out := make(map[string]any, len(values))
	for _, d := range defs {
		v, err := d.Normalize(values[d.Key])
		if err != nil {
			return nil, err
		}
		if v != nil {
			out[d.Key] = v
		}
	}
	return out, nil
}
