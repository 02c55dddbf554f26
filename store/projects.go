package store

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/kontakt/kontakt/model"
)

// Projects: a lead, members and involved contacts. While a project shares (planned,
// active, closing), its members see its involved contacts through the one visibility policy
// (sharedByProject in policy.go). The lead and organisation admins manage a project; members
// read it; everyone else gets ErrNotFound.

const projectColumns = `p.id, p.name, p.kind, p.description, p.lead_id, p.status, p.starts_on::text, p.ends_on::text,
	p.sync_profile, p.closed_at, p.created_at, p.updated_at`

func scanProject(row pgx.Row) (model.Project, error) {
	var p model.Project
	err := row.Scan(&p.ID, &p.Name, &p.Kind, &p.Description, &p.LeadID, &p.Status, &p.StartsOn, &p.EndsOn,
		&p.SyncProfile, &p.ClosedAt, &p.CreatedAt, &p.UpdatedAt)
	return p, wrap(err)
}

// requireProject fails with ErrNotFound unless the actor may read the project, and with
// ErrForbidden unless, when manage is set, they may manage it. With manage it locks the
// project row (q is then a transaction); a plain read takes no lock, so readers never wait
// behind a closure.
func requireProject(ctx context.Context, q querier, actor Actor, id string, manage bool) (model.Project, error) {
	if !ValidID(id) {
		return model.Project{}, ErrNotFound
	}
	lock := ""
	if manage {
		lock = " FOR UPDATE"
	}
	p, err := scanProject(q.QueryRow(ctx, `SELECT `+projectColumns+` FROM projects p WHERE p.id = $2 AND `+projectReadable+lock,
		actor.UserID, id))
	if err != nil || !manage {
		return p, err
	}
	var ok bool
	if err := q.QueryRow(ctx, `SELECT `+projectManageable+` FROM projects p WHERE p.id = $2`, actor.UserID, id).Scan(&ok); err != nil {
		return p, wrap(err)
	}
	if !ok {
		return p, ErrForbidden
	}
	return p, nil
}

// ProjectInput is what a project's creator or lead sets.
type ProjectInput struct {
	Name        *string            `json:"name"`
	Kind        *model.ProjectKind `json:"kind"`
	Description *string            `json:"description"`
	LeadID      *string            `json:"lead_id"`
	// Status may move between planned and active; closing goes through CloseProject.
	Status      *model.ProjectStatus `json:"status"`
	StartsOn    *string              `json:"starts_on"`
	EndsOn      *string              `json:"ends_on"`
	SyncProfile *[]string            `json:"sync_profile"`
}

// maxProjectDescription bounds a project's description (in characters).
const maxProjectDescription = 5000

func (in ProjectInput) validate() error {
	if in.Name != nil {
		*in.Name = strings.TrimSpace(*in.Name)
		if *in.Name == "" || utf8.RuneCountInString(*in.Name) > 200 {
			return &model.FieldError{Field: "name", Msg: "must be 1 to 200 characters"}
		}
	}
	if in.Description != nil && utf8.RuneCountInString(*in.Description) > maxProjectDescription {
		return &model.FieldError{Field: "description", Msg: "longer than 5000 characters"}
	}
	if in.Kind != nil {
		switch *in.Kind {
		case model.ProjectKindProject, model.ProjectKindDelivery, model.ProjectKindEngagement:
		default:
			return &model.FieldError{Field: "kind", Msg: "must be project, delivery or engagement"}
		}
	}
	if in.Status != nil && *in.Status != model.ProjectPlanned && *in.Status != model.ProjectActive {
		return &model.FieldError{Field: "status", Msg: "must be planned or active; close a project with its close action"}
	}
	for field, d := range map[string]*string{"starts_on": in.StartsOn, "ends_on": in.EndsOn} {
		if d != nil && *d != "" {
			if _, err := time.Parse(time.DateOnly, *d); err != nil {
				return &model.FieldError{Field: field, Msg: "must be a date (YYYY-MM-DD)"}
			}
		}
	}
	if in.SyncProfile != nil {
		return model.CheckSyncProfile(*in.SyncProfile)
	}
	return nil
}

