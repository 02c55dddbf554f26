package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits on the size of a contact, so that one record cannot grow without bound.
const (
	MaxNameLen     = 200
	MaxPoints      = 50
	MaxTags        = 50
	MaxLabelLen    = 50
	MaxAddressPart = 200
	MaxRoleLen     = 200
	MaxNoteLen     = 20000
)

// checkText reports a *FieldError when s is longer than max runes or holds control characters.
func checkText(field, s string, max int) error {
	if utf8.RuneCountInString(s) > max {
		return &FieldError{Field: field, Msg: fmt.Sprintf("longer than %d characters", max)}
	}
	if !utf8.ValidString(s) {
		return &FieldError{Field: field, Msg: "not valid UTF-8"}
	}
	for _, r := range s {
		if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f {
			return &FieldError{Field: field, Msg: "contains control characters"}
		}
	}
	return nil
}

// CheckDate validates an optional YYYY-MM-DD date.
func CheckDate(field string, d *string) error {
	if d == nil {
		return nil
	}
	if _, err := time.Parse(time.DateOnly, *d); err != nil {
		return &FieldError{Field: field, Msg: "must be a date YYYY-MM-DD"}
	}
	return nil
}

// asFieldError turns a validator's error into a *FieldError for field.
func asFieldError(field string, err error) error {
	var fe *FieldError
	if errors.As(err, &fe) {
		return err
	}
	msg := strings.TrimPrefix(err.Error(), "model: ")
	return &FieldError{Field: field, Msg: msg}
}

// Normalize validates c against the pure rules and the custom field definitions of its
// book, and brings it into canonical form: trimmed names, a computed display name, E.164
// phones, lowercase tags, canonical URLs and social profiles, typed custom values.
// Phones without a country prefix are read as numbers of defaultRegion.
func (c *Contact) Normalize(defaultRegion string, defs []FieldDef) error {
	if !c.Kind.Valid() {
		return &FieldError{Field: "kind", Msg: "must be person or organisation"}
	}
	if c.Type == "" {
		c.Type = "other"
	}
	if !c.Type.Valid() {
		return &FieldError{Field: "type", Msg: "must be one of supplier, partner, employee, member, customer, other"}
	}
	names := []struct {
		field string
		v     *string
	}{
		{"prefix", &c.Prefix}, {"given_name", &c.GivenName}, {"additional_name", &c.AdditionalName},
		{"family_name", &c.FamilyName}, {"suffix", &c.Suffix}, {"org_name", &c.OrgName}, {"job_title", &c.JobTitle},
	}
	for _, n := range names {
		*n.v = strings.Join(strings.Fields(*n.v), " ")
		if err := checkText(n.field, *n.v, MaxNameLen); err != nil {
			return err
		}
	}
	c.DisplayName = DisplayName(c.Kind, c.Prefix, c.GivenName, c.AdditionalName, c.FamilyName, c.Suffix, c.OrgName)
	if c.DisplayName == "" {
		if c.Kind == "organisation" {
			return &FieldError{Field: "org_name", Msg: "an organisation needs a name"}
		}
		return &FieldError{Field: "family_name", Msg: "a person needs a given or family name"}
	}
	if err := CheckDate("birthday", c.Birthday); err != nil {
		return err
	}
	if n := len(c.Emails) + len(c.Phones) + len(c.Addresses) + len(c.Websites) + len(c.Socials); n > MaxPoints {
		return &FieldError{Field: "emails", Msg: fmt.Sprintf("at most %d contact points", MaxPoints)}
	}
	for i := range c.Emails {
		f := fmt.Sprintf("emails[%d]", i)
		v, err := NormalizeEmail(c.Emails[i].Value)
		if err != nil {
			return asFieldError(f+".value", err)
		}
		c.Emails[i].Value = v
		if err := checkLabel(f, &c.Emails[i].Label); err != nil {
			return err
		}
	}
	for i := range c.Phones {
		f := fmt.Sprintf("phones[%d]", i)
		v, err := NormalizePhone(c.Phones[i].Value, defaultRegion)
		if err != nil {
			return asFieldError(f+".value", err)
		}
		c.Phones[i].Value = v
		if err := checkLabel(f, &c.Phones[i].Label); err != nil {
			return err
		}
	}
	for i := range c.Addresses {
		a := &c.Addresses[i]
		f := fmt.Sprintf("addresses[%d]", i)
		parts := []struct {
			name string
			v    *string
		}{{"street", &a.Street}, {"locality", &a.Locality}, {"region", &a.Region}, {"postal_code", &a.PostalCode}, {"country", &a.Country}}
		empty := true
		for _, p := range parts {
			*p.v = strings.TrimSpace(*p.v)
			if err := checkText(f+"."+p.name, *p.v, MaxAddressPart); err != nil {
				return err
			}
			empty = empty && *p.v == ""
		}
		if empty {
			return &FieldError{Field: f, Msg: "an address needs at least one part"}
		}
		if err := checkLabel(f, &a.Label); err != nil {
			return err
		}
	}
	for i := range c.Websites {
		f := fmt.Sprintf("websites[%d]", i)
		v, err := NormalizeURL(c.Websites[i].URL)
		if err != nil {
			return asFieldError(f+".url", err)
		}
		c.Websites[i].URL = v
		if err := checkLabel(f, &c.Websites[i].Label); err != nil {
			return err
		}
	}
	for i := range c.Socials {
		s := &c.Socials[i]
		in := s.Handle
		if in == "" {
			in = s.URL
		}
		network, handle, url, err := NormalizeSocial(string(s.Network), in)
		if err != nil {
			return asFieldError(fmt.Sprintf("socials[%d]", i), err)
		}
		s.Network, s.Handle, s.URL = network, handle, url
	}
	if len(c.Tags) > MaxTags {
		return &FieldError{Field: "tags", Msg: fmt.Sprintf("at most %d tags", MaxTags)}
	}
	tags := make([]string, 0, len(c.Tags))
	seen := map[string]bool{}
	for i, t := range c.Tags {
		v, err := NormalizeTag(t)
		if err != nil {
			return asFieldError(fmt.Sprintf("tags[%d]", i), err)
		}
		if !seen[v] {
			seen[v] = true
			tags = append(tags, v)
		}
	}
	c.Tags = tags
	custom, err := ValidateCustomFields(defs, c.Custom)
	if err != nil {
		var fe *FieldError
		if errors.As(err, &fe) {
			return &FieldError{Field: "custom." + fe.Field, Msg: fe.Msg}
		}
		return asFieldError("custom", err)
	}
	if custom == nil {
		custom = map[string]any{}
	}
	c.Custom = custom
	return nil
}

