package storetest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// The CRM part of the matrix: activities (open and restricted), tasks about matrix
// contacts (some completed, which records their activities and worklog), and an event with
// invitations; and the expected visibility of each, worked out in Go from the fixture
// (never from the SQL policy).

// matrixActivity is what the fixture says of an activity.
type matrixActivity struct {
	contact, author string
	audience        []string // "u:login" / "g:name"; nil: everyone who sees the contact
}

// matrixActivities:
//
//	a-open        on b1-person by alena, audience contact
//	a-restricted  on b1-org by bohdan for dana (who sees b1-org through P1) and group G2:
//	              bohdan, dana and cyril (G2) see it; alena, emil (P1) and admin do not
//	a-b4          on b4-person by admin, audience contact: admin, and emil, dana, cyril via P1
var matrixActivities = map[string]matrixActivity{
	"a-open":       {contact: "b1-person", author: "alena"},
	"a-restricted": {contact: "b1-org", author: "bohdan", audience: []string{"u:dana", "g:G2"}},
	"a-b4":         {contact: "b4-person", author: "admin"},
}

// matrixTask is what the fixture says of a task; minutes > 0 completes it (by its
// assignee), which for a call or meeting about a contact records an activity with the
// audience contact.
type matrixTask struct {
	creator, assignee, contact, project string
	event                               bool // a task of the event E1's plan
	typ                                 model.TaskType
	minutes                             int
}

// matrixTasks:
//
//	t-b1     call by admin for alena about b1-person, done (10 min): alena, admin
//	t-b4     meeting by cyril for emil about b4-person in P1 (lead cyril), done (30 min):
//	         cyril, emil, admin
//	t-none   todo by dana for herself, no contact, done (5 min): dana, admin
//	t-lost   call by bohdan for frantisek about b1-org: bohdan, admin (frantisek is
//	         disabled at the end)
//	t-p2     call by admin for himself about b3-person in closed P2 (lead admin): admin
//	         only; cyril sees b3-person but not the task
//	t-plan   todo by cyril for himself in E1's plan: cyril, admin, and alena (E1's staff)
//	t-event  call by cyril for himself about b3-person in E1's plan: cyril, admin; not
//	         alena, E1's staff, who cannot see b3-person
var matrixTasks = map[string]matrixTask{
	"t-b1":    {creator: "admin", assignee: "alena", contact: "b1-person", typ: model.TaskCall, minutes: 10},
	"t-b4":    {creator: "cyril", assignee: "emil", contact: "b4-person", project: "P1", typ: model.TaskMeeting, minutes: 30},
	"t-none":  {creator: "dana", assignee: "dana", typ: model.TaskTodo, minutes: 5},
	"t-lost":  {creator: "bohdan", assignee: "frantisek", contact: "b1-org", typ: model.TaskCall},
	"t-p2":    {creator: "admin", assignee: "admin", contact: "b3-person", project: "P2", typ: model.TaskCall},
	"t-plan":  {creator: "cyril", assignee: "cyril", event: true, typ: model.TaskTodo},
	"t-event": {creator: "cyril", assignee: "cyril", contact: "b3-person", event: true, typ: model.TaskCall},
}

// matrixEvent E1 is owned by cyril with alena as staff; it invites b1-person, b2-person,
// b3-person and b4-person. Admin and cyril see all four invitations, alena only
// b1-person's; everyone else does not see the event.
var (
	matrixEventOwner = "cyril"
	matrixEventStaff = []string{"alena"}
	matrixInvited    = []string{"b1-person", "b2-person", "b3-person", "b4-person"}
)

// CRM is the seeded CRM part of the matrix.
type CRM struct {
	Activities map[string]model.Activity // by key; completed call/meeting tasks add "<task>-activity"
	Tasks      map[string]model.Task
	Event      model.Event

	activities map[string]matrixActivity
}

