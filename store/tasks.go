package store

import (
	"context"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kontakt/kontakt/model"
)

const taskSelect = `SELECT t.id, t.title, t.description, t.task_type, t.assignee_id, t.created_by, t.due_on::text,
	t.contact_id, t.project_id, t.campaign_id, t.event_id, t.status, t.outcome, t.minutes_spent, t.completed_at,
	t.activity_id, t.created_at, t.updated_at FROM tasks t`

func scanTask(row pgx.Row) (model.Task, error) {
	var t model.Task
	err := row.Scan(&t.ID, &t.Title, &t.Description, &t.Type, &t.AssigneeID, &t.CreatedBy, &t.DueOn,
		&t.ContactID, &t.ProjectID, &t.CampaignID, &t.EventID, &t.Status, &t.Outcome, &t.MinutesSpent, &t.CompletedAt,
		&t.ActivityID, &t.CreatedAt, &t.UpdatedAt)
	return t, wrap(err)
}

// TaskFilter selects tasks among those the reader sees. Assignee "" means the reader's own
// tasks, "any" every task they see, or a user id; Due keeps tasks due on or before a date
// (YYYY-MM-DD); the other fields keep the tasks that match them.
type TaskFilter struct {
	Assignee   string
	Status     string
	Due        string
	ContactID  string
	ProjectID  string
	CampaignID string
	EventID    string
	Limit      int
}

// MaxTaskPage is the most tasks one list returns.
const MaxTaskPage = 500

// ListTasks returns the tasks the actor sees that match f, by due date (undated last), then
// creation, and records the read with the contacts the tasks are about.
func (s *Store) ListTasks(ctx context.Context, actor Actor, f TaskFilter) ([]model.Task, error) {
	args := []any{actor.UserID}
	where := taskVisible
	add := func(cond string, v any) {
		args = append(args, v)
		where += " AND " + cond + "$" + strconv.Itoa(len(args))
	}
	switch f.Assignee {
	case "":
		where += " AND t.assignee_id = $1"
	case "any":
	default:
		if !ValidID(f.Assignee) {
			return nil, &model.FieldError{Field: "assignee", Msg: "must be an id or any"}
		}
		add("t.assignee_id = ", f.Assignee)
	}
	if f.Status != "" {
		st := model.TaskStatus(f.Status)
		if st != model.TaskOpen && st != model.TaskDone && st != model.TaskCancelled {
			return nil, &model.FieldError{Field: "status", Msg: "must be open, done or cancelled"}
		}
		add("t.status = ", f.Status)
	}
	if f.Due != "" {
		if _, err := time.Parse(time.DateOnly, f.Due); err != nil {
			return nil, &model.FieldError{Field: "due", Msg: "must be a date (YYYY-MM-DD)"}
		}
		add("t.due_on <= ", f.Due)
	}
	for _, ref := range []struct{ name, col, v string }{{"contact", "t.contact_id", f.ContactID},
		{"project", "t.project_id", f.ProjectID}, {"campaign", "t.campaign_id", f.CampaignID}, {"event", "t.event_id", f.EventID}} {
		if ref.v == "" {
			continue
		}
		if !ValidID(ref.v) {
			return nil, &model.FieldError{Field: ref.name, Msg: "not an id"}
		}
		add(ref.col+" = ", ref.v)
	}
	limit := f.Limit
	if limit <= 0 || limit > MaxTaskPage {
		limit = MaxTaskPage
	}
	rows, err := s.pool.Query(ctx, taskSelect+` WHERE `+where+` ORDER BY t.due_on NULLS LAST, t.created_at, t.id LIMIT `+strconv.Itoa(limit), args...)
	if err != nil {
		return nil, wrap(err)
	}
	tasks, err := collect(rows, scanTask)
	if err != nil {
		return nil, err
	}
	if err := audit(ctx, s.pool, actor, "task.list", taskContacts(tasks), nil, map[string]any{"count": len(tasks)}); err != nil {
		return nil, err
	}
	return tasks, nil
}

func taskContacts(tasks []model.Task) []string {
	var ids []string
	seen := map[string]bool{}
	for _, t := range tasks {
		if t.ContactID != nil && !seen[*t.ContactID] {
			seen[*t.ContactID] = true
			ids = append(ids, *t.ContactID)
		}
	}
	return ids
}

