package devstack_test

import (
	"errors"
	"testing"

	"github.com/kontakt/kontakt/devstack"
	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// The demo campaign is jana's draft, targets the twelve consented people of Zákazníci with
// her eyes, and is made once.
func TestSeedDemoCampaign(t *testing.T) {
	ctx := t.Context()
	st, _ := openStore(t)
	if _, err := devstack.SeedDemoCampaign(ctx, st); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("without the demo organisation: %v, want ErrNotFound", err)
	}
	const pw = "demo-heslo-2026"
	if _, err := devstack.SeedDemo(ctx, st, pw, nil); err != nil {
		t.Fatal(err)
	}
	crm, err := devstack.SeedDemoCampaign(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	jana := userActor(t, st, "jana", pw)
	if !crm.Seeded || crm.Campaign.Status != model.CampaignDraft || crm.Campaign.OwnerID == nil || *crm.Campaign.OwnerID != jana.UserID {
		t.Fatalf("SeedDemoCRM = %+v", crm)
	}
	p, err := st.PreviewCampaign(ctx, jana, crm.Campaign.ID)
	if err != nil || p.Targets != 12 {
		t.Errorf("preview %+v, %v; want 12 targets", p, err)
	}
	again, err := devstack.SeedDemoCampaign(ctx, st)
	if err != nil || again.Seeded || again.Campaign.ID != crm.Campaign.ID {
		t.Errorf("second seeding: %+v, %v", again, err)
	}
}
