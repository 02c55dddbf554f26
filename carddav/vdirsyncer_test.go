package carddav_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// vdir is vdirsyncer (the Debian package) syncing one user's collections into a local
// directory, against the test server over a real socket.
type vdir struct {
	t      *testing.T
	dir    string
	config string
}

func newVdir(t *testing.T, e *env, login string) *vdir {
	if _, err := exec.LookPath("vdirsyncer"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("vdirsyncer is not installed; `make test` installs it (scripts/deps.sh test)")
		}
		t.Skip("vdirsyncer is not installed (apt-get install vdirsyncer)")
	}
	dir := t.TempDir()
	v := &vdir{t: t, dir: dir, config: filepath.Join(dir, "config")}
	// The server's root URL: vdirsyncer finds the principal through /.well-known/carddav.
	config := fmt.Sprintf(`[general]
status_path = %q

[pair kontakt]
a = "local"
b = "server"
collections = ["from b"]
conflict_resolution = "b wins"

[storage local]
type = "filesystem"
path = %q
fileext = ".vcf"

[storage server]
type = "carddav"
url = %q
username = %q
password = %q
`, filepath.Join(dir, "status")+"/", filepath.Join(dir, "local")+"/", e.srv.URL+"/", login, e.devices[login])
	must(t, os.WriteFile(v.config, []byte(config), 0o600))
	return v
}

// run runs a vdirsyncer command, answering yes to its questions, and returns its output.
func (v *vdir) run(args ...string) (string, error) {
	cmd := exec.Command("vdirsyncer", append([]string{"-c", v.config}, args...)...)
	cmd.Env = append(os.Environ(), "HOME="+v.dir)
	cmd.Stdin = strings.NewReader(strings.Repeat("y\n", 20))
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (v *vdir) mustRun(args ...string) string {
	v.t.Helper()
	out, err := v.run(args...)
	if err != nil {
		v.t.Fatalf("vdirsyncer %v: %v\n%s", args, err, out)
	}
	return out
}

// files returns the local vCards of a collection (by book id): file name → content.
func (v *vdir) files(bookID string) map[string]string {
	v.t.Helper()
	out := map[string]string{}
	entries, err := os.ReadDir(filepath.Join(v.dir, "local", bookID))
	if os.IsNotExist(err) {
		return out
	}
	must(v.t, err)
	for _, en := range entries {
		b, err := os.ReadFile(filepath.Join(v.dir, "local", bookID, en.Name()))
		must(v.t, err)
		out[en.Name()] = string(b)
	}
	return out
}

// TestVdirsyncer syncs with a real client: initial sync of the granted books only, a server
// edit arrives, a revoked sync grant takes the book's contacts off the device at its next
// sync, and a revoked device gets 401.
func TestVdirsyncer(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	v := newVdir(t, e, "jana")
	partners, suppliers := e.books["partners"].ID, e.books["suppliers"].ID
	e.contact("suppliers", model.Contact{Kind: model.KindOrganisation, OrgName: "Mlýn Hradec"})

	v.mustRun("discover")
	v.mustRun("sync")
	dirs, err := os.ReadDir(filepath.Join(v.dir, "local"))
	must(t, err)
	var got []string
	for _, d := range dirs {
		got = append(got, d.Name())
	}
	want := []string{partners, suppliers}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("local collections %v, want %v (Partneři, Dodavatelé)", got, want)
	}
	files := v.files(partners)
	card := files[e.jana.ID+".vcf"]
	if len(files) != 1 || !strings.Contains(card, "Nákupčí") || strings.Contains(card, "777222333") || strings.Contains(card, "BDAY") {
		t.Fatalf("local Partneři: %v", files)
	}

	// An edit on the server arrives at the next sync.
	title := "Vedoucí nákupu"
	_, err = e.st.UpdateContact(ctx, e.admin, e.jana.ID, model.ContactPatch{JobTitle: &title}, 0)
	must(t, err)
	v.mustRun("sync")
	if card := v.files(partners)[e.jana.ID+".vcf"]; !strings.Contains(card, "Vedoucí nákupu") {
		t.Fatalf("after a server edit: %s", card)
	}

	// An edit on the device goes to the server (read-write grant); fields outside the
	// profile stay.
	path := filepath.Join(v.dir, "local", partners, e.jana.ID+".vcf")
	must(t, os.WriteFile(path, []byte(strings.Replace(v.files(partners)[e.jana.ID+".vcf"], "Vedoucí nákupu", "Ředitelka nákupu", 1)), 0o600))
	v.mustRun("sync")
	c, err := e.st.GetContact(ctx, e.admin, e.jana.ID)
	must(t, err)
	if c.JobTitle != "Ředitelka nákupu" || c.Birthday == nil || len(c.Phones) != 2 {
		t.Fatalf("after a device edit: %+v", c)
	}

	// The ledger knows what the device holds.
	h, err := e.st.DeviceHoldings(ctx, store.Actor{UserID: e.users["jana"].ID}, e.devIDs["jana"])
	must(t, err)
	if len(h) != 2 {
		t.Fatalf("holdings %+v", h)
	}

	// Revoke the sync grant of Dodavatelé: at the next sync its contacts leave the device.
	// The book stays a collection for this device, empty, while the ledger says the device
	// may hold its contacts (store.HeldGrace). vdirsyncer refuses to apply a collection that
	// became empty unless told to (its StorageEmpty safety check): a plain sync says so and
	// keeps the files, and --force-delete removes them.
	must(t, e.st.DeleteSyncGrant(ctx, e.admin, e.users["jana"].ID, suppliers))
	if out, err := v.run("sync"); err == nil || !strings.Contains(out, "completely emptied") {
		t.Errorf("plain sync after the revocation: %v\n%s", err, out)
	}
	out := v.mustRun("sync", "--force-delete")
	if f := v.files(suppliers); len(f) != 0 {
		t.Fatalf("after revoking the sync grant, the device keeps %v\n%s", f, out)
	}
	if f := v.files(partners); len(f) != 1 {
		t.Fatalf("Partneři after revoking Dodavatelé: %v", f)
	}
	// A listing does not prove the device deleted anything, so the ledger still counts the
	// revoked book's contact as possibly held, and the empty collection stays listed.
	h, err = e.st.DeviceHoldings(ctx, store.Actor{UserID: e.users["jana"].ID}, e.devIDs["jana"])
	must(t, err)
	if len(h) != 2 {
		t.Fatalf("holdings after the revocation: %+v", h)
	}
	v.mustRun("sync")

	// A revoked device gets 401.
	must(t, e.st.RevokeDevice(ctx, store.Actor{UserID: e.users["jana"].ID}, e.devIDs["jana"]))
	out, err = v.run("sync")
	if err == nil || !strings.Contains(out, "401") {
		t.Fatalf("sync with a revoked device: err %v\n%s", err, out)
	}
}

