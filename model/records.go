package model

import "time"

// User is a staff account.
type User struct {
	ID       string `json:"id"`
	Login    string `json:"login"`
	Name     string `json:"name"`
	Email    string `json:"email"`
	IsAdmin  bool   `json:"is_admin"`
	Disabled bool   `json:"disabled"`
	Locale   string `json:"locale"`
	// Permissions are what the user may do beyond book roles (PermScans, PermGDPR); being
	// an admin implies none of them, but an admin may grant them to anyone, themselves too.
	Permissions []string  `json:"permissions"`
	CreatedAt   time.Time `json:"created_at"`
}

// Group is a named set of users that grants and audiences can name.
type Group struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Members     []string  `json:"members"`
	CreatedAt   time.Time `json:"created_at"`
}

// Book is an address book. Role is the requesting user's strongest role on it.
type Book struct {
	ID          string     `json:"id"`
	Name        string     `json:"name"`
	Description string     `json:"description"`
	Role        Role       `json:"role"`
	Fields      []FieldDef `json:"fields"`
	SyncProfile []string   `json:"sync_profile"`
	// RequiredPurposeID, when set, hides the book's contacts that hold no active consent
	// for that purpose, on every channel.
	RequiredPurposeID *string   `json:"required_purpose_id"`
	CreatedAt         time.Time `json:"created_at"`
	UpdatedAt         time.Time `json:"updated_at"`
}

// Grant gives a user or a group a role on a book; exactly one of UserID and GroupID is set.
type Grant struct {
	ID        string    `json:"id"`
	BookID    string    `json:"book_id"`
	UserID    *string   `json:"user_id"`
	GroupID   *string   `json:"group_id"`
	Role      Role      `json:"role"`
	CreatedAt time.Time `json:"created_at"`
}

// Contact is a person or an organisation in exactly one address book.
type Contact struct {
	ID             string         `json:"id"`
	BookID         string         `json:"book_id"`
	Kind           ContactKind    `json:"kind"`
	Type           ContactType    `json:"type"`
	Prefix         string         `json:"prefix"`
	GivenName      string         `json:"given_name"`
	AdditionalName string         `json:"additional_name"`
	FamilyName     string         `json:"family_name"`
	Suffix         string         `json:"suffix"`
	OrgName        string         `json:"org_name"`
	DisplayName    string         `json:"display_name"`
	JobTitle       string         `json:"job_title"`
	Birthday       *string        `json:"birthday"`
	Tags           []string       `json:"tags"`
	Custom         map[string]any `json:"custom"`
	Emails         []Email        `json:"emails"`
	Phones         []Phone        `json:"phones"`
	Addresses      []Address      `json:"addresses"`
	Websites       []Website      `json:"websites"`
	Socials        []Social       `json:"socials"`
	Relations      []Relation     `json:"relations"`
	Version        int64          `json:"version"`
	CreatedAt      time.Time      `json:"created_at"`
	UpdatedAt      time.Time      `json:"updated_at"`
}

// Email is an email address of a contact.
type Email struct {
	Value     string `json:"value"`
	Label     string `json:"label"`
	Preferred bool   `json:"preferred"`
}

// Phone is a phone number in E.164 form.
type Phone struct {
	Value     string `json:"value"`
	Label     string `json:"label"`
	Preferred bool   `json:"preferred"`
}

// Address is a postal address.
type Address struct {
	Label      string `json:"label"`
	Street     string `json:"street"`
	Locality   string `json:"locality"`
	Region     string `json:"region"`
	PostalCode string `json:"postal_code"`
	Country    string `json:"country"`
	Preferred  bool   `json:"preferred"`
}

// Website is a web address of a contact.
type Website struct {
	URL   string `json:"url"`
	Label string `json:"label"`
}

// Social is a profile on a social network.
type Social struct {
	Network SocialNetwork `json:"network"`
	Handle  string        `json:"handle"`
	URL     string        `json:"url"`
}

// Relation links a person to an organisation with a role and a validity period (dates as
// YYYY-MM-DD). OtherName is the display name of the side that is not the contact at hand.
type Relation struct {
	ID             string  `json:"id"`
	PersonID       string  `json:"person_id"`
	OrganisationID string  `json:"organisation_id"`
	Role           string  `json:"role"`
	ValidFrom      *string `json:"valid_from"`
	ValidTo        *string `json:"valid_to"`
	OtherName      string  `json:"other_name,omitempty"`
}

// Note is attached information on a contact with its own audience: AudienceContact means
// everyone who sees the contact; AudienceRestricted means the author and the named users
// and groups.
type Note struct {
	ID        string       `json:"id"`
	ContactID string       `json:"contact_id"`
	Body      string       `json:"body"`
	Audience  AudienceKind `json:"audience"`
	Users     []string     `json:"users"`
	Groups    []string     `json:"groups"`
	CreatedBy *string      `json:"created_by"`
	CreatedAt time.Time    `json:"created_at"`
	UpdatedAt time.Time    `json:"updated_at"`
}

// Token is a personal API token; the secret itself is shown once at creation and never stored.
type Token struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

// AuditEntry is one row of the append-only audit log.
type AuditEntry struct {
	ID         int64          `json:"id"`
	At         time.Time      `json:"at"`
	ActorID    *string        `json:"actor_id"`
	Action     string         `json:"action"`
	Channel    AuditChannel   `json:"channel"`
	ContactIDs []string       `json:"contact_ids"`
	ObjectID   *string        `json:"object_id"`
	Detail     map[string]any `json:"detail"`
}
