package carddav_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-vcard"
	gocarddav "github.com/emersion/go-webdav/carddav"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// projectEnv adds to env a project "Most přes Vltavu" led by admin that involves jana's
// contact (Partneři, every kind of contact point) and a supplier organisation; jana is a
// member with project sync, petr a member without, and eva (with a device) no member. jana
// holds no sync grant on the supplier's book and sees it only through the project.
type projectEnv struct {
	*env
	project  model.Project
	supplier model.Contact
}

func newProjectEnv(t *testing.T) *projectEnv {
	t.Helper()
	e := newEnv(t)
	ctx := context.Background()
	eva, err := e.st.CreateUser(ctx, store.Actor{Channel: model.ChannelSystem}, model.User{Login: "eva", Name: "Eva"}, "")
	must(t, err)
	e.users["eva"] = eva
	e.newDevice("eva")
	pe := &projectEnv{env: e}
	pe.supplier = e.contact("internal", model.Contact{Kind: model.KindOrganisation, OrgName: "Ocelárna Kladno",
		Emails: []model.Email{{Value: "info@ocelarna.example", Label: "work"}}})
	e.contact("internal", model.Contact{Kind: model.KindPerson, FamilyName: "Nezapojená"}) // not involved
	name := "Most přes Vltavu"
	pe.project, err = e.st.CreateProject(ctx, e.admin, store.ProjectInput{Name: &name})
	must(t, err)
	read := "read"
	must(t, e.st.PutProjectMember(ctx, e.admin, pe.project.ID, e.users["jana"].ID, &read))
	must(t, e.st.PutProjectMember(ctx, e.admin, pe.project.ID, e.users["petr"].ID, nil))
	for _, c := range []model.Contact{e.jana, pe.supplier} {
		must(t, e.st.PutProjectContact(ctx, e.admin, pe.project.ID, c.ID, store.ProjectContactInput{Role: "dodavatel"}))
	}
	return pe
}

func (pe *projectEnv) collection(login string) string {
	return "/dav/addressbooks/" + login + "/" + pe.project.ID + "/"
}

