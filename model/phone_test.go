package model

import (
	"errors"
	"regexp"
	"testing"
)

func TestNormalizePhone(t *testing.T) {
	tests := []struct {
		name, raw, region, want string
	}{
		{"cz international spaced", "+420 601 123 456", "CZ", "+420601123456"},
		{"cz 00 prefix", "00420601123456", "CZ", "+420601123456"},
		{"cz national", "601 123 456", "CZ", "+420601123456"},
		{"cz national lowercase region", " 601-123-456 ", "cz", "+420601123456"},
		{"cz international from other region", "+420 601 123 456", "DE", "+420601123456"},
		{"cz international no region", "+420601123456", "", "+420601123456"},
		{"cz dots and slashes", "601.123/456", "CZ", "+420601123456"},
		{"cz nbsp and en dash", "601\u00a0123\u2013456", "CZ", "+420601123456"},
		{"cz extension x", "+420 601 123 456 x 12", "", "+420601123456"},
		{"cz extension ext.", "601 123 456 ext. 12", "CZ", "+420601123456"},
		{"cz extension EXT", "601123456EXT12", "CZ", "+420601123456"},
		{"cz extension rfc3966", "+420601123456;ext=12", "", "+420601123456"},
		{"sk trunk", "0905 123 456", "SK", "+421905123456"},
		{"sk international", "+421 905 123 456", "", "+421905123456"},
		{"de national trunk", "0171 1234567", "DE", "+491711234567"},
		{"de slash", "030/1234567", "DE", "+49301234567"},
		{"de international with (0)", "+49 (0)171 1234567", "", "+491711234567"},
		{"de 00 with (0)", "0049 (0) 171 1234567", "", "+491711234567"},
		{"at national", "01 5123456", "AT", "+4315123456"},
		{"pl", "512 345 678", "PL", "+48512345678"},
		{"gb mobile", "07700 900123", "GB", "+447700900123"},
		{"gb london", "020 7946 0000", "GB", "+442079460000"},
		{"us parens", "(212) 555-0100", "US", "+12125550100"},
		{"us leading 1", "1-212-555-0100", "US", "+12125550100"},
		{"us international", "+1 212 555 0100", "", "+12125550100"},
		{"ca", "416 555 0100", "CA", "+14165550100"},
		{"fr", "01 23 45 67 89", "FR", "+33123456789"},
		{"hu trunk 06", "06 30 123 4567", "HU", "+36301234567"},
		{"hu budapest", "06 1 234 5678", "HU", "+3612345678"},
		{"it keeps 0", "06 1234 5678", "IT", "+390612345678"},
		{"it international keeps 0", "+39 06 1234 5678", "", "+390612345678"},
		{"it mobile", "347 123 4567", "IT", "+393471234567"},
		{"es", "612 34 56 78", "ES", "+34612345678"},
		{"nl", "06 12345678", "NL", "+31612345678"},
		{"ch", "044 668 18 00", "CH", "+41446681800"},
		{"unknown code generic", "+7 495 123 45 67", "", "+74951234567"},
		{"unknown code 00", "00 380 44 123 4567", "", "+380441234567"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizePhone(tt.raw, tt.region)
			if err != nil {
				t.Fatalf("NormalizePhone(%q, %q): %v", tt.raw, tt.region, err)
			}
			if got != tt.want {
				t.Fatalf("NormalizePhone(%q, %q) = %q, want %q", tt.raw, tt.region, got, tt.want)
			}
		})
	}
}

func TestNormalizePhoneInvalid(t *testing.T) {
	tests := []struct {
		name, raw, region string
	}{
		{"empty", "", "CZ"},
		{"blank", "   ", "CZ"},
		{"junk", "junk", "CZ"},
		{"letters", "601 ABC 456", "CZ"},
		{"vanity", "1-800-FLOWERS", "US"},
		{"only separators", "+-- ()", "CZ"},
		{"plus only", "+", "CZ"},
		{"plus inside", "601+123456", "CZ"},
		{"double plus", "++420601123456", "CZ"},
		{"cz too short", "601 123 45", "CZ"},
		{"cz too long", "601 123 4567", "CZ"},
		{"cz international too short", "+420 601 123 45", ""},
		{"cz international too long", "+420 601 123 4567", ""},
		{"cz leading zero", "0601 123 456", "CZ"},
		{"sk international with trunk", "+421 0905 123 456", ""},
		{"unknown region", "601 123 456", "XX"},
		{"no region", "601 123 456", ""},
		{"calling code 0", "+0 123 456 789", ""},
		{"00 then 0", "000 123 456 789", ""},
		{"generic too short", "+7 123 45", ""},
		{"generic too long", "+7 1234 5678 9012 345", ""},
		{"us area code 1", "+1 112 555 0100", ""},
		{"us too short", "212 555 010", "US"},
		{"at too short overall", "+43 1234", ""},
		{"empty extension", "601 123 456 x", "CZ"},
		{"letter extension", "601 123 456 ext abc", "CZ"},
		{"fax prefix", "fax 601 123 456", "CZ"},
		{"arabic digits", "٦٠١١٢٣٤٥٦", "CZ"},
		{"invalid utf8", "601\xff123456", "CZ"},
		{"email", "jana@firma.cz", "CZ"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizePhone(tt.raw, tt.region)
			if err == nil {
				t.Fatalf("NormalizePhone(%q, %q) = %q, want error", tt.raw, tt.region, got)
			}
			if !errors.Is(err, ErrInvalidPhone) {
				t.Fatalf("NormalizePhone(%q, %q) error %v does not wrap ErrInvalidPhone", tt.raw, tt.region, err)
			}
		})
	}
}

var e164RE = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{
		"+420 601 123 456", "00420601123456", "601 123 456", "0171 1234567",
		"(212) 555-0100", "+49 (0)171 1234567", "06 30 123 4567", "601 123 456 ext. 12",
		"+7 495 123 45 67", "junk", "",
	} {
		for _, region := range []string{"CZ", "DE", "US", "IT", "HU", ""} {
			f.Add(s, region)
		}
	}
	f.Fuzz(func(t *testing.T, raw, region string) {
		got, err := NormalizePhone(raw, region)
		if err != nil {
			if !errors.Is(err, ErrInvalidPhone) {
				t.Fatalf("error %v does not wrap ErrInvalidPhone", err)
			}
			return
		}
		if !e164RE.MatchString(got) {
			t.Fatalf("NormalizePhone(%q, %q) = %q, not E.164", raw, region, got)
		}
		again, err := NormalizePhone(got, region)
		if err != nil || again != got {
			t.Fatalf("NormalizePhone(%q) = %q, %v; want it unchanged", got, again, err)
		}
	})
}
