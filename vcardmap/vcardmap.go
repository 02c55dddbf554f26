// Package vcardmap maps vCards (RFC 6350 4.0, RFC 2426 3.0) to and from model.Contact: what
// CardDAV serves and takes, and what an import reads. It imports only model and go-vcard, so
// carddav and api can both use it without importing each other.
package vcardmap

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-vcard"

	"github.com/kontakt/kontakt/model"
)

// A book's sync profile (model.SyncFields) decides what of a contact leaves the server in a
// vCard; the rest stays. A device's PUT changes only what the profile lets it see, so fields
// outside the profile survive an edit from a phone that never had them.

// Profile is a book's sync profile as a set.
type Profile map[string]bool

// NewProfile is the profile of a book whose sync profile names fields.
func NewProfile(fields []string) Profile {
	p := Profile{}
	for _, f := range fields {
		p[f] = true
	}
	return p
}

// ProfileHash is a short digest of a sync profile: part of every ETag, so that a changed
// Profile changes every vCard's ETag.
func ProfileHash(fields []string) string {
	s := slices.Clone(fields)
	slices.Sort(s)
	sum := sha256.Sum256([]byte(strings.Join(s, ",")))
	return hex.EncodeToString(sum[:4])
}

// ETag is the strong ETag (RFC 7232 §2.3) of a contact's vCard in a book with a profile.
// Both vCard versions share it: clients list ETags by PROPFIND, which names no version.
func ETag(version int64, profileHash string) string {
	return fmt.Sprintf("%d-%s", version, profileHash)
}

// Labels group contact points the way sync profiles name them (email.work, tel.mobile …).
const (
	classWork   = "work"
	classHome   = "home"
	classMobile = "mobile"
	classOther  = "other"
)

// labelClass sorts a stored label into a class; kinds without a mobile class (e-mails,
// addresses) count a mobile label as other. Unlabelled and custom labels are other.
func labelClass(label string, hasMobile bool) string {
	switch strings.ToLower(strings.TrimSpace(label)) {
	case "work", "office", "business", "práce", "prace":
		return classWork
	case "home", "private", "personal", "domů", "domu", "soukromý", "soukromy":
		return classHome
	case "mobile", "cell", "cellular", "mobil":
		if hasMobile {
			return classMobile
		}
	}
	return classOther
}

// typeClass sorts a vCard property by its TYPE parameters (RFC 6350 §5.6, RFC 2426 §3.3).
func typeClass(f *vcard.Field, hasMobile bool) string {
	class := classOther
	for _, t := range f.Params.Types() {
		switch t {
		case "cell", "mobile", "iphone":
			if hasMobile {
				return classMobile
			}
		case vcard.TypeWork:
			class = classWork
		case vcard.TypeHome:
			if class == classOther {
				class = classHome
			}
		}
	}
	return class
}

// isPreferred reads PREF=1 (vCard 4.0) and TYPE=pref (3.0).
func isPreferred(f *vcard.Field) bool {
	return f.Params.Get(vcard.ParamPreferred) == "1" || f.Params.HasType("pref")
}

// typeParams builds the TYPE parameters of a property of class for a vCard version.
func typeParams(version, class string, preferred bool, extra ...string) vcard.Params {
	p := vcard.Params{}
	types := slices.Clone(extra)
	switch class {
	case classWork:
		types = append(types, vcard.TypeWork)
	case classHome:
		types = append(types, vcard.TypeHome)
	case classMobile:
		types = append(types, vcard.TypeCell)
	}
	if preferred {
		if version == "3.0" {
			types = append(types, "pref")
		} else {
			p.Set(vcard.ParamPreferred, "1")
		}
	}
	for _, t := range types {
		if version == "3.0" {
			t = strings.ToUpper(t)
		}
		p.Add(vcard.ParamType, t)
	}
	return p
}

// component cleans a part of a structured value (N, ADR, ORG): go-vcard neither escapes nor
// splits on escaped semicolons, so a semicolon inside a part becomes a comma.
func component(s string) string { return strings.ReplaceAll(s, ";", ",") }

// splitComponents splits a structured value at unescaped semicolons (RFC 6350 §3.4).
func splitComponents(v string) []string {
	var parts []string
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		switch {
		case v[i] == '\\' && i+1 < len(v) && v[i+1] == ';':
			b.WriteByte(';')
			i++
		case v[i] == ';':
			parts = append(parts, b.String())
			b.Reset()
		default:
			b.WriteByte(v[i])
		}
	}
	return append(parts, b.String())
}

func part(parts []string, i int) string {
	if i < len(parts) {
		return strings.TrimSpace(parts[i])
	}
	return ""
}

