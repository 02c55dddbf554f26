package store

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/kontakt/kontakt/model"
)

// Campaigns (issue #7): a saved target filter evaluated with the owner's visibility
// (campaignTarget in policy.go), what task each target gets and for which rep, and
// optionally invitations to an event. Any enabled user who manages a book (or an
// organisation admin) may create a campaign and owns it; its owner and admins manage it;
// its reps read it; everyone else gets ErrNotFound. Launching, the targets' snapshot, the
// task batches and the invitations are in campaign_launch.go.

const campaignColumns = `cp.id, cp.name, cp.owner_id, cp.filter, cp.purpose_id, cp.event_id, cp.send_invitations,
	cp.invitation_language, cp.task_type, cp.task_title, cp.task_due_on::text, cp.assign_mode, cp.rep_ids::text[],
	cp.status, cp.target_count, cp.launched_at, cp.cancelled_at, cp.completed_at, cp.created_at, cp.updated_at`

func scanCampaign(row pgx.Row) (model.Campaign, error) {
	var c model.Campaign
	err := row.Scan(&c.ID, &c.Name, &c.OwnerID, &c.Filter, &c.PurposeID, &c.EventID, &c.SendInvitations,
		&c.InvitationLanguage, &c.TaskType, &c.TaskTitle, &c.TaskDueOn, &c.AssignMode, &c.RepIDs,
		&c.Status, &c.TargetCount, &c.LaunchedAt, &c.CancelledAt, &c.CompletedAt, &c.CreatedAt, &c.UpdatedAt)
	if c.RepIDs == nil {
		c.RepIDs = []string{}
	}
	c.Filter = c.Filter.Normalised()
	return c, wrap(err)
}

// requireCampaign fails with ErrNotFound unless the actor may read the campaign, and with
// ErrForbidden unless, when manage is set, they may manage it; with manage it locks the row
// (q is then a transaction).
func requireCampaign(ctx context.Context, q querier, actor Actor, id string, manage bool) (model.Campaign, error) {
	if !ValidID(id) {
		return model.Campaign{}, ErrNotFound
	}
	lock := ""
	if manage {
		lock = " FOR UPDATE"
	}
	c, err := scanCampaign(q.QueryRow(ctx, `SELECT `+campaignColumns+` FROM campaigns cp
		WHERE cp.id = $2 AND `+campaignReadable+lock, actor.UserID, id))
	if err != nil || !manage {
		return c, err
	}
	var ok bool
	if err := q.QueryRow(ctx, `SELECT `+campaignManageable+` FROM campaigns cp WHERE cp.id = $2`, actor.UserID, id).Scan(&ok); err != nil {
		return c, wrap(err)
	}
	if !ok {
		return c, ErrForbidden
	}
	return c, nil
}

// CampaignInput is what a campaign's owner sets (PATCH: nil leaves a field as it is).
type CampaignInput struct {
	Name               *string               `json:"name"`
	Filter             *model.CampaignFilter `json:"filter"`
	PurposeID          *string               `json:"purpose_id"` // "" clears
	EventID            *string               `json:"event_id"`   // "" clears
	SendInvitations    *bool                 `json:"send_invitations"`
	InvitationLanguage *string               `json:"invitation_language"`
	TaskType           *string               `json:"task_type"`
	TaskTitle          *string               `json:"task_title"`
	TaskDueOn          *string               `json:"task_due_on"` // "" clears
	AssignMode         *string               `json:"assign_mode"`
	RepIDs             *[]string             `json:"rep_ids"`
}

var contactTypes = []string{"supplier", "partner", "employee", "member", "customer", "other"}