func contactsOf(t model.Task) []string {
	if t.ContactID == nil {
		return nil
	}
	return []string{*t.ContactID}
}

// GetTask returns a task the actor sees and records the read.
func (s *Store) GetTask(ctx context.Context, actor Actor, id string) (model.Task, error) {
	t, err := getTask(ctx, s.pool, actor, id, false)
	if err != nil {
		return t, err
	}
	return t, audit(ctx, s.pool, actor, "task.read", contactsOf(t), &id, nil)
}

func getTask(ctx context.Context, q querier, actor Actor, id string, lock bool) (model.Task, error) {
	if !ValidID(id) {
		return model.Task{}, ErrNotFound
	}
	sql := taskSelect + ` WHERE t.id = $2 AND ` + taskVisible
	if lock {
		sql += ` FOR UPDATE OF t`
	}
	return scanTask(q.QueryRow(ctx, sql, actor.UserID, id))
}

// CreateTask creates a task. Whoever creates it must see what it is about (the contact, a
// project they read, an event they see: otherwise 400 on that field, as for one that does
// not exist); the assignee, by default the creator, must be an enabled user who sees the
// task's contact.
func (s *Store) CreateTask(ctx context.Context, actor Actor, in model.TaskInput) (model.Task, error) {
	t := model.Task{Title: in.Title, Description: in.Description, Type: in.Type, AssigneeID: in.AssigneeID,
		DueOn: in.DueOn, ContactID: in.ContactID, ProjectID: in.ProjectID, EventID: in.EventID, Status: model.TaskOpen}
	if t.AssigneeID == nil {
		t.AssigneeID = &actor.UserID
	}
	if err := t.Normalize(); err != nil {
		return t, err
	}
	var id string
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := checkTaskRefs(ctx, tx, actor, t); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO tasks (title, description, task_type, assignee_id, created_by, due_on,
				contact_id, project_id, event_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
			t.Title, t.Description, t.Type, t.AssigneeID, actor.UserID, t.DueOn, t.ContactID, t.ProjectID, t.EventID).Scan(&id); err != nil {
			return err
		}
		return audit(ctx, tx, actor, "task.create", contactsOf(t), &id, map[string]any{"assignee_id": t.AssigneeID})
	})
	if err != nil {
		return model.Task{}, wrap(err)
	}
	return getTask(ctx, s.pool, actor, id, false)
}

// checkTaskRefs checks what a new task refers to, as seen by its creator, and its assignee.
func checkTaskRefs(ctx context.Context, tx pgx.Tx, actor Actor, t model.Task) error {
	if t.ContactID != nil {
		if _, err := getContact(ctx, tx, actor, *t.ContactID); err != nil {
			return notFoundAsField(err, "contact_id", "no such contact")
		}
	}
	if t.ProjectID != nil {
		if _, err := requireProject(ctx, tx, actor, *t.ProjectID, false); err != nil {
			return notFoundAsField(err, "project_id", "no such project")
		}
	}
	if t.EventID != nil {
		if _, err := getEvent(ctx, tx, actor, *t.EventID); err != nil {
			return notFoundAsField(err, "event_id", "no such event")
		}
	}
	return checkAssignee(ctx, tx, t)
}

