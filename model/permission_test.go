package model

import (
	"slices"
	"testing"
)

func TestNormalizePermissions(t *testing.T) {
	for _, tt := range []struct {
		in, want []string
		bad      bool
	}{
		{nil, []string{}, false},
		{[]string{"gdpr", "scans", "gdpr"}, []string{"scans", "gdpr"}, false},
		{[]string{"scans"}, []string{"scans"}, false},
		{[]string{"admin"}, nil, true},
		{[]string{"Scans"}, nil, true},
	} {
		got, err := NormalizePermissions(tt.in)
		if (err != nil) != tt.bad || !tt.bad && !slices.Equal(got, tt.want) {
			t.Errorf("NormalizePermissions(%q) = %q, %v", tt.in, got, err)
		}
	}
}
