package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
	"github.com/kontakt/kontakt/store/storetest"
)

var locationEventRe = regexp.MustCompile(`^/events/([0-9a-f-]{36})$`)

// TestEventPages: a user creates an event (bad input is 400 and stores nothing), edits it,
// chooses its staff, invites contacts found by a search, records their RSVP and withdraws an
// invitation; staff may organise but not choose staff or delete; every form needs the
// token.
func TestEventPages(t *testing.T) {
	e, _ := newWorkEnv(t)
	m := seedMatrix(t, e)
	ctx := context.Background()
	dana := e.sessionFor(m.Users["dana"].ID)
	if p := dana.get("/events"); p.status != http.StatusOK || !strings.Contains(p.body, `href="/events/new"`) ||
		strings.Contains(p.body, m.CRM.Event.ID) {
		t.Fatalf("dana's events: %d", p.status)
	}
	p := dana.get("/events/new")
	if p.status != http.StatusOK {
		t.Fatalf("new event form: %d", p.status)
	}
	tok := token(t, p)
	form := url.Values{"csrf": {tok}, "name": {"Den otevřených dveří"}, "kind": {"experience"}, "starts_at": {"2026-09-12T10:00"},
		"ends_at": {"2026-09-12T16:00"}, "venue": {"Sklad Brno, Vídeňská 12"}, "description": {"Prohlídka skladu"}}
	with := func(k, v string) url.Values {
		c := url.Values{}
		for kk, vv := range form {
			c[kk] = vv
		}
		c.Set(k, v)
		return c
	}
	countEvents := func() int {
		es, _ := e.st.ListEvents(ctx, m.Actor("admin"))
		return len(es)
	}
	before := countEvents()
	if p := dana.do("POST", "/events", with("csrf", "")); p.status != http.StatusForbidden {
		t.Errorf("create without token: %d", p.status)
	}
	for k, v := range map[string]string{"name": " ", "starts_at": "brzy", "ends_at": "2026-09-11T10:00", "kind": "party"} {
		if p := dana.do("POST", "/events", with(k, v)); p.status != http.StatusBadRequest || !strings.Contains(p.body, k) {
			t.Errorf("create with %s=%q: %d", k, v, p.status)
		}
	}
	if n := countEvents(); n != before {
		t.Fatalf("refused forms created %d events", n-before)
	}
	p = dana.do("POST", "/events", form)
	loc := locationEventRe.FindStringSubmatch(p.header.Get("Location"))
	if p.status != http.StatusSeeOther || loc == nil {
		t.Fatalf("create: %d %s", p.status, p.body)
	}
	id := loc[1]
	ev, err := e.st.GetEvent(ctx, m.Actor("dana"), id)
	want := time.Date(2026, 9, 12, 10, 0, 0, 0, time.Local)
	if err != nil || ev.Name != "Den otevřených dveří" || !ev.StartsAt.Equal(want) || ev.EndsAt == nil || ev.Venue != "Sklad Brno, Vídeňská 12" ||
		ev.Kind != "experience" || ev.OwnerID == nil || *ev.OwnerID != m.Users["dana"].ID {
		t.Fatalf("stored event: %+v %v", ev, err)
	}
	path := "/events/" + id
	if p := dana.get("/events"); !strings.Contains(p.body, `href="`+path+`"`) {
		t.Error("the new event is not listed")
	}
	// Edit.
	if p := dana.get(path + "/edit"); p.status != http.StatusOK || !strings.Contains(p.body, `value="2026-09-12T10:00"`) {
		t.Errorf("edit form: %d", p.status)
	}
	if p := dana.do("POST", path+"/edit", with("name", "")); p.status != http.StatusBadRequest {
		t.Errorf("edit without a name: %d", p.status)
	}
	if p := dana.do("POST", path+"/edit", with("venue", "Sklad Brno, brána 2")); p.status != http.StatusSeeOther {
		t.Fatalf("edit: %d %s", p.status, p.body)
	}
	if ev, _ := e.st.GetEvent(ctx, m.Actor("dana"), id); ev.Venue != "Sklad Brno, brána 2" {
		t.Errorf("edited venue: %q", ev.Venue)
	}

	// Staff: the owner adds emil, who then sees and organises the event.
	emil := e.sessionFor(m.Users["emil"].ID)
	emilTok := token(t, emil.get("/tasks"))
	if p := emil.get(path); p.status != http.StatusNotFound {
		t.Errorf("emil before he is staff: %d", p.status)
	}
	if p := dana.do("POST", path+"/staff", url.Values{"csrf": {tok}, "user_id": {"x"}}); p.status != http.StatusBadRequest {
		t.Errorf("add no user: %d", p.status)
	}
	if p := dana.do("POST", path+"/staff", url.Values{"csrf": {tok}, "user_id": {m.Users["emil"].ID}}); p.status != http.StatusSeeOther {
		t.Fatalf("add staff: %d %s", p.status, p.body)
	}
	if ev, _ := e.st.GetEvent(ctx, m.Actor("dana"), id); !slices.Contains(ev.Staff, m.Users["emil"].ID) {
		t.Fatalf("emil is no staff: %v", ev.Staff)
	}
	p = emil.get(path)
	if p.status != http.StatusOK || strings.Contains(p.body, path+"/staff\"") || strings.Contains(p.body, path+"/delete") {
		t.Errorf("staff's event page: %d (offers staff or delete forms)", p.status)
	}
	if p := emil.do("POST", path+"/staff", url.Values{"csrf": {emilTok}, "user_id": {m.Users["alena"].ID}}); p.status != http.StatusForbidden {
		t.Errorf("staff chooses staff: %d", p.status)
	}
	if p := emil.do("POST", path+"/delete", url.Values{"csrf": {emilTok}}); p.status != http.StatusForbidden {
		t.Errorf("staff deletes: %d", p.status)
	}

	// Invitations: dana (G2: sees B2) finds and invites b2-person; emil (P1) b4-person.
	p = dana.get(path + "?q=" + url.QueryEscape(storetest.MatrixWord))
	found := contactKeys(m, matches(foundRe, p.body))
	if !slices.Contains(found, "b2-person") {
		t.Fatalf("dana's search offers %v", found)
	}
	b2 := m.Contacts["b2-person"].ID
	if p := dana.do("POST", path+"/invitations", url.Values{"contact_id": {b2}}); p.status != http.StatusForbidden {
		t.Errorf("invite without token: %d", p.status)
	}
	if p := dana.do("POST", path+"/invitations", url.Values{"csrf": {tok}, "contact_id": {b2}}); p.status != http.StatusSeeOther {
		t.Fatalf("invite: %d %s", p.status, p.body)
	}
	b4 := m.Contacts["b4-person"].ID
	if p := emil.do("POST", path+"/invitations", url.Values{"csrf": {emilTok}, "contact_id": {b4}}); p.status != http.StatusSeeOther {
		t.Fatalf("emil invites: %d", p.status)
	}
	// emil may not see b3-person: inviting it is 404, and nothing is stored.
	if p := emil.do("POST", path+"/invitations", url.Values{"csrf": {emilTok}, "contact_id": {m.Contacts["b3-person"].ID}}); p.status != http.StatusNotFound {
		t.Errorf("emil invites a contact he may not see: %d", p.status)
	}
	invs, _ := e.st.ListInvitations(ctx, m.Actor("admin"), id)
	if len(invs) != 2 {
		t.Fatalf("invitations: %+v", invs)
	}
	// emil does not see b2-person: its invitation is absent from his page; dana sees both.
	if got := contactKeys(m, matches(invitationRe, emil.get(path).body)); !slices.Equal(got, []string{"b4-person"}) {
		t.Errorf("emil's invitation list: %v", got)
	}
	if got := contactKeys(m, matches(invitationRe, dana.get(path).body)); !slices.Equal(got, []string{"b2-person", "b4-person"}) {
		t.Errorf("dana's invitation list: %v", got)
	}
	// RSVP: a bad status is 400; accepted is stored with the time of the answer.
	if p := dana.do("POST", path+"/invitations/"+b2+"/status", url.Values{"csrf": {tok}, "status": {"maybe"}}); p.status != http.StatusBadRequest {
		t.Errorf("bad status: %d", p.status)
	}
	if p := dana.do("POST", path+"/invitations/"+b2+"/status", url.Values{"csrf": {tok}, "status": {"accepted"}}); p.status != http.StatusSeeOther {
		t.Fatalf("status: %d", p.status)
	}
	invs, _ = e.st.ListInvitations(ctx, m.Actor("dana"), id)
	if len(invs) != 2 || invs[0].ContactID != b2 || invs[0].Status != model.InvitationAccepted || invs[0].RespondedAt == nil {
		t.Errorf("after accepting: %+v", invs)
	}
	if p := dana.get(path); !strings.Contains(p.body, "rsvp-accepted") {
		t.Error("the page does not show the RSVP")
	}
	if p := emil.do("POST", path+"/invitations/"+b2+"/cancel", url.Values{"csrf": {emilTok}}); p.status != http.StatusNotFound {
		t.Errorf("emil withdraws an invitation he may not see: %d", p.status)
	}
	if p := emil.do("POST", path+"/invitations/"+b2+"/status", url.Values{"csrf": {emilTok}, "status": {"declined"}}); p.status != http.StatusNotFound {
		t.Errorf("emil answers for an invitee he may not see: %d", p.status)
	}
	if p := dana.do("POST", path+"/invitations/"+b2+"/cancel", url.Values{"csrf": {tok}}); p.status != http.StatusSeeOther {
		t.Fatalf("withdraw: %d", p.status)
	}
	if invs, _ := e.st.ListInvitations(ctx, m.Actor("admin"), id); len(invs) != 1 || invs[0].ContactID != b4 {
		t.Errorf("after withdrawing: %+v", invs)
	}
	// Remove emil from the staff, then delete the event.
	if p := dana.do("POST", path+"/staff/"+m.Users["emil"].ID+"/remove", url.Values{"csrf": {tok}}); p.status != http.StatusSeeOther {
		t.Fatalf("remove staff: %d", p.status)
	}
	if p := emil.get(path); p.status != http.StatusNotFound {
		t.Errorf("emil after leaving the staff: %d", p.status)
	}
	if p := dana.do("POST", path+"/delete", url.Values{"csrf": {tok}}); p.status != http.StatusSeeOther || p.header.Get("Location") != "/events" {
		t.Fatalf("delete: %d", p.status)
	}
	if _, err := e.st.GetEvent(ctx, m.Actor("dana"), id); err != store.ErrNotFound {
		t.Errorf("deleted event: %v", err)
	}
	// Czech.
	if _, err := e.st.UpdateUser(ctx, store.Actor{Channel: model.ChannelSystem}, m.Users["dana"].ID, store.UserPatch{Locale: ptr("cs")}); err != nil {
		t.Fatal(err)
	}
	if p := dana.get("/events/new"); !strings.Contains(p.body, "Nová akce") || !strings.Contains(p.body, "Začátek") {
		t.Error("the event form is not Czech for a Czech user")
	}
}

func ptr[T any](v T) *T { return &v }
