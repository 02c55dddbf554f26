package store_test

import (
	"context"
	"errors"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
	"github.com/kontakt/kontakt/store/storetest"
)

// TestPreviewCampaignFilter: an unsaved filter previews exactly what the saved campaign
// would target (the owner's visibility, the purpose's consent), names only contacts the
// actor sees, refuses who may not create or manage, and stores nothing but the audit entry.
func TestPreviewCampaignFilter(t *testing.T) {
	ctx := context.Background()
	st, pool := newStore(t)
	m, err := storetest.SeedMatrix(ctx, st, "")
	if err != nil {
		t.Fatal(err)
	}
	admin := m.Actor("admin")
	purpose, err := st.CreatePurpose(ctx, admin, model.Purpose{Key: "preview", Name: "Náhled", Wording: "Ano."})
	if err != nil {
		t.Fatal(err)
	}
	consented := []string{"b1-person", "b3-person", "b4-person"}
	for _, k := range consented {
		if _, err := st.RecordConsent(ctx, admin, store.ConsentRecord{ContactID: m.Contacts[k].ID, PurposeID: purpose.ID,
			Source: model.SourceStaff, GivenAt: time.Now().Add(-time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	filter := model.CampaignFilter{Tags: []string{"matrix"}}
	for _, login := range []string{"cyril", "admin"} {
		for _, withPurpose := range []bool{false, true} {
			want := m.VisibleContacts(login)
			purposeID := ""
			if withPurpose {
				purposeID = purpose.ID
				want = slices.DeleteFunc(slices.Clone(want), func(k string) bool { return !slices.Contains(consented, k) })
			}
			p, err := st.PreviewCampaignFilter(ctx, m.Actor(login), "", filter, purposeID, 50)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range p.First {
				got = append(got, m.ContactKey(c.ID))
			}
			sort.Strings(got)
			if p.Targets != len(want) || !slices.Equal(got, want) {
				t.Errorf("%s purpose=%v: %d %v, want %v", login, withPurpose, p.Targets, got, want)
			}
		}
	}
	// The preview of a filter equals the saved campaign's preview.
	c, err := st.CreateCampaign(ctx, m.Actor("cyril"), store.CampaignInput{Name: strp("Jaro"), TaskTitle: strp("Zavolat"),
		Filter: &model.CampaignFilter{Types: []string{"supplier"}}})
	if err != nil {
		t.Fatal(err)
	}
	saved, _ := st.PreviewCampaign(ctx, m.Actor("cyril"), c.ID)
	for _, login := range []string{"cyril", "admin"} {
		p, err := st.PreviewCampaignFilter(ctx, m.Actor(login), c.ID, c.Filter, "", 2)
		if err != nil || p.Targets != saved.Targets || len(p.First) != min(2, saved.Targets) {
			t.Errorf("%s previews cyril's draft: %+v %v, saved %+v", login, p, err, saved)
		}
	}
	// Who may not: no manager role (ErrForbidden), a rep or a stranger on the draft.
	if _, err := st.PreviewCampaignFilter(ctx, m.Actor("alena"), "", filter, "", 5); !errors.Is(err, store.ErrForbidden) {
		t.Errorf("alena previews a new campaign: %v", err)
	}
	if _, err := st.PreviewCampaignFilter(ctx, m.Actor("emil"), c.ID, filter, "", 5); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("emil previews cyril's draft: %v", err)
	}
	if _, err := st.PreviewCampaignFilter(ctx, m.Actor("cyril"), "", model.CampaignFilter{Types: []string{"alien"}}, "", 5); err == nil {
		t.Error("a bad type previews")
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM campaigns`).Scan(&n); err != nil || n != 1 {
		t.Errorf("campaigns stored: %d %v", n, err)
	}
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'campaign.preview'`).Scan(&n); err != nil || n == 0 {
		t.Errorf("previews audited: %d %v", n, err)
	}
}
