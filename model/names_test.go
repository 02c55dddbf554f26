package model

import "testing"

func TestDisplayName(t *testing.T) {
	tests := []struct {
		name                                               string
		kind                                               ContactKind
		prefix, given, additional, family, suffix, orgName string
		want                                               string
	}{
		{"person full", KindPerson, "Ing.", "Jana", "Marie", "Nováková", "Ph.D.", "Firma s.r.o.", "Ing. Jana Marie Nováková Ph.D."},
		{"person skips empty parts", KindPerson, "", "Jana", "", "Nováková", "", "", "Jana Nováková"},
		{"person trims parts", KindPerson, " ", " Jana ", "", "  Nováková", "", "", "Jana Nováková"},
		{"person family only", KindPerson, "", "", "", "Novák", "", "", "Novák"},
		{"person without name", KindPerson, "", "", "", "", "", "Firma s.r.o.", ""},
		{"organisation", KindOrganisation, "", "Jana", "", "Nováková", "", "Firma  s.r.o. ", "Firma s.r.o."},
		{"organisation without org name", KindOrganisation, "", "Jana", "", "Nováková", "", "", ""},
		{"nothing", KindPerson, "", "", "", "", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DisplayName(tt.kind, tt.prefix, tt.given, tt.additional, tt.family, tt.suffix, tt.orgName)
			if got != tt.want {
				t.Fatalf("DisplayName = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFoldForSearch(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"ascii", "Jana Novak", "jana novak"},
		{"czech lower", "áčďéěíňóřšťúůýž", "acdeeinorstuuyz"},
		{"czech upper", "ÁČĎÉĚÍŇÓŘŠŤÚŮÝŽ", "acdeeinorstuuyz"},
		{"czech name", "Jiří  Šťastný", "jiri stastny"},
		{"german", "Müller Straße", "muller strasse"},
		{"capital sharp s", "ẞ", "ss"},
		{"polish", "Łukasz Żółć", "lukasz zolc"},
		{"scandinavian", "Søren Ærø Åse", "soren aero ase"},
		{"french", "Œuvre Garçon", "oeuvre garcon"},
		{"hungarian", "Erdős Győző", "erdos gyozo"},
		{"slovak", "Ľubomír Ĺ Ôsmy Ŕ Ä", "lubomir l osmy r a"},
		{"romanian", "Ștefan Țurcan Şerban", "stefan turcan serban"},
		{"icelandic", "Þór Guðmundsson", "thor gudmundsson"},
		{"decomposed", "Jir\u030ci\u0301", "jiri"},
		{"whitespace collapsed", "  a \t\n b  ", "a b"},
		{"cyrillic only lowercased", "Иван", "иван"},
		{"digits and punctuation kept", "Firma-2000 s.r.o.", "firma-2000 s.r.o."},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := FoldForSearch(tt.in)
			if got != tt.want {
				t.Fatalf("FoldForSearch(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if again := FoldForSearch(got); again != got {
				t.Fatalf("FoldForSearch(%q) = %q; want it unchanged", got, again)
			}
		})
	}
}

func FuzzFoldForSearch(f *testing.F) {
	for _, s := range []string{"Jiří Šťastný", "Straße", "Jir\u030ci\u0301", "İstanbul", "ΣΑΣ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := FoldForSearch(s)
		if again := FoldForSearch(got); again != got {
			t.Fatalf("FoldForSearch(%q) = %q; want it unchanged", got, again)
		}
	})
}
