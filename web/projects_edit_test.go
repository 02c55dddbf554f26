package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
	"github.com/kontakt/kontakt/store/storetest"
)

var (
	locationProjectRe = regexp.MustCompile(`^/projects/([0-9a-f-]{36})$`)
	locationMeetingRe = regexp.MustCompile(`^/projects/[0-9a-f-]{36}/meetings/([0-9a-f-]{36})$`)
)

func seedMatrix(t *testing.T, e *env) *storetest.Matrix {
	t.Helper()
	m, err := storetest.SeedMatrix(context.Background(), e.st, "")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestNewTaskPages: a task is created from My tasks, a contact's card and a project; bad
// input (no title, an assignee who cannot see the contact) is 400 with the reason and
// stores nothing; the form needs the CSRF token; a contact or project the user may not see
// is 404.
func TestNewTaskPages(t *testing.T) {
	e, _ := newWorkEnv(t)
	m := seedMatrix(t, e)
	ctx := context.Background()
	alena := e.sessionFor(m.Users["alena"].ID)
	b1 := m.Contacts["b1-person"]
	if p := alena.get("/tasks"); !strings.Contains(p.body, `href="/tasks/new"`) {
		t.Error("My tasks has no link to a new task")
	}
	card := alena.get("/contacts/" + b1.ID)
	if !strings.Contains(card.body, `href="/tasks/new?contact=`+b1.ID+`"`) {
		t.Error("the card has no link to a new task about the contact")
	}
	p := alena.get("/tasks/new?contact=" + b1.ID)
	if p.status != http.StatusOK || !strings.Contains(p.body, b1.DisplayName) || !strings.Contains(p.body, `name="contact_id" value="`+b1.ID+`"`) {
		t.Fatalf("new task form about b1-person: %d %s", p.status, p.body)
	}
	tok := token(t, p)
	mine := func() int {
		ts, err := e.st.ListTasks(ctx, m.Actor("alena"), store.TaskFilter{Assignee: "any"})
		if err != nil {
			t.Fatal(err)
		}
		return len(ts)
	}
	before := mine()
	form := func(kv ...string) url.Values {
		v := url.Values{"csrf": {tok}, "title": {"Zavolat kvůli nabídce"}, "type": {"call"}, "due_on": {"2026-06-01"},
			"assignee_id": {m.Users["alena"].ID}, "contact_id": {b1.ID}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	if p := alena.do("POST", "/tasks", form("csrf", "")); p.status != http.StatusForbidden {
		t.Errorf("create without token: %d", p.status)
	}
	if p := alena.do("POST", "/tasks", form("title", "  ")); p.status != http.StatusBadRequest || !strings.Contains(p.body, "title") ||
		!strings.Contains(p.body, `role="alert"`) {
		t.Errorf("create without a title: %d", p.status)
	}
	if p := alena.do("POST", "/tasks", form("assignee_id", m.Users["emil"].ID)); p.status != http.StatusBadRequest ||
		!strings.Contains(p.body, "cannot see the task&#39;s contact") {
		t.Errorf("assignee who cannot see the contact: %d %s", p.status, p.body)
	}
	if p := alena.do("POST", "/tasks", form("due_on", "1. 6.")); p.status != http.StatusBadRequest {
		t.Errorf("bad due date: %d", p.status)
	}
	if n := mine(); n != before {
		t.Fatalf("refused forms created %d tasks", n-before)
	}
	p = alena.do("POST", "/tasks", form())
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/contacts/"+b1.ID {
		t.Fatalf("create: %d %s", p.status, p.body)
	}
	ts, _ := e.st.ListTasks(ctx, m.Actor("alena"), store.TaskFilter{ContactID: b1.ID, Status: "open"})
	if !slices.ContainsFunc(ts, func(tk model.Task) bool {
		return tk.Title == "Zavolat kvůli nabídce" && tk.Type == model.TaskCall && tk.DueOn != nil && *tk.DueOn == "2026-06-01"
	}) {
		t.Errorf("the new task is not stored: %+v", ts)
	}
	if p := alena.get("/tasks"); !strings.Contains(p.body, "Zavolat kvůli nabídce") {
		t.Error("the new task is not among alena's open tasks")
	}

	// From a project: its lead and members; the task links to it.
	p1 := m.Projects["P1"]
	emil := e.sessionFor(m.Users["emil"].ID)
	if p := emil.get("/projects/" + p1.ID); !strings.Contains(p.body, `href="/tasks/new?project=`+p1.ID+`"`) {
		t.Error("the project page has no link to a new task")
	}
	p = emil.get("/tasks/new?project=" + p1.ID)
	if p.status != http.StatusOK {
		t.Fatalf("new task form of P1: %d", p.status)
	}
	p = emil.do("POST", "/tasks", url.Values{"csrf": {token(t, p)}, "title": {"Připravit podklady"}, "type": {"todo"},
		"assignee_id": {m.Users["emil"].ID}, "project_id": {p1.ID}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/projects/"+p1.ID {
		t.Fatalf("create in P1: %d %s", p.status, p.body)
	}
	if ts, _ := e.st.ListTasks(ctx, m.Actor("emil"), store.TaskFilter{ProjectID: p1.ID}); !slices.ContainsFunc(ts, func(tk model.Task) bool { return tk.Title == "Připravit podklady" }) {
		t.Errorf("the project's task is not stored: %+v", ts)
	}
	// alena reads no P1: the form and a post naming it refuse.
	if p := alena.get("/tasks/new?project=" + p1.ID); p.status != http.StatusNotFound {
		t.Errorf("alena's form in P1: %d", p.status)
	}
	if p := alena.do("POST", "/tasks", url.Values{"csrf": {tok}, "title": {"x"}, "project_id": {p1.ID}}); p.status != http.StatusBadRequest ||
		strings.Contains(p.body, p1.Name) {
		t.Errorf("alena's task in P1: %d", p.status)
	}
}

// TestProjectCreateAndEdit: any user creates a project (and leads it); bad input is 400 and
// stores nothing; its lead edits it, a member and a stranger get 404 for the form and the
// post.
func TestProjectCreateAndEdit(t *testing.T) {
	e, _ := newWorkEnv(t)
	m := seedMatrix(t, e)
	ctx := context.Background()
	emil := e.sessionFor(m.Users["emil"].ID)
	if p := emil.get("/projects"); !strings.Contains(p.body, `href="/projects/new"`) {
		t.Error("the projects list has no link to a new project")
	}
	p := emil.get("/projects/new")
	if p.status != http.StatusOK || !strings.Contains(p.body, `action="/projects"`) {
		t.Fatalf("new project form: %d", p.status)
	}
	tok := token(t, p)
	count := func() int {
		ps, _ := e.st.ListProjects(ctx, m.Actor("admin"))
		return len(ps)
	}
	before := count()
	form := url.Values{"csrf": {tok}, "name": {"Oprava fasády"}, "description": {"Jižní strana"}, "starts_on": {"2026-05-01"},
		"ends_on": {"2026-09-30"}, "status": {"active"}}
	if p := emil.do("POST", "/projects", url.Values{"name": {"x"}}); p.status != http.StatusForbidden {
		t.Errorf("create without token: %d", p.status)
	}
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("name", " ")
	if p := emil.do("POST", "/projects", bad); p.status != http.StatusBadRequest || !strings.Contains(p.body, "name") {
		t.Errorf("create without a name: %d", p.status)
	}
	bad.Set("name", "Oprava")
	bad.Set("ends_on", "2026-01-01")
	if p := emil.do("POST", "/projects", bad); p.status != http.StatusBadRequest || !strings.Contains(p.body, "ends_on") ||
		!strings.Contains(p.body, `value="Oprava"`) {
		t.Errorf("create ending before it starts: %d %s", p.status, p.body)
	}
	if n := count(); n != before {
		t.Fatalf("refused forms created %d projects", n-before)
	}
	p = emil.do("POST", "/projects", form)
	loc := locationProjectRe.FindStringSubmatch(p.header.Get("Location"))
	if p.status != http.StatusSeeOther || loc == nil {
		t.Fatalf("create: %d %s", p.status, p.body)
	}
	id := loc[1]
	pr, err := e.st.GetProject(ctx, m.Actor("emil"), id)
	if err != nil || pr.Name != "Oprava fasády" || pr.LeadID == nil || *pr.LeadID != m.Users["emil"].ID || pr.StartsOn == nil || *pr.StartsOn != "2026-05-01" {
		t.Fatalf("created project: %+v %v", pr, err)
	}
	page := emil.get("/projects/" + id)
	if !strings.Contains(page.body, `href="/projects/`+id+`/edit"`) || !strings.Contains(page.body, `href="/projects/`+id+`/people"`) {
		t.Error("the lead's project page has no edit and people links")
	}

	// Edit: the lead may; dana (no member) gets 404, as does a member of P1 for P1.
	dana := e.sessionFor(m.Users["dana"].ID)
	danaTok := token(t, dana.get("/tasks"))
	if p := dana.get("/projects/" + id + "/edit"); p.status != http.StatusNotFound {
		t.Errorf("dana's edit form: %d", p.status)
	}
	if p := dana.do("POST", "/projects/"+id+"/edit", url.Values{"csrf": {danaTok}, "name": {"Ukradeno"}}); p.status != http.StatusNotFound {
		t.Errorf("dana edits: %d", p.status)
	}
	if p := emil.get("/projects/" + m.Projects["P1"].ID + "/edit"); p.status != http.StatusNotFound {
		t.Errorf("a member's edit form of P1: %d", p.status)
	}
	if p := emil.get("/projects/" + m.Projects["P1"].ID); strings.Contains(p.body, "/edit\"") {
		t.Error("a member is offered the edit form")
	}
	p = emil.get("/projects/" + id + "/edit")
	if p.status != http.StatusOK || !strings.Contains(p.body, `value="Oprava fasády"`) {
		t.Fatalf("edit form: %d", p.status)
	}
	if p := emil.do("POST", "/projects/"+id+"/edit", url.Values{"csrf": {tok}, "name": {""}}); p.status != http.StatusBadRequest {
		t.Errorf("edit without a name: %d", p.status)
	}
	p = emil.do("POST", "/projects/"+id+"/edit", url.Values{"csrf": {tok}, "name": {"Oprava fasády a střechy"}, "description": {"Celá budova"},
		"starts_on": {"2026-05-01"}, "ends_on": {""}, "status": {"planned"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("edit: %d %s", p.status, p.body)
	}
	pr, _ = e.st.GetProject(ctx, m.Actor("emil"), id)
	if pr.Name != "Oprava fasády a střechy" || pr.Status != model.ProjectPlanned || pr.EndsOn != nil || pr.Description != "Celá budova" {
		t.Errorf("edited project: %+v", pr)
	}
}

// TestProjectPeople: the lead adds and removes members (with or without project sync) and
// involves contacts found by a search, and releases them; the lead stays (409); a member
// gets 404; the forms need the token.
func TestProjectPeople(t *testing.T) {
	e, _ := newWorkEnv(t)
	m := seedMatrix(t, e)
	ctx := context.Background()
	p1 := m.Projects["P1"]
	base := "/projects/" + p1.ID
	cyril := e.sessionFor(m.Users["cyril"].ID)
	p := cyril.get(base + "/people")
	if p.status != http.StatusOK || !strings.Contains(p.body, `data-member="`+m.Users["emil"].ID+`"`) {
		t.Fatalf("people page: %d", p.status)
	}
	tok := token(t, p)
	alenaID := m.Users["alena"].ID
	if p := cyril.do("POST", base+"/members", url.Values{"user_id": {alenaID}}); p.status != http.StatusForbidden {
		t.Errorf("add without token: %d", p.status)
	}
	if p := cyril.do("POST", base+"/members", url.Values{"csrf": {tok}, "user_id": {"nobody"}}); p.status != http.StatusBadRequest {
		t.Errorf("add no user: %d", p.status)
	}
	if p := cyril.do("POST", base+"/members", url.Values{"csrf": {tok}, "user_id": {alenaID}, "sync_mode": {"read"}}); p.status != http.StatusSeeOther {
		t.Fatalf("add alena: %d %s", p.status, p.body)
	}
	pr, _ := e.st.GetProject(ctx, m.Actor("cyril"), p1.ID)
	i := slices.IndexFunc(pr.Members, func(mb model.ProjectMember) bool { return mb.UserID == alenaID })
	if i < 0 || pr.Members[i].SyncMode == nil || *pr.Members[i].SyncMode != "read" {
		t.Fatalf("alena is no syncing member: %+v", pr.Members)
	}
	if p := cyril.do("POST", base+"/members/"+m.Users["cyril"].ID+"/remove", url.Values{"csrf": {tok}}); p.status != http.StatusConflict ||
		!strings.Contains(p.body, "lead") {
		t.Errorf("remove the lead: %d", p.status)
	}
	if p := cyril.do("POST", base+"/members/"+alenaID+"/remove", url.Values{"csrf": {tok}}); p.status != http.StatusSeeOther {
		t.Fatalf("remove alena: %d", p.status)
	}
	if pr, _ := e.st.GetProject(ctx, m.Actor("cyril"), p1.ID); slices.ContainsFunc(pr.Members, func(mb model.ProjectMember) bool { return mb.UserID == alenaID }) {
		t.Error("alena is still a member")
	}

	// Contacts: a search lists the contacts cyril sees that are not involved yet.
	p = cyril.get(base + "/people?q=" + url.QueryEscape(storetest.MatrixWord))
	found := contactKeys(m, matches(foundRe, p.body))
	if !slices.Contains(found, "b3-person") || slices.Contains(found, "b1-org") {
		t.Fatalf("search offers %v", found)
	}
	for _, k := range found {
		if !m.SeesContact("cyril", k) {
			t.Errorf("the search offers %s, whom cyril may not see", k)
		}
	}
	b3 := m.Contacts["b3-person"].ID
	if p := cyril.do("POST", base+"/contacts", url.Values{"csrf": {tok}, "contact_id": {b3}, "role": {strings.Repeat("x", 201)}}); p.status != http.StatusBadRequest {
		t.Errorf("involve with a too long role: %d", p.status)
	}
	if p := cyril.do("POST", base+"/contacts", url.Values{"csrf": {tok}, "contact_id": {b3}, "role": {"architekt"}}); p.status != http.StatusSeeOther {
		t.Fatalf("involve b3-person: %d %s", p.status, p.body)
	}
	pr, _ = e.st.GetProject(ctx, m.Actor("cyril"), p1.ID)
	if !slices.ContainsFunc(pr.Contacts, func(c model.ProjectContact) bool { return c.ContactID == b3 && c.Role == "architekt" }) {
		t.Fatalf("b3-person is not involved: %+v", pr.Contacts)
	}
	b1org := m.Contacts["b1-org"].ID
	if p := cyril.do("POST", base+"/contacts/"+b1org+"/remove", url.Values{"csrf": {tok}}); p.status != http.StatusSeeOther {
		t.Fatalf("release b1-org: %d", p.status)
	}
	if pr, _ := e.st.GetProject(ctx, m.Actor("cyril"), p1.ID); slices.ContainsFunc(pr.Contacts, func(c model.ProjectContact) bool { return c.ContactID == b1org }) {
		t.Error("b1-org is still involved")
	}

	// A member may read the project but not change who is in it.
	emil := e.sessionFor(m.Users["emil"].ID)
	emilTok := token(t, emil.get("/tasks"))
	if p := emil.get(base + "/people"); p.status != http.StatusNotFound {
		t.Errorf("a member's people page: %d", p.status)
	}
	if p := emil.do("POST", base+"/members", url.Values{"csrf": {emilTok}, "user_id": {alenaID}}); p.status != http.StatusNotFound {
		t.Errorf("a member adds a member: %d", p.status)
	}
	if p := emil.do("POST", base+"/contacts/"+b3+"/remove", url.Values{"csrf": {emilTok}}); p.status != http.StatusNotFound {
		t.Errorf("a member releases a contact: %d", p.status)
	}
}

// TestProjectMeetings: a member records a restricted meeting with participants, a grant
// and a contact; a member not on its access list gets 404; its author changes and deletes
// it, another member who sees it may not (403, no form); bad input is 400.
func TestProjectMeetings(t *testing.T) {
	e, _ := newWorkEnv(t)
	m := seedMatrix(t, e)
	ctx := context.Background()
	p1 := m.Projects["P1"]
	base := "/projects/" + p1.ID
	emil := e.sessionFor(m.Users["emil"].ID)
	p := emil.get(base + "/meetings/new")
	if p.status != http.StatusOK || !strings.Contains(p.body, `type="datetime-local"`) {
		t.Fatalf("new meeting form: %d", p.status)
	}
	tok := token(t, p)
	emilID, bohdanID, b1org := m.Users["emil"].ID, m.Users["bohdan"].ID, m.Contacts["b1-org"].ID
	form := url.Values{"csrf": {tok}, "at": {"2026-06-02T14:30"}, "title": {"Kontrolní den"}, "agenda": {"Postup prací"},
		"minutes": {"Vše podle plánu."}, "audience": {"restricted"}, "participants": {emilID}, "granted": {bohdanID}, "contact_ids": {b1org}}
	countMeetings := func() int {
		ms, _ := e.st.ListProjectMeetings(ctx, m.Actor("emil"), p1.ID)
		return len(ms)
	}
	before := countMeetings()
	with := func(k, v string) url.Values {
		c := url.Values{}
		for kk, vv := range form {
			c[kk] = vv
		}
		c.Set(k, v)
		return c
	}
	if p := emil.do("POST", base+"/meetings", with("csrf", "")); p.status != http.StatusForbidden {
		t.Errorf("create without token: %d", p.status)
	}
	if p := emil.do("POST", base+"/meetings", with("at", "zítra")); p.status != http.StatusBadRequest || !strings.Contains(p.body, "at:") {
		t.Errorf("create with a bad time: %d", p.status)
	}
	if p := emil.do("POST", base+"/meetings", with("granted", emilID)); p.status != http.StatusBadRequest || !strings.Contains(p.body, "granted") {
		t.Errorf("a participant also granted: %d", p.status)
	}
	if n := countMeetings(); n != before {
		t.Fatalf("refused forms created %d meetings", n-before)
	}
	p = emil.do("POST", base+"/meetings", form)
	loc := locationMeetingRe.FindStringSubmatch(p.header.Get("Location"))
	if p.status != http.StatusSeeOther || loc == nil {
		t.Fatalf("create: %d %s", p.status, p.body)
	}
	mid := loc[1]
	mt, err := e.st.GetMeeting(ctx, m.Actor("emil"), mid)
	if err != nil || mt.Audience != model.MeetingAudienceRestricted || !slices.Equal(mt.Granted, []string{bohdanID}) ||
		len(mt.Contacts) != 1 || mt.Contacts[0].ContactID != b1org || mt.Minutes != "Vše podle plánu." {
		t.Fatalf("stored meeting: %+v %v", mt, err)
	}
	if p := emil.get(base + "/meetings/" + mid); p.status != http.StatusOK || !strings.Contains(p.body, "Vše podle plánu.") {
		t.Errorf("meeting page: %d", p.status)
	}
	// dana is a member of P1 but not on the access list: absent.
	dana := e.sessionFor(m.Users["dana"].ID)
	danaTok := token(t, dana.get("/tasks"))
	if p := dana.get(base + "/meetings/" + mid); p.status != http.StatusNotFound {
		t.Errorf("dana's view of the restricted meeting: %d", p.status)
	}
	if slices.Contains(matches(meetingRe, dana.get(base).body), mid) {
		t.Error("dana finds the restricted meeting in the project's list")
	}
	if p := dana.do("POST", base+"/meetings/"+mid+"/delete", url.Values{"csrf": {danaTok}}); p.status != http.StatusNotFound {
		t.Errorf("dana deletes the restricted meeting: %d", p.status)
	}

	// The author opens it to the project; dana sees it now but may not change it.
	upd := with("audience", "project")
	upd.Set("title", "Kontrolní den č. 1")
	if p := emil.do("POST", base+"/meetings/"+mid, with("title", "")); p.status != http.StatusBadRequest {
		t.Errorf("update without a title: %d", p.status)
	}
	if p := emil.do("POST", base+"/meetings/"+mid, upd); p.status != http.StatusSeeOther {
		t.Fatalf("update: %d %s", p.status, p.body)
	}
	if mt, _ := e.st.GetMeeting(ctx, m.Actor("emil"), mid); mt.Title != "Kontrolní den č. 1" || mt.Audience != model.MeetingAudienceProject {
		t.Errorf("updated meeting: %+v", mt)
	}
	p = dana.get(base + "/meetings/" + mid)
	if p.status != http.StatusOK || strings.Contains(p.body, `action="`+base+`/meetings/`+mid+`"`) {
		t.Errorf("dana's view of the opened meeting: %d, form offered %v", p.status, strings.Contains(p.body, "/delete"))
	}
	if p := dana.do("POST", base+"/meetings/"+mid, url.Values{"csrf": {danaTok}, "at": {"2026-06-02T14:30"}, "title": {"Moje"}}); p.status != http.StatusForbidden {
		t.Errorf("dana changes emil's meeting: %d", p.status)
	}
	// Under another project's path the meeting is absent.
	if p := e.sessionFor(m.Admin.ID).get("/projects/" + m.Projects["P2"].ID + "/meetings/" + mid); p.status != http.StatusNotFound {
		t.Errorf("meeting under P2: %d", p.status)
	}
	if p := emil.do("POST", base+"/meetings/"+mid+"/delete", url.Values{"csrf": {tok}}); p.status != http.StatusSeeOther {
		t.Fatalf("delete: %d", p.status)
	}
	if _, err := e.st.GetMeeting(ctx, m.Actor("emil"), mid); err != store.ErrNotFound {
		t.Errorf("deleted meeting: %v", err)
	}
}

// TestProjectCollaboration: a member rates an involved contact's delivery (1–5); a rating
// out of range is 400 and stores nothing; the author deletes it, another member may not.
func TestProjectCollaboration(t *testing.T) {
	e, _ := newWorkEnv(t)
	m := seedMatrix(t, e)
	ctx := context.Background()
	p1 := m.Projects["P1"]
	base := "/projects/" + p1.ID + "/collaboration"
	emil := e.sessionFor(m.Users["emil"].ID)
	p := emil.get(base)
	if p.status != http.StatusOK || !strings.Contains(p.body, `name="quality"`) {
		t.Fatalf("collaboration page: %d", p.status)
	}
	tok := token(t, p)
	count := func() int {
		rs, _ := e.st.ListProjectCollaboration(ctx, m.Actor("emil"), p1.ID)
		return len(rs)
	}
	before := count()
	b4 := m.Contacts["b4-person"].ID
	form := url.Values{"csrf": {tok}, "contact_id": {b4}, "delivered": {"Statický posudek"}, "period_from": {"2026-04-01"},
		"period_to": {"2026-04-30"}, "quality": {"4"}, "timeliness": {"5"}, "communication": {""}, "comment": {"Rychle a pečlivě."}}
	with := func(k, v string) url.Values {
		c := url.Values{}
		for kk, vv := range form {
			c[kk] = vv
		}
		c.Set(k, v)
		return c
	}
	if p := emil.do("POST", base, with("csrf", "")); p.status != http.StatusForbidden {
		t.Errorf("create without token: %d", p.status)
	}
	for _, q := range []string{"7", "0", "dobrá"} {
		if p := emil.do("POST", base, with("quality", q)); p.status != http.StatusBadRequest || !strings.Contains(p.body, "quality") {
			t.Errorf("quality %q: %d", q, p.status)
		}
	}
	if p := emil.do("POST", base, with("delivered", "")); p.status != http.StatusBadRequest {
		t.Errorf("nothing delivered: %d", p.status)
	}
	if n := count(); n != before {
		t.Fatalf("refused forms stored %d records", n-before)
	}
	if p := emil.do("POST", base, form); p.status != http.StatusSeeOther {
		t.Fatalf("create: %d %s", p.status, p.body)
	}
	rs, _ := e.st.ListProjectCollaboration(ctx, m.Actor("emil"), p1.ID)
	i := slices.IndexFunc(rs, func(r model.CollaborationRecord) bool { return r.Delivered == "Statický posudek" })
	if i < 0 || rs[i].Quality == nil || *rs[i].Quality != 4 || rs[i].Communication != nil || rs[i].ContactID != b4 {
		t.Fatalf("stored record: %+v", rs)
	}
	rid := rs[i].ID
	p = emil.get(base)
	if !strings.Contains(p.body, "★★★★☆") || !strings.Contains(p.body, base+"/"+rid+"/delete") {
		t.Error("the record is not shown with its rating and delete form")
	}
	// The author changes it: a bad rating is 400 and changes nothing; clearing one is allowed.
	if p := emil.get(base + "/" + rid); p.status != http.StatusOK || !strings.Contains(p.body, `action="`+base+`/`+rid+`"`) ||
		!strings.Contains(p.body, `value="Statický posudek"`) {
		t.Fatalf("edit form: %d", p.status)
	}
	if p := emil.do("POST", base+"/"+rid, with("timeliness", "6")); p.status != http.StatusBadRequest {
		t.Errorf("edit with timeliness 6: %d", p.status)
	}
	if p := emil.do("POST", base+"/"+rid, with("csrf", "")); p.status != http.StatusForbidden {
		t.Errorf("edit without token: %d", p.status)
	}
	if p := emil.do("POST", base+"/"+rid, with("quality", "")); p.status != http.StatusSeeOther {
		t.Fatalf("edit: %d %s", p.status, p.body)
	}
	if r, _ := e.st.GetCollaboration(ctx, m.Actor("emil"), rid); r.Quality != nil || r.Timeliness == nil || *r.Timeliness != 5 {
		t.Errorf("edited record: %+v", r)
	}
	// dana (member, not the author) may neither change nor delete it.
	dana := e.sessionFor(m.Users["dana"].ID)
	if p := dana.get(base); strings.Contains(p.body, base+"/"+rid+"/delete") {
		t.Error("dana is offered to delete emil's record")
	}
	if p := dana.get(base + "/" + rid); p.status != http.StatusNotFound {
		t.Errorf("dana's edit form of emil's record: %d", p.status)
	}
	if p := dana.do("POST", base+"/"+rid+"/delete", url.Values{"csrf": {token(t, dana.get("/tasks"))}}); p.status != http.StatusForbidden {
		t.Errorf("dana deletes emil's record: %d", p.status)
	}
	if p := emil.do("POST", base+"/"+rid+"/delete", url.Values{"csrf": {tok}}); p.status != http.StatusSeeOther {
		t.Fatalf("delete: %d", p.status)
	}
	if _, err := e.st.GetCollaboration(ctx, m.Actor("emil"), rid); err != store.ErrNotFound {
		t.Errorf("deleted record: %v", err)
	}
}

// TestProjectClosureActions: the lead cancels a closure in its grace period (the workflow is
// told) and reopens a closed project; a member may not (403), a stranger gets 404; the
// finished closure is shown as complete.
func TestProjectClosureActions(t *testing.T) {
	e, rec := newWorkEnv(t)
	m := seedMatrix(t, e)
	ctx := context.Background()
	p1 := m.Projects["P1"].ID
	cyril := e.sessionFor(m.Users["cyril"].ID)
	tok := token(t, cyril.get("/projects/"+p1))
	if p := cyril.do("POST", "/projects/"+p1+"/close/cancel", url.Values{"csrf": {tok}}); p.status != http.StatusConflict {
		t.Errorf("cancel a closure that is not running: %d", p.status)
	}
	if p := cyril.do("POST", "/projects/"+p1+"/close", url.Values{"csrf": {tok}, "grace_hours": {"24"}}); p.status != http.StatusSeeOther {
		t.Fatalf("close: %d", p.status)
	}
	p := cyril.get("/projects/" + p1)
	if !strings.Contains(p.body, `action="/projects/`+p1+`/close/cancel"`) || strings.Contains(p.body, `/reopen"`) {
		t.Fatalf("closing project page: %s", p.body)
	}
	emil := e.sessionFor(m.Users["emil"].ID)
	emilTok := token(t, emil.get("/tasks"))
	if p := emil.do("POST", "/projects/"+p1+"/close/cancel", url.Values{"csrf": {emilTok}}); p.status != http.StatusForbidden {
		t.Errorf("a member cancels: %d", p.status)
	}
	alena := e.sessionFor(m.Users["alena"].ID)
	if p := alena.do("POST", "/projects/"+p1+"/close/cancel", url.Values{"csrf": {token(t, alena.get("/tasks"))}}); p.status != http.StatusNotFound {
		t.Errorf("a stranger cancels: %d", p.status)
	}
	if p := cyril.do("POST", "/projects/"+p1+"/close/cancel", url.Values{}); p.status != http.StatusForbidden {
		t.Errorf("cancel without token: %d", p.status)
	}
	if pr, _ := e.st.GetProject(ctx, m.Actor("cyril"), p1); pr.Status != model.ProjectClosing {
		t.Fatalf("refused cancels changed the project: %s", pr.Status)
	}
	if p := cyril.do("POST", "/projects/"+p1+"/close/cancel", url.Values{"csrf": {tok}}); p.status != http.StatusSeeOther {
		t.Fatalf("cancel: %d %s", p.status, p.body)
	}
	rec.waitFor(t, "uncancel "+p1)
	if pr, _ := e.st.GetProject(ctx, m.Actor("cyril"), p1); pr.Status != model.ProjectActive {
		t.Errorf("after cancelling: %s", pr.Status)
	}

	// Closed (as the workflow would), then reopened.
	if err := e.st.RequestProjectClosure(ctx, m.Actor("cyril"), p1, 0); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.st.FinishProjectClosure(ctx, p1); err != nil {
		t.Fatal(err)
	}
	p = cyril.get("/projects/" + p1)
	if !strings.Contains(p.body, `action="/projects/`+p1+`/reopen"`) || strings.Contains(p.body, "Closure complete") {
		t.Fatalf("closed project page: %s", p.body)
	}
	if err := e.st.CompleteProjectClosure(ctx, p1, nil); err != nil {
		t.Fatal(err)
	}
	if p := cyril.get("/projects/" + p1); !strings.Contains(p.body, "Closure complete") {
		t.Error("a completed closure is not shown as complete")
	}
	if p := emil.do("POST", "/projects/"+p1+"/reopen", url.Values{"csrf": {emilTok}}); p.status != http.StatusForbidden {
		t.Errorf("a member reopens: %d", p.status)
	}
	if p := cyril.do("POST", "/projects/"+p1+"/reopen", url.Values{"csrf": {tok}}); p.status != http.StatusSeeOther {
		t.Fatalf("reopen: %d %s", p.status, p.body)
	}
	if pr, _ := e.st.GetProject(ctx, m.Actor("cyril"), p1); pr.Status != model.ProjectActive {
		t.Errorf("after reopening: %s", pr.Status)
	}
	if p := cyril.do("POST", "/projects/"+p1+"/reopen", url.Values{"csrf": {tok}}); p.status != http.StatusConflict {
		t.Errorf("reopen an active project: %d", p.status)
	}
}
