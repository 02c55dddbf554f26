package carddav_test

import (
	"context"
	"slices"
	"testing"

	"github.com/kontakt/kontakt/model"
)

// TestVdirsyncerForget: a forgotten contact leaves a real client's folder at its next sync,
// and the sync ledger then no longer counts the device as holding it, which is what the
// ForgetContact workflow waits for.
func TestVdirsyncerForget(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	v := newVdir(t, e, "jana")
	partners := e.books["partners"].ID
	gone := e.contact("partners", model.Contact{Kind: model.KindPerson, GivenName: "Zdeňka", FamilyName: "Výmazová",
		Emails: []model.Email{{Value: "zdenka@erase.example", Label: "work"}}})

	v.mustRun("discover")
	v.mustRun("sync")
	if f := v.files(partners); len(f) != 2 || f[gone.ID+".vcf"] == "" {
		t.Fatalf("local Partneři before: %v", keys(f))
	}
	if _, err := e.st.RequestErasure(ctx, e.admin, gone.ID, "art17_request"); err != nil {
		t.Fatal(err)
	}
	devices, err := e.st.EraseContact(ctx, gone.ID)
	must(t, err)
	if !slices.Equal(devices, []string{e.devIDs["jana"]}) {
		t.Fatalf("devices holding the contact: %v, want jana's", devices)
	}
	v.mustRun("sync")
	if f := v.files(partners); len(f) != 1 || f[gone.ID+".vcf"] != "" {
		t.Fatalf("local Partneři after the erasure: %v", keys(f))
	}
	pending, err := e.st.ErasurePendingDevices(ctx, gone.ID)
	must(t, err)
	if len(pending) != 0 {
		t.Errorf("devices still counted as holding the erased contact: %v", pending)
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
