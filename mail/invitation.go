package mail

import "time"

// InvitationData fills the "invitation" template: a campaign's invitation of a contact to
// an event, with the link to answer it (the RSVP page; GET shows it, only its POST answers).
type InvitationData struct {
	// Name is the invited person's or organisation's name.
	Name string
	// Event is the event's name; Venue where it takes place (may be empty).
	Event string
	Venue string
	// StartsAt and EndsAt (zero when open) are when it takes place.
	StartsAt time.Time
	EndsAt   time.Time
	// RSVPURL opens the page where the person accepts or declines.
	RSVPURL string
}
