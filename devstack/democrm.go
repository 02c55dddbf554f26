package devstack

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// DemoEventName names the demo event.
const DemoEventName = "Den otevřených dveří"

// DemoCRM is what SeedDemoCRM made or found.
type DemoCRM struct {
	Event  model.Event
	Tasks  []model.Task
	Seeded bool
}

// SeedDemoCRM makes, once, the CRM demo: the event "Den otevřených dveří" owned by the admin
// with jana as staff, open call tasks for jana about three contacts she sees (one in the
// event's plan), a preparation meeting task, an activity already logged and the three
// contacts invited. Completing a call task in `make dev` shows the worklog entry and the
// activity it records. Without the demo admin or jana it does nothing and returns
// store.ErrNotFound.
func SeedDemoCRM(ctx context.Context, st *store.Store) (DemoCRM, error) {
	var out DemoCRM
	admin, _, err := st.UserLogin(ctx, "admin")
	if err != nil {
		return out, err
	}
	jana, _, err := st.UserLogin(ctx, "jana")
	if err != nil {
		return out, errors.Join(store.ErrNotFound, err)
	}
	a := store.Actor{UserID: admin.ID, Channel: model.ChannelSystem}
	ja := store.Actor{UserID: jana.ID, Channel: model.ChannelSystem}
	events, err := st.ListEvents(ctx, a)
	if err != nil {
		return out, fmt.Errorf("devstack: demo crm: %w", err)
	}
	for _, e := range events {
		if e.Name == DemoEventName {
			out.Event = e
			return out, nil
		}
	}
	page, err := st.ListContacts(ctx, ja, store.ContactFilter{Type: string(model.TypeCustomer), Limit: 3})
	if err != nil {
		return out, fmt.Errorf("devstack: demo crm: %w", err)
	}
	starts := time.Now().AddDate(0, 0, 21).Truncate(24 * time.Hour).Add(9 * time.Hour)
	ends := starts.Add(8 * time.Hour)
	name, venue := DemoEventName, "Showroom Brno, Křenová 12"
	kind, resources, budget := model.EventKind("business"), "2 stánky, projektor, občerstvení pro 40 lidí", "Rozpočet 60 000 Kč včetně cateringu"
	if out.Event, err = st.CreateEvent(ctx, a, model.EventInput{Name: &name, Kind: &kind, Venue: &venue, StartsAt: &starts,
		EndsAt: &ends, Resources: &resources, BudgetNote: &budget}); err != nil {
		return out, fmt.Errorf("devstack: demo event: %w", err)
	}
	if err := st.PutEventStaff(ctx, a, out.Event.ID, jana.ID); err != nil {
		return out, fmt.Errorf("devstack: demo event staff: %w", err)
	}
	due := time.Now().AddDate(0, 0, 7).Format(time.DateOnly)
	prep, err := st.CreateTask(ctx, a, model.TaskInput{Title: "Příprava dne otevřených dveří", Type: model.TaskMeeting,
		AssigneeID: &jana.ID, DueOn: &due, EventID: &out.Event.ID})
	if err != nil {
		return out, fmt.Errorf("devstack: demo task: %w", err)
	}
	out.Tasks = append(out.Tasks, prep)
	for i, c := range page.Contacts {
		in := model.TaskInput{Title: "Zavolat: " + c.DisplayName, Type: model.TaskCall, AssigneeID: &jana.ID, DueOn: &due, ContactID: &c.ID}
		if i == 0 {
			in.Title, in.EventID = "Pozvat na den otevřených dveří: "+c.DisplayName, &out.Event.ID
		}
		t, err := st.CreateTask(ctx, a, in)
		if err != nil {
			return out, fmt.Errorf("devstack: demo task: %w", err)
		}
		out.Tasks = append(out.Tasks, t)
		if _, err := st.PutInvitation(ctx, ja, out.Event.ID, c.ID); err != nil {
			return out, fmt.Errorf("devstack: demo invitation: %w", err)
		}
	}
	if len(page.Contacts) > 0 {
		mins := 10
		if _, err := st.CreateActivity(ctx, ja, model.Activity{ContactID: page.Contacts[0].ID, Type: model.ActivityEmail,
			OccurredAt: time.Now().AddDate(0, 0, -2), DurationMinutes: &mins, Outcome: "zájem o prezentaci",
			Body: "Poslán katalog novinek", Participants: []string{jana.ID}}); err != nil {
			return out, fmt.Errorf("devstack: demo activity: %w", err)
		}
	}
	out.Seeded = true
	return out, nil
}
