package model

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrInvalidPhone is the error NormalizePhone wraps, with detail, when it
// rejects its input. Test for it with errors.Is.
var ErrInvalidPhone = errors.New("model: invalid phone number")

// phoneRule is the numbering plan of one country, reduced to what
// NormalizePhone checks: the length of the national significant number
// (the digits after the calling code).
type phoneRule struct {
	code     string // country calling code, without "+"
	trunk    string // national trunk prefix, dropped from national input
	min, max int    // digits in the national significant number
	zero     bool   // the national significant number may start with 0 (Italy)
}

// phoneRegions maps ISO 3166 alpha-2 region codes to their numbering rules.
var phoneRegions = map[string]phoneRule{
	"AT": {code: "43", trunk: "0", min: 4, max: 13},
	"CA": {code: "1", trunk: "1", min: 10, max: 10},
	"CH": {code: "41", trunk: "0", min: 9, max: 9},
	"CZ": {code: "420", min: 9, max: 9},
	"DE": {code: "49", trunk: "0", min: 5, max: 13},
	"ES": {code: "34", min: 9, max: 9},
	"FR": {code: "33", trunk: "0", min: 9, max: 9},
	"GB": {code: "44", trunk: "0", min: 9, max: 10},
	"HU": {code: "36", trunk: "06", min: 8, max: 9},
	"IT": {code: "39", min: 6, max: 11, zero: true},
	"NL": {code: "31", trunk: "0", min: 9, max: 9},
	"PL": {code: "48", min: 9, max: 9},
	"SK": {code: "421", trunk: "0", min: 9, max: 9},
	"US": {code: "1", trunk: "1", min: 10, max: 10},
}

// phoneCodes maps calling codes to the rules of phoneRegions. Regions that
// share a code (US and CA) share their rule.
var phoneCodes = func() map[string]phoneRule {
	m := make(map[string]phoneRule, len(phoneRegions))
	for _, r := range phoneRegions {
		m[r.code] = r
	}
	return m
}()

// NormalizePhone returns raw in E.164 form, such as "+420601123456".
//
// Spaces, dashes, dots, slashes and parentheses are ignored, and so is a
// "(0)" written between the calling code and the number ("+49 (0)171 ...").
// A leading "+" or "00" marks an international number; anything else is a
// national number of defaultRegion (ISO 3166 alpha-2, such as "CZ"), whose
// trunk prefix is dropped. An extension after "ext", "x" or ";ext=" is
// accepted but dropped: the result holds the main number only.
//
// Numbers whose calling code NormalizePhone knows must have the national
// length of that country; other international numbers must have 8 to 15
// digits. In every case the result has 7 to 15 digits.
func NormalizePhone(raw, defaultRegion string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", fmt.Errorf("%w: empty", ErrInvalidPhone)
	}
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("%w: not valid UTF-8", ErrInvalidPhone)
	}
	s, err := cutExtension(s)
	if err != nil {
		return "", err
	}
	intl := false
	if rest, ok := strings.CutPrefix(s, "+"); ok {
		intl, s = true, rest
	}
	digits, err := phoneDigits(s)
	if err != nil {
		return "", err
	}
	if !intl {
		if rest, ok := strings.CutPrefix(digits, "00"); ok {
			intl, digits = true, rest
		}
	}
	if digits == "" {
		return "", fmt.Errorf("%w: no digits", ErrInvalidPhone)
	}
	if intl {
		return internationalPhone(digits)
	}
	r, ok := phoneRegions[strings.ToUpper(strings.TrimSpace(defaultRegion))]
	if !ok {
		return "", fmt.Errorf("%w: national number with unknown default region %q", ErrInvalidPhone, defaultRegion)
	}
	if r.trunk != "" {
		digits = strings.TrimPrefix(digits, r.trunk)
	}
	return r.format(digits)
}

// cutExtension drops a trailing extension ("x 12", "ext. 12", ";ext=12").
func cutExtension(s string) (string, error) {
	lower := strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
	for _, mark := range []string{";ext=", "ext", "x"} {
		i := strings.Index(lower, mark)
		if i < 0 {
			continue
		}
		ext := strings.TrimSpace(strings.TrimLeft(s[i+len(mark):], " .:="))
		if len(ext) > 10 || !isDigits(ext) {
			return "", fmt.Errorf("%w: malformed extension", ErrInvalidPhone)
		}
		return strings.TrimSpace(s[:i]), nil
	}
	return s, nil
}

// phoneDigits returns the digits of s, skipping separators and "(0)".
func phoneDigits(s string) (string, error) {
	s = strings.ReplaceAll(s, "(0)", "")
	var b strings.Builder
	for _, r := range s {
		switch {
		case '0' <= r && r <= '9':
			b.WriteRune(r)
		case r == '.' || r == '/' || r == '(' || r == ')' || r == '-' ||
			unicode.IsSpace(r) || unicode.Is(unicode.Pd, r):
		default:
			return "", fmt.Errorf("%w: unexpected character %q", ErrInvalidPhone, r)
		}
	}
	return b.String(), nil
}

// internationalPhone formats digits that follow a "+" or "00".
func internationalPhone(digits string) (string, error) {
	if digits[0] == '0' {
		return "", fmt.Errorf("%w: calling code cannot start with 0", ErrInvalidPhone)
	}
	for n := 1; n <= 3 && n < len(digits); n++ {
		if r, ok := phoneCodes[digits[:n]]; ok {
			return r.format(digits[n:])
		}
	}
	if len(digits) < 8 || len(digits) > 15 {
		return "", fmt.Errorf("%w: must have 8 to 15 digits", ErrInvalidPhone)
	}
	return "+" + digits, nil
}

// format checks the national significant number nsn against r and returns
// the E.164 form.
func (r phoneRule) format(nsn string) (string, error) {
	if len(nsn) < r.min || len(nsn) > r.max {
		if r.min == r.max {
			return "", fmt.Errorf("%w: +%s numbers have %d digits after the calling code", ErrInvalidPhone, r.code, r.min)
		}
		return "", fmt.Errorf("%w: +%s numbers have %d to %d digits after the calling code", ErrInvalidPhone, r.code, r.min, r.max)
	}
	if nsn[0] == '0' && !r.zero {
		return "", fmt.Errorf("%w: +%s numbers cannot start with 0 after the calling code", ErrInvalidPhone, r.code)
	}
	if r.code == "1" && nsn[0] == '1' {
		return "", fmt.Errorf("%w: +1 area codes cannot start with 1", ErrInvalidPhone)
	}
	if n := len(r.code) + len(nsn); n < 7 || n > 15 {
		return "", fmt.Errorf("%w: must have 7 to 15 digits", ErrInvalidPhone)
	}
	return "+" + r.code + nsn, nil
}
