package model

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// EventKind is what sort of event it is.
type EventKind string

// Event kinds.
var EventKinds = []EventKind{"business", "experience", "conference"}

// InvitationStatus is where an invitation stands.
type InvitationStatus string

// Invitation statuses.
const (
	InvitationInvited  InvitationStatus = "invited"
	InvitationAccepted InvitationStatus = "accepted"
	InvitationDeclined InvitationStatus = "declined"
	InvitationAttended InvitationStatus = "attended"
)

// InvitationStatuses lists every valid InvitationStatus.
var InvitationStatuses = []InvitationStatus{InvitationInvited, InvitationAccepted, InvitationDeclined, InvitationAttended}

// Event is a business or experience event, or a conference, organised by its owner and
// staff. Invitations counts, by status, the invitations of contacts the reader sees.
type Event struct {
	ID          string         `json:"id"`
	Name        string         `json:"name"`
	Kind        EventKind      `json:"kind"`
	Description string         `json:"description"`
	Venue       string         `json:"venue"`
	StartsAt    time.Time      `json:"starts_at"`
	EndsAt      *time.Time     `json:"ends_at"`
	Resources   string         `json:"resources"`
	BudgetNote  string         `json:"budget_note"`
	OwnerID     *string        `json:"owner_id"`
	Staff       []string       `json:"staff"`
	Invitations map[string]int `json:"invitations"`
	CreatedAt   time.Time      `json:"created_at"`
	UpdatedAt   time.Time      `json:"updated_at"`
}

// EventInput creates (name and starts_at required) or changes (fields set) an event.
type EventInput struct {
	Name        *string    `json:"name"`
	Kind        *EventKind `json:"kind"`
	Description *string    `json:"description"`
	Venue       *string    `json:"venue"`
	StartsAt    *time.Time `json:"starts_at"`
	EndsAt      *time.Time `json:"ends_at"`
	Resources   *string    `json:"resources"`
	BudgetNote  *string    `json:"budget_note"`
}

// Apply sets the fields of in on e.
func (in EventInput) Apply(e *Event) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&e.Name, in.Name)
	set(&e.Description, in.Description)
	set(&e.Venue, in.Venue)
	set(&e.Resources, in.Resources)
	set(&e.BudgetNote, in.BudgetNote)
	if in.Kind != nil {
		e.Kind = *in.Kind
	}
	if in.StartsAt != nil {
		e.StartsAt = *in.StartsAt
	}
	if in.EndsAt != nil {
		e.EndsAt = in.EndsAt
	}
}

// Normalize trims and validates an event.
func (e *Event) Normalize() error {
	for _, f := range []struct {
		name string
		v    *string
		max  int
	}{{"name", &e.Name, 200}, {"description", &e.Description, 20000}, {"venue", &e.Venue, 500},
		{"resources", &e.Resources, 5000}, {"budget_note", &e.BudgetNote, 5000}} {
		*f.v = strings.TrimSpace(*f.v)
		if utf8.RuneCountInString(*f.v) > f.max {
			return &FieldError{Field: f.name, Msg: fmt.Sprintf("longer than %d characters", f.max)}
		}
	}
	if e.Name == "" {
		return &FieldError{Field: "name", Msg: "must not be empty"}
	}
	if e.Kind == "" {
		e.Kind = "business"
	}
	if !slices.Contains(EventKinds, e.Kind) {
		return &FieldError{Field: "kind", Msg: "must be business, experience or conference"}
	}
	if e.StartsAt.IsZero() {
		return &FieldError{Field: "starts_at", Msg: "is required (RFC 3339 date and time)"}
	}
	if e.EndsAt != nil && e.EndsAt.Before(e.StartsAt) {
		return &FieldError{Field: "ends_at", Msg: "must not be before starts_at"}
	}
	return nil
}

// Invitation is a contact invited to an event.
type Invitation struct {
	EventID     string           `json:"event_id"`
	ContactID   string           `json:"contact_id"`
	DisplayName string           `json:"display_name"`
	Status      InvitationStatus `json:"status"`
	CampaignID  *string          `json:"campaign_id"`
	InvitedAt   time.Time        `json:"invited_at"`
	MailedAt    *time.Time       `json:"mailed_at"`
	RespondedAt *time.Time       `json:"responded_at"`
}

// EventDocument describes an uploaded document of an event (its bytes are served apart).
type EventDocument struct {
	ID          string    `json:"id"`
	EventID     string    `json:"event_id"`
	Name        string    `json:"name"`
	ContentType string    `json:"content_type"`
	Size        int       `json:"size"`
	SHA256      string    `json:"sha256"`
	UploadedBy  *string   `json:"uploaded_by"`
	CreatedAt   time.Time `json:"created_at"`
}

// RSVP is what the public RSVP page shows: the event, never the invited person's data.
type RSVP struct {
	EventName string           `json:"event_name"`
	StartsAt  time.Time        `json:"starts_at"`
	EndsAt    *time.Time       `json:"ends_at"`
	Venue     string           `json:"venue"`
	Status    InvitationStatus `json:"status"`
}
