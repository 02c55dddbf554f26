package model

import (
	"strings"
	"unicode/utf8"
)

// DisplayName returns the name a contact is shown and sorted under: for an
// organisation its orgName, for a person the non-empty name parts joined by
// single spaces. White space inside the parts is collapsed. The result is
// empty when the contact has no name of its kind.
func DisplayName(kind ContactKind, prefix, given, additional, family, suffix, orgName string) string {
	if kind == KindOrganisation {
		return collapseSpace(orgName)
	}
	return collapseSpace(strings.Join([]string{prefix, given, additional, family, suffix}, " "))
}

// FoldForSearch returns s lowercased, with the diacritics of Latin letters
// removed and runs of white space collapsed to one space, for building and
// matching search keys: "Jiří  Šťastný" becomes "jiri stastny".
//
// It folds the letters of Latin-1 Supplement and Latin Extended-A, plus
// Romanian ș and ț, the way PostgreSQL's unaccent rules do (ß to "ss", æ to
// "ae", ł to "l", ø to "o", þ to "th" and so on), and drops combining
// diacritical marks (U+0300 to U+036F), so decomposed text folds alike.
// Other characters are only lowercased.
func FoldForSearch(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range strings.ToLower(s) {
		switch {
		case r < utf8.RuneSelf:
			b.WriteByte(byte(r))
		case r >= 0x300 && r <= 0x36f:
			// A combining diacritical mark: drop it.
		default:
			if f, ok := latinFold[r]; ok {
				b.WriteString(f)
			} else {
				b.WriteRune(r)
			}
		}
	}
	return collapseSpace(b.String())
}

// collapseSpace trims s and collapses runs of white space to one space.
func collapseSpace(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// latinFold maps lowercase Latin letters with diacritics, and ligatures, to
// plain ASCII, following PostgreSQL's unaccent.rules.
var latinFold = func() map[rune]string {
	m := make(map[rune]string)
	for plain, letters := range map[string]string{
		"a":  "àáâãäåāăą",
		"c":  "çćĉċč",
		"d":  "ðďđ",
		"e":  "èéêëēĕėęě",
		"g":  "ĝğġģ",
		"h":  "ĥħ",
		"i":  "ìíîïĩīĭįı",
		"j":  "ĵ",
		"k":  "ķ",
		"l":  "ĺļľŀł",
		"n":  "ñńņňŋ",
		"o":  "òóôõöøōŏő",
		"q":  "ĸ",
		"r":  "ŕŗř",
		"s":  "śŝşšſș",
		"t":  "ţťŧț",
		"u":  "ùúûüũūŭůűų",
		"w":  "ŵ",
		"y":  "ýÿŷ",
		"z":  "źżž",
		"ae": "æ",
		"oe": "œ",
		"ij": "ĳ",
		"ss": "ß",
		"th": "þ",
		"'n": "ŉ",
	} {
		for _, r := range letters {
			m[r] = plain
		}
	}
	return m
}()