// validate checks what needs no database.
func (in CampaignInput) validate() error {
	if in.Name != nil {
		*in.Name = strings.TrimSpace(*in.Name)
		if *in.Name == "" || utf8.RuneCountInString(*in.Name) > 200 {
			return &model.FieldError{Field: "name", Msg: "must be 1 to 200 characters"}
		}
	}
	if in.TaskTitle != nil {
		*in.TaskTitle = strings.TrimSpace(*in.TaskTitle)
		if *in.TaskTitle == "" || utf8.RuneCountInString(*in.TaskTitle) > 300 {
			return &model.FieldError{Field: "task_title", Msg: "must be 1 to 300 characters"}
		}
	}
	if in.TaskType != nil && !slices.Contains([]string{"call", "meeting", "email", "visit", "todo"}, *in.TaskType) {
		return &model.FieldError{Field: "task_type", Msg: "must be call, meeting, email, visit or todo"}
	}
	if in.AssignMode != nil && *in.AssignMode != model.AssignRoundRobin && *in.AssignMode != model.AssignBookOwner {
		return &model.FieldError{Field: "assign_mode", Msg: "must be round_robin or book_owner"}
	}
	if in.InvitationLanguage != nil && *in.InvitationLanguage != "cs" && *in.InvitationLanguage != "en" {
		return &model.FieldError{Field: "invitation_language", Msg: "must be cs or en"}
	}
	if in.TaskDueOn != nil && *in.TaskDueOn != "" {
		if _, err := time.Parse(time.DateOnly, *in.TaskDueOn); err != nil {
			return &model.FieldError{Field: "task_due_on", Msg: "must be a date (YYYY-MM-DD)"}
		}
	}
	for field, id := range map[string]*string{"purpose_id": in.PurposeID, "event_id": in.EventID} {
		if id != nil && *id != "" && !ValidID(*id) {
			return &model.FieldError{Field: field, Msg: "not found"}
		}
	}
	if in.Filter != nil {
		f := in.Filter
		for _, t := range f.Types {
			if !slices.Contains(contactTypes, t) {
				return &model.FieldError{Field: "filter.types", Msg: "must be among supplier, partner, employee, member, customer, other"}
			}
		}
		for field, ids := range map[string][]string{"filter.book_ids": f.BookIDs, "filter.organisation_ids": f.OrganisationIDs} {
			for _, id := range ids {
				if !ValidID(id) {
					return &model.FieldError{Field: field, Msg: "not found"}
				}
			}
		}
		if len(f.Tags) > 100 || len(f.BookIDs) > 100 || len(f.OrganisationIDs) > 1000 {
			return &model.FieldError{Field: "filter", Msg: "too many entries"}
		}
	}
	if in.RepIDs != nil {
		if len(*in.RepIDs) > 200 {
			return &model.FieldError{Field: "rep_ids", Msg: "at most 200 reps"}
		}
		for _, id := range *in.RepIDs {
			if !ValidID(id) {
				return &model.FieldError{Field: "rep_ids", Msg: "no such user"}
			}
		}
	}
	return nil
}

// checkCampaign checks the stored-and-patched campaign against the database, with the
// owner's eyes: the filter's books and organisations must be ones the owner sees (an
// invisible one answers as an unknown one), the purpose and event must exist, the reps must
// be enabled users, and invitations need a purpose and an event.
func checkCampaign(ctx context.Context, q querier, ownerID string, c model.Campaign) error {
	if c.SendInvitations && (c.PurposeID == nil || c.EventID == nil) {
		return &model.FieldError{Field: "send_invitations", Msg: "needs a purpose_id (only contacts with an active consent for it are invited) and an event_id"}
	}
	var bad string
	err := q.QueryRow(ctx, `SELECT CASE
		WHEN EXISTS (SELECT 1 FROM unnest($2::uuid[]) b WHERE b NOT IN (SELECT vb.book_id FROM visible_books($1) vb)) THEN 'filter.book_ids'
		WHEN EXISTS (SELECT 1 FROM unnest($3::uuid[]) o WHERE NOT EXISTS (SELECT 1 FROM contacts c
		        WHERE c.id = o AND c.kind = 'organisation' AND `+contactVisible+`)) THEN 'filter.organisation_ids'
		WHEN $4::uuid IS NOT NULL AND NOT EXISTS (SELECT 1 FROM purposes WHERE id = $4) THEN 'purpose_id'
		WHEN $5::uuid IS NOT NULL AND NOT EXISTS (SELECT 1 FROM events WHERE id = $5) THEN 'event_id'
		WHEN EXISTS (SELECT 1 FROM unnest($6::uuid[]) r WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = r AND NOT u.disabled)) THEN 'rep_ids'
		ELSE '' END`, ownerID, c.Filter.BookIDs, c.Filter.OrganisationIDs, c.PurposeID, c.EventID, c.RepIDs).Scan(&bad)
	if err != nil {
		return err
	}
	switch bad {
	case "":
		return nil
	case "rep_ids":
		return &model.FieldError{Field: bad, Msg: "no such user"}
	default:
		return &model.FieldError{Field: bad, Msg: "not found"}
	}
}

// apply puts the input's fields on c.
func (in CampaignInput) apply(c *model.Campaign) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&c.Name, in.Name)
	set(&c.TaskType, in.TaskType)
	set(&c.TaskTitle, in.TaskTitle)
	set(&c.AssignMode, in.AssignMode)
	set(&c.InvitationLanguage, in.InvitationLanguage)
	optional := func(dst **string, v *string) {
		if v != nil {
			if *v == "" {
				*dst = nil
			} else {
				s := *v
				*dst = &s
			}
		}
	}
	optional(&c.PurposeID, in.PurposeID)
	optional(&c.EventID, in.EventID)
	optional(&c.TaskDueOn, in.TaskDueOn)
	if in.Filter != nil {
		c.Filter = in.Filter.Normalised()
	}
	if in.SendInvitations != nil {
		c.SendInvitations = *in.SendInvitations
	}
	if in.RepIDs != nil {
		c.RepIDs = slices.Clone(*in.RepIDs)
	}
}