// checkPeriod refuses an end before a start (dates as YYYY-MM-DD, nil or "" for none). A
// PATCH that sets one end is checked against the stored other end, so the table's CHECK
// never turns bad input into a 500.
func checkPeriod(from, to *string, toField, fromField string) error {
	if from != nil && to != nil && *from != "" && *to != "" && *to < *from {
		return &model.FieldError{Field: toField, Msg: "must not be before " + fromField}
	}
	return nil
}

// patchDate is the value a date column takes after a PATCH: the new value when set ("" clears).
func patchDate(old, new *string) *string {
	if new != nil {
		return new
	}
	return old
}

// CreateProject adds a project; any enabled user may, and leads it unless an admin names
// another lead. The lead is also a member.
func (s *Store) CreateProject(ctx context.Context, actor Actor, in ProjectInput) (model.Project, error) {
	if in.Name == nil {
		return model.Project{}, &model.FieldError{Field: "name", Msg: "is required"}
	}
	if err := in.validate(); err != nil {
		return model.Project{}, err
	}
	if err := checkPeriod(in.StartsOn, in.EndsOn, "ends_on", "starts_on"); err != nil {
		return model.Project{}, err
	}
	var id string
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var admin bool
		if err := tx.QueryRow(ctx, `SELECT is_admin FROM users WHERE id = $1 AND NOT disabled`, actor.UserID).Scan(&admin); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return ErrForbidden
			}
			return err
		}
		lead := actor.UserID
		if in.LeadID != nil && *in.LeadID != actor.UserID {
			if !admin {
				return &model.FieldError{Field: "lead_id", Msg: "only admins create projects led by someone else"}
			}
			if err := requireUser(ctx, tx, *in.LeadID, "lead_id"); err != nil {
				return err
			}
			lead = *in.LeadID
		}
		err := tx.QueryRow(ctx, `INSERT INTO projects (name, kind, description, lead_id, status, starts_on, ends_on, sync_profile, created_by)
			VALUES ($1, coalesce($2, 'project'), coalesce($3, ''), $4, coalesce($5, 'active'), nullif($6, '')::date, nullif($7, '')::date,
			        coalesce($8, '{name,org,title,email.work,tel.work}'::text[]), $9)
			RETURNING id`, in.Name, in.Kind, in.Description, lead, in.Status, in.StartsOn, in.EndsOn, in.SyncProfile, actor.UserID).Scan(&id)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO project_members (project_id, user_id) VALUES ($1, $2)`, id, lead); err != nil {
			return err
		}
		return audit(ctx, tx, actor, "project.create", nil, &id, nil)
	})
	if err != nil {
		return model.Project{}, wrap(err)
	}
	return s.GetProject(ctx, actor, id)
}

// requireUser fails with a field error unless id is an existing, enabled user.
func requireUser(ctx context.Context, q querier, id, field string) error {
	var ok bool
	if ValidID(id) {
		if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE id = $1 AND NOT disabled)`, id).Scan(&ok); err != nil {
			return err
		}
	}
	if !ok {
		return &model.FieldError{Field: field, Msg: "no such user"}
	}
	return nil
}

