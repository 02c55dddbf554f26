package devstack_test

import (
	"errors"
	"testing"

	"github.com/kontakt/kontakt/devstack"
	"github.com/kontakt/kontakt/store"
)

// The CRM demo gives jana open tasks (calls about contacts she sees and a preparation
// meeting), an event she organises with three invitations, and it seeds once.
func TestSeedDemoCRM(t *testing.T) {
	ctx := t.Context()
	st, _ := openStore(t)
	if _, err := devstack.SeedDemoCRM(ctx, st); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("without the demo organisation: %v, want ErrNotFound", err)
	}
	const pw = "demo-heslo-2026"
	if _, err := devstack.SeedDemo(ctx, st, pw, nil); err != nil {
		t.Fatal(err)
	}
	d, err := devstack.SeedDemoCRM(ctx, st)
	if err != nil || !d.Seeded || len(d.Tasks) != 4 {
		t.Fatalf("SeedDemoCRM = %+v, %v", d, err)
	}
	jana := userActor(t, st, "jana", pw)
	tasks, err := st.ListTasks(ctx, jana, store.TaskFilter{Status: "open"})
	if err != nil || len(tasks) != 4 {
		t.Errorf("jana's open tasks: %d, %v", len(tasks), err)
	}
	invs, err := st.ListInvitations(ctx, jana, d.Event.ID)
	if err != nil || len(invs) != 3 {
		t.Errorf("jana's invitations: %d, %v", len(invs), err)
	}
	again, err := devstack.SeedDemoCRM(ctx, st)
	if err != nil || again.Seeded || again.Event.ID != d.Event.ID {
		t.Errorf("second seed: %+v, %v", again, err)
	}
}
