package model

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// ActivityType is what kind of contact an activity records.
type ActivityType string

// Activity types. An e-mail activity is logged, not sent.
const (
	ActivityCall    ActivityType = "call"
	ActivityMeeting ActivityType = "meeting"
	ActivityEmail   ActivityType = "email"
	ActivityVisit   ActivityType = "visit"
	ActivityNote    ActivityType = "note"
)

// ActivityTypes lists every valid ActivityType.
var ActivityTypes = []ActivityType{ActivityCall, ActivityMeeting, ActivityEmail, ActivityVisit, ActivityNote}

// Limits on activities.
const (
	MaxOutcomeLen       = 2000
	MaxDurationMinutes  = 10080 // a week
	MaxActivityPartners = 50
)

// Activity is a call, meeting, e-mail, visit or note on a contact: attached information
// like a Note (its Body, Audience, Users and Groups mean the same), with when it happened,
// how long it took, its outcome and the users who took part. Participants are recorded, not
// granted: who sees the activity is decided by its audience alone.
type Activity struct {
	ID              string       `json:"id"`
	ContactID       string       `json:"contact_id"`
	Type            ActivityType `json:"type"`
	OccurredAt      time.Time    `json:"occurred_at"`
	DurationMinutes *int         `json:"duration_minutes"`
	Outcome         string       `json:"outcome"`
	Body            string       `json:"body"`
	Participants    []string     `json:"participants"`
	Audience        AudienceKind `json:"audience"`
	Users           []string     `json:"users"`
	Groups          []string     `json:"groups"`
	CreatedBy       *string      `json:"created_by"`
	CreatedAt       time.Time    `json:"created_at"`
	UpdatedAt       time.Time    `json:"updated_at"`
}

// ActivityPatch changes the fields it sets; a set list replaces the list.
type ActivityPatch struct {
	Type            *ActivityType `json:"type"`
	OccurredAt      *time.Time    `json:"occurred_at"`
	DurationMinutes *int          `json:"duration_minutes"`
	Outcome         *string       `json:"outcome"`
	Body            *string       `json:"body"`
	Participants    *[]string     `json:"participants"`
	Audience        *AudienceKind `json:"audience"`
	Users           *[]string     `json:"users"`
	Groups          *[]string     `json:"groups"`
}

// Apply sets the patched fields on a. Switching the audience to contact drops the named
// users and groups unless the patch names new ones.
func (p ActivityPatch) Apply(a *Activity) {
	if p.Type != nil {
		a.Type = *p.Type
	}
	if p.OccurredAt != nil {
		a.OccurredAt = *p.OccurredAt
	}
	if p.DurationMinutes != nil {
		a.DurationMinutes = p.DurationMinutes
	}
	if p.Outcome != nil {
		a.Outcome = *p.Outcome
	}
	if p.Body != nil {
		a.Body = *p.Body
	}
	if p.Participants != nil {
		a.Participants = *p.Participants
	}
	if p.Audience != nil {
		a.Audience = *p.Audience
		if a.Audience == AudienceContact && p.Users == nil && p.Groups == nil {
			a.Users, a.Groups = nil, nil
		}
	}
	if p.Users != nil {
		a.Users = *p.Users
	}
	if p.Groups != nil {
		a.Groups = *p.Groups
	}
}

// Normalize trims and validates an activity: a known type, a time, a body (the note of
// what happened), an outcome and a duration within their limits, participants as ids
// without duplicates, and the audience rules of notes.
func (a *Activity) Normalize() error {
	if !slices.Contains(ActivityTypes, a.Type) {
		return &FieldError{Field: "type", Msg: "must be call, meeting, email, visit or note"}
	}
	if a.OccurredAt.IsZero() {
		return &FieldError{Field: "occurred_at", Msg: "is required (RFC 3339 date and time)"}
	}
	a.Body = strings.TrimSpace(a.Body)
	if a.Body == "" {
		return &FieldError{Field: "body", Msg: "must not be empty"}
	}
	if utf8.RuneCountInString(a.Body) > MaxNoteLen {
		return &FieldError{Field: "body", Msg: fmt.Sprintf("longer than %d characters", MaxNoteLen)}
	}
	a.Outcome = strings.TrimSpace(a.Outcome)
	if utf8.RuneCountInString(a.Outcome) > MaxOutcomeLen {
		return &FieldError{Field: "outcome", Msg: fmt.Sprintf("longer than %d characters", MaxOutcomeLen)}
	}
	if d := a.DurationMinutes; d != nil && (*d < 0 || *d > MaxDurationMinutes) {
		return &FieldError{Field: "duration_minutes", Msg: fmt.Sprintf("must be between 0 and %d", MaxDurationMinutes)}
	}
	ids, err := uniqueIDs("participants", a.Participants)
	if err != nil {
		return err
	}
	if len(ids) > MaxActivityPartners {
		return &FieldError{Field: "participants", Msg: fmt.Sprintf("more than %d", MaxActivityPartners)}
	}
	a.Participants = ids
	return NormalizeAudience(&a.Audience, a.Users, a.Groups)
}