// checkAssignee refuses an assignee who is not an enabled user, or who cannot see the
// task's contact: they could not do the task, and would learn of the contact through it.
func checkAssignee(ctx context.Context, q querier, t model.Task) error {
	if t.AssigneeID == nil {
		return nil
	}
	if err := requireUser(ctx, q, *t.AssigneeID, "assignee_id"); err != nil {
		return err
	}
	if t.ContactID == nil {
		return nil
	}
	var ok bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM contacts c WHERE c.id = $2 AND `+contactVisible+`)`,
		*t.AssigneeID, *t.ContactID).Scan(&ok); err != nil {
		return err
	}
	if !ok {
		return &model.FieldError{Field: "assignee_id", Msg: "cannot see the task's contact"}
	}
	return nil
}

func notFoundAsField(err error, field, msg string) error {
	if err == ErrNotFound {
		return &model.FieldError{Field: field, Msg: msg}
	}
	return err
}

// UpdateTask changes a task the actor sees: whoever sees a task may change it (its
// assignee, creator, an admin, the owner of its campaign, the lead of its project, the
// owner or staff of its event). A done task keeps its completion; only its title and
// description may still change.
//
// It returns the task as written, even when the change took it out of the actor's sight
// (handed to someone else): the write is committed, so the answer must not be a 404.
func (s *Store) UpdateTask(ctx context.Context, actor Actor, id string, p model.TaskPatch) (model.Task, error) {
	var out model.Task
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		t, err := getTask(ctx, tx, actor, id, true)
		if err != nil {
			return err
		}
		wasDone := t.Status == model.TaskDone
		if wasDone && (p.Type != nil || p.AssigneeID != nil || p.DueOn != nil || p.Status != nil) {
			return &ConflictError{Field: "status", Msg: "the task is done: only title and description may change"}
		}
		if p.Status != nil && *p.Status == model.TaskDone {
			return &model.FieldError{Field: "status", Msg: "complete a task through POST /api/tasks/{id}/complete"}
		}
		p.Apply(&t)
		if err := t.Normalize(); err != nil {
			return err
		}
		if p.AssigneeID != nil {
			if err := checkAssignee(ctx, tx, t); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE tasks SET title = $2, description = $3, task_type = $4, assignee_id = $5,
			due_on = $6, status = $7, updated_at = now() WHERE id = $1`,
			id, t.Title, t.Description, t.Type, t.AssigneeID, t.DueOn, t.Status); err != nil {
			return err
		}
		if out, err = scanTask(tx.QueryRow(ctx, taskSelect+` WHERE t.id = $1`, id)); err != nil {
			return err
		}
		return audit(ctx, tx, actor, "task.update", contactsOf(t), &id, map[string]any{"status": t.Status})
	})
	if err != nil {
		return model.Task{}, wrap(err)
	}
	return out, nil
}

// ErrTaskNotOpen answers a completion of a task that is done or cancelled.
var ErrTaskNotOpen = &ConflictError{Field: "status", Msg: "the task is not open"}

// CompleteTask records the worklog entry of an open task the actor sees: outcome, minutes
// spent and the time. For a call or meeting about a contact it also records, in the same
// transaction, the activity on the contact (type of the task, the task's title as its
// body, outcome and minutes as its outcome and duration, the assignee as participant,
// audience: who sees the contact) and links it to the task.
func (s *Store) CompleteTask(ctx context.Context, actor Actor, id string, c model.TaskCompletion) (model.Task, error) {
	if err := c.Normalize(); err != nil {
		return model.Task{}, err
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		t, err := getTask(ctx, tx, actor, id, true)
		if err != nil {
			return err
		}
		if t.Status != model.TaskOpen {
			return ErrTaskNotOpen
		}
		var now time.Time
		if err := tx.QueryRow(ctx, `SELECT now()`).Scan(&now); err != nil {
			return err
		}
		var activityID *string
		if t.Type.RecordsActivity() && t.ContactID != nil {
			var participants []string
			if t.AssigneeID != nil {
				participants = []string{*t.AssigneeID}
			}
			aid, err := createActivity(ctx, tx, actor, model.Activity{ContactID: *t.ContactID, Type: model.ActivityType(t.Type),
				OccurredAt: now, DurationMinutes: c.MinutesSpent, Outcome: c.Outcome, Body: t.Title, Participants: participants})
			if err != nil {
				return err
			}
			activityID = &aid
		}
		if _, err := tx.Exec(ctx, `UPDATE tasks SET status = 'done', outcome = $2, minutes_spent = $3, completed_at = $4,
			activity_id = $5, updated_at = now() WHERE id = $1`, id, c.Outcome, c.MinutesSpent, now, activityID); err != nil {
			return err
		}
		return audit(ctx, tx, actor, "task.complete", contactsOf(t), &id,
			map[string]any{"minutes_spent": *c.MinutesSpent, "activity_id": activityID})
	})
	if err != nil {
		return model.Task{}, wrap(err)
	}
	return getTask(ctx, s.pool, actor, id, false)
}
