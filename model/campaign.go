package model

import "time"

// CampaignStatus is where a campaign stands: a draft is edited; launching snapshots its
// targets and creates their tasks (the CampaignLaunch workflow); an active campaign's reps
// work their tasks; it is done once every task is closed, or cancelled (open tasks are
// cancelled with it).
type CampaignStatus string

// Campaign statuses.
const (
	CampaignDraft     CampaignStatus = "draft"
	CampaignLaunching CampaignStatus = "launching"
	CampaignActive    CampaignStatus = "active"
	CampaignCancelled CampaignStatus = "cancelled"
	CampaignDone      CampaignStatus = "done"
)

// Assign modes of a campaign.
const (
	// AssignRoundRobin deals targets to the campaign's reps in turn.
	AssignRoundRobin = "round_robin"
	// AssignBookOwner gives each target to the owner of its book: the first by name among
	// the enabled users holding the manager role on the book by an explicit grant (direct
	// or through a group), narrowed to the campaign's reps when it names any, who see the
	// contact.
	AssignBookOwner = "book_owner"
)

// CampaignFilter is a campaign's saved target filter. Each non-empty list narrows the
// targets: book_ids to those books, tags to contacts with any of the tags, types to those
// contact types (supplier, partner, ...), organisation_ids to those organisations and the
// people related to them.
type CampaignFilter struct {
	BookIDs         []string `json:"book_ids"`
	Tags            []string `json:"tags"`
	Types           []string `json:"types"`
	OrganisationIDs []string `json:"organisation_ids"`
}

// Campaign is a sales campaign: targets by a filter evaluated with its owner's visibility,
// a task per target for a rep, and optionally invitations to an event.
type Campaign struct {
	ID                 string         `json:"id"`
	Name               string         `json:"name"`
	OwnerID            *string        `json:"owner_id"`
	Filter             CampaignFilter `json:"filter"`
	PurposeID          *string        `json:"purpose_id"`
	EventID            *string        `json:"event_id"`
	SendInvitations    bool           `json:"send_invitations"`
	InvitationLanguage string         `json:"invitation_language"`
	TaskType           string         `json:"task_type"`
	TaskTitle          string         `json:"task_title"`
	TaskDueOn          *string        `json:"task_due_on"` // YYYY-MM-DD
	AssignMode         string         `json:"assign_mode"`
	RepIDs             []string       `json:"rep_ids"`
	Status             CampaignStatus `json:"status"`
	TargetCount        *int           `json:"target_count"`
	LaunchedAt         *time.Time     `json:"launched_at"`
	CancelledAt        *time.Time     `json:"cancelled_at"`
	CompletedAt        *time.Time     `json:"completed_at"`
	CreatedAt          time.Time      `json:"created_at"`
	UpdatedAt          time.Time      `json:"updated_at"`
	// WorkflowID is the CampaignLaunch workflow's id once launched (set by the API).
	WorkflowID string `json:"workflow_id,omitempty"`
}

// RepProgress is how far one rep (or, with RepID nil, nobody: unassigned targets) is with
// a campaign's tasks.
type RepProgress struct {
	RepID     *string `json:"rep_id"`
	Open      int     `json:"open"`
	Done      int     `json:"done"`
	Cancelled int     `json:"cancelled"`
}

// CampaignProgress is where a campaign's launch and work stand: counts and ids only.
type CampaignProgress struct {
	Status     CampaignStatus `json:"status"`
	Targets    int            `json:"targets"`
	Unassigned int            `json:"unassigned"`
	Open       int            `json:"open"`
	Done       int            `json:"done"`
	Cancelled  int            `json:"cancelled"`
	PerRep     []RepProgress  `json:"per_rep"`
	// Invitations: created, mailed, claimed but unknown (a crash while sending), accepted.
	Invited          int `json:"invited"`
	Mailed           int `json:"mailed"`
	MailUnknown      int `json:"mail_unknown"`
	Accepted         int `json:"accepted"`
	Declined         int `json:"declined"`
	Attended         int `json:"attended"`
	NoConsentOrEmail int `json:"not_invited"`
}

// OutcomeCount is how many done tasks of a campaign recorded one outcome.
type OutcomeCount struct {
	Outcome string `json:"outcome"`
	Count   int    `json:"count"`
}

// CampaignResults are a campaign's results: its progress, the outcomes of done tasks,
// and the contacts (ids) that accepted its invitation and that the reader sees.
type CampaignResults struct {
	CampaignProgress
	Outcomes         []OutcomeCount `json:"outcomes"`
	AcceptedContacts []string       `json:"accepted_contact_ids"`
}

// Normalised returns the filter with empty lists rather than nil ones.
func (f CampaignFilter) Normalised() CampaignFilter {
	for _, l := range []*[]string{&f.BookIDs, &f.Tags, &f.Types, &f.OrganisationIDs} {
		if *l == nil {
			*l = []string{}
		}
	}
	return f
}
