package activities

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/kontakt/kontakt/mail"
	"github.com/kontakt/kontakt/store"
)

// ProjectClosureStore is what the ProjectClosure activities need from store.Store.
type ProjectClosureStore interface {
	ProjectClosure(ctx context.Context, id string) (store.ProjectClosureState, error)
	FinishProjectClosure(ctx context.Context, id string) (closed bool, devices []string, err error)
	ProjectClosureNotices(ctx context.Context, id string) ([]store.ProjectClosureNotice, error)
	MarkProjectClosureNotified(ctx context.Context, projectID, userID string, closedAt time.Time) error
	ProjectClosurePendingDevices(ctx context.Context, id string) ([]string, error)
	CompleteProjectClosure(ctx context.Context, id string, stragglers []string) error
}

// ProjectClosure holds the activities of the ProjectClosure workflow. Their names say the
// step in the workflow's history; they take and return ids, statuses and times only (a
// member's name and address go into the mail, never into the history).
type ProjectClosure struct {
	Store  ProjectClosureStore
	Mailer Mailer
	// PublicURL, when set, is where members reach Kontakt; the mail names it.
	PublicURL string
	Log       *slog.Logger
}

// ProjectClosureState is where a project's closure stands: its status (planned, active,
// closing, closed), the grace period asked for and when the closure was requested (zero
// when none is pending).
type ProjectClosureState struct {
	Status      string
	Grace       time.Duration
	RequestedAt time.Time
}

// ProjectClosed is what closing the project did: whether it is closed now, and the devices
// the sync ledger says held its contacts.
type ProjectClosed struct {
	Closed  bool
	Devices []string
}

// ProjectDevices is what a check of the ledger found: the project's status (a reopened
// project is no longer closed) and the devices still holding its contacts.
type ProjectDevices struct {
	Status  string
	Pending []string
}

// ReadProjectClosure reads the project's closure state. An unknown project is a
// non-retryable ErrTypeNotFound.
func (p *ProjectClosure) ReadProjectClosure(ctx context.Context, projectID string) (ProjectClosureState, error) {
	st, err := p.Store.ProjectClosure(ctx, projectID)
	if err != nil {
		return ProjectClosureState{}, projectError("read closure", projectID, err)
	}
	return ProjectClosureState{Status: st.Status, Grace: st.Grace, RequestedAt: st.RequestedAt}, nil
}

// CloseProject closes a closing project: its members stop seeing its contacts through it,
// and the change feed tells its collection. A project no longer closing is left as it is.
func (p *ProjectClosure) CloseProject(ctx context.Context, projectID string) (ProjectClosed, error) {
	closed, devices, err := p.Store.FinishProjectClosure(ctx, projectID)
	if err != nil {
		return ProjectClosed{}, projectError("close", projectID, err)
	}
	return ProjectClosed{Closed: closed, Devices: devices}, nil
}

// NotifyProjectMembers mails every member with an address that the project closed, once per
// closure: a member is recorded as told after their mail, so a retry mails only the rest.
// A mail the server refuses for good is logged and not retried. It returns how many mails
// it sent.
func (p *ProjectClosure) NotifyProjectMembers(ctx context.Context, projectID string) (int, error) {
	notices, err := p.Store.ProjectClosureNotices(ctx, projectID)
	if err != nil {
		return 0, projectError("closure notices", projectID, err)
	}
	sent := 0
	for _, n := range notices {
		subject, text, html, err := mail.Render("project-closed", n.Locale, mail.ProjectClosedData{
			Name: n.Name, Project: n.ProjectName, ClosedAt: n.ClosedAt, Contacts: n.Contacts, Synced: n.Synced,
			URL: strings.TrimRight(p.PublicURL, "/"),
		})
		if err != nil {
			p.log().ErrorContext(ctx, "activities: rendering project closure mail", "project_id", projectID, "err", err)
			return sent, fmt.Errorf("activities: rendering closure mail of project %s failed", projectID)
		}
		err = p.Mailer.Send(ctx, mail.Message{
			To: n.Email, ToName: n.Name, Subject: subject, Text: text, HTML: html,
			Headers: map[string]string{"Auto-Submitted": "auto-generated"},
			// The same mail on a retry has the same id, so a duplicate is recognisable.
			MessageID: "project-closed-" + projectID + "-" + n.UserID + "-" + strconv.FormatInt(n.ClosedAt.Unix(), 10),
		})
		if err != nil {
			permanent := mail.IsPermanent(err)
			p.log().WarnContext(ctx, "activities: project closure mail not sent", "project_id", projectID, "user_id", n.UserID, "permanent", permanent)
			p.log().DebugContext(ctx, "activities: project closure mail error", "project_id", projectID, "err", err)
			if !permanent {
				return sent, fmt.Errorf("activities: closure mail of project %s to user %s not sent", projectID, n.UserID)
			}
		} else {
			sent++
		}
		if err := p.Store.MarkProjectClosureNotified(ctx, projectID, n.UserID, n.ClosedAt); err != nil {
			return sent, projectError("mark notified", projectID, err)
		}
	}
	if sent > 0 {
		p.log().InfoContext(ctx, "activities: project closure mails sent", "project_id", projectID, "mails", sent)
	}
	return sent, nil
}

// ProjectClosurePendingDevices checks the sync ledger: the devices still holding contacts of
// the project's collection, and the project's status.
func (p *ProjectClosure) ProjectClosurePendingDevices(ctx context.Context, projectID string) (ProjectDevices, error) {
	st, err := p.Store.ProjectClosure(ctx, projectID)
	if err != nil {
		return ProjectDevices{}, projectError("read closure", projectID, err)
	}
	pending, err := p.Store.ProjectClosurePendingDevices(ctx, projectID)
	if err != nil {
		return ProjectDevices{}, projectError("pending devices", projectID, err)
	}
	return ProjectDevices{Status: st.Status, Pending: pending}, nil
}

// CompleteProjectClosure records the devices that had not synced the removals by the
// deadline.
func (p *ProjectClosure) CompleteProjectClosure(ctx context.Context, projectID string, stragglers []string) error {
	if err := p.Store.CompleteProjectClosure(ctx, projectID, stragglers); err != nil {
		return projectError("complete closure", projectID, err)
	}
	return nil
}

func (p *ProjectClosure) log() *slog.Logger {
	if p.Log != nil {
		return p.Log
	}
	return slog.Default()
}

// projectError makes an unknown project non-retryable and leaves every other error
// retryable: a database outage delays a closure, it never fails it.
func projectError(op, projectID string, err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("activities: %s: project %s not found", op, projectID), ErrTypeNotFound, err)
	}
	return fmt.Errorf("activities: %s: project %s: %w", op, projectID, err)
}
