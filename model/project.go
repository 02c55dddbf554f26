package model

import "time"

// ProjectKind is what sort of work a project is.
type ProjectKind string

// Project kinds.
const (
	ProjectKindProject    ProjectKind = "project"
	ProjectKindDelivery   ProjectKind = "delivery"
	ProjectKindEngagement ProjectKind = "engagement"
)

// ProjectStatus is where a project stands. Planned, active and closing projects share
// their involved contacts with their members; closed ones share nothing.
type ProjectStatus string

// Project statuses.
const (
	ProjectPlanned ProjectStatus = "planned"
	ProjectActive  ProjectStatus = "active"
	// ProjectClosing is the grace period of a closure: still shared, until the
	// ProjectClosure workflow closes it (or the closure is cancelled).
	ProjectClosing ProjectStatus = "closing"
	ProjectClosed  ProjectStatus = "closed"
)

// Project is a project, delivery or engagement: a lead, members who see its involved
// contacts while it shares them, and a sync profile for its CardDAV collection.
type Project struct {
	ID          string        `json:"id"`
	Name        string        `json:"name"`
	Kind        ProjectKind   `json:"kind"`
	Description string        `json:"description"`
	LeadID      *string       `json:"lead_id"`
	Status      ProjectStatus `json:"status"`
	StartsOn    *string       `json:"starts_on"` // YYYY-MM-DD
	EndsOn      *string       `json:"ends_on"`
	SyncProfile []string      `json:"sync_profile"`
	ClosedAt    *time.Time    `json:"closed_at"`
	CreatedAt   time.Time     `json:"created_at"`
	UpdatedAt   time.Time     `json:"updated_at"`
	// Members and Contacts are filled on a single project's read.
	Members  []ProjectMember  `json:"members,omitempty"`
	Contacts []ProjectContact `json:"contacts,omitempty"`
}

// ProjectMember is a user working on a project; SyncMode "read" gives them the project's
// CardDAV collection.
type ProjectMember struct {
	UserID   string    `json:"user_id"`
	Name     string    `json:"name"`
	SyncMode *string   `json:"sync_mode"`
	AddedAt  time.Time `json:"added_at"`
}

// ProjectContact is a contact involved in a project, with its role and period.
type ProjectContact struct {
	ContactID   string  `json:"contact_id"`
	DisplayName string  `json:"display_name"`
	Role        string  `json:"role"`
	FromDate    *string `json:"from_date"`
	ToDate      *string `json:"to_date"`
}
