package contactfile

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/kontakt/kontakt/model"
)

// Targets a CSV column can map to. email, phone, mobile and website may appear more than
// once (each column adds a contact point); name is a full name split at its last space;
// tags are split at commas and semicolons; ignore drops the column.
var Targets = []string{"given_name", "family_name", "additional_name", "prefix", "suffix", "name", "org_name",
	"job_title", "email", "work_email", "phone", "mobile", "work_phone", "street", "locality", "postal_code", "region",
	"country", "website", "tags", "birthday", "kind", "type", "ignore"}

// headerTargets recognises common Czech and English headers (folded: lowercase, without
// diacritics, spaces, dashes, dots and underscores), as Outlook, Google, Excel and Czech
// accounting tools write them.
var headerTargets = map[string]string{
	"jmeno": "given_name", "krestnijmeno": "given_name", "firstname": "given_name", "givenname": "given_name", "first": "given_name",
	"prijmeni": "family_name", "lastname": "family_name", "familyname": "family_name", "surname": "family_name", "last": "family_name",
	"prostredni": "additional_name", "middlename": "additional_name", "additionalname": "additional_name",
	"titul": "prefix", "titulpred": "prefix", "prefix": "prefix", "titulza": "suffix", "suffix": "suffix",
	"celejmeno": "name", "jmenoaprijmeni": "name", "name": "name", "fullname": "name", "displayname": "name", "kontakt": "name",
	"firma": "org_name", "spolecnost": "org_name", "organizace": "org_name", "company": "org_name", "organization": "org_name",
	"organisation": "org_name", "organizationname": "org_name", "nazevfirmy": "org_name",
	"funkce": "job_title", "pozice": "job_title", "jobtitle": "job_title", "position": "job_title", "organizationtitle": "job_title",
	"email": "email", "mail": "email", "emailaddress": "email", "emailovaadresa": "email",
	"email1": "email", "email1value": "email", "email2": "email", "email2value": "email", "email2address": "email", "email3address": "email",
	"pracovniemail": "work_email", "workemail": "work_email",
	"telefon": "phone", "tel": "phone", "phone": "phone", "telephone": "phone", "phonenumber": "phone", "homephone": "phone",
	"primaryphone": "phone", "phone1value": "phone",
	"mobil": "mobile", "mobilnitelefon": "mobile", "mobile": "mobile", "mobilephone": "mobile", "cellphone": "mobile",
	"pracovnitelefon": "work_phone", "businessphone": "work_phone", "workphone": "work_phone",
	"ulice": "street", "adresa": "street", "street": "street", "address": "street", "businessstreet": "street", "homestreet": "street",
	"mesto": "locality", "obec": "locality", "city": "locality", "businesscity": "locality", "homecity": "locality",
	"psc": "postal_code", "zip": "postal_code", "postalcode": "postal_code", "postcode": "postal_code", "businesspostalcode": "postal_code",
	"kraj": "region", "region": "region", "state": "region",
	"zeme": "country", "stat": "country", "country": "country", "countryregion": "country", "businesscountryregion": "country",
	"web": "website", "www": "website", "website": "website", "webpage": "website", "webovastranka": "website", "url": "website",
	"stitky": "tags", "stitek": "tags", "tags": "tags", "kategorie": "tags", "categories": "tags", "skupina": "tags", "groups": "tags",
	"datumnarozeni": "birthday", "narozeni": "birthday", "birthday": "birthday", "dateofbirth": "birthday",
	"typ": "type", "type": "type", "druh": "kind", "kind": "kind",
}

var folder = strings.NewReplacer(" ", "", "-", "", "_", "", ".", "", "á", "a", "č", "c", "ď", "d", "é", "e", "ě", "e", "í", "i",
	"ň", "n", "ó", "o", "ř", "r", "š", "s", "ť", "t", "ú", "u", "ů", "u", "ý", "y", "ž", "z")

func foldHeader(h string) string { return folder.Replace(strings.ToLower(strings.TrimSpace(h))) }

// CSVOptions say how to read a CSV file.
type CSVOptions struct {
	// Charset is utf-8 or windows-1250; empty detects it.
	Charset string
	// Mapping maps header names to Targets; headers it does not name are recognised
	// from headerTargets, and the rest ignored.
	Mapping map[string]string
}