// seedCRM creates the CRM part of the matrix through the store, each thing by its author;
// it runs before frantisek is disabled.
func (m *Matrix) seedCRM(ctx context.Context, st *store.Store) error {
	m.CRM = &CRM{Activities: map[string]model.Activity{}, Tasks: map[string]model.Task{}, activities: maps.Clone(matrixActivities)}
	at := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	for _, key := range slices.Sorted(maps.Keys(matrixActivities)) {
		ma := matrixActivities[key]
		in := model.Activity{ContactID: m.Contacts[ma.contact].ID, Type: model.ActivityCall, OccurredAt: at, Body: "Hovor " + key}
		if ma.audience != nil {
			in.Audience = model.AudienceRestricted
			for _, a := range ma.audience {
				if a[:2] == "u:" {
					in.Users = append(in.Users, m.Users[a[2:]].ID)
				} else {
					in.Groups = append(in.Groups, m.Groups[a[2:]].ID)
				}
			}
		}
		created, err := st.CreateActivity(ctx, m.Actor(ma.author), in)
		if err != nil {
			return fmt.Errorf("activity %s: %w", key, err)
		}
		m.CRM.Activities[key] = created
	}
	ev, err := st.CreateEvent(ctx, m.Actor(matrixEventOwner), model.EventInput{Name: ptr("E1 " + MatrixWord), StartsAt: &at})
	if err != nil {
		return err
	}
	for _, l := range matrixEventStaff {
		if err := st.PutEventStaff(ctx, m.Actor(matrixEventOwner), ev.ID, m.Users[l].ID); err != nil {
			return err
		}
	}
	for _, k := range matrixInvited {
		if _, err := st.PutInvitation(ctx, m.Actor("admin"), ev.ID, m.Contacts[k].ID); err != nil {
			return fmt.Errorf("invite %s: %w", k, err)
		}
	}
	m.CRM.Event = ev
	for _, key := range slices.Sorted(maps.Keys(matrixTasks)) {
		mt := matrixTasks[key]
		in := model.TaskInput{Title: "Úkol " + key, Type: mt.typ, AssigneeID: ptr(m.Users[mt.assignee].ID)}
		if mt.contact != "" {
			in.ContactID = ptr(m.Contacts[mt.contact].ID)
		}
		if mt.project != "" {
			in.ProjectID = ptr(m.Projects[mt.project].ID)
		}
		if mt.event {
			in.EventID = ptr(m.CRM.Event.ID)
		}
		created, err := st.CreateTask(ctx, m.Actor(mt.creator), in)
		if err != nil {
			return fmt.Errorf("task %s: %w", key, err)
		}
		if mt.minutes > 0 {
			if created, err = st.CompleteTask(ctx, m.Actor(mt.assignee), created.ID,
				model.TaskCompletion{Outcome: "hotovo", MinutesSpent: ptr(mt.minutes)}); err != nil {
				return fmt.Errorf("complete %s: %w", key, err)
			}
			if created.ActivityID != nil {
				a, err := st.GetActivity(ctx, m.Actor(mt.assignee), *created.ActivityID)
				if err != nil {
					return err
				}
				m.CRM.Activities[key+"-activity"] = a
				m.CRM.activities[key+"-activity"] = matrixActivity{contact: mt.contact, author: mt.assignee}
			}
		}
		m.CRM.Tasks[key] = created
	}
	return nil
}

// SeesActivity reports whether login may see activity key: its contact, and for a
// restricted one, being its author or in its audience.
func (m *Matrix) SeesActivity(login, key string) bool {
	a := m.CRM.activities[key]
	if !m.SeesContact(login, a.contact) {
		return false
	}
	if a.audience == nil || a.author == login {
		return true
	}
	for _, x := range a.audience {
		if x == "u:"+login || x[:2] == "g:" && m.inGroup(login, x[2:]) {
			return true
		}
	}
	return false
}

// ActivityKeys lists every activity key, sorted.
func (m *Matrix) ActivityKeys() []string { return slices.Sorted(maps.Keys(m.CRM.activities)) }

// VisibleActivities returns the keys of the activities on contact that login may see.
func (m *Matrix) VisibleActivities(login, contact string) []string {
	var out []string
	for _, k := range m.ActivityKeys() {
		if m.CRM.activities[k].contact == contact && m.SeesActivity(login, k) {
			out = append(out, k)
		}
	}
	return out
}

// ActivityKey returns the key of the activity with id, "" for none.
func (m *Matrix) ActivityKey(id string) string {
	for k, a := range m.CRM.Activities {
		if a.ID == id {
			return k
		}
	}
	return ""
}

// SeesTask reports whether login may see task key: an enabled assignee, creator, admin,
// lead of its project or owner or staff of its event, and only while they see its contact.
func (m *Matrix) SeesTask(login, key string) bool {
	t := matrixTasks[key]
	u := m.Users[login]
	if u.Disabled {
		return false
	}
	related := t.assignee == login || t.creator == login || u.IsAdmin ||
		t.project != "" && len(m.projectMembers[t.project]) > 0 && m.projectMembers[t.project][0] == login ||
		t.event && m.SeesEvent(login)
	return related && (t.contact == "" || m.SeesContact(login, t.contact))
}

// TaskKeys lists every task key, sorted.
func (m *Matrix) TaskKeys() []string { return slices.Sorted(maps.Keys(matrixTasks)) }

// VisibleTasks returns the keys of the tasks login sees, sorted; mine keeps those assigned
// to login.
func (m *Matrix) VisibleTasks(login string, mine bool) []string {
	var out []string
	for _, k := range m.TaskKeys() {
		if m.SeesTask(login, k) && (!mine || matrixTasks[k].assignee == login) {
			out = append(out, k)
		}
	}
	return out
}

// TaskKey returns the key of the task with id, "" for none.
func (m *Matrix) TaskKey(id string) string {
	for k, t := range m.CRM.Tasks {
		if t.ID == id {
			return k
		}
	}
	return ""
}

// Worklog returns the minutes of the completed tasks login sees, by assignee login.
func (m *Matrix) Worklog(login string) map[string]int {
	out := map[string]int{}
	for _, k := range m.VisibleTasks(login, false) {
		if t := matrixTasks[k]; t.minutes > 0 {
			out[t.assignee] += t.minutes
		}
	}
	return out
}

// SeesEvent reports whether login sees E1: admins, its owner and staff.
func (m *Matrix) SeesEvent(login string) bool {
	u := m.Users[login]
	return !u.Disabled && (u.IsAdmin || login == matrixEventOwner || slices.Contains(matrixEventStaff, login))
}

// VisibleInvitations returns the contact keys of E1's invitations login sees, sorted.
func (m *Matrix) VisibleInvitations(login string) []string {
	out := []string{}
	if !m.SeesEvent(login) {
		return out
	}
	for _, k := range matrixInvited {
		if m.SeesContact(login, k) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