// relatedOrg is the name of the organisation a person works for, from their relations (the
// first one still valid), when the person has no organisation name of their own.
func relatedOrg(c model.Contact) string {
	today := time.Now().Format(time.DateOnly)
	for _, r := range c.Relations {
		if r.PersonID == c.ID && (r.ValidTo == nil || *r.ValidTo >= today) && r.OtherName != "" {
			return r.OtherName
		}
	}
	return ""
}

// orgOf is what ORG says of a contact: an organisation's own name, or a person's employer.
func orgOf(c model.Contact) string {
	if c.Kind == model.KindOrganisation || c.OrgName != "" {
		return c.OrgName
	}
	return relatedOrg(c)
}

// CardOf renders contact c as a vCard of version "4.0" (RFC 6350) or "3.0" (RFC 2426) with
// only what profile p lets leave the server. UID is the contact's id.
func CardOf(c model.Contact, p Profile, version string) vcard.Card {
	card := vcard.Card{}
	card.SetValue(vcard.FieldVersion, version)
	card.SetValue(vcard.FieldProductID, "-//Kontakt//CardDAV//EN")
	card.SetValue(vcard.FieldUID, c.ID)
	card.SetValue(vcard.FieldRevision, c.UpdatedAt.UTC().Format("20060102T150405Z"))
	// FN is required in both versions, and every profile holds the name.
	card.SetValue(vcard.FieldFormattedName, c.DisplayName)
	if c.Kind == model.KindOrganisation {
		if version == "3.0" {
			card.SetValue(vcard.FieldName, ";;;;") // required in 3.0
			card.SetValue("X-ADDRESSBOOKSERVER-KIND", "org")
			card.SetValue("X-ABSHOWAS", "COMPANY")
		} else {
			card.SetValue(vcard.FieldKind, string(vcard.KindOrganization))
		}
		card.SetValue(vcard.FieldOrganization, component(c.OrgName))
	} else {
		card.SetValue(vcard.FieldName, strings.Join([]string{component(c.FamilyName), component(c.GivenName),
			component(c.AdditionalName), component(c.Prefix), component(c.Suffix)}, ";"))
		if org := orgOf(c); p["org"] && org != "" {
			card.SetValue(vcard.FieldOrganization, component(org))
		}
	}
	if p["title"] && c.JobTitle != "" {
		card.SetValue(vcard.FieldTitle, c.JobTitle)
	}
	for _, e := range c.Emails {
		class := labelClass(e.Label, false)
		if !p["email."+class] {
			continue
		}
		var extra []string
		if version == "3.0" {
			extra = []string{"internet"}
		}
		card.Add(vcard.FieldEmail, &vcard.Field{Value: e.Value, Params: typeParams(version, class, e.Preferred, extra...)})
	}
	for _, ph := range c.Phones {
		class := labelClass(ph.Label, true)
		if !p["tel."+class] {
			continue
		}
		var extra []string
		if class == classWork || class == classHome {
			extra = []string{vcard.TypeVoice}
		}
		card.Add(vcard.FieldTelephone, &vcard.Field{Value: ph.Value, Params: typeParams(version, class, ph.Preferred, extra...)})
	}
	for _, a := range c.Addresses {
		class := labelClass(a.Label, false)
		if !p["adr."+class] {
			continue
		}
		v := strings.Join([]string{"", "", component(a.Street), component(a.Locality), component(a.Region),
			component(a.PostalCode), component(a.Country)}, ";")
		card.Add(vcard.FieldAddress, &vcard.Field{Value: v, Params: typeParams(version, class, a.Preferred)})
	}
	if p["url"] {
		for _, u := range c.Websites {
			card.Add(vcard.FieldURL, &vcard.Field{Value: u.URL, Params: vcard.Params{}})
		}
	}
	if p["social"] {
		for _, s := range c.Socials {
			params := vcard.Params{}
			params.Set(vcard.ParamType, string(s.Network))
			if s.Handle != "" {
				params.Set("X-USER", s.Handle)
			}
			card.Add("X-SOCIALPROFILE", &vcard.Field{Value: s.URL, Params: params})
		}
	}
	if p["bday"] && c.Birthday != nil {
		if version == "3.0" {
			card.SetValue(vcard.FieldBirthday, *c.Birthday)
		} else {
			card.SetValue(vcard.FieldBirthday, strings.ReplaceAll(*c.Birthday, "-", "")) // RFC 6350 §4.3.1 basic format
		}
	}
	if p["categories"] {
		// One CATEGORIES per tag: go-vcard escapes the commas of a list.
		for _, t := range c.Tags {
			card.Add(vcard.FieldCategories, &vcard.Field{Value: t, Params: vcard.Params{}})
		}
	}
	return card
}