// GetProject returns a project the actor may read, with its members and the involved
// contacts the actor may see.
func (s *Store) GetProject(ctx context.Context, actor Actor, id string) (model.Project, error) {
	p, err := requireProject(ctx, s.pool, actor, id, false)
	if err != nil {
		return p, err
	}
	rows, err := s.pool.Query(ctx, `SELECT m.user_id, u.name, m.sync_mode, m.added_at FROM project_members m
		JOIN users u ON u.id = m.user_id WHERE m.project_id = $1 ORDER BY lower(u.name), u.id`, id)
	if err != nil {
		return p, wrap(err)
	}
	if p.Members, err = collect(rows, func(r pgx.Row) (model.ProjectMember, error) {
		var m model.ProjectMember
		return m, wrap(r.Scan(&m.UserID, &m.Name, &m.SyncMode, &m.AddedAt))
	}); err != nil {
		return p, err
	}
	rows, err = s.pool.Query(ctx, `SELECT pc.contact_id, c.display_name, pc.role, pc.from_date::text, pc.to_date::text
		FROM project_contacts pc JOIN contacts c ON c.id = pc.contact_id
		WHERE pc.project_id = $2 AND `+contactVisible+` ORDER BY c.sort_key, c.id`, actor.UserID, id)
	if err != nil {
		return p, wrap(err)
	}
	p.Contacts, err = collect(rows, func(r pgx.Row) (model.ProjectContact, error) {
		var c model.ProjectContact
		return c, wrap(r.Scan(&c.ContactID, &c.DisplayName, &c.Role, &c.FromDate, &c.ToDate))
	})
	if err != nil {
		return p, err
	}
	ids := make([]string, len(p.Contacts))
	for i, c := range p.Contacts {
		ids[i] = c.ContactID
	}
	return p, audit(ctx, s.pool, actor, "project.read", ids, &id, nil)
}

// ListProjects returns the projects the actor may read, newest first.
func (s *Store) ListProjects(ctx context.Context, actor Actor) ([]model.Project, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+projectColumns+` FROM projects p WHERE `+projectReadable+`
		ORDER BY p.created_at DESC, p.id LIMIT 1000`, actor.UserID)
	if err != nil {
		return nil, wrap(err)
	}
	return collect(rows, scanProject)
}

// UpdateProject changes a project's settings; its lead and admins may. Only admins hand
// the lead to someone else.
func (s *Store) UpdateProject(ctx context.Context, actor Actor, id string, in ProjectInput) (model.Project, error) {
	if err := in.validate(); err != nil {
		return model.Project{}, err
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		p, err := requireProject(ctx, tx, actor, id, true)
		if err != nil {
			return err
		}
		if in.Status != nil && (p.Status == model.ProjectClosing || p.Status == model.ProjectClosed) {
			return &ConflictError{Field: "status", Msg: "the project is " + string(p.Status) + "; reopen it first"}
		}
		if err := checkPeriod(patchDate(p.StartsOn, in.StartsOn), patchDate(p.EndsOn, in.EndsOn), "ends_on", "starts_on"); err != nil {
			return err
		}
		if in.LeadID != nil && (p.LeadID == nil || *in.LeadID != *p.LeadID) {
			if err := requireAdmin(ctx, tx, actor); err != nil {
				return err
			}
			if err := requireUser(ctx, tx, *in.LeadID, "lead_id"); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO project_members (project_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, id, *in.LeadID); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE projects SET name = coalesce($2, name), kind = coalesce($3, kind),
				description = coalesce($4, description), lead_id = coalesce($5, lead_id), status = coalesce($6, status),
				starts_on = CASE WHEN $7::text IS NULL THEN starts_on ELSE nullif($7, '')::date END,
				ends_on = CASE WHEN $8::text IS NULL THEN ends_on ELSE nullif($8, '')::date END,
				sync_profile = coalesce($9, sync_profile), updated_at = now()
			WHERE id = $1`, id, in.Name, in.Kind, in.Description, in.LeadID, in.Status, in.StartsOn, in.EndsOn, in.SyncProfile); err != nil {
			return err
		}
		return audit(ctx, tx, actor, "project.update", nil, &id, nil)
	})
	if err != nil {
		return model.Project{}, wrap(err)
	}
	return s.GetProject(ctx, actor, id)
}

// PutProjectMember adds a member to a project or changes their project sync (syncMode nil
// or "read"); the lead and admins may. An unknown or disabled user is ErrNotFound (the
// user is named by the request's path).
func (s *Store) PutProjectMember(ctx context.Context, actor Actor, projectID, userID string, syncMode *string) error {
	if syncMode != nil && *syncMode != "read" {
		return &model.FieldError{Field: "sync_mode", Msg: `must be "read" or null`}
	}
	return wrap(s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := requireProject(ctx, tx, actor, projectID, true); err != nil {
			return err
		}
		if err := requireUser(ctx, tx, userID, "user_id"); err != nil {
			var fe *model.FieldError
			if errors.As(err, &fe) {
				return ErrNotFound
			}
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO project_members (project_id, user_id, sync_mode) VALUES ($1, $2, $3)
			ON CONFLICT (project_id, user_id) DO UPDATE SET sync_mode = EXCLUDED.sync_mode`, projectID, userID, syncMode); err != nil {
			return err
		}
		return audit(ctx, tx, actor, "project.member.put", nil, &projectID, map[string]any{"user_id": userID, "sync_mode": syncMode})
	}))
}

