package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kontakt/kontakt/model"
)

// WorklogRow is one line of the worklog report: the completed tasks of one person,
// project, campaign or event, and the minutes they took.
type WorklogRow struct {
	ID      *string `json:"id"`
	Name    string  `json:"name"`
	Tasks   int     `json:"tasks"`
	Minutes int     `json:"minutes"`
}

// worklogGroups maps the report's "by" to the grouped column and the name of its row.
var worklogGroups = map[string]struct{ col, name string }{
	"person":   {"t.assignee_id", `(SELECT u.name FROM users u WHERE u.id = t.assignee_id)`},
	"project":  {"t.project_id", `(SELECT p.name FROM projects p WHERE p.id = t.project_id)`},
	"campaign": {"t.campaign_id", `(SELECT cp.name FROM campaigns cp WHERE cp.id = t.campaign_id)`},
	"event":    {"t.event_id", `(SELECT e.name FROM events e WHERE e.id = t.event_id)`},
}

// Worklog sums the tasks completed in [from, to] (dates, inclusive, in the database's time
// zone; when empty, from the first of this month to today) that the actor sees (taskVisible), grouped by person (the assignee), project,
// campaign or event, by name. By project, campaign or event, tasks without one are one row
// with a null id and an empty name. Who sees whose worklog is therefore the task rule: a
// user their own tasks and those they created, campaign owners their campaigns', project
// leads their projects', event owners and staff their events', admins everyone's, never a
// task about a contact they cannot see. The read is audited.
func (s *Store) Worklog(ctx context.Context, actor Actor, by, from, to string) ([]WorklogRow, error) {
	g, ok := worklogGroups[by]
	if !ok {
		return nil, &model.FieldError{Field: "by", Msg: "must be person, project, campaign or event"}
	}
	// Without dates: the current month up to today (UTC).
	now := time.Now().UTC()
	if from == "" {
		from = now.AddDate(0, 0, 1-now.Day()).Format(time.DateOnly)
	}
	if to == "" {
		to = now.Format(time.DateOnly)
	}
	for _, d := range []struct{ name, v string }{{"from", from}, {"to", to}} {
		if _, err := time.Parse(time.DateOnly, d.v); err != nil {
			return nil, &model.FieldError{Field: d.name, Msg: "must be a date (YYYY-MM-DD)"}
		}
	}
	if to < from {
		return nil, &model.FieldError{Field: "to", Msg: "must not be before from"}
	}
	rows, err := s.pool.Query(ctx, `SELECT `+g.col+`, coalesce(`+g.name+`, ''), count(*), coalesce(sum(t.minutes_spent), 0)
		FROM tasks t WHERE t.status = 'done' AND t.completed_at >= $2::date AND t.completed_at < $3::date + 1 AND `+taskVisible+`
		GROUP BY 1, 2 ORDER BY 2, 1`, actor.UserID, from, to)
	if err != nil {
		return nil, wrap(err)
	}
	out, err := collect(rows, func(r pgx.Row) (WorklogRow, error) {
		var w WorklogRow
		return w, r.Scan(&w.ID, &w.Name, &w.Tasks, &w.Minutes)
	})
	if err != nil {
		return nil, err
	}
	return out, audit(ctx, s.pool, actor, "worklog.report", nil, nil, map[string]any{"by": by, "from": from, "to": to, "rows": len(out)})
}
