package model

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrInvalidEmail is the error NormalizeEmail wraps, with detail, when it
// rejects its input. Test for it with errors.Is.
var ErrInvalidEmail = errors.New("model: invalid email address")

// NormalizeEmail returns raw as a plain address ("jana.novakova@firma.cz").
//
// It trims surrounding space and lowercases the domain; the local part keeps
// its case. Display names ("Jana <jana@firma.cz>"), quoted local parts and
// address literals are rejected. The local part may hold letters, digits
// and the RFC 5322 atext symbols, in dot-separated runs; the domain needs at
// least two labels of letters (Unicode letters for IDN), digits and inner
// hyphens, up to 63 bytes each. The whole address is at most 254 bytes.
func NormalizeEmail(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", fmt.Errorf("%w: empty", ErrInvalidEmail)
	}
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("%w: not valid UTF-8", ErrInvalidEmail)
	}
	if strings.ContainsAny(s, "<>") {
		return "", fmt.Errorf("%w: display names are not allowed", ErrInvalidEmail)
	}
	local, domain, ok := strings.Cut(s, "@")
	if !ok || strings.Contains(domain, "@") {
		return "", fmt.Errorf("%w: must contain exactly one @", ErrInvalidEmail)
	}
	if err := checkEmailLocal(local); err != nil {
		return "", err
	}
	domain = strings.ToLower(domain)
	if err := checkEmailDomain(domain); err != nil {
		return "", err
	}
	out := local + "@" + domain
	if len(out) > 254 {
		return "", fmt.Errorf("%w: longer than 254 bytes", ErrInvalidEmail)
	}
	return out, nil
}

// checkEmailLocal checks the part before the @.
func checkEmailLocal(local string) error {
	if local == "" || len(local) > 64 {
		return fmt.Errorf("%w: local part must have 1 to 64 bytes", ErrInvalidEmail)
	}
	if local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		return fmt.Errorf("%w: misplaced dot in local part", ErrInvalidEmail)
	}
	for _, r := range local {
		ok := r < utf8.RuneSelf && (isASCIIAlnum(r) || strings.ContainsRune(".!#$%&'*+-/=?^_`{|}~", r)) ||
			r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r))
		if !ok {
			return fmt.Errorf("%w: character %q not allowed in local part", ErrInvalidEmail, r)
		}
	}
	return nil
}

// checkEmailDomain checks the (lowercased) part after the @.
func checkEmailDomain(domain string) error {
	if domain == "" || len(domain) > 253 {
		return fmt.Errorf("%w: domain must have 1 to 253 bytes", ErrInvalidEmail)
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return fmt.Errorf("%w: domain needs a dot", ErrInvalidEmail)
	}
	for _, l := range labels {
		if !validDomainLabel(l) {
			return fmt.Errorf("%w: bad domain label %q", ErrInvalidEmail, l)
		}
	}
	if isDigits(labels[len(labels)-1]) {
		return fmt.Errorf("%w: top-level domain cannot be numeric", ErrInvalidEmail)
	}
	return nil
}

// validDomainLabel reports whether l is a DNS label of 1 to 63 bytes made of
// letters (any script), digits, combining marks and inner hyphens.
func validDomainLabel(l string) bool {
	if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for i, r := range l {
		switch {
		case isASCIIAlnum(r) || r == '-':
		case r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)):
		case r >= utf8.RuneSelf && unicode.IsMark(r) && i > 0:
		default:
			return false
		}
	}
	return true
}

// isASCIIAlnum reports whether r is an ASCII letter or digit.
func isASCIIAlnum(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
}