// DeleteProjectMember removes a member (not the lead); the lead and admins may.
func (s *Store) DeleteProjectMember(ctx context.Context, actor Actor, projectID, userID string) error {
	return wrap(s.inTx(ctx, func(tx pgx.Tx) error {
		p, err := requireProject(ctx, tx, actor, projectID, true)
		if err != nil {
			return err
		}
		if p.LeadID != nil && *p.LeadID == userID {
			return &ConflictError{Field: "user_id", Msg: "the lead stays a member; hand the lead over first"}
		}
		tag, err := tx.Exec(ctx, `DELETE FROM project_members WHERE project_id = $1 AND user_id::text = $2`, projectID, userID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return ErrNotFound
		}
		return audit(ctx, tx, actor, "project.member.delete", nil, &projectID, map[string]any{"user_id": userID})
	}))
}

// ProjectContactInput involves a contact in a project with a role and period.
type ProjectContactInput struct {
	Role     string  `json:"role"`
	FromDate *string `json:"from_date"`
	ToDate   *string `json:"to_date"`
}

// PutProjectContact involves a contact in a project, or changes its role and period; the
// lead and admins may, for contacts in books they see. Any other contact is ErrNotFound, as
// an unknown one is (the contact is named by the request's path).
func (s *Store) PutProjectContact(ctx context.Context, actor Actor, projectID, contactID string, in ProjectContactInput) error {
	if utf8.RuneCountInString(in.Role) > 200 {
		return &model.FieldError{Field: "role", Msg: "longer than 200 characters"}
	}
	for field, d := range map[string]*string{"from_date": in.FromDate, "to_date": in.ToDate} {
		if d != nil && *d != "" {
			if _, err := time.Parse(time.DateOnly, *d); err != nil {
				return &model.FieldError{Field: field, Msg: "must be a date (YYYY-MM-DD)"}
			}
		}
	}
	if err := checkPeriod(in.FromDate, in.ToDate, "to_date", "from_date"); err != nil {
		return err
	}
	return wrap(s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := requireProject(ctx, tx, actor, projectID, true); err != nil {
			return err
		}
		// The contact's book must be visible to the actor; a contact its book hides for lack
		// of a consent may be involved, and stays hidden from the members until it has one.
		// A contact already involved may have its role and period changed by whoever manages
		// the project, as they may release it.
		var ok bool
		if ValidID(contactID) {
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM contacts c WHERE c.id = $2 AND `+contactInVisibleBook+`)
				OR EXISTS (SELECT 1 FROM project_contacts pc WHERE pc.project_id = $3 AND pc.contact_id = $2)`,
				actor.UserID, contactID, projectID).Scan(&ok); err != nil {
				return err
			}
		}
		if !ok {
			return ErrNotFound
		}
		if _, err := tx.Exec(ctx, `INSERT INTO project_contacts (project_id, contact_id, role, from_date, to_date)
			VALUES ($1, $2, $3, nullif($4, '')::date, nullif($5, '')::date)
			ON CONFLICT (project_id, contact_id) DO UPDATE SET role = EXCLUDED.role, from_date = EXCLUDED.from_date, to_date = EXCLUDED.to_date`,
			projectID, contactID, in.Role, in.FromDate, in.ToDate); err != nil {
			return err
		}
		return audit(ctx, tx, actor, "project.contact.put", []string{contactID}, &projectID, nil)
	}))
}

// DeleteProjectContact releases a contact from a project; the lead and admins may.
func (s *Store) DeleteProjectContact(ctx context.Context, actor Actor, projectID, contactID string) error {
	return wrap(s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := requireProject(ctx, tx, actor, projectID, true); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM project_contacts WHERE project_id = $1 AND contact_id::text = $2`, projectID, contactID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return ErrNotFound
		}
		return audit(ctx, tx, actor, "project.contact.delete", []string{contactID}, &projectID, nil)
	}))
}