// PruneCard keeps only the properties named (and VERSION, UID), for an address-data request
// that lists properties (RFC 6352 §10.4.2). No names: the whole card.
func PruneCard(card vcard.Card, names []string) vcard.Card {
	if len(names) == 0 {
		return card
	}
	out := vcard.Card{}
	for _, k := range append([]string{vcard.FieldVersion, vcard.FieldUID}, names...) {
		if v, ok := card[strings.ToUpper(k)]; ok {
			out[strings.ToUpper(k)] = v
		}
	}
	return out
}

// CardError is a vCard a device sent that Kontakt cannot take; the reason goes back in a 400.
type CardError struct{ msg string }

func (e *CardError) Error() string { return "vcardmap: invalid vCard: " + e.msg }

// CheckCard rejects what is not a vCard 3.0 or 4.0 (RFC 6352 §5.1).
func CheckCard(card vcard.Card) error {
	switch v := strings.TrimSpace(card.Value(vcard.FieldVersion)); v {
	case "3.0", "4.0":
		return nil
	case "":
		return &CardError{"VERSION is missing"}
	default:
		return &CardError{fmt.Sprintf("VERSION %q is not supported; send vCard 3.0 or 4.0", v)}
	}
}

// cardKind reads KIND (4.0) or Apple's X-ADDRESSBOOKSERVER-KIND (3.0).
func cardKind(card vcard.Card) model.ContactKind {
	for _, k := range []string{vcard.FieldKind, "X-ADDRESSBOOKSERVER-KIND"} {
		if strings.EqualFold(strings.TrimSpace(card.Value(k)), string(vcard.KindOrganization)) {
			return model.KindOrganisation
		}
	}
	return model.KindPerson
}

// ApplyCard copies onto c what profile p lets a device change, from card: a new contact
// starts empty; an existing one keeps everything outside the profile. Lists of contact
// points are merged by class: points of classes outside the profile stay, those inside are
// replaced by the card's, keeping the stored label and preference of an unchanged value.
// Points of classes outside the profile that the card carries are not taken.
func ApplyCard(c *model.Contact, card vcard.Card, p Profile) error {
	if err := CheckCard(card); err != nil {
		return err
	}
	if c.ID == "" {
		c.Kind = cardKind(card)
	}
	fn := strings.TrimSpace(card.Value(vcard.FieldFormattedName))
	org := strings.TrimSpace(part(splitComponents(card.Value(vcard.FieldOrganization)), 0))
	if p["name"] {
		if c.Kind == model.KindOrganisation {
			c.OrgName = org
			if c.OrgName == "" {
				c.OrgName = fn
			}
		} else {
			n := splitComponents(card.Value(vcard.FieldName))
			c.FamilyName, c.GivenName, c.AdditionalName, c.Prefix, c.Suffix = part(n, 0), part(n, 1), part(n, 2), part(n, 3), part(n, 4)
			if c.FamilyName+c.GivenName+c.AdditionalName == "" && fn != "" {
				// No N (4.0 allows it): the last word of FN is the family name.
				c.Prefix, c.Suffix, c.AdditionalName = "", "", ""
				if i := strings.LastIndexByte(fn, ' '); i > 0 {
					c.GivenName, c.FamilyName = strings.TrimSpace(fn[:i]), fn[i+1:]
				} else {
					c.GivenName, c.FamilyName = "", fn
				}
			}
		}
	}
	if p["org"] && c.Kind == model.KindPerson {
		// The employer shown from a relation stays a relation: only a different name
		// becomes the person's own organisation name.
		if org != relatedOrg(*c) || c.OrgName != "" {
			c.OrgName = org
		}
	}
	if p["title"] {
		c.JobTitle = strings.TrimSpace(card.Value(vcard.FieldTitle))
	}
	if p["bday"] {
		bday, err := parseBirthday(card.Value(vcard.FieldBirthday))
		if err != nil {
			return err
		}
		c.Birthday = bday
	}
	if p["categories"] {
		c.Tags = []string{}
		for _, f := range card[vcard.FieldCategories] {
			for _, t := range strings.Split(f.Value, ",") {
				if t = strings.TrimSpace(t); t != "" {
					c.Tags = append(c.Tags, t)
				}
			}
		}
	}
	if p["url"] {
		old := c.Websites
		c.Websites = []model.Website{}
		for _, f := range card[vcard.FieldURL] {
			w := model.Website{URL: strings.TrimSpace(f.Value)}
			for _, o := range old {
				if o.URL == w.URL {
					w.Label = o.Label
				}
			}
			c.Websites = append(c.Websites, w)
		}
	}
	if p["social"] {
		c.Socials = []model.Social{}
		for _, f := range card["X-SOCIALPROFILE"] {
			v := strings.TrimSpace(f.Value)
			if v == "" {
				v = f.Params.Get("X-USER")
			}
			network := strings.ToLower(f.Params.Get(vcard.ParamType))
			if !model.SocialNetwork(network).Valid() && network != "twitter" {
				// A network Kontakt does not know (skype, Apple's own …) is kept only
				// as a profile URL; what is not one stays on the device.
				network = string(model.SocialOther)
				if _, _, _, err := model.NormalizeSocial(network, v); err != nil {
					continue
				}
			}
			c.Socials = append(c.Socials, model.Social{Network: model.SocialNetwork(network), Handle: v})
		}
	}
	c.Emails = mergePoints(c.Emails, card[vcard.FieldEmail], p, "email.", false,
		func(e model.Email) (string, string) { return e.Label, e.Value },
		func(f *vcard.Field, label string, old *model.Email) model.Email {
			e := model.Email{Value: strings.TrimSpace(f.Value), Label: label, Preferred: isPreferred(f)}
			if old != nil {
				e.Label = old.Label
			}
			return e
		}, func(a, b string) bool { return strings.EqualFold(a, b) })
	c.Phones = mergePoints(c.Phones, card[vcard.FieldTelephone], p, "tel.", true,
		func(ph model.Phone) (string, string) { return ph.Label, ph.Value },
		func(f *vcard.Field, label string, old *model.Phone) model.Phone {
			ph := model.Phone{Value: strings.TrimPrefix(strings.TrimSpace(f.Value), "tel:"), Label: label, Preferred: isPreferred(f)}
			if old != nil {
				ph.Label = old.Label
			}
			return ph
		}, func(a, b string) bool { return Digits(a) == Digits(b) })
	c.Addresses = mergePoints(c.Addresses, card[vcard.FieldAddress], p, "adr.", false,
		func(a model.Address) (string, string) { return a.Label, addressKey(a) },
		func(f *vcard.Field, label string, old *model.Address) model.Address {
			parts := splitComponents(f.Value)
			street := strings.TrimSpace(strings.Join(slices.DeleteFunc([]string{part(parts, 0), part(parts, 1), part(parts, 2)},
				func(s string) bool { return s == "" }), ", "))
			a := model.Address{Label: label, Street: street, Locality: part(parts, 3), Region: part(parts, 4),
				PostalCode: part(parts, 5), Country: part(parts, 6), Preferred: isPreferred(f)}
			if old != nil {
				a.Label = old.Label
			}
			return a
		}, func(a, b string) bool { return a == b })
	return nil
}

