package web

import (
	"io/fs"
	"regexp"
	"testing"
)

// TestCatalogueComplete checks that every message exists in Czech and English and that
// every key a template asks for literally ({{.T "key"}}) is defined.
func TestCatalogueComplete(t *testing.T) {
	c := newCatalogue()
	for k := range c["en"] {
		if _, ok := c["cs"][k]; !ok {
			t.Errorf("%q has no Czech text", k)
		}
	}
	for k := range c["cs"] {
		if _, ok := c["en"][k]; !ok {
			t.Errorf("%q has no English text", k)
		}
	}
	used := regexp.MustCompile(`\.T "([^"]+)"`)
	files, _ := fs.Glob(assets, "templates/*.html")
	for _, f := range files {
		b, _ := fs.ReadFile(assets, f)
		for _, m := range used.FindAllStringSubmatch(string(b), -1) {
			if _, ok := c["en"][m[1]]; !ok {
				t.Errorf("%s uses undefined message %q", f, m[1])
			}
		}
	}
}

// TestNumbersInTheUsersLocale: counts are grouped the way each language writes them.
func TestNumbersInTheUsersLocale(t *testing.T) {
	if got := (page{Lang: "cs"}).Num(1234567); got != "1\u00a0234\u00a0567" {
		t.Errorf("Czech: %q", got)
	}
	if got := (page{Lang: "en"}).Num(1234567); got != "1,234,567" {
		t.Errorf("English: %q", got)
	}
}