// Closing a project: RequestProjectClosure starts the grace period (status closing, still
// shared) and puts the closure in the outbox; the ProjectClosure workflow then calls
// FinishProjectClosure, which stops the sharing (the status trigger tells the project's
// collection of every involved contact), waits for the devices, and records the stragglers
// with CompleteProjectClosure. CancelProjectClosure ends a grace period; ReopenProject
// shares a closed project again.

// RequestProjectClosure starts closing a project after a grace period; the lead and
// admins may. A project already closing or closed is a conflict.
func (s *Store) RequestProjectClosure(ctx context.Context, actor Actor, id string, grace time.Duration) error {
	if grace < 0 || grace > 90*24*time.Hour {
		return &model.FieldError{Field: "grace", Msg: "must be between 0 and 90 days"}
	}
	return wrap(s.inTx(ctx, func(tx pgx.Tx) error {
		p, err := requireProject(ctx, tx, actor, id, true)
		if err != nil {
			return err
		}
		if p.Status == model.ProjectClosing || p.Status == model.ProjectClosed {
			return &ConflictError{Field: "status", Msg: "the project is already " + string(p.Status)}
		}
		if _, err := tx.Exec(ctx, `UPDATE projects SET status = 'closing', closure_requested_at = now(), closure_started_at = NULL,
			closure_grace = make_interval(secs => $2), closure_stragglers = NULL, updated_at = now() WHERE id = $1`, id, grace.Seconds()); err != nil {
			return err
		}
		return audit(ctx, tx, actor, "project.close.request", nil, &id, map[string]any{"grace_seconds": grace.Seconds()})
	}))
}

// CancelProjectClosure ends a closure's grace period: the project is active again. Only a
// closing project can be; the lead and admins may.
func (s *Store) CancelProjectClosure(ctx context.Context, actor Actor, id string) error {
	return wrap(s.inTx(ctx, func(tx pgx.Tx) error {
		p, err := requireProject(ctx, tx, actor, id, true)
		if err != nil {
			return err
		}
		if p.Status != model.ProjectClosing {
			return &ConflictError{Field: "status", Msg: "the project is not closing"}
		}
		if _, err := tx.Exec(ctx, `UPDATE projects SET status = 'active', closure_requested_at = NULL, updated_at = now() WHERE id = $1`, id); err != nil {
			return err
		}
		return audit(ctx, tx, actor, "project.close.cancel", nil, &id, nil)
	}))
}

// ReopenProject makes a closed project active again: its members see its contacts again.
func (s *Store) ReopenProject(ctx context.Context, actor Actor, id string) error {
	return wrap(s.inTx(ctx, func(tx pgx.Tx) error {
		p, err := requireProject(ctx, tx, actor, id, true)
		if err != nil {
			return err
		}
		if p.Status != model.ProjectClosed {
			return &ConflictError{Field: "status", Msg: "the project is not closed"}
		}
		if _, err := tx.Exec(ctx, `UPDATE projects SET status = 'active', closed_at = NULL, closure_requested_at = NULL,
			closure_started_at = NULL, updated_at = now() WHERE id = $1`, id); err != nil {
			return err
		}
		return audit(ctx, tx, actor, "project.reopen", nil, &id, nil)
	}))
}

