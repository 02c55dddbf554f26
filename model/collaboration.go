package model

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits on collaboration records, in characters.
const (
	MaxDeliveredLen = 2000
	MaxCommentLen   = 5000
)

// CollaborationRecord is what a contact involved in a project delivered on it and how
// well: each criterion is rated 1 to 5, or nil when not rated.
type CollaborationRecord struct {
	ID            string    `json:"id"`
	ProjectID     string    `json:"project_id"`
	ProjectName   string    `json:"project_name"`
	ContactID     string    `json:"contact_id"`
	Delivered     string    `json:"delivered"`
	PeriodFrom    *string   `json:"period_from"` // YYYY-MM-DD
	PeriodTo      *string   `json:"period_to"`
	Quality       *int      `json:"quality"`
	Timeliness    *int      `json:"timeliness"`
	Communication *int      `json:"communication"`
	Comment       string    `json:"comment"`
	CreatedBy     *string   `json:"created_by"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// CollaborationPatch changes the fields it sets; null clears a rating or a date.
type CollaborationPatch struct {
	Delivered     *string          `json:"delivered"`
	PeriodFrom    Optional[string] `json:"period_from"`
	PeriodTo      Optional[string] `json:"period_to"`
	Quality       Optional[int]    `json:"quality"`
	Timeliness    Optional[int]    `json:"timeliness"`
	Communication Optional[int]    `json:"communication"`
	Comment       *string          `json:"comment"`
}

// Apply sets the patched fields on r.
func (p CollaborationPatch) Apply(r *CollaborationRecord) {
	if p.Delivered != nil {
		r.Delivered = *p.Delivered
	}
	if p.Comment != nil {
		r.Comment = *p.Comment
	}
	for _, f := range []struct {
		o  Optional[string]
		to **string
	}{{p.PeriodFrom, &r.PeriodFrom}, {p.PeriodTo, &r.PeriodTo}} {
		if f.o.Set {
			*f.to = f.o.Value
		}
	}
	for _, f := range []struct {
		o  Optional[int]
		to **int
	}{{p.Quality, &r.Quality}, {p.Timeliness, &r.Timeliness}, {p.Communication, &r.Communication}} {
		if f.o.Set {
			*f.to = f.o.Value
		}
	}
}

// Normalize trims and validates a record: something delivered, ratings from 1 to 5, a
// period whose end is not before its start.
func (r *CollaborationRecord) Normalize() error {
	r.Delivered = strings.TrimSpace(r.Delivered)
	if r.Delivered == "" {
		return &FieldError{Field: "delivered", Msg: "must not be empty"}
	}
	if utf8.RuneCountInString(r.Delivered) > MaxDeliveredLen {
		return &FieldError{Field: "delivered", Msg: fmt.Sprintf("longer than %d characters", MaxDeliveredLen)}
	}
	r.Comment = strings.TrimSpace(r.Comment)
	if utf8.RuneCountInString(r.Comment) > MaxCommentLen {
		return &FieldError{Field: "comment", Msg: fmt.Sprintf("longer than %d characters", MaxCommentLen)}
	}
	for field, v := range map[string]*int{"quality": r.Quality, "timeliness": r.Timeliness, "communication": r.Communication} {
		if v != nil && (*v < 1 || *v > 5) {
			return &FieldError{Field: field, Msg: "must be a rating from 1 to 5"}
		}
	}
	var err error
	if r.PeriodFrom, err = normalizeDate("period_from", r.PeriodFrom); err != nil {
		return err
	}
	if r.PeriodTo, err = normalizeDate("period_to", r.PeriodTo); err != nil {
		return err
	}
	if r.PeriodFrom != nil && r.PeriodTo != nil && *r.PeriodTo < *r.PeriodFrom {
		return &FieldError{Field: "period_to", Msg: "must not be before period_from"}
	}
	return nil
}

// normalizeDate checks an optional YYYY-MM-DD date; "" is none.
func normalizeDate(field string, d *string) (*string, error) {
	if d == nil || strings.TrimSpace(*d) == "" {
		return nil, nil
	}
	t, err := time.Parse(time.DateOnly, strings.TrimSpace(*d))
	if err != nil {
		return nil, &FieldError{Field: field, Msg: "must be a date (YYYY-MM-DD)"}
	}
	s := t.Format(time.DateOnly)
	return &s, nil
}

// Rating is the average of one criterion over the records that rate it (nil when none
// does), and how many do.
type Rating struct {
	Average *float64 `json:"average"`
	Count   int      `json:"count"`
}

// Ratings are the three criteria of a collaboration record, summarised.
type Ratings struct {
	Quality       Rating `json:"quality"`
	Timeliness    Rating `json:"timeliness"`
	Communication Rating `json:"communication"`
}

// CollaborationSummary summarises what a reader may see of a contact's collaboration:
// records and their ratings, the meetings the contact took part in, and the last projects
// the records come from.
type CollaborationSummary struct {
	ContactID string `json:"contact_id"`
	Records   int    `json:"records"`
	Ratings
	Meetings int                    `json:"meetings"`
	Projects []ProjectCollaboration `json:"projects"`
}

// ProjectCollaboration is one project of a contact's summary: its records there, their
// ratings, and the last date they cover (period end, else start, else the day recorded).
type ProjectCollaboration struct {
	ProjectID string        `json:"project_id"`
	Name      string        `json:"name"`
	Kind      ProjectKind   `json:"kind"`
	Status    ProjectStatus `json:"status"`
	Records   int           `json:"records"`
	Last      string        `json:"last"`
	Ratings
}

// SupplierQuality is one organisation's row of the supplier quality report: the records
// on the organisation itself and on persons related to it while they delivered.
type SupplierQuality struct {
	OrganisationID string      `json:"organisation_id"`
	Name           string      `json:"name"`
	Type           ContactType `json:"type"`
	Records        int         `json:"records"`
	OwnRecords     int         `json:"own_records"`
	PersonRecords  int         `json:"person_records"`
	Projects       int         `json:"projects"`
	Last           string      `json:"last"`
	Ratings
	// ContactIDs are the organisation and the persons whose records were counted.
	ContactIDs []string `json:"-"`
}