// Columns reports what each header of a CSV file maps to: the mapping that ParseCSV uses.
func Columns(headers []string, mapping map[string]string) ([]string, error) {
	for h, t := range mapping {
		if !slices.Contains(Targets, t) {
			return nil, &model.FieldError{Field: "mapping", Msg: fmt.Sprintf("column %q: unknown target %q", h, t)}
		}
	}
	out := make([]string, len(headers))
	for i, h := range headers {
		if t, ok := mapping[h]; ok {
			out[i] = t
		} else if t, ok := headerTargets[foldHeader(h)]; ok {
			out[i] = t
		} else {
			out[i] = "ignore"
		}
	}
	return out, nil
}

// ParseCSV reads a CSV file whose first record is its header: comma, semicolon or tab
// separated (whichever the header line holds most of). A file no column of which maps to a
// name, organisation or e-mail is refused whole.
func ParseCSV(data []byte, opt CSVOptions) ([]Row, []string, error) {
	data, err := ToUTF8(data, opt.Charset)
	if err != nil {
		return nil, nil, &model.FieldError{Field: "charset", Msg: strings.TrimPrefix(err.Error(), "contactfile: ")}
	}
	r := csvReader(data)
	headers, err := r.Read()
	if err != nil {
		return nil, nil, &model.FieldError{Field: "file", Msg: "no header line"}
	}
	cols, err := Columns(headers, opt.Mapping)
	if err != nil {
		return nil, nil, err
	}
	if !slices.ContainsFunc(cols, func(t string) bool {
		return slices.Contains([]string{"given_name", "family_name", "name", "org_name", "email"}, t)
	}) {
		return nil, cols, &model.FieldError{Field: "mapping", Msg: "no column maps to a name, organisation or e-mail; give a mapping"}
	}
	var rows []Row
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				rows = append(rows, Row{Line: pe.StartLine, Err: "malformed CSV: " + pe.Err.Error()})
				if errors.Is(pe.Err, csv.ErrQuote) || errors.Is(pe.Err, csv.ErrBareQuote) {
					continue
				}
			}
			return rows, cols, &model.FieldError{Field: "file", Msg: err.Error()}
		}
		line, _ := r.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		rows = append(rows, csvRow(line, headers, cols, rec))
	}
	return rows, cols, nil
}

// csvRow builds the contact of one record.
func csvRow(line int, headers, cols, rec []string) Row {
	row := Row{Line: line}
	if len(rec) > len(cols) {
		row.Err = fmt.Sprintf("%d fields, but the header has %d", len(rec), len(cols))
		return row
	}
	c := &row.Contact
	c.Kind = model.KindPerson
	var addr model.Address
	for i, v := range rec {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		switch cols[i] {
		case "given_name":
			c.GivenName = v
		case "family_name":
			c.FamilyName = v
		case "additional_name":
			c.AdditionalName = v
		case "prefix":
			c.Prefix = v
		case "suffix":
			c.Suffix = v
		case "name":
			if j := strings.LastIndexByte(v, ' '); j > 0 {
				c.GivenName, c.FamilyName = strings.TrimSpace(v[:j]), strings.TrimSpace(v[j+1:])
			} else {
				c.FamilyName = v
			}
		case "org_name":
			c.OrgName = v
		case "job_title":
			c.JobTitle = v
		case "email", "work_email":
			label := ""
			if cols[i] == "work_email" {
				label = "work"
			}
			for _, e := range splitList(v) {
				c.Emails = append(c.Emails, model.Email{Value: e, Label: label, Preferred: len(c.Emails) == 0})
			}
		case "phone", "mobile", "work_phone":
			label := map[string]string{"phone": "", "mobile": "mobile", "work_phone": "work"}[cols[i]]
			c.Phones = append(c.Phones, model.Phone{Value: v, Label: label, Preferred: len(c.Phones) == 0})
		case "street":
			addr.Street = v
		case "locality":
			addr.Locality = v
		case "postal_code":
			addr.PostalCode = v
		case "region":
			addr.Region = v
		case "country":
			addr.Country = v
		case "website":
			c.Websites = append(c.Websites, model.Website{URL: v})
		case "tags":
			c.Tags = append(c.Tags, splitList(v)...)
		case "birthday":
			d, err := parseDate(v)
			if err != nil {
				row.Err = fmt.Sprintf("column %q: %v", headers[i], err)
				return row
			}
			c.Birthday = &d
		case "kind":
			switch strings.ToLower(v) {
			case "organisation", "organization", "company", "firma", "organizace", "o":
				c.Kind = model.KindOrganisation
			}
		case "type":
			c.Type = model.ContactType(strings.ToLower(v))
		}
	}
	if addr != (model.Address{}) {
		c.Addresses = append(c.Addresses, addr)
	}
	if c.GivenName == "" && c.FamilyName == "" && c.OrgName != "" {
		c.Kind = model.KindOrganisation
	}
	return row
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' }) {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
