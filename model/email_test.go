package model

import (
	"errors"
	"strings"
	"testing"
)

// longest is an address of 254 bytes, the most allowed.
var longest = strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 58) + ".cz"

func TestNormalizeEmail(t *testing.T) {
	tests := []struct {
		name, raw, want string
	}{
		{"plain", "jana.novakova@firma.cz", "jana.novakova@firma.cz"},
		{"trimmed", "  jana@firma.cz\n", "jana@firma.cz"},
		{"domain lowercased, local kept", "Jana.Novakova@FIRMA.CZ", "Jana.Novakova@firma.cz"},
		{"plus tag", "jana+crm@firma.cz", "jana+crm@firma.cz"},
		{"atext symbols", "o'neil!#$%&*/=?^_`{|}~-@example.com", "o'neil!#$%&*/=?^_`{|}~-@example.com"},
		{"subdomain", "a@mail.firma.co.uk", "a@mail.firma.co.uk"},
		{"hyphen in label", "a@moje-firma.cz", "a@moje-firma.cz"},
		{"idn domain", "info@Příliš-Žluťoučký.CZ", "info@příliš-žluťoučký.cz"},
		{"unicode local", "jiří@firma.cz", "jiří@firma.cz"},
		{"digits domain", "a@123.cz", "a@123.cz"},
		{"local 64 bytes", strings.Repeat("a", 64) + "@firma.cz", strings.Repeat("a", 64) + "@firma.cz"},
		{"254 bytes", longest, longest},
		{"label 63 bytes", "a@" + strings.Repeat("b", 63) + ".cz", "a@" + strings.Repeat("b", 63) + ".cz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizeEmail(tt.raw)
			if err != nil {
				t.Fatalf("NormalizeEmail(%q): %v", tt.raw, err)
			}
			if got != tt.want {
				t.Fatalf("NormalizeEmail(%q) = %q, want %q", tt.raw, got, tt.want)
			}
		})
	}
}

func TestNormalizeEmailInvalid(t *testing.T) {
	tests := []struct {
		name, raw string
	}{
		{"empty", ""},
		{"blank", "  "},
		{"no at", "jana.firma.cz"},
		{"two ats", "jana@novak@firma.cz"},
		{"display name", "Jana <jana@firma.cz>"},
		{"angle brackets only", "<jana@firma.cz>"},
		{"empty local", "@firma.cz"},
		{"empty domain", "jana@"},
		{"no dot in domain", "jana@localhost"},
		{"space in local", "ja na@firma.cz"},
		{"space in domain", "jana@fir ma.cz"},
		{"tab", "jana\t@firma.cz"},
		{"control char", "ja\x00na@firma.cz"},
		{"consecutive dots local", "jana..novak@firma.cz"},
		{"leading dot local", ".jana@firma.cz"},
		{"trailing dot local", "jana.@firma.cz"},
		{"consecutive dots domain", "jana@firma..cz"},
		{"trailing dot domain", "jana@firma.cz."},
		{"leading dot domain", "jana@.firma.cz"},
		{"leading hyphen label", "jana@-firma.cz"},
		{"trailing hyphen label", "jana@firma-.cz"},
		{"underscore in domain", "jana@fir_ma.cz"},
		{"quoted local", `"jana novak"@firma.cz`},
		{"comma", "jana,novak@firma.cz"},
		{"ip literal", "jana@[127.0.0.1]"},
		{"numeric tld", "jana@127.0.0.1"},
		{"local too long", strings.Repeat("a", 65) + "@firma.cz"},
		{"label too long", "a@" + strings.Repeat("b", 64) + ".cz"},
		{"total too long", longest + "x"},
		{"domain too long", "a@" + strings.Repeat(strings.Repeat("b", 62)+".", 4) + "cz"},
		{"invalid utf8", "ja\xffna@firma.cz"},
		{"emoji domain", "a@😀.cz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizeEmail(tt.raw)
			if err == nil {
				t.Fatalf("NormalizeEmail(%q) = %q, want error", tt.raw, got)
			}
			if !errors.Is(err, ErrInvalidEmail) || !strings.HasPrefix(err.Error(), "model: invalid email address: ") {
				t.Fatalf("NormalizeEmail(%q) error %q does not wrap ErrInvalidEmail", tt.raw, err)
			}
		})
	}
}

func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{
		"jana.novakova@firma.cz", "Jana.Novakova@FIRMA.CZ", "info@Příliš-Žluťoučký.CZ",
		"Jana <jana@firma.cz>", "jana..novak@firma.cz", "a@b", "@", "jiří@firma.cz", "a@İ.cz",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := NormalizeEmail(raw)
		if err != nil {
			if !errors.Is(err, ErrInvalidEmail) {
				t.Fatalf("error %v does not wrap ErrInvalidEmail", err)
			}
			return
		}
		if len(got) > 254 || strings.Count(got, "@") != 1 {
			t.Fatalf("NormalizeEmail(%q) = %q: bad result", raw, got)
		}
		again, err := NormalizeEmail(got)
		if err != nil || again != got {
			t.Fatalf("NormalizeEmail(%q) = %q, %v; want it unchanged", got, again, err)
		}
	})
}
