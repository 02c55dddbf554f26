package web_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kontakt/kontakt/devstack/testdb"
	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/session"
	"github.com/kontakt/kontakt/store"
	"github.com/kontakt/kontakt/store/storetest"
	"github.com/kontakt/kontakt/web"
)

// starts records the workflow starts and signals the work screens ask for.
type starts struct {
	mu    sync.Mutex
	calls []string
}

func (s *starts) add(c string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, c)
	return nil
}

// waitFor waits until call was made (the starts run after the answer).
func (s *starts) waitFor(t *testing.T, call string) {
	t.Helper()
	for i := 0; i < 100; i++ {
		s.mu.Lock()
		ok := slices.Contains(s.calls, call)
		s.mu.Unlock()
		if ok {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Errorf("workflow call %s was not made: %v", call, s.calls)
}

func (s *starts) StartClosure(_ context.Context, id string) error  { return s.add("close " + id) }
func (s *starts) CancelClosure(_ context.Context, id string) error { return s.add("uncancel " + id) }
func (s *starts) StartLaunch(_ context.Context, id string) error   { return s.add("launch " + id) }
func (s *starts) CancelLaunch(_ context.Context, id string) error  { return s.add("cancel " + id) }

const testUI = "http://127.0.0.1:8233"

// newWorkEnv is newEnv with the work screens' workflow starters and a Temporal UI.
func newWorkEnv(t *testing.T) (*env, *starts) {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), testdb.New(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	st := store.New(pool, "CZ")
	sm := session.New(st, session.Options{TTL: time.Hour, MaxFailures: 3, Window: time.Minute, Params: testParams})
	rec := &starts{}
	mux := http.NewServeMux()
	web.Mount(mux, web.NewHandler(web.Deps{Store: st, Sessions: sm,
		Logger:        slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		ProjectCloser: rec, Campaigns: rec, TemporalUIURL: testUI, TemporalNamespace: "default"}))
	mux.Handle("/", http.NotFoundHandler())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &env{t: t, srv: srv, st: st}, rec
}

var (
	openTaskRe = regexp.MustCompile(`data-task="([0-9a-f-]{36})"`)
	doneTaskRe = regexp.MustCompile(`data-done="([0-9a-f-]{36})"`)
	meetingRe  = regexp.MustCompile(`data-meeting="([0-9a-f-]{36})"`)
	activityRe = regexp.MustCompile(`data-activity="([0-9a-f-]{36})"`)
	projectRe  = regexp.MustCompile(`<a href="/projects/([0-9a-f-]{36})">`)
)

func taskKeys(m *storetest.Matrix, ids []string) []string {
	var out []string
	for _, id := range ids {
		out = append(out, m.TaskKey(id))
	}
	sort.Strings(out)
	return out
}

// token is the page's CSRF token.
func token(t *testing.T, p page) string {
	t.Helper()
	tok := matches(csrfRe, p.body)
	if len(tok) == 0 {
		t.Fatalf("no CSRF token on the page: %d %s", p.status, p.body)
	}
	return tok[0]
}

// TestTasksPage: each user's own tasks (open and done), as the store's matrix says; a task
// is completed with outcome and minutes through a form that needs the CSRF token, and a
// task of someone else is 404.
func TestTasksPage(t *testing.T) {
	e, _ := newWorkEnv(t)
	m, err := storetest.SeedMatrix(context.Background(), e.st, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, login := range m.Logins() {
		if m.Users[login].Disabled {
			continue
		}
		p := e.sessionFor(m.Users[login].ID).get("/tasks")
		if p.status != http.StatusOK {
			t.Fatalf("%s: /tasks %d", login, p.status)
		}
		got := append(taskKeys(m, matches(openTaskRe, p.body)), taskKeys(m, matches(doneTaskRe, p.body))...)
		sort.Strings(got)
		if want := m.VisibleTasks(login, true); !slices.Equal(got, want) {
			t.Errorf("%s: tasks %v, want %v", login, got, want)
		}
	}

	cyril := e.sessionFor(m.Users["cyril"].ID)
	p := cyril.get("/tasks")
	if !strings.Contains(p.body, `lang="en"`) || !strings.Contains(p.body, "My tasks") {
		t.Errorf("tasks page title")
	}
	task := m.CRM.Tasks["t-plan"].ID
	tok := token(t, p)
	path := "/tasks/" + task + "/complete"
	if p := cyril.do("POST", path, url.Values{"outcome": {"ok"}, "minutes": {"15"}}); p.status != http.StatusForbidden {
		t.Errorf("complete without token: %d", p.status)
	}
	if p := cyril.do("POST", path, url.Values{"csrf": {tok}, "minutes": {"15"}}, "Origin", "https://evil.example"); p.status != http.StatusForbidden {
		t.Errorf("complete cross-site: %d", p.status)
	}
	if p := cyril.do("POST", path, url.Values{"csrf": {tok}, "outcome": {"ok"}, "minutes": {"many"}}); p.status != http.StatusBadRequest ||
		!strings.Contains(p.body, "whole number") {
		t.Errorf("complete with bad minutes: %d", p.status)
	}
	if p := cyril.do("POST", path, url.Values{"csrf": {tok}, "outcome": {"ok"}, "minutes": {"-5"}}); p.status != http.StatusBadRequest ||
		!strings.Contains(p.body, "minutes_spent") {
		t.Errorf("complete with negative minutes: %d %s", p.status, p.body)
	}
	emil := e.sessionFor(m.Users["emil"].ID)
	if p := emil.do("POST", path, url.Values{"csrf": {token(t, emil.get("/tasks"))}, "minutes": {"5"}}); p.status != http.StatusNotFound {
		t.Errorf("emil completes cyril's task: %d", p.status)
	}
	if tk, _ := e.st.GetTask(context.Background(), m.Actor("cyril"), task); tk.Status != model.TaskOpen {
		t.Fatalf("a refused completion changed the task: %s", tk.Status)
	}
	p = cyril.do("POST", path, url.Values{"csrf": {tok}, "outcome": {"Hotovo včas"}, "minutes": {"15"}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/tasks" {
		t.Fatalf("complete: %d %s", p.status, p.body)
	}
	tk, err := e.st.GetTask(context.Background(), m.Actor("cyril"), task)
	if err != nil || tk.Status != model.TaskDone || tk.MinutesSpent == nil || *tk.MinutesSpent != 15 || tk.Outcome != "Hotovo včas" {
		t.Fatalf("completed task: %+v %v", tk, err)
	}
	p = cyril.get("/tasks")
	if !slices.Contains(matches(doneTaskRe, p.body), task) || slices.Contains(matches(openTaskRe, p.body), task) {
		t.Errorf("the completed task is not among the done ones")
	}
	if p := cyril.do("POST", path, url.Values{"csrf": {tok}, "minutes": {"1"}}); p.status != http.StatusConflict {
		t.Errorf("complete twice: %d", p.status)
	}
}

// TestProjectPages: projects and their meetings as the matrix says, 404 for others; the lead
// closes a project (token needed), the closure's workflow is started and its progress shown
// with the Temporal UI link; a member may not.
func TestProjectPages(t *testing.T) {
	e, rec := newWorkEnv(t)
	m, err := storetest.SeedMatrix(context.Background(), e.st, "")
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for name, p := range m.Projects {
		names[p.ID] = name
	}
	for _, login := range m.Logins() {
		if m.Users[login].Disabled {
			continue
		}
		b := e.sessionFor(m.Users[login].ID)
		var got []string
		for _, id := range matches(projectRe, b.get("/projects").body) {
			got = append(got, names[id])
		}
		sort.Strings(got)
		if want := m.VisibleProjects(login); !slices.Equal(got, want) {
			t.Errorf("%s: projects %v, want %v", login, got, want)
		}
		for name, pr := range m.Projects {
			p := b.get("/projects/" + pr.ID)
			if !m.SeesProject(login, name) {
				if p.status != http.StatusNotFound {
					t.Errorf("%s: project %s %d, want 404", login, name, p.status)
				}
				continue
			}
			if p.status != http.StatusOK {
				t.Fatalf("%s: project %s %d", login, name, p.status)
			}
			var meetings []string
			for _, id := range matches(meetingRe, p.body) {
				for k, mt := range m.Meetings {
					if mt.ID == id {
						meetings = append(meetings, k)
					}
				}
			}
			sort.Strings(meetings)
			if want := m.VisibleMeetingsOfProject(login, name); !slices.Equal(meetings, want) {
				t.Errorf("%s: meetings of %s %v, want %v", login, name, meetings, want)
			}
		}
	}

	p1 := m.Projects["P1"].ID
	emil := e.sessionFor(m.Users["emil"].ID)
	p := emil.get("/projects/" + p1)
	if strings.Contains(p.body, "/close") {
		t.Error("a member sees the close form")
	}
	if p := emil.do("POST", "/projects/"+p1+"/close", url.Values{"csrf": {token(t, p)}, "grace_hours": {"1"}}); p.status != http.StatusForbidden {
		t.Errorf("a member closes the project: %d", p.status)
	}
	cyril := e.sessionFor(m.Users["cyril"].ID)
	p = cyril.get("/projects/" + p1)
	if !strings.Contains(p.body, `action="/projects/`+p1+`/close"`) {
		t.Fatal("the lead has no close form")
	}
	tok := token(t, p)
	if p := cyril.do("POST", "/projects/"+p1+"/close", url.Values{"grace_hours": {"1"}}); p.status != http.StatusForbidden {
		t.Errorf("close without token: %d", p.status)
	}
	if p := cyril.do("POST", "/projects/"+p1+"/close", url.Values{"csrf": {tok}, "grace_hours": {"-1"}}); p.status != http.StatusBadRequest {
		t.Errorf("close with a negative grace: %d", p.status)
	}
	if pr, _ := e.st.GetProject(context.Background(), m.Actor("cyril"), p1); pr.Status != model.ProjectActive {
		t.Fatalf("a refused close changed the project: %s", pr.Status)
	}
	p = cyril.do("POST", "/projects/"+p1+"/close", url.Values{"csrf": {tok}, "grace_hours": {"2"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("close: %d %s", p.status, p.body)
	}
	rec.waitFor(t, "close "+p1)
	p = cyril.get("/projects/" + p1)
	if !strings.Contains(p.body, `class="closure-status">closing`) ||
		!strings.Contains(p.body, testUI+"/namespaces/default/workflows/project-closure%2F"+p1) {
		t.Errorf("closure progress: %s", p.body)
	}
	if p := cyril.do("POST", "/projects/"+p1+"/close", url.Values{"csrf": {tok}, "grace_hours": {"2"}}); p.status != http.StatusConflict {
		t.Errorf("close twice: %d", p.status)
	}
}

// TestCampaignPages: owner, reps and admins see a campaign, others 404; the owner previews,
// launches (workflow started) and cancels; a rep may do neither.
func TestCampaignPages(t *testing.T) {
	e, rec := newWorkEnv(t)
	ctx := context.Background()
	m, err := storetest.SeedMatrix(ctx, e.st, "")
	if err != nil {
		t.Fatal(err)
	}
	name, title := "Jaro "+storetest.MatrixWord, "Zavolat"
	c, err := e.st.CreateCampaign(ctx, m.Actor("cyril"), store.CampaignInput{Name: &name, TaskTitle: &title,
		Filter: &model.CampaignFilter{Tags: []string{"matrix"}}, RepIDs: &[]string{m.Users["dana"].ID}})
	if err != nil {
		t.Fatal(err)
	}
	path := "/campaigns/" + c.ID
	for _, login := range m.Logins() {
		if m.Users[login].Disabled {
			continue
		}
		b := e.sessionFor(m.Users[login].ID)
		sees := login == "cyril" || login == "dana" || m.Users[login].IsAdmin
		list := b.get("/campaigns")
		if list.status != http.StatusOK || strings.Contains(list.body, path) != sees {
			t.Errorf("%s: campaign list %d, lists it: %v", login, list.status, !sees)
		}
		want := http.StatusNotFound
		if sees {
			want = http.StatusOK
		}
		if p := b.get(path); p.status != want {
			t.Errorf("%s: campaign %d, want %d", login, p.status, want)
		}
	}
	dana := e.sessionFor(m.Users["dana"].ID)
	p := dana.get(path)
	if strings.Contains(p.body, path+"/launch") || strings.Contains(p.body, path+"/cancel") {
		t.Error("a rep sees the launch or cancel form")
	}
	if p := dana.do("POST", path+"/launch", url.Values{"csrf": {token(t, p)}}); p.status != http.StatusForbidden {
		t.Errorf("a rep launches: %d", p.status)
	}
	cyril := e.sessionFor(m.Users["cyril"].ID)
	p = cyril.get(path)
	pv, _ := e.st.PreviewCampaign(ctx, m.Actor("cyril"), c.ID)
	if !strings.Contains(p.body, "<strong data-preview>"+strconv.Itoa(pv.Targets)+"</strong>") || !strings.Contains(p.body, path+"/launch") {
		t.Fatalf("owner's draft page: %s", p.body)
	}
	tok := token(t, p)
	if p := cyril.do("POST", path+"/launch", url.Values{}); p.status != http.StatusForbidden {
		t.Errorf("launch without token: %d", p.status)
	}
	if p := cyril.do("POST", path+"/launch", url.Values{"csrf": {tok}}); p.status != http.StatusSeeOther {
		t.Fatalf("launch: %d %s", p.status, p.body)
	}
	rec.waitFor(t, "launch "+c.ID)
	p = cyril.get(path)
	if !strings.Contains(p.body, testUI+"/namespaces/default/workflows/campaign-launch%2F"+c.ID) || strings.Contains(p.body, path+"/launch") {
		t.Errorf("launched campaign page: %s", p.body)
	}
	if p := cyril.do("POST", path+"/launch", url.Values{"csrf": {tok}}); p.status != http.StatusConflict {
		t.Errorf("launch twice: %d", p.status)
	}
	if p := cyril.do("POST", path+"/cancel", url.Values{"csrf": {tok}}); p.status != http.StatusSeeOther {
		t.Fatalf("cancel: %d %s", p.status, p.body)
	}
	rec.waitFor(t, "cancel "+c.ID)
	if got, _ := e.st.GetCampaign(ctx, m.Actor("cyril"), c.ID); got.Status != model.CampaignCancelled {
		t.Errorf("cancelled campaign: %s", got.Status)
	}
}

// TestActivitiesOnCard: the card lists the activities the user may see (the matrix), and
// the activity form logs one (token needed; a bad type is 400 and changes nothing).
func TestActivitiesOnCard(t *testing.T) {
	e, _ := newWorkEnv(t)
	m, err := storetest.SeedMatrix(context.Background(), e.st, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, login := range m.Logins() {
		if m.Users[login].Disabled {
			continue
		}
		b := e.sessionFor(m.Users[login].ID)
		for _, key := range m.VisibleContacts(login) {
			p := b.get("/contacts/" + m.Contacts[key].ID)
			var got []string
			for _, id := range matches(activityRe, p.body) {
				got = append(got, m.ActivityKey(id))
			}
			sort.Strings(got)
			if want := m.VisibleActivities(login, key); !slices.Equal(got, want) {
				t.Errorf("%s: activities on %s %v, want %v", login, key, got, want)
			}
		}
	}
	alena := e.sessionFor(m.Users["alena"].ID)
	card := "/contacts/" + m.Contacts["b1-person"].ID
	p := alena.get(card)
	before := len(matches(activityRe, p.body))
	tok := token(t, p)
	if p := alena.do("POST", card+"/activities", url.Values{"type": {"call"}, "body": {"x"}}); p.status != http.StatusForbidden {
		t.Errorf("log without token: %d", p.status)
	}
	if p := alena.do("POST", card+"/activities", url.Values{"csrf": {tok}, "type": {"fax"}, "body": {"x"}}); p.status != http.StatusBadRequest {
		t.Errorf("log a bad type: %d", p.status)
	}
	p = alena.do("POST", card+"/activities", url.Values{"csrf": {tok}, "type": {"visit"}, "body": {"Návštěva na stavbě"}, "minutes": {"45"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("log: %d %s", p.status, p.body)
	}
	p = alena.get(card)
	if n := len(matches(activityRe, p.body)); n != before+1 || !strings.Contains(p.body, "Návštěva na stavbě") {
		t.Errorf("after logging: %d activities (was %d)", n, before)
	}
	hidden := "/contacts/" + m.Contacts["b4-org"].ID
	if !slices.Contains(m.VisibleContacts("alena"), "b4-org") {
		if p := alena.do("POST", hidden+"/activities", url.Values{"csrf": {tok}, "type": {"call"}, "body": {"x"}}); p.status != http.StatusNotFound {
			t.Errorf("log on a contact alena cannot see: %d", p.status)
		}
	}
}
