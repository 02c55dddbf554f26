package contactfile

import (
	"os"
	"strings"
	"testing"

	"github.com/kontakt/kontakt/model"
)

func read(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestThunderbirdCards(t *testing.T) {
	rows := ParseVCards(read(t, "thunderbird.vcf"))
	if len(rows) != 3 {
		t.Fatalf("%d rows, want 3: %+v", len(rows), rows)
	}
	jana := rows[0].Contact
	if rows[0].Err != "" || rows[0].Line != 1 || jana.FamilyName != "Nováková" || jana.Prefix != "Ing." || jana.OrgName != "Stavby Novák s.r.o." ||
		len(jana.Emails) != 1 || !jana.Emails[0].Preferred || len(jana.Phones) != 2 || len(jana.Addresses) != 1 || jana.Addresses[0].Locality != "Praha" {
		t.Errorf("Jana: %+v", rows[0])
	}
	if c := rows[1].Contact; rows[1].Line != 16 || c.Birthday == nil || *c.Birthday != "1982-03-17" || len(c.Emails) != 2 || len(c.Tags) != 1 {
		t.Errorf("Tomáš: %+v", rows[1])
	}
	if c := rows[2].Contact; c.Kind != model.KindOrganisation || c.OrgName != "Elektro Černý s.r.o." {
		t.Errorf("a card whose FN is its ORG is an organisation: %+v", c)
	}
}

func TestIOSCards(t *testing.T) {
	rows := ParseVCards(read(t, "ios.vcf"))
	if len(rows) != 3 {
		t.Fatalf("%d rows, want 3", len(rows))
	}
	petr := rows[0].Contact
	if rows[0].Err != "" || petr.GivenName != "Petr" || len(petr.Emails) != 2 || !petr.Emails[0].Preferred ||
		petr.Emails[0].Value != "petr@pekarna-dvorak.example.cz" || len(petr.Phones) != 2 || petr.Phones[0].Label != "mobile" ||
		len(petr.Addresses) != 1 || petr.Birthday == nil || len(petr.Socials) != 1 {
		t.Errorf("Petr (grouped item1.EMAIL, folded PHOTO): %+v", rows[0])
	}
	if c := rows[1].Contact; c.Kind != model.KindOrganisation || c.OrgName != "Pekárna Dvořák" || len(c.Websites) != 1 {
		t.Errorf("X-ABShowAs:COMPANY card: %+v", c)
	}
	if c := rows[2].Contact; c.Prefix != "MUDr." || c.AdditionalName != "Marie" || len(c.Phones) != 1 {
		t.Errorf("Eva: %+v", c)
	}
}

func TestBrokenCards(t *testing.T) {
	rows := ParseVCards(read(t, "broken.vcf"))
	if len(rows) != 4 {
		t.Fatalf("%d rows, want 4: %+v", len(rows), rows)
	}
	if rows[0].Err != "" {
		t.Errorf("good card: %+v", rows[0])
	}
	if rows[1].Line != 7 || !strings.Contains(rows[1].Err, "2.1") {
		t.Errorf("vCard 2.1: %+v", rows[1])
	}
	if rows[2].Err != "" { // the bad address is the store's to reject, like API input
		t.Errorf("card with a bad e-mail reads: %+v", rows[2])
	}
	if rows[3].Line != 18 || !strings.Contains(rows[3].Err, "END:VCARD") {
		t.Errorf("unterminated card: %+v", rows[3])
	}
}

func TestCSVWindows1250(t *testing.T) {
	data := read(t, "kontakty-1250.csv")
	if DetectCharset(data) != CharsetWindows1250 {
		t.Fatal("not detected as windows-1250")
	}
	rows, cols, err := ParseCSV(data, CSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"given_name", "family_name", "org_name", "email", "phone", "mobile", "street", "locality", "postal_code", "tags", "birthday"}
	if strings.Join(cols, ",") != strings.Join(want, ",") {
		t.Errorf("columns %v", cols)
	}
	if len(rows) != 8 {
		t.Fatalf("%d rows", len(rows))
	}
	j := rows[0]
	if j.Line != 2 || j.Contact.GivenName != "Jiří" || j.Contact.FamilyName != "Dvořáček" || len(j.Contact.Tags) != 2 ||
		j.Contact.Birthday == nil || *j.Contact.Birthday != "1975-07-03" || j.Contact.Addresses[0].PostalCode != "602 00" {
		t.Errorf("first row: %+v", j)
	}
	if !strings.Contains(rows[4].Err, "Datum narození") || rows[4].Line != 6 {
		t.Errorf("bad date: %+v", rows[4])
	}
	if !strings.Contains(rows[5].Err, "13 fields") || rows[5].Line != 7 {
		t.Errorf("too many fields: %+v", rows[5])
	}
	if c := rows[6].Contact; c.Kind != model.KindOrganisation || c.OrgName != "Účetnictví Plus s.r.o." {
		t.Errorf("organisation row: %+v", c)
	}
	// Read as UTF-8, the file is refused rather than imported garbled.
	if _, _, err := ParseCSV(data, CSVOptions{Charset: CharsetUTF8}); err == nil {
		t.Error("windows-1250 bytes accepted as UTF-8")
	}
}

func TestCSVMapping(t *testing.T) {
	data := []byte("Kdo,Adresa e-mailu,Poznámka\n\"Nováková, Jana\",jana@example.cz,x\n")
	if _, _, err := ParseCSV(data, CSVOptions{}); err == nil {
		t.Error("a file without a recognised name or e-mail column was accepted")
	}
	rows, _, err := ParseCSV(data, CSVOptions{Mapping: map[string]string{"Kdo": "org_name", "Adresa e-mailu": "email"}})
	if err != nil || len(rows) != 1 || rows[0].Contact.OrgName != "Nováková, Jana" || rows[0].Contact.Emails[0].Value != "jana@example.cz" {
		t.Errorf("mapped: %+v %v", rows, err)
	}
	if _, _, err := ParseCSV(data, CSVOptions{Mapping: map[string]string{"Kdo": "shoe_size"}}); err == nil {
		t.Error("unknown target accepted")
	}
}

func FuzzParseVCards(f *testing.F) {
	for _, n := range []string{"thunderbird.vcf", "ios.vcf", "broken.vcf"} {
		b, _ := os.ReadFile("testdata/" + n)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) { ParseVCards(b) })
}

func FuzzParseCSV(f *testing.F) {
	b, _ := os.ReadFile("testdata/kontakty-1250.csv")
	f.Add(b)
	f.Add([]byte("E-mail;Jméno\n\"a@b.cz;x\n"))
	f.Fuzz(func(t *testing.T, b []byte) { ParseCSV(b, CSVOptions{}) }) //nolint:errcheck
}
