package model

import (
	"errors"
	"strings"
	"testing"
)

func TestEnumsValid(t *testing.T) {
	tests := []struct {
		name    string
		valid   []func() bool
		invalid []func() bool
	}{
		{
			"ContactKind",
			[]func() bool{KindPerson.Valid, KindOrganisation.Valid},
			[]func() bool{ContactKind("").Valid, ContactKind("company").Valid, ContactKind("Person").Valid},
		},
		{
			"ContactType",
			[]func() bool{TypeSupplier.Valid, TypePartner.Valid, TypeEmployee.Valid, TypeMember.Valid, TypeCustomer.Valid, TypeOther.Valid},
			[]func() bool{ContactType("").Valid, ContactType("vendor").Valid},
		},
		{
			"Role",
			[]func() bool{RoleViewer.Valid, RoleEditor.Valid, RoleManager.Valid},
			[]func() bool{Role("").Valid, Role("admin").Valid},
		},
		{
			"AudienceKind",
			[]func() bool{AudienceContact.Valid, AudienceRestricted.Valid},
			[]func() bool{AudienceKind("").Valid, AudienceKind("public").Valid},
		},
		{
			"AuditChannel",
			[]func() bool{ChannelAPI.Valid, ChannelCardDAV.Valid, ChannelExport.Valid, ChannelMail.Valid, ChannelSystem.Valid, ChannelWeb.Valid},
			[]func() bool{AuditChannel("").Valid, AuditChannel("ldap").Valid},
		},
		{
			"FieldType",
			[]func() bool{FieldText.Valid, FieldNumber.Valid, FieldDate.Valid, FieldChoice.Valid},
			[]func() bool{FieldType("").Valid, FieldType("bool").Valid},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i, f := range tt.valid {
				if !f() {
					t.Errorf("valid value %d reported invalid", i)
				}
			}
			for i, f := range tt.invalid {
				if f() {
					t.Errorf("invalid value %d reported valid", i)
				}
			}
		})
	}
}

func TestEnumSlicesComplete(t *testing.T) {
	lens := map[string][2]int{
		"ContactKinds":  {len(ContactKinds), 2},
		"ContactTypes":  {len(ContactTypes), 6},
		"Roles":         {len(Roles), 3},
		"AudienceKinds": {len(AudienceKinds), 2},
		"AuditChannels": {len(AuditChannels), 6},
		"FieldTypes":    {len(FieldTypes), 4},
	}
	for name, l := range lens {
		t.Run(name, func(t *testing.T) {
			if l[0] != l[1] {
				t.Fatalf("len(%s) = %d, want %d", name, l[0], l[1])
			}
		})
	}
}

func TestRoleAtLeast(t *testing.T) {
	tests := []struct {
		r, o Role
		want bool
	}{
		{RoleViewer, RoleViewer, true},
		{RoleViewer, RoleEditor, false},
		{RoleViewer, RoleManager, false},
		{RoleEditor, RoleViewer, true},
		{RoleEditor, RoleEditor, true},
		{RoleEditor, RoleManager, false},
		{RoleManager, RoleViewer, true},
		{RoleManager, RoleEditor, true},
		{RoleManager, RoleManager, true},
		{Role("admin"), RoleViewer, false},
		{RoleManager, Role("admin"), false},
		{Role(""), Role(""), false},
	}
	for _, tt := range tests {
		t.Run(string(tt.r)+">="+string(tt.o), func(t *testing.T) {
			if got := tt.r.AtLeast(tt.o); got != tt.want {
				t.Fatalf("%q.AtLeast(%q) = %v, want %v", tt.r, tt.o, got, tt.want)
			}
		})
	}
}

func TestNormalizeTag(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "vip", "vip"},
		{"lowercased", "VIP", "vip"},
		{"czech lowercased", "Dodavatel ŘEMESEL", "dodavatel řemesel"},
		{"trimmed and collapsed", "  Veletrh   Brno  2025 ", "veletrh brno 2025"},
		{"nbsp collapsed", "a\u00a0\u00a0b", "a b"},
		{"64 runes", strings.Repeat("ř", 64), strings.Repeat("ř", 64)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizeTag(tt.in)
			if err != nil {
				t.Fatalf("NormalizeTag(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Fatalf("NormalizeTag(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if again, err := NormalizeTag(got); err != nil || again != got {
				t.Fatalf("NormalizeTag(%q) = %q, %v; want it unchanged", got, again, err)
			}
		})
	}
}

func TestNormalizeTagInvalid(t *testing.T) {
	tests := []struct {
		name, in string
	}{
		{"empty", ""},
		{"blank", "   "},
		{"too long", strings.Repeat("ř", 65)},
		{"tab", "a\tb"},
		{"newline", "a\nb"},
		{"nul", "a\x00b"},
		{"del", "a\x7fb"},
		{"invalid utf8", "a\xffb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizeTag(tt.in)
			if err == nil {
				t.Fatalf("NormalizeTag(%q) = %q, want error", tt.in, got)
			}
			if !errors.Is(err, ErrInvalidTag) {
				t.Fatalf("NormalizeTag(%q) error %v does not wrap ErrInvalidTag", tt.in, err)
			}
		})
	}
}
