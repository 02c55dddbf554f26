package devstack_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/kontakt/kontakt/devstack"
	"github.com/kontakt/kontakt/store"
)

// TestSeedDemoProject: the demo has an active project that jana syncs as "Projekt
// Rekonstrukce skladu Brno", holding suppliers she also sees in Dodavatelé and partners she
// sees through the project alone; the lead eva may close it, petr sees nothing of it.
func TestSeedDemoProject(t *testing.T) {
	ctx := t.Context()
	st, _ := openStore(t)
	const pw = "demo-heslo-2026"
	demo, err := devstack.SeedDemo(ctx, st, pw, nil)
	if err != nil {
		t.Fatal(err)
	}
	if demo.Projects != 1 {
		t.Fatalf("demo projects %d", demo.Projects)
	}
	jana, eva, petr := userActor(t, st, "jana", pw), userActor(t, st, "eva", pw), userActor(t, st, "petr", pw)
	colls, err := st.SyncCollections(ctx, jana.UserID)
	if err != nil {
		t.Fatal(err)
	}
	var project *store.SyncCollection
	for i, c := range colls {
		if c.Project {
			project = &colls[i]
		}
	}
	if len(colls) != 1 || project == nil || project.Name != "Projekt Rekonstrukce skladu Brno" {
		t.Fatalf("jana's collections %+v", colls)
	}
	cs, err := st.CollectionContacts(ctx, jana.UserID, project.BookID)
	if err != nil {
		t.Fatal(err)
	}
	books := map[string]int{}
	for _, c := range cs {
		books[c.BookID]++
	}
	if len(cs) != 10 || len(books) != 2 {
		t.Fatalf("project collection: %d contacts in books %v, want 10 in 2 books", len(cs), books)
	}
	p, err := st.GetProject(ctx, eva, project.BookID)
	if err != nil || p.Status != "active" || len(p.Members) != 2 || len(p.Contacts) != 10 {
		t.Fatalf("eva's project: %+v, %v", p, err)
	}
	if _, err := st.GetProject(ctx, petr, project.BookID); err == nil {
		t.Error("petr reads the project")
	}
	var roles []string
	for _, c := range p.Contacts {
		if !slices.Contains(roles, c.Role) {
			roles = append(roles, c.Role)
		}
	}
	slices.Sort(roles)
	if strings.Join(roles, ",") != "dodavatel,kontaktní osoba,partner stavby" {
		t.Errorf("roles %v", roles)
	}
}