// TestProjectCollection: a member with project sync finds the project's collection, holding
// exactly its involved contacts cut to the project's sync profile, read-only; a member
// without project sync and a non-member find nothing there.
func TestProjectCollection(t *testing.T) {
	pe := newProjectEnv(t)
	ctx := context.Background()
	c := pe.client("jana")
	books, err := c.FindAddressBooks(ctx, "/dav/addressbooks/jana/")
	must(t, err)
	var names []string
	for _, b := range books {
		names = append(names, b.Name)
	}
	if want := []string{"Dodavatelé", "Partneři", "Project Most přes Vltavu"}; !slices.Equal(names, want) {
		t.Fatalf("collections %v, want %v", names, want)
	}

	// Exactly the involved contacts, through go-webdav's client.
	sr, err := c.SyncCollection(ctx, pe.collection("jana"), &gocarddav.SyncQuery{DataRequest: gocarddav.AddressDataRequest{AllProp: true}})
	must(t, err)
	var got []string
	for _, ao := range sr.Updated {
		got = append(got, strings.TrimSuffix(strings.TrimPrefix(ao.Path, pe.collection("jana")), ".vcf"))
	}
	slices.Sort(got)
	want := []string{pe.jana.ID, pe.supplier.ID}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("project collection %v, want %v", got, want)
	}

	// Minimised by the project's profile, not by the book's.
	profile := []string{"name", "org"}
	_, err = pe.st.UpdateProject(ctx, pe.admin, pe.project.ID, store.ProjectInput{SyncProfile: &profile})
	must(t, err)
	ao, err := c.GetAddressObject(ctx, pe.collection("jana")+pe.jana.ID+".vcf")
	must(t, err)
	if ao.Card.Value(vcard.FieldFormattedName) != "Jana Nováková" || ao.Card.Get(vcard.FieldTitle) != nil ||
		ao.Card.Get(vcard.FieldEmail) != nil || ao.Card.Get(vcard.FieldTelephone) != nil {
		t.Fatalf("card under the project's profile: %v", ao.Card)
	}
	if book, err := c.GetAddressObject(ctx, pe.object("jana", "partners", pe.jana.ID)); err != nil || book.Card.Value(vcard.FieldTitle) != "Nákupčí" {
		t.Fatalf("the book's copy keeps the book's profile: %v, %v", book, err)
	}

	// Read-only: the privileges say so, and writes are refused.
	body := `<?xml version="1.0"?><D:propfind xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/">
		<D:prop><D:displayname/><CS:getctag/><D:sync-token/><D:current-user-privilege-set/></D:prop></D:propfind>`
	ms := parseMS(t, pe.do("jana", "PROPFIND", pe.collection("jana"), map[string]string{"Depth": "0", "Content-Type": "application/xml"}, body))
	if len(ms.Responses) != 1 {
		t.Fatalf("PROPFIND: %+v", ms.Responses)
	}
	var privs, ctag, token string
	for _, ps := range ms.Responses[0].Propstats {
		if ps.Prop.Privileges != nil {
			for _, p := range ps.Prop.Privileges.Privileges {
				privs += p.Inner
			}
		}
		if ps.Prop.CTag != "" {
			ctag, token = ps.Prop.CTag, ps.Prop.SyncToken
		}
	}
	if !strings.Contains(privs, "read") || strings.Contains(privs, "write") || strings.Contains(privs, "bind") {
		t.Errorf("privileges %q", privs)
	}
	if ctag == "" || ctag == "0" || token != "kontakt:"+pe.project.ID+":"+ctag {
		t.Errorf("ctag %q, sync-token %q", ctag, token)
	}
	obj := pe.collection("jana") + pe.jana.ID + ".vcf"
	cur := pe.do("jana", "GET", obj, nil, "")
	if cur.status != http.StatusOK {
		t.Fatalf("GET: %d", cur.status)
	}
	newID := "6b8f3c0e-2b7a-4d39-9d1c-4f2e7a1b9c02"
	for _, r := range []struct{ method, path, body string }{
		{"PUT", obj, strings.Replace(cur.body, "Jana", "Janička", 1)},
		{"PUT", pe.collection("jana") + newID + ".vcf", fmt.Sprintf(vcardNew, newID)},
		{"DELETE", obj, ""},
	} {
		if res := pe.do("jana", r.method, r.path, map[string]string{"Content-Type": "text/vcard"}, r.body); res.status != http.StatusForbidden {
			t.Errorf("%s %s: %d %s, want 403", r.method, r.path, res.status, res.body)
		}
	}
	if got, err := pe.st.GetContact(ctx, pe.admin, pe.jana.ID); err != nil || got.GivenName != "Jana" {
		t.Fatalf("after refused writes: %+v, %v", got, err)
	}
	if _, err := pe.st.GetContact(ctx, pe.admin, newID); err == nil {
		t.Fatal("a PUT into the project's collection created a contact")
	}

	// petr is a member without project sync, eva no member: no collection, 404 everywhere.
	for _, login := range []string{"petr", "eva"} {
		books, err := pe.client(login).FindAddressBooks(ctx, "/dav/addressbooks/"+login+"/")
		must(t, err)
		for _, b := range books {
			if strings.Contains(b.Path, pe.project.ID) {
				t.Errorf("%s finds the project's collection", login)
			}
		}
		for _, p := range []string{pe.collection(login), pe.collection(login) + pe.jana.ID + ".vcf"} {
			if r := pe.do(login, "GET", p, nil, ""); r.status != http.StatusNotFound {
				t.Errorf("%s: GET %s: %d, want 404", login, p, r.status)
			}
		}
		if r := pe.do(login, "REPORT", pe.collection(login), map[string]string{"Content-Type": "application/xml"}, syncReport("", 0)); r.status != http.StatusNotFound {
			t.Errorf("%s: sync-collection: %d, want 404", login, r.status)
		}
	}
}

