package devstack

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// DemoCampaignName names the demo's draft campaign.
const DemoCampaignName = "Jarní obvolání zákazníků"

// DemoCampaignEventName names the event the demo campaign invites to.
const DemoCampaignEventName = "Jarní přehlídka novinek"

// demoInvited is how many people of the book Zákazníci get an events consent in the demo.
const demoInvited = 12

// DemoCampaign is what SeedDemoCampaign made or found.
type DemoCampaign struct {
	Campaign model.Campaign
	EventID  string
	Seeded   bool
}

// SeedDemoCampaign makes, once, the ground of the README's campaign walk-through: jana, the
// sales manager, manages the book Zákazníci; twelve of its people with an address hold the
// events consent ("Pozvánky na akce", given at the Brno branch); an event, the spring
// product show in four weeks, that jana organises; and jana's draft campaign that targets the book's contacts with that
// consent, creates a call task for each, dealt in turn to jana and eva, and invites them to
// the open day. Launching it is left to the newcomer (POST /api/campaigns/{id}/launch).
// Without the demo data it does nothing and returns store.ErrNotFound.
func SeedDemoCampaign(ctx context.Context, st *store.Store) (DemoCampaign, error) {
	var out DemoCampaign
	admin, _, err := st.UserLogin(ctx, "admin")
	if err != nil {
		return out, err
	}
	a := store.Actor{UserID: admin.ID, Channel: model.ChannelSystem}
	existing, err := st.ListCampaigns(ctx, a)
	if err != nil {
		return out, fmt.Errorf("devstack: demo crm: %w", err)
	}
	for _, c := range existing {
		if c.Name == DemoCampaignName {
			out.Campaign = c
			if c.EventID != nil {
				out.EventID = *c.EventID
			}
			return out, nil
		}
	}
	jana, _, err1 := st.UserLogin(ctx, "jana")
	eva, _, err2 := st.UserLogin(ctx, "eva")
	if err := errors.Join(err1, err2); err != nil {
		return out, errors.Join(store.ErrNotFound, err)
	}
	purposes, err := ensureDemoPurposes(ctx, st, a)
	if err != nil {
		return out, err
	}
	events := purposes["events"]
	books, err := st.ListBooks(ctx, a)
	if err != nil {
		return out, fmt.Errorf("devstack: demo crm: %w", err)
	}
	var customers model.Book
	for _, b := range books {
		if b.Name == demoBooks[bookCustomers].Name {
			customers = b
		}
	}
	if customers.ID == "" {
		return out, store.ErrNotFound
	}
	if _, err := st.PutGrant(ctx, a, model.Grant{BookID: customers.ID, UserID: &jana.ID, Role: model.RoleManager}); err != nil {
		return out, fmt.Errorf("devstack: demo crm: %w", err)
	}
	page, err := st.ListContacts(ctx, a, store.ContactFilter{BookID: customers.ID, Kind: string(model.KindPerson), Limit: 200})
	if err != nil {
		return out, fmt.Errorf("devstack: demo crm: %w", err)
	}
	now := time.Now()
	until := now.AddDate(1, 0, 0)
	invited := 0
	for _, c := range page.Contacts {
		if invited == demoInvited {
			break
		}
		full, err := st.GetContact(ctx, a, c.ID)
		if err != nil {
			return out, fmt.Errorf("devstack: demo crm: %w", err)
		}
		if len(full.Emails) == 0 {
			continue
		}
		if _, err := st.RecordConsent(ctx, a, store.ConsentRecord{ContactID: c.ID, PurposeID: events.ID, Source: model.SourceBranch,
			GivenAt: now.AddDate(0, -1, 0), ValidUntil: &until,
			Evidence: map[string]any{"branch": "Brno", "form_number": fmt.Sprintf("A-%d-%03d", now.Year(), 201+invited)}}); err != nil {
			return out, fmt.Errorf("devstack: demo crm consent: %w", err)
		}
		invited++
	}
	starts := time.Date(now.Year(), now.Month(), now.Day(), 15, 0, 0, 0, time.Local).AddDate(0, 0, 28)
	name, venue := DemoCampaignEventName, "Brno, Křenová 12, showroom"
	event, err := st.CreateEvent(ctx, a, model.EventInput{Name: &name, Venue: &venue, StartsAt: &starts})
	if err != nil {
		return out, fmt.Errorf("devstack: demo campaign event: %w", err)
	}
	if err := st.PutEventStaff(ctx, a, event.ID, jana.ID); err != nil {
		return out, fmt.Errorf("devstack: demo campaign event: %w", err)
	}
	out.EventID = event.ID
	due := now.AddDate(0, 0, 14).Format(time.DateOnly)
	yes := true
	out.Campaign, err = st.CreateCampaign(ctx, store.Actor{UserID: jana.ID, Channel: model.ChannelSystem}, store.CampaignInput{
		Name: ptrTo(DemoCampaignName), Filter: &model.CampaignFilter{BookIDs: []string{customers.ID}},
		PurposeID: &events.ID, EventID: &out.EventID, SendInvitations: &yes,
		TaskType: ptrTo("call"), TaskTitle: ptrTo("Pozvat na Jarní přehlídku novinek"), TaskDueOn: &due,
		AssignMode: ptrTo(model.AssignRoundRobin), RepIDs: &[]string{jana.ID, eva.ID},
	})
	if err != nil {
		return out, fmt.Errorf("devstack: demo campaign: %w", err)
	}
	out.Seeded = true
	return out, nil
}

func ptrTo[T any](v T) *T { return &v }
