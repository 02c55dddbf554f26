package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

func TestTaskCompletionIsTheWorklog(t *testing.T) {
	ctx := context.Background()
	st, _ := newStore(t)
	a, b := fixture(t, st)
	rep, err := st.CreateUser(ctx, a, model.User{Login: "rep", Name: "Rep"}, "")
	if err != nil {
		t.Fatal(err)
	}
	ra := store.Actor{UserID: rep.ID, Channel: "api"}
	c, err := st.CreateContact(ctx, a, model.Contact{BookID: b.ID, Kind: "person", GivenName: "Karel", FamilyName: "Klient"})
	if err != nil {
		t.Fatal(err)
	}
	var fe *model.FieldError
	_, err = st.CreateTask(ctx, a, model.TaskInput{Title: "Zavolat", Type: "call", ContactID: &c.ID, AssigneeID: &rep.ID})
	if !errors.As(err, &fe) || fe.Field != "assignee_id" {
		t.Fatalf("assigning to a user who cannot see the contact: %v, want 400 on assignee_id", err)
	}
	if _, err := st.PutGrant(ctx, a, model.Grant{BookID: b.ID, UserID: &rep.ID, Role: "viewer"}); err != nil {
		t.Fatal(err)
	}
	task, err := st.CreateTask(ctx, a, model.TaskInput{Title: "Zavolat", Type: "call", ContactID: &c.ID, AssigneeID: &rep.ID})
	if err != nil {
		t.Fatal(err)
	}
	mine, err := st.ListTasks(ctx, ra, store.TaskFilter{})
	if err != nil || len(mine) != 1 {
		t.Fatalf("rep's tasks: %v %v", mine, err)
	}
	mins := 20
	done, err := st.CompleteTask(ctx, ra, task.ID, model.TaskCompletion{Outcome: "objednávka", MinutesSpent: &mins})
	if err != nil {
		t.Fatal(err)
	}
	if done.Status != "done" || done.ActivityID == nil || *done.MinutesSpent != 20 || done.CompletedAt == nil {
		t.Fatalf("completed: %+v", done)
	}
	act, err := st.GetActivity(ctx, a, *done.ActivityID)
	if err != nil || act.Type != "call" || act.Outcome != "objednávka" || *act.DurationMinutes != 20 ||
		len(act.Participants) != 1 || act.Participants[0] != rep.ID {
		t.Errorf("activity: %+v %v", act, err)
	}
	if _, err := st.CompleteTask(ctx, ra, task.ID, model.TaskCompletion{MinutesSpent: &mins}); !errors.Is(err, store.ErrTaskNotOpen) {
		t.Errorf("second completion: %v", err)
	}
	todo, err := st.CreateTask(ctx, ra, model.TaskInput{Title: "Sepsat nabídku"})
	if err != nil {
		t.Fatal(err)
	}
	zero := 5
	if d, err := st.CompleteTask(ctx, ra, todo.ID, model.TaskCompletion{MinutesSpent: &zero}); err != nil || d.ActivityID != nil {
		t.Errorf("todo completion: %+v %v", d, err)
	}
	today := time.Now().Format(time.DateOnly)
	for _, tc := range []struct {
		actor         store.Actor
		tasks, minute int
	}{{ra, 2, 25}, {a, 2, 25}} {
		rows, err := st.Worklog(ctx, tc.actor, "person", today, today)
		if err != nil || len(rows) != 1 || rows[0].Tasks != tc.tasks || rows[0].Minutes != tc.minute || *rows[0].ID != rep.ID {
			t.Errorf("worklog for %s: %+v %v", tc.actor.UserID, rows, err)
		}
	}
	// The rep loses the contact: the task is gone for them, and from their worklog.
	grants, _ := st.ListGrants(ctx, a, b.ID)
	for _, g := range grants {
		if err := st.DeleteGrant(ctx, a, b.ID, g.ID); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.GetTask(ctx, ra, task.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("task about an invisible contact: %v", err)
	}
	if rows, _ := st.Worklog(ctx, ra, "person", today, today); len(rows) != 1 || rows[0].Tasks != 1 {
		t.Errorf("worklog after losing the contact: %+v", rows)
	}
}

// TestHandingATaskOn: a rep who hands a task to someone else loses sight of it, and the
// change is still answered with the task as written, not as "not found".
func TestHandingATaskOn(t *testing.T) {
	ctx := context.Background()
	st, _ := newStore(t)
	a, _ := fixture(t, st)
	rep, err := st.CreateUser(ctx, a, model.User{Login: "rep", Name: "Rep"}, "")
	if err != nil {
		t.Fatal(err)
	}
	other, err := st.CreateUser(ctx, a, model.User{Login: "other", Name: "Other"}, "")
	if err != nil {
		t.Fatal(err)
	}
	ra := store.Actor{UserID: rep.ID, Channel: "api"}
	task, err := st.CreateTask(ctx, a, model.TaskInput{Title: "Sepsat nabídku", AssigneeID: &rep.ID})
	if err != nil {
		t.Fatal(err)
	}
	got, err := st.UpdateTask(ctx, ra, task.ID, model.TaskPatch{AssigneeID: &other.ID})
	if err != nil || got.ID != task.ID || got.AssigneeID == nil || *got.AssigneeID != other.ID {
		t.Fatalf("handing on: %+v %v", got, err)
	}
	if _, err := st.GetTask(ctx, ra, task.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the rep still sees the task: %v", err)
	}
}
