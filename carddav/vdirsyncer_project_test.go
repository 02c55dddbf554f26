package carddav_test

import (
	"context"
	"slices"
	"strings"
	"testing"
)

// TestVdirsyncerProjectClosure: a member syncs a project's collection with a real client,
// the lead closes the project, the next sync takes its contacts off the device (the copy in
// the member's synced book stays), and the sync ledger then counts the device as told,
// which is what the ProjectClosure workflow waits for.
func TestVdirsyncerProjectClosure(t *testing.T) {
	pe := newProjectEnv(t)
	ctx := context.Background()
	v := newVdir(t, pe.env, "jana")
	project, partners := pe.project.ID, pe.books["partners"].ID

	v.mustRun("discover")
	v.mustRun("sync")
	files := v.files(project)
	card := files[pe.jana.ID+".vcf"]
	if len(files) != 2 || files[pe.supplier.ID+".vcf"] == "" || !strings.Contains(card, "Nákupčí") ||
		strings.Contains(card, "777222333") || strings.Contains(card, "BDAY") {
		t.Fatalf("local project folder: %v", files)
	}
	devices, err := pe.st.ProjectClosurePendingDevices(ctx, project)
	must(t, err)
	if !slices.Equal(devices, []string{pe.devIDs["jana"]}) {
		t.Fatalf("devices holding the project's contacts: %v", devices)
	}

	// The lead closes the project (grace 0; the ProjectClosure workflow makes these calls).
	must(t, pe.st.RequestProjectClosure(ctx, pe.admin, project, 0))
	closed, devices, err := pe.st.FinishProjectClosure(ctx, project)
	must(t, err)
	if !closed || !slices.Equal(devices, []string{pe.devIDs["jana"]}) {
		t.Fatalf("finish: closed %v, devices %v", closed, devices)
	}

	// The project's collection is still listed, now empty: every contact of the folder is
	// gone. vdirsyncer refuses to apply a collection that became completely empty unless
	// told to (its StorageEmpty safety check), so a plain sync keeps the files and says so;
	// `sync --force-delete` removes them. Clients that sync with sync-collection (DAVx5,
	// iOS, Thunderbird) get each contact as a removal and apply it without such a rule
	// (TestProjectClosureSync).
	if out, err := v.run("sync"); err == nil || !strings.Contains(out, "completely emptied") {
		t.Errorf("plain sync after the closure: %v\n%s", err, out)
	}
	if f := v.files(project); len(f) != 2 {
		t.Fatalf("vdirsyncer applied an emptied collection without --force-delete: %v", keys(f))
	}
	out := v.mustRun("sync", "--force-delete")
	if f := v.files(project); len(f) != 0 {
		t.Fatalf("after the closure, the device keeps %v\n%s", keys(f), out)
	}
	if f := v.files(partners); len(f) != 1 || f[pe.jana.ID+".vcf"] == "" {
		t.Fatalf("the book's copy of the contact: %v", keys(f))
	}

	// The ledger records what the device was told: a complete listing of the collection
	// without the contacts. A listing is all Kontakt sees of a client like vdirsyncer, so the
	// device counts as told from the first sync after the closure, whether it applied the
	// listing then (as above with --force-delete) or refused it until told to. The copy held
	// through the book stays in the ledger.
	pending, err := pe.st.ProjectClosurePendingDevices(ctx, project)
	must(t, err)
	if len(pending) != 0 {
		t.Errorf("devices still counted as holding the project's contacts: %v", pending)
	}
	if h, err := pe.st.DeviceHoldings(ctx, pe.admin, pe.devIDs["jana"]); err != nil || len(h) != 1 || h[0].BookID != partners {
		t.Errorf("holdings after the closure: %+v, %v", h, err)
	}
	v.mustRun("sync")
}
