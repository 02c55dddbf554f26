package model

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// TaskType is what a task asks for; completing a call or meeting about a contact also
// records the activity.
type TaskType string

// Task types.
const (
	TaskCall    TaskType = "call"
	TaskMeeting TaskType = "meeting"
	TaskEmail   TaskType = "email"
	TaskVisit   TaskType = "visit"
	TaskTodo    TaskType = "todo"
)

// TaskTypes lists every valid TaskType.
var TaskTypes = []TaskType{TaskCall, TaskMeeting, TaskEmail, TaskVisit, TaskTodo}

// RecordsActivity reports whether completing a task of this type about a contact records
// an activity on the contact.
func (t TaskType) RecordsActivity() bool { return t == TaskCall || t == TaskMeeting }

// TaskStatus is where a task stands; done only through completion.
type TaskStatus string

// Task statuses.
const (
	TaskOpen      TaskStatus = "open"
	TaskDone      TaskStatus = "done"
	TaskCancelled TaskStatus = "cancelled"
)

// Limits on tasks, in characters.
const (
	MaxTaskTitleLen       = 300
	MaxTaskDescriptionLen = 10000
)

// Task is work for an assignee, about a contact, project, campaign or event. Its completion
// (Outcome, MinutesSpent, CompletedAt) is the worklog entry; ActivityID is the activity
// the completion recorded, if any.
type Task struct {
	ID           string     `json:"id"`
	Title        string     `json:"title"`
	Description  string     `json:"description"`
	Type         TaskType   `json:"type"`
	AssigneeID   *string    `json:"assignee_id"`
	CreatedBy    *string    `json:"created_by"`
	DueOn        *string    `json:"due_on"` // YYYY-MM-DD
	ContactID    *string    `json:"contact_id"`
	ProjectID    *string    `json:"project_id"`
	CampaignID   *string    `json:"campaign_id"`
	EventID      *string    `json:"event_id"`
	Status       TaskStatus `json:"status"`
	Outcome      string     `json:"outcome"`
	MinutesSpent *int       `json:"minutes_spent"`
	CompletedAt  *time.Time `json:"completed_at"`
	ActivityID   *string    `json:"activity_id"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

// TaskInput is a new task. The assignee defaults to its creator; campaign tasks are made
// by the campaign's launch, not through this input.
type TaskInput struct {
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Type        TaskType `json:"type"`
	AssigneeID  *string  `json:"assignee_id"`
	DueOn       *string  `json:"due_on"`
	ContactID   *string  `json:"contact_id"`
	ProjectID   *string  `json:"project_id"`
	EventID     *string  `json:"event_id"`
}

// TaskPatch changes the fields it sets. DueOn "" clears the due date; Status may move
// between open and cancelled (done only through completion).
type TaskPatch struct {
	Title       *string     `json:"title"`
	Description *string     `json:"description"`
	Type        *TaskType   `json:"type"`
	AssigneeID  *string     `json:"assignee_id"`
	DueOn       *string     `json:"due_on"`
	Status      *TaskStatus `json:"status"`
}

// TaskCompletion is the worklog entry that completes a task.
type TaskCompletion struct {
	Outcome      string `json:"outcome"`
	MinutesSpent *int   `json:"minutes_spent"`
}

// Apply sets the patched fields on t.
func (p TaskPatch) Apply(t *Task) {
	if p.Title != nil {
		t.Title = *p.Title
	}
	if p.Description != nil {
		t.Description = *p.Description
	}
	if p.Type != nil {
		t.Type = *p.Type
	}
	if p.AssigneeID != nil {
		t.AssigneeID = p.AssigneeID
	}
	if p.DueOn != nil {
		t.DueOn = p.DueOn
		if *p.DueOn == "" {
			t.DueOn = nil
		}
	}
	if p.Status != nil {
		t.Status = *p.Status
	}
}

// Normalize trims and validates what a task's writer sets: a title, a description within
// its limit, a known type (todo by default), a date for due_on and ids for the references.
func (t *Task) Normalize() error {
	t.Title = strings.TrimSpace(t.Title)
	if t.Title == "" {
		return &FieldError{Field: "title", Msg: "must not be empty"}
	}
	if utf8.RuneCountInString(t.Title) > MaxTaskTitleLen {
		return &FieldError{Field: "title", Msg: fmt.Sprintf("longer than %d characters", MaxTaskTitleLen)}
	}
	t.Description = strings.TrimSpace(t.Description)
	if utf8.RuneCountInString(t.Description) > MaxTaskDescriptionLen {
		return &FieldError{Field: "description", Msg: fmt.Sprintf("longer than %d characters", MaxTaskDescriptionLen)}
	}
	if t.Type == "" {
		t.Type = TaskTodo
	}
	if !slices.Contains(TaskTypes, t.Type) {
		return &FieldError{Field: "type", Msg: "must be call, meeting, email, visit or todo"}
	}
	if t.DueOn != nil {
		if _, err := time.Parse(time.DateOnly, *t.DueOn); err != nil {
			return &FieldError{Field: "due_on", Msg: "must be a date (YYYY-MM-DD)"}
		}
	}
	for _, f := range []struct {
		name string
		id   *string
	}{{"assignee_id", t.AssigneeID}, {"contact_id", t.ContactID}, {"project_id", t.ProjectID}, {"event_id", t.EventID}} {
		if f.id != nil && !isUUID(*f.id) {
			return &FieldError{Field: f.name, Msg: "not an id"}
		}
	}
	if t.Status != TaskOpen && t.Status != TaskCancelled && t.Status != TaskDone {
		return &FieldError{Field: "status", Msg: "must be open or cancelled (done through completion)"}
	}
	return nil
}

// Normalize trims and validates a completion: minutes spent are required (0 for none).
func (c *TaskCompletion) Normalize() error {
	c.Outcome = strings.TrimSpace(c.Outcome)
	if utf8.RuneCountInString(c.Outcome) > MaxOutcomeLen {
		return &FieldError{Field: "outcome", Msg: fmt.Sprintf("longer than %d characters", MaxOutcomeLen)}
	}
	if c.MinutesSpent == nil {
		return &FieldError{Field: "minutes_spent", Msg: "is required (0 for none)"}
	}
	if *c.MinutesSpent < 0 || *c.MinutesSpent > MaxDurationMinutes {
		return &FieldError{Field: "minutes_spent", Msg: fmt.Sprintf("must be between 0 and %d", MaxDurationMinutes)}
	}
	return nil
}