// mergePoints keeps the stored points whose class the profile (prefix + class) does not
// name and appends the card's points whose class it does; a card point equal (same) to a
// stored point of its class keeps the stored label.
func mergePoints[T any](stored []T, fields []*vcard.Field, p Profile, prefix string, hasMobile bool,
	key func(T) (label, value string), build func(f *vcard.Field, label string, old *T) T, same func(a, b string) bool) []T {
	out := []T{}
	var replaced []T
	for _, s := range stored {
		label, _ := key(s)
		if p[prefix+labelClass(label, hasMobile)] {
			replaced = append(replaced, s)
		} else {
			out = append(out, s)
		}
	}
	for _, f := range fields {
		class := typeClass(f, hasMobile)
		if !p[prefix+class] {
			continue
		}
		label := class
		if class == classOther {
			label = ""
		}
		var old *T
		candidate := build(f, label, nil)
		_, value := key(candidate)
		for i := range replaced {
			l, v := key(replaced[i])
			if labelClass(l, hasMobile) == class && same(v, value) {
				old = &replaced[i]
				break
			}
		}
		out = append(out, build(f, label, old))
	}
	return out
}

// Digits keeps the digits of a phone number, to match "+420 601 123 456" to "+420601123456".
func Digits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

func addressKey(a model.Address) string {
	return strings.Join([]string{a.Street, a.Locality, a.Region, a.PostalCode, a.Country}, "|")
}

// parseBirthday reads BDAY as a date with a year: 1985-04-12, 19850412, or a date-time
// starting with one. An empty BDAY removes the birthday.
func parseBirthday(v string) (*string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, nil
	}
	if i := strings.IndexByte(v, 'T'); i > 0 {
		v = v[:i]
	}
	for _, layout := range []string{time.DateOnly, "20060102"} {
		if t, err := time.Parse(layout, v); err == nil {
			s := t.Format(time.DateOnly)
			return &s, nil
		}
	}
	return nil, &CardError{"BDAY must be a date with a year (YYYY-MM-DD or YYYYMMDD)"}
}

// FullProfile is the profile that names every part of a contact (model.SyncFields): what an
// import takes from a card.
func FullProfile() Profile { return NewProfile(model.SyncFields) }
