package model

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// MeetingAudience is who, besides a meeting's creator, participants and granted users,
// may see it: the members of its project, or nobody else.
type MeetingAudience string

// Meeting audiences.
const (
	MeetingAudienceProject    MeetingAudience = "project"
	MeetingAudienceRestricted MeetingAudience = "restricted"
)

// Limits on meetings, in characters.
const (
	MaxMeetingTitleLen   = 300
	MaxMeetingAgendaLen  = 20000
	MaxMeetingMinutesLen = 100000
	MaxMeetingPeople     = 200
)

// Meeting is a meeting of a project: attached information with its own audience. Contacts
// lists only the participating contacts the reader sees.
type Meeting struct {
	ID           string           `json:"id"`
	ProjectID    string           `json:"project_id"`
	ProjectName  string           `json:"project_name"`
	At           time.Time        `json:"at"`
	Title        string           `json:"title"`
	Agenda       string           `json:"agenda"`
	Minutes      string           `json:"minutes"`
	Audience     MeetingAudience  `json:"audience"`
	Participants []string         `json:"participants"`
	Granted      []string         `json:"granted"`
	Contacts     []MeetingContact `json:"contacts"`
	CreatedBy    *string          `json:"created_by"`
	CreatedAt    time.Time        `json:"created_at"`
	UpdatedAt    time.Time        `json:"updated_at"`
}

// MeetingContact is a contact that took part in a meeting.
type MeetingContact struct {
	ContactID   string `json:"contact_id"`
	DisplayName string `json:"display_name"`
}

// MeetingInput is a new meeting: participants and granted are user ids, contact_ids the
// participating contacts.
type MeetingInput struct {
	At           *time.Time      `json:"at"`
	Title        string          `json:"title"`
	Agenda       string          `json:"agenda"`
	Minutes      string          `json:"minutes"`
	Audience     MeetingAudience `json:"audience"`
	Participants []string        `json:"participants"`
	Granted      []string        `json:"granted"`
	ContactIDs   []string        `json:"contact_ids"`
}

// MeetingPatch changes the fields it sets; a set list replaces the list (contact_ids
// replaces only the contacts the writer sees).
type MeetingPatch struct {
	At           *time.Time       `json:"at"`
	Title        *string          `json:"title"`
	Agenda       *string          `json:"agenda"`
	Minutes      *string          `json:"minutes"`
	Audience     *MeetingAudience `json:"audience"`
	Participants *[]string        `json:"participants"`
	Granted      *[]string        `json:"granted"`
	ContactIDs   *[]string        `json:"contact_ids"`
}

// Apply sets the patched fields on in.
func (p MeetingPatch) Apply(in *MeetingInput) {
	if p.At != nil {
		in.At = p.At
	}
	if p.Title != nil {
		in.Title = *p.Title
	}
	if p.Agenda != nil {
		in.Agenda = *p.Agenda
	}
	if p.Minutes != nil {
		in.Minutes = *p.Minutes
	}
	if p.Audience != nil {
		in.Audience = *p.Audience
	}
	if p.Participants != nil {
		in.Participants = *p.Participants
	}
	if p.Granted != nil {
		in.Granted = *p.Granted
	}
	if p.ContactIDs != nil {
		in.ContactIDs = *p.ContactIDs
	}
}

// Normalize trims and validates a meeting: a time and a title, texts within their limits,
// a known audience (project by default), and lists of ids without duplicates, where no
// user is both a participant and granted.
func (in *MeetingInput) Normalize() error {
	if in.At == nil || in.At.IsZero() {
		return &FieldError{Field: "at", Msg: "is required (RFC 3339 date and time)"}
	}
	in.Title = strings.TrimSpace(in.Title)
	if in.Title == "" {
		return &FieldError{Field: "title", Msg: "must not be empty"}
	}
	for _, f := range []struct {
		name string
		v    *string
		max  int
	}{{"title", &in.Title, MaxMeetingTitleLen}, {"agenda", &in.Agenda, MaxMeetingAgendaLen}, {"minutes", &in.Minutes, MaxMeetingMinutesLen}} {
		*f.v = strings.TrimSpace(*f.v)
		if utf8.RuneCountInString(*f.v) > f.max {
			return &FieldError{Field: f.name, Msg: fmt.Sprintf("longer than %d characters", f.max)}
		}
	}
	if in.Audience == "" {
		in.Audience = MeetingAudienceProject
	}
	if in.Audience != MeetingAudienceProject && in.Audience != MeetingAudienceRestricted {
		return &FieldError{Field: "audience", Msg: "must be project or restricted"}
	}
	for _, f := range []struct {
		name string
		ids  *[]string
	}{{"participants", &in.Participants}, {"granted", &in.Granted}, {"contact_ids", &in.ContactIDs}} {
		ids, err := uniqueIDs(f.name, *f.ids)
		if err != nil {
			return err
		}
		*f.ids = ids
	}
	for _, g := range in.Granted {
		for _, p := range in.Participants {
			if g == p {
				return &FieldError{Field: "granted", Msg: "a participant needs no grant: " + g}
			}
		}
	}
	return nil
}

// uniqueIDs checks a list of ids (lowercase UUIDs) and drops repeats, keeping the order.
func uniqueIDs(field string, ids []string) ([]string, error) {
	if len(ids) > MaxMeetingPeople {
		return nil, &FieldError{Field: field, Msg: fmt.Sprintf("more than %d", MaxMeetingPeople)}
	}
	out := []string{}
	seen := map[string]bool{}
	for _, id := range ids {
		id = strings.ToLower(strings.TrimSpace(id))
		if !isUUID(id) {
			return nil, &FieldError{Field: field, Msg: "not an id: " + id}
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out, nil
}

// isUUID reports whether s is a UUID in its canonical 8-4-4-4-12 hex form.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		switch i {
		case 8, 13, 18, 23:
			if r != '-' {
				return false
			}
		default:
			if !('0' <= r && r <= '9' || 'a' <= r && r <= 'f' || 'A' <= r && r <= 'F') {
				return false
			}
		}
	}
	return true
}
