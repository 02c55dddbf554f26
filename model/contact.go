package model

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ContactKind says whether a contact is a person or an organisation.
type ContactKind string

// The contact kinds.
const (
	KindPerson       ContactKind = "person"
	KindOrganisation ContactKind = "organisation"
)

// ContactKinds lists every valid ContactKind.
var ContactKinds = []ContactKind{KindPerson, KindOrganisation}

// Valid reports whether k is one of ContactKinds.
func (k ContactKind) Valid() bool { return slices.Contains(ContactKinds, k) }

// ContactType says how a contact relates to the company.
type ContactType string

// The contact types.
const (
	TypeSupplier ContactType = "supplier"
	TypePartner  ContactType = "partner"
	TypeEmployee ContactType = "employee"
	TypeMember   ContactType = "member"
	TypeCustomer ContactType = "customer"
	TypeOther    ContactType = "other"
)

// ContactTypes lists every valid ContactType.
var ContactTypes = []ContactType{TypeSupplier, TypePartner, TypeEmployee, TypeMember, TypeCustomer, TypeOther}

// Valid reports whether t is one of ContactTypes.
func (t ContactType) Valid() bool { return slices.Contains(ContactTypes, t) }

// Role is what a user may do in an address book. Each role includes the
// rights of the roles before it in Roles.
type Role string

// The roles, from least to most privileged.
const (
	RoleViewer  Role = "viewer"
	RoleEditor  Role = "editor"
	RoleManager Role = "manager"
)

// Roles lists every valid Role, from least to most privileged.
var Roles = []Role{RoleViewer, RoleEditor, RoleManager}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// AtLeast reports whether r grants at least the rights of o. It is false if
// either role is invalid.
func (r Role) AtLeast(o Role) bool {
	ri, oi := slices.Index(Roles, r), slices.Index(Roles, o)
	return ri >= 0 && oi >= 0 && ri >= oi
}

// AudienceKind says who may see a piece of contact data.
type AudienceKind string

// The audience kinds.
const (
	// AudienceContact is everyone who may see the contact.
	AudienceContact AudienceKind = "contact"
	// AudienceRestricted is only the named users and groups.
	AudienceRestricted AudienceKind = "restricted"
)

// AudienceKinds lists every valid AudienceKind.
var AudienceKinds = []AudienceKind{AudienceContact, AudienceRestricted}

// Valid reports whether k is one of AudienceKinds.
func (k AudienceKind) Valid() bool { return slices.Contains(AudienceKinds, k) }

// AuditChannel records through which interface an audited action came.
type AuditChannel string

// The audit channels.
const (
	ChannelAPI     AuditChannel = "api"
	ChannelCardDAV AuditChannel = "carddav"
	ChannelExport  AuditChannel = "export"
	ChannelMail    AuditChannel = "mail"
	ChannelSystem  AuditChannel = "system"
	ChannelWeb     AuditChannel = "web"
)

// AuditChannels lists every valid AuditChannel.
var AuditChannels = []AuditChannel{ChannelAPI, ChannelCardDAV, ChannelExport, ChannelMail, ChannelSystem, ChannelWeb}

// Valid reports whether c is one of AuditChannels.
func (c AuditChannel) Valid() bool { return slices.Contains(AuditChannels, c) }

// ErrInvalidTag is the error NormalizeTag wraps, with detail, when it
// rejects its input. Test for it with errors.Is.
var ErrInvalidTag = errors.New("model: invalid tag")

// NormalizeTag returns s trimmed, with inner runs of white space collapsed to
// one space and lowercased. The result has 1 to 64 runes. Control characters
// (tabs and newlines included) are rejected.
func NormalizeTag(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("%w: not valid UTF-8", ErrInvalidTag)
	}
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return "", fmt.Errorf("%w: contains a control character", ErrInvalidTag)
	}
	t := strings.ToLower(strings.Join(strings.Fields(s), " "))
	if n := utf8.RuneCountInString(t); n < 1 || n > 64 {
		return "", fmt.Errorf("%w: must have 1 to 64 characters", ErrInvalidTag)
	}
	return t, nil
}