// TestVdirsyncerConsentExpiry: in a book that requires a consent, a contact whose consent
// expires (marked by store.ExpireConsent, as the ConsentLifecycle workflow's activity does)
// leaves the local folder at the next sync, and comes back after a new consent.
func TestVdirsyncerConsentExpiry(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	p, err := e.st.CreatePurpose(ctx, e.admin, model.Purpose{Key: "newsletter", Name: "Newsletter", Wording: "Zasílejte mi novinky."})
	must(t, err)
	b, err := e.st.CreateBook(ctx, e.admin, "Newsletter", "")
	must(t, err)
	_, err = e.st.UpdateBook(ctx, e.admin, b.ID, store.BookPatch{RequiredPurposeID: &p.ID})
	must(t, err)
	e.books["newsletter"] = b
	e.grant("jana", "newsletter", model.RoleEditor)
	e.syncGrant("jana", "newsletter", model.SyncRead)
	consent := func(contactID string, until time.Time) string {
		t.Helper()
		id, err := e.st.RecordConsent(ctx, e.admin, store.ConsentRecord{ContactID: contactID, PurposeID: p.ID,
			Source: model.SourceBranch, GivenAt: time.Now().Add(-time.Hour), ValidUntil: &until})
		must(t, err)
		return id
	}
	alena := e.contact("newsletter", model.Contact{Kind: model.KindPerson, GivenName: "Alena", FamilyName: "Veselá",
		Emails: []model.Email{{Value: "alena@vesela.example", Label: "work"}}})
	bohus := e.contact("newsletter", model.Contact{Kind: model.KindPerson, GivenName: "Bohuslav", FamilyName: "Černý",
		Emails: []model.Email{{Value: "bohus@cerny.example", Label: "work"}}})
	consent(alena.ID, time.Now().Add(time.Hour))
	consent(bohus.ID, time.Now().Add(time.Hour))

	v := newVdir(t, e, "jana")
	v.mustRun("discover")
	v.mustRun("sync")
	held := func() []string {
		var out []string
		for name := range v.files(b.ID) {
			out = append(out, strings.TrimSuffix(name, ".vcf"))
		}
		slices.Sort(out)
		return out
	}
	both := []string{alena.ID, bohus.ID}
	slices.Sort(both)
	if got := held(); !slices.Equal(got, both) {
		t.Fatalf("local Newsletter %v, want both consenting contacts %v", got, both)
	}

	// Alena's consent is shortened to end in a second; then it expires.
	id := consent(alena.ID, time.Now().Add(time.Second))
	time.Sleep(1100 * time.Millisecond)
	expired, err := e.st.ExpireConsent(ctx, id)
	if err != nil || !expired {
		t.Fatalf("ExpireConsent: %v %v", expired, err)
	}
	out := v.mustRun("sync")
	if got := held(); !slices.Equal(got, []string{bohus.ID}) {
		t.Fatalf("after the expiry the device holds %v, want only %s\n%s", got, bohus.ID, out)
	}

	consent(alena.ID, time.Now().Add(time.Hour))
	v.mustRun("sync")
	if got := held(); !slices.Equal(got, both) {
		t.Fatalf("after re-consent the device holds %v, want %v", got, both)
	}
	if card := v.files(b.ID)[alena.ID+".vcf"]; !strings.Contains(card, "Veselá") {
		t.Errorf("re-synced card: %s", card)
	}
}
