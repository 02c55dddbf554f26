package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// What the ProjectClosure workflow and the closure API need beyond the steps in
// projects.go: whom to tell of a closure, and where a closure stands.

// ProjectClosureNotice is one member to tell that a project closed: their address and
// language, and what the mail says. It goes to the mail only, never into a workflow's
// history.
type ProjectClosureNotice struct {
	UserID      string
	Name        string
	Email       string
	Locale      string
	ProjectName string
	ClosedAt    time.Time
	// Contacts is how many contacts the project involves; Synced, whether the member synced
	// the project's collection to devices.
	Contacts int
	Synced   bool
}

// ProjectClosureNotices lists the members of a closed project who have an e-mail address
// and have not been told of this closure yet (project_closure_notices). A project that is
// not closed has none to tell; an unknown one is ErrNotFound.
func (s *Store) ProjectClosureNotices(ctx context.Context, projectID string) ([]ProjectClosureNotice, error) {
	if !ValidID(projectID) {
		return nil, ErrNotFound
	}
	var exists bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM projects WHERE id = $1)`, projectID).Scan(&exists); err != nil {
		return nil, wrap(err)
	}
	if !exists {
		return nil, ErrNotFound
	}
	rows, err := s.pool.Query(ctx, `SELECT u.id, u.name, u.email, u.locale, p.name, p.closed_at,
			(SELECT count(*) FROM project_contacts pc WHERE pc.project_id = p.id), m.sync_mode IS NOT NULL
		  FROM projects p
		  JOIN project_members m ON m.project_id = p.id
		  JOIN users u ON u.id = m.user_id AND NOT u.disabled AND u.email <> ''
		 WHERE p.id = $1 AND p.status = 'closed'
		   AND NOT EXISTS (SELECT 1 FROM project_closure_notices n
		                    WHERE n.project_id = p.id AND n.user_id = u.id AND n.closed_at = p.closed_at)
		 ORDER BY u.id`, projectID)
	if err != nil {
		return nil, wrap(err)
	}
	return collect(rows, func(r pgx.Row) (ProjectClosureNotice, error) {
		var n ProjectClosureNotice
		return n, wrap(r.Scan(&n.UserID, &n.Name, &n.Email, &n.Locale, &n.ProjectName, &n.ClosedAt, &n.Contacts, &n.Synced))
	})
}

// MarkProjectClosureNotified records that a member was told of the closure of closedAt.
func (s *Store) MarkProjectClosureNotified(ctx context.Context, projectID, userID string, closedAt time.Time) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO project_closure_notices (project_id, user_id, closed_at) VALUES ($1, $2, $3)
		ON CONFLICT DO NOTHING`, projectID, userID, closedAt)
	return wrap(err)
}

// ProjectClosureReport is where a project's closure stands, for its lead and admins.
type ProjectClosureReport struct {
	ProjectID string `json:"project_id"`
	Status    string `json:"status"`
	// RequestedAt is when the last closure was requested (nil when none is pending or it
	// was cancelled); GraceEndsAt is RequestedAt plus the grace period asked for (a
	// shorten-grace signal to the workflow is not reflected here).
	RequestedAt  *time.Time `json:"requested_at"`
	GraceSeconds float64    `json:"grace_seconds"`
	GraceEndsAt  *time.Time `json:"grace_ends_at"`
	ClosedAt     *time.Time `json:"closed_at"`
	// PendingDevices still hold contacts of the project's collection by the sync ledger
	// (live); Stragglers had not synced the removals by the closure's deadline (nil until
	// the closure is complete).
	PendingDevices []string `json:"pending_devices"`
	Stragglers     []string `json:"stragglers"`
	WorkflowID     string   `json:"workflow_id,omitempty"`
}

// GetProjectClosure reports a project's closure; its lead and admins may read it (members
// get ErrForbidden, everyone else ErrNotFound).
func (s *Store) GetProjectClosure(ctx context.Context, actor Actor, id string) (ProjectClosureReport, error) {
	var r ProjectClosureReport
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := requireProject(ctx, tx, actor, id, true); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT p.id, p.status, p.closure_requested_at, extract(epoch FROM p.closure_grace)::float8,
				p.closure_requested_at + p.closure_grace, p.closed_at, p.closure_stragglers,
				ARRAY(SELECT DISTINCT d.device_id FROM device_contacts d WHERE d.book_id = p.id ORDER BY d.device_id)
			  FROM projects p WHERE p.id = $1`, id).
			Scan(&r.ProjectID, &r.Status, &r.RequestedAt, &r.GraceSeconds, &r.GraceEndsAt, &r.ClosedAt, &r.Stragglers, &r.PendingDevices)
	})
	return r, wrap(err)
}
