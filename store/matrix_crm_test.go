package store_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/kontakt/kontakt/store"
	"github.com/kontakt/kontakt/store/storetest"
)

// checkCRMMatrix holds the CRM read paths of the store to the matrix for one user:
// activities (detail, per contact), tasks (detail, own list, every visible task, per
// contact), the worklog report, and an event's invitations (list and counts). Nobody sees
// an activity or task about a contact they cannot see, nor a restricted activity outside
// its audience: ErrNotFound, or absent from lists and counts.
func checkCRMMatrix(t *testing.T, st *store.Store, m *storetest.Matrix, login string) {
	t.Helper()
	ctx := context.Background()
	a := m.Actor(login)

	for _, k := range m.ActivityKeys() {
		_, err := st.GetActivity(ctx, a, m.CRM.Activities[k].ID)
		switch seen := m.SeesActivity(login, k); {
		case seen && err != nil:
			t.Errorf("activity %s: %v, want visible", k, err)
		case !seen && !errors.Is(err, store.ErrNotFound):
			t.Errorf("activity %s: %v, want ErrNotFound", k, err)
		}
	}
	for key, c := range m.Contacts {
		list, err := st.ListActivities(ctx, a, c.ID)
		if !m.SeesContact(login, key) {
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("activities of invisible %s: %v", key, err)
			}
			continue
		}
		var got []string
		for _, x := range list {
			got = append(got, m.ActivityKey(x.ID))
		}
		sort.Strings(got)
		if want := m.VisibleActivities(login, key); !slices.Equal(got, want) {
			t.Errorf("activities of %s: %v, want %v", key, got, want)
		}
		notes, err := st.ListNotes(ctx, a, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range notes {
			if m.ActivityKey(n.ID) != "" {
				t.Errorf("notes of %s list activity %s", key, m.ActivityKey(n.ID))
			}
		}
	}

	for _, k := range m.TaskKeys() {
		_, err := st.GetTask(ctx, a, m.CRM.Tasks[k].ID)
		switch seen := m.SeesTask(login, k); {
		case seen && err != nil:
			t.Errorf("task %s: %v, want visible", k, err)
		case !seen && !errors.Is(err, store.ErrNotFound):
			t.Errorf("task %s: %v, want ErrNotFound", k, err)
		}
	}
	taskKeys := func(f store.TaskFilter) []string {
		t.Helper()
		list, err := st.ListTasks(ctx, a, f)
		if err != nil {
			t.Fatal(err)
		}
		out := []string{}
		for _, x := range list {
			if k := m.TaskKey(x.ID); k != "" {
				out = append(out, k)
			}
		}
		sort.Strings(out)
		return out
	}
	if got, want := taskKeys(store.TaskFilter{}), m.VisibleTasks(login, true); !slices.Equal(got, append([]string{}, want...)) {
		t.Errorf("own tasks: %v, want %v", got, want)
	}
	want := append([]string{}, m.VisibleTasks(login, false)...)
	if got := taskKeys(store.TaskFilter{Assignee: "any"}); !slices.Equal(got, want) {
		t.Errorf("all tasks: %v, want %v", got, want)
	}
	b1 := m.Contacts["b1-person"].ID
	var wantB1 []string
	for _, k := range want {
		if m.CRM.Tasks[k].ContactID != nil && *m.CRM.Tasks[k].ContactID == b1 {
			wantB1 = append(wantB1, k)
		}
	}
	if got := taskKeys(store.TaskFilter{Assignee: "any", ContactID: b1}); !slices.Equal(got, append([]string{}, wantB1...)) {
		t.Errorf("tasks about b1-person: %v, want %v", got, wantB1)
	}

	day := time.Now().Format(time.DateOnly)
	rows, err := st.Worklog(ctx, a, "person", day, day)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, r := range rows {
		for l, u := range m.Users {
			if r.ID != nil && *r.ID == u.ID {
				got[l] = r.Minutes
			}
		}
	}
	if w := m.Worklog(login); !maps.Equal(got, w) {
		t.Errorf("worklog: %v, want %v", got, w)
	}

	invs, err := st.ListInvitations(ctx, a, m.CRM.Event.ID)
	if !m.SeesEvent(login) {
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("invitations of an unseen event: %v", err)
		}
		return
	}
	gotInv := []string{}
	for _, inv := range invs {
		gotInv = append(gotInv, m.ContactKey(inv.ContactID))
	}
	sort.Strings(gotInv)
	if w := m.VisibleInvitations(login); !slices.Equal(gotInv, w) {
		t.Errorf("invitations: %v, want %v", gotInv, w)
	}
	ev, err := st.GetEvent(ctx, a, m.CRM.Event.ID)
	if err != nil {
		t.Fatal(err)
	}
	if n := ev.Invitations["invited"]; n != len(m.VisibleInvitations(login)) {
		t.Errorf("event counts %d invitations, want %d", n, len(m.VisibleInvitations(login)))
	}
}