// ProjectClosureState is what the ProjectClosure workflow reads of its project: ids, a
// status and times only. RequestedAt is when the closure was requested (zero when none is):
// its grace period ends at RequestedAt + Grace, and a later RequestedAt is a new request.
type ProjectClosureState struct {
	Status      string
	Grace       time.Duration
	RequestedAt time.Time
}

// ProjectClosure returns the closure state of a project (ErrNotFound for none).
func (s *Store) ProjectClosure(ctx context.Context, id string) (ProjectClosureState, error) {
	var st ProjectClosureState
	if !ValidID(id) {
		return st, ErrNotFound
	}
	var secs float64
	var requested *time.Time
	err := s.pool.QueryRow(ctx, `SELECT status, extract(epoch FROM closure_grace), closure_requested_at FROM projects WHERE id = $1`,
		id).Scan(&st.Status, &secs, &requested)
	st.Grace = time.Duration(secs * float64(time.Second))
	if requested != nil {
		st.RequestedAt = *requested
	}
	return st, wrap(err)
}

// FinishProjectClosure closes a closing project: its contacts stop being shared, and the
// change feed tells its collection. It returns the devices the sync ledger says hold
// contacts of the project's collection. A project no longer closing (the closure was
// cancelled, or it was closed already) is left as it is: closed reports whether it is
// closed now.
func (s *Store) FinishProjectClosure(ctx context.Context, id string) (closed bool, devices []string, err error) {
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE projects SET status = 'closed', closed_at = now(), updated_at = now()
			WHERE id = $1 AND status = 'closing'`, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 1 {
			if err := audit(ctx, tx, Actor{Channel: "system"}, "project.close", nil, &id, nil); err != nil {
				return err
			}
		}
		if err := tx.QueryRow(ctx, `SELECT status = 'closed' FROM projects WHERE id = $1`, id).Scan(&closed); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT ARRAY(SELECT DISTINCT device_id FROM device_contacts WHERE book_id = $1 ORDER BY device_id)`, id).Scan(&devices)
	})
	return closed, devices, wrap(err)
}

// ProjectClosurePendingDevices lists the devices that still hold contacts of a closed
// project's collection by the sync ledger (they have not synced the removals yet).
func (s *Store) ProjectClosurePendingDevices(ctx context.Context, id string) ([]string, error) {
	return s.ids(ctx, `SELECT DISTINCT device_id FROM device_contacts WHERE book_id = $1 ORDER BY device_id`, id)
}

// CompleteProjectClosure records the devices that had not synced the removals by the
// deadline.
func (s *Store) CompleteProjectClosure(ctx context.Context, id string, stragglers []string) error {
	if stragglers == nil {
		stragglers = []string{}
	}
	return wrap(s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE projects SET closure_stragglers = $2 WHERE id = $1`, id, stragglers); err != nil {
			return err
		}
		return audit(ctx, tx, Actor{Channel: "system"}, "project.close.complete", nil, &id, map[string]any{"stragglers": stragglers})
	}))
}

// UnstartedProjectClosures lists closures whose workflow was not recorded as started.
func (s *Store) UnstartedProjectClosures(ctx context.Context, limit int) ([]string, error) {
	return s.ids(ctx, `SELECT id FROM projects WHERE closure_requested_at IS NOT NULL AND closure_started_at IS NULL
		ORDER BY closure_requested_at LIMIT $1`, limit)
}

// MarkProjectClosureStarted records that the closure's workflow was started.
func (s *Store) MarkProjectClosureStarted(ctx context.Context, id string) error {
	_, err := s.pool.Exec(ctx, `UPDATE projects SET closure_started_at = now() WHERE id = $1 AND closure_started_at IS NULL`, id)
	return wrap(err)
}