// CreateCampaign adds a draft campaign owned by the actor, who must be an organisation
// admin or hold the manager role on at least one book (ErrForbidden otherwise).
func (s *Store) CreateCampaign(ctx context.Context, actor Actor, in CampaignInput) (model.Campaign, error) {
	if in.Name == nil {
		return model.Campaign{}, &model.FieldError{Field: "name", Msg: "is required"}
	}
	if in.TaskTitle == nil {
		return model.Campaign{}, &model.FieldError{Field: "task_title", Msg: "is required"}
	}
	if err := in.validate(); err != nil {
		return model.Campaign{}, err
	}
	c := model.Campaign{TaskType: "call", AssignMode: model.AssignRoundRobin, InvitationLanguage: "cs", RepIDs: []string{}}
	in.apply(&c)
	c.Filter = c.Filter.Normalised()
	var id string
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var manager bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM user_book_roles($1) r WHERE r.role = 'manager')`,
			actor.UserID).Scan(&manager); err != nil {
			return err
		}
		if !manager {
			return ErrForbidden
		}
		if err := checkCampaign(ctx, tx, actor.UserID, c); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO campaigns (name, owner_id, filter, purpose_id, event_id, send_invitations,
				invitation_language, task_type, task_title, task_due_on, assign_mode, rep_ids)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::date, $11, $12::uuid[]) RETURNING id`,
			c.Name, actor.UserID, c.Filter, c.PurposeID, c.EventID, c.SendInvitations, c.InvitationLanguage,
			c.TaskType, c.TaskTitle, c.TaskDueOn, c.AssignMode, c.RepIDs).Scan(&id); err != nil {
			return err
		}
		return audit(ctx, tx, actor, "campaign.create", nil, &id, nil)
	})
	if err != nil {
		return model.Campaign{}, wrap(err)
	}
	return s.GetCampaign(ctx, actor, id)
}

// GetCampaign returns a campaign the actor may read.
func (s *Store) GetCampaign(ctx context.Context, actor Actor, id string) (model.Campaign, error) {
	return requireCampaign(ctx, s.pool, actor, id, false)
}

// ListCampaigns lists the campaigns the actor may read, newest first.
func (s *Store) ListCampaigns(ctx context.Context, actor Actor) ([]model.Campaign, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+campaignColumns+` FROM campaigns cp WHERE `+campaignReadable+`
		ORDER BY cp.created_at DESC, cp.id`, actor.UserID)
	if err != nil {
		return nil, wrap(err)
	}
	out := []model.Campaign{}
	for rows.Next() {
		c, err := scanCampaign(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, c)
	}
	return out, wrap(rows.Err())
}

// UpdateCampaign changes a draft campaign; its owner and admins may. A launched campaign
// is a *ConflictError: its targets and tasks follow what it was launched with.
func (s *Store) UpdateCampaign(ctx context.Context, actor Actor, id string, in CampaignInput) (model.Campaign, error) {
	if err := in.validate(); err != nil {
		return model.Campaign{}, err
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		c, err := requireCampaign(ctx, tx, actor, id, true)
		if err != nil {
			return err
		}
		if c.Status != model.CampaignDraft {
			return &ConflictError{Field: "status", Msg: "only a draft campaign can be changed"}
		}
		in.apply(&c)
		owner := actor.UserID
		if c.OwnerID != nil {
			owner = *c.OwnerID
		}
		if err := checkCampaign(ctx, tx, owner, c); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE campaigns SET name = $2, filter = $3, purpose_id = $4, event_id = $5,
				send_invitations = $6, invitation_language = $7, task_type = $8, task_title = $9, task_due_on = $10::date,
				assign_mode = $11, rep_ids = $12::uuid[], updated_at = now() WHERE id = $1`,
			id, c.Name, c.Filter, c.PurposeID, c.EventID, c.SendInvitations, c.InvitationLanguage,
			c.TaskType, c.TaskTitle, c.TaskDueOn, c.AssignMode, c.RepIDs); err != nil {
			return err
		}
		return audit(ctx, tx, actor, "campaign.update", nil, &id, nil)
	})
	if err != nil {
		return model.Campaign{}, wrap(err)
	}
	return s.GetCampaign(ctx, actor, id)
}

// CampaignPreview is how many contacts a campaign targets now.
type CampaignPreview struct {
	Targets int `json:"targets"`
}

// PreviewCampaign counts the contacts the campaign targets now, with its owner's
// visibility (whoever asks: a rep learns a count, never a contact).
func (s *Store) PreviewCampaign(ctx context.Context, actor Actor, id string) (CampaignPreview, error) {
	c, err := s.GetCampaign(ctx, actor, id)
	if err != nil {
		return CampaignPreview{}, err
	}
	var p CampaignPreview
	if c.OwnerID == nil {
		return p, nil
	}
	err = s.pool.QueryRow(ctx, `SELECT count(*) FROM campaigns cp JOIN contacts c ON true
		WHERE cp.id = $2 AND `+campaignTarget, *c.OwnerID, id).Scan(&p.Targets)
	return p, wrap(err)
}