// TestProjectClosureSync: after a project closes, a member's device that syncs with
// sync-collection gets each of its contacts as a 404 removal, while the copy in the book
// stays; the ledger then no longer counts the device, which is what the ProjectClosure
// workflow waits for. Reopening brings the contacts back.
func TestProjectClosureSync(t *testing.T) {
	pe := newProjectEnv(t)
	ctx := context.Background()
	xmlH := map[string]string{"Content-Type": "application/xml"}
	coll := pe.collection("jana")
	ms := parseMS(t, pe.do("jana", "REPORT", coll, xmlH, syncReport("", 0)))
	if len(ms.Responses) != 2 {
		t.Fatalf("initial sync: %+v", ms.Responses)
	}
	token := ms.SyncToken
	// The device also syncs Partneři, which holds jana's contact.
	parseMS(t, pe.do("jana", "REPORT", pe.env.collection("jana", "partners"), xmlH, syncReport("", 0)))
	pending, err := pe.st.ProjectClosurePendingDevices(ctx, pe.project.ID)
	must(t, err)
	if !slices.Equal(pending, []string{pe.devIDs["jana"]}) {
		t.Fatalf("devices holding the project's contacts: %v", pending)
	}

	must(t, pe.st.RequestProjectClosure(ctx, pe.admin, pe.project.ID, 0))
	closed, devices, err := pe.st.FinishProjectClosure(ctx, pe.project.ID)
	must(t, err)
	if !closed || !slices.Equal(devices, []string{pe.devIDs["jana"]}) {
		t.Fatalf("finish: %v %v", closed, devices)
	}
	ms = parseMS(t, pe.do("jana", "REPORT", coll, xmlH, syncReport(token, 0)))
	var removed []string
	for _, r := range ms.Responses {
		if !strings.Contains(r.Status, " 404 ") {
			t.Errorf("after closing: %+v", r)
		}
		removed = append(removed, r.Href)
	}
	slices.Sort(removed)
	want := []string{coll + pe.jana.ID + ".vcf", coll + pe.supplier.ID + ".vcf"}
	slices.Sort(want)
	if !slices.Equal(removed, want) {
		t.Fatalf("removals %v, want %v", removed, want)
	}
	if pending, err = pe.st.ProjectClosurePendingDevices(ctx, pe.project.ID); err != nil || len(pending) != 0 {
		t.Fatalf("pending devices after the sync: %v, %v", pending, err)
	}
	// The collection is still there, empty, and serves no contact, not even one jana sees
	// through her book (it is in the book's collection).
	if r := pe.do("jana", "GET", coll+pe.jana.ID+".vcf", nil, ""); r.status != http.StatusNotFound {
		t.Errorf("GET from the closed project: %d", r.status)
	}
	if r := pe.do("jana", "GET", pe.object("jana", "partners", pe.jana.ID), nil, ""); r.status != http.StatusOK {
		t.Errorf("GET from the book: %d", r.status)
	}
	list := `<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>`
	if ms := parseMS(t, pe.do("jana", "PROPFIND", coll, map[string]string{"Depth": "1", "Content-Type": "application/xml"}, list)); len(ms.Responses) != 1 {
		t.Errorf("listing of the closed project: %+v", ms.Responses)
	}

	// Reopened: the contacts come back as changes.
	must(t, pe.st.ReopenProject(ctx, pe.admin, pe.project.ID))
	ms = parseMS(t, pe.do("jana", "REPORT", coll, xmlH, syncReport(ms.SyncToken, 0)))
	if len(ms.Responses) != 2 {
		t.Fatalf("after reopening: %+v", ms.Responses)
	}
	for _, r := range ms.Responses {
		if _, data := r.ok200(); !strings.Contains(data, "BEGIN:VCARD") {
			t.Errorf("after reopening: %+v", r)
		}
	}
}

// TestProjectSyncLost: a member who loses project sync (sync_mode cleared, or removed from
// the project) keeps the collection, empty, while the device may hold its contacts, and a
// sync-collection then removes them, as for a revoked book.
func TestProjectSyncLost(t *testing.T) {
	for _, how := range []string{"sync mode cleared", "member removed"} {
		t.Run(how, func(t *testing.T) {
			pe := newProjectEnv(t)
			ctx := context.Background()
			xmlH := map[string]string{"Content-Type": "application/xml"}
			coll := pe.collection("jana")
			ms := parseMS(t, pe.do("jana", "REPORT", coll, xmlH, syncReport("", 0)))
			if how == "sync mode cleared" {
				must(t, pe.st.PutProjectMember(ctx, pe.admin, pe.project.ID, pe.users["jana"].ID, nil))
			} else {
				must(t, pe.st.DeleteProjectMember(ctx, pe.admin, pe.project.ID, pe.users["jana"].ID))
			}
			books, err := pe.client("jana").FindAddressBooks(ctx, "/dav/addressbooks/jana/")
			must(t, err)
			listed := false
			for _, b := range books {
				listed = listed || strings.Contains(b.Path, pe.project.ID)
			}
			if !listed {
				t.Fatal("the collection vanished while the device holds its contacts")
			}
			ms = parseMS(t, pe.do("jana", "REPORT", coll, xmlH, syncReport(ms.SyncToken, 0)))
			if len(ms.Responses) != 2 || !strings.Contains(ms.Responses[0].Status, " 404 ") {
				t.Fatalf("sync after losing project sync: %+v", ms.Responses)
			}
			if r := pe.do("jana", "PROPFIND", coll, map[string]string{"Depth": "0"}, ""); r.status != http.StatusNotFound {
				t.Errorf("after the removals were told: %d, want 404", r.status)
			}
		})
	}
}
