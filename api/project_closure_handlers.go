package api

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/workflows"
)

// ProjectCloser starts the ProjectClosure workflow of a committed closure request and tells
// it of a cancellation (workflows.ProjectCloser); both are harmless twice. Nil without
// Temporal: the worker's reconciler starts closures then, and a closure finds out about a
// cancellation when its grace period ends.
type ProjectCloser interface {
	StartClosure(ctx context.Context, projectID string) error
	CancelClosure(ctx context.Context, projectID string) error
}

// closeRequest is the body of POST /api/projects/{id}/close: the grace period as a
// duration ("72h", "90m", "3d") or in hours, or neither for none.
type closeRequest struct {
	Grace      *string  `json:"grace"`
	GraceHours *float64 `json:"grace_hours"`
}

// grace reads the grace period asked for; store checks its range.
func (in closeRequest) grace() (time.Duration, error) {
	switch {
	case in.Grace != nil && in.GraceHours != nil:
		return 0, &model.FieldError{Field: "grace", Msg: "give grace or grace_hours, not both"}
	case in.GraceHours != nil:
		if *in.GraceHours < 0 || *in.GraceHours > 90*24 {
			return 0, &model.FieldError{Field: "grace_hours", Msg: "must be between 0 and 2160 (90 days)"}
		}
		return time.Duration(*in.GraceHours * float64(time.Hour)), nil
	case in.Grace != nil:
		s := strings.TrimSpace(*in.Grace)
		if days, ok := strings.CutSuffix(s, "d"); ok {
			if n, err := strconv.Atoi(days); err == nil && n >= 0 && n <= 90 {
				return time.Duration(n) * 24 * time.Hour, nil
			}
		} else if d, err := time.ParseDuration(s); err == nil {
			return d, nil
		}
		return 0, &model.FieldError{Field: "grace", Msg: `must be a duration such as "72h", "90m" or "3d"`}
	}
	return 0, nil
}

// closeProject starts closing a project after its grace period; the lead and admins may.
// The answer (202) follows the commit, and the ProjectClosure workflow is started after it.
func (h *handler) closeProject(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	var in closeRequest
	if err := decode(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	grace, err := in.grace()
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.store.RequestProjectClosure(r.Context(), actor(r), id, grace); err != nil {
		h.fail(w, r, err)
		return
	}
	h.startClosure(id)
	h.writeClosure(w, r, http.StatusAccepted, id)
}

// startClosure starts the closure's workflow after the answer, as the outbox would.
func (h *handler) startClosure(projectID string) {
	if h.closer == nil {
		return
	}
	h.followups.Go(func(ctx context.Context) error {
		if err := h.closer.StartClosure(ctx, projectID); err != nil {
			return err
		}
		return h.store.MarkProjectClosureStarted(ctx, projectID)
	})
}

// cancelProjectClosure ends a closure's grace period: the project is active again.
func (h *handler) cancelProjectClosure(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	if err := h.store.CancelProjectClosure(r.Context(), actor(r), id); err != nil {
		h.fail(w, r, err)
		return
	}
	if h.closer != nil {
		h.followups.Go(func(ctx context.Context) error { return h.closer.CancelClosure(ctx, id) })
	}
	h.writeClosure(w, r, http.StatusOK, id)
}

// reopenProject makes a closed project active again: its members see its contacts again,
// and its collection fills again on their devices.
func (h *handler) reopenProject(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	if err := h.store.ReopenProject(r.Context(), actor(r), id); err != nil {
		h.fail(w, r, err)
		return
	}
	h.writeClosure(w, r, http.StatusOK, id)
}

func (h *handler) getProjectClosure(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	h.writeClosure(w, r, http.StatusOK, id)
}

// writeClosure answers with where the project's closure stands (store.ProjectClosureReport).
func (h *handler) writeClosure(w http.ResponseWriter, r *http.Request, status int, id string) {
	c, err := h.store.GetProjectClosure(r.Context(), actor(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	c.WorkflowID = workflows.ProjectClosureID(id)
	writeJSON(w, status, c)
}