func checkLabel(field string, label *string) error {
	*label = strings.TrimSpace(*label)
	return checkText(field+".label", *label, MaxLabelLen)
}

// Normalize validates a relation's role and dates.
func (r *Relation) Normalize() error {
	r.Role = strings.Join(strings.Fields(r.Role), " ")
	if err := checkText("role", r.Role, MaxRoleLen); err != nil {
		return err
	}
	if err := CheckDate("valid_from", r.ValidFrom); err != nil {
		return err
	}
	if err := CheckDate("valid_to", r.ValidTo); err != nil {
		return err
	}
	if r.ValidFrom != nil && r.ValidTo != nil && *r.ValidTo < *r.ValidFrom {
		return &FieldError{Field: "valid_to", Msg: "must not be before valid_from"}
	}
	return nil
}

// Normalize validates a note's body and audience.
func (n *Note) Normalize() error {
	n.Body = strings.TrimSpace(n.Body)
	if n.Body == "" {
		return &FieldError{Field: "body", Msg: "must not be empty"}
	}
	if utf8.RuneCountInString(n.Body) > MaxNoteLen {
		return &FieldError{Field: "body", Msg: fmt.Sprintf("longer than %d characters", MaxNoteLen)}
	}
	return NormalizeAudience(&n.Audience, n.Users, n.Groups)
}

// NormalizeAudience checks the audience of attached information (notes, activities): it
// defaults to AudienceContact, and only a restricted item names users or groups.
func NormalizeAudience(a *AudienceKind, users, groups []string) error {
	if *a == "" {
		*a = AudienceContact
	}
	if !a.Valid() {
		return &FieldError{Field: "audience", Msg: "must be contact or restricted"}
	}
	if *a == AudienceContact && (len(users) > 0 || len(groups) > 0) {
		return &FieldError{Field: "audience", Msg: "named users or groups need audience restricted"}
	}
	return nil
}

// ContactPatch changes the fields it sets; a nil field stays as it is, a set list replaces
// the whole list.
type ContactPatch struct {
	BookID         *string          `json:"book_id"`
	Type           *ContactType     `json:"type"`
	Prefix         *string          `json:"prefix"`
	GivenName      *string          `json:"given_name"`
	AdditionalName *string          `json:"additional_name"`
	FamilyName     *string          `json:"family_name"`
	Suffix         *string          `json:"suffix"`
	OrgName        *string          `json:"org_name"`
	JobTitle       *string          `json:"job_title"`
	Birthday       Optional[string] `json:"birthday"`
	Tags           *[]string        `json:"tags"`
	Custom         *map[string]any  `json:"custom"`
	Emails         *[]Email         `json:"emails"`
	Phones         *[]Phone         `json:"phones"`
	Addresses      *[]Address       `json:"addresses"`
	Websites       *[]Website       `json:"websites"`
	Socials        *[]Social        `json:"socials"`
}

// Apply copies the set fields of p onto c.
func (p *ContactPatch) Apply(c *Contact) {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&c.BookID, p.BookID)
	if p.Type != nil {
		c.Type = *p.Type
	}
	set(&c.Prefix, p.Prefix)
	set(&c.GivenName, p.GivenName)
	set(&c.AdditionalName, p.AdditionalName)
	set(&c.FamilyName, p.FamilyName)
	set(&c.Suffix, p.Suffix)
	set(&c.OrgName, p.OrgName)
	set(&c.JobTitle, p.JobTitle)
	if p.Birthday.Set {
		c.Birthday = p.Birthday.Value
	}
	if p.Tags != nil {
		c.Tags = *p.Tags
	}
	if p.Custom != nil {
		c.Custom = *p.Custom
	}
	if p.Emails != nil {
		c.Emails = *p.Emails
	}
	if p.Phones != nil {
		c.Phones = *p.Phones
	}
	if p.Addresses != nil {
		c.Addresses = *p.Addresses
	}
	if p.Websites != nil {
		c.Websites = *p.Websites
	}
	if p.Socials != nil {
		c.Socials = *p.Socials
	}
}

// Optional is a PATCH field that tells "absent" (Set false) from "null" (Set true, Value nil).
type Optional[T any] struct {
	Set   bool
	Value *T
}

// UnmarshalJSON records that the field was present; encoding/json calls it for null too.
func (o *Optional[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.Value = nil
		return nil
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	o.Value = &v
	return nil
}
