package api_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"testing"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
	"github.com/kontakt/kontakt/store/storetest"
)

// checkProjectMatrixAPI holds the API's project routes to the matrix for one (enabled)
// user: projects, meetings, collaboration records, summaries and the supplier quality
// report; what the user may not see answers 404 (writes too), and is absent from lists,
// counts, search and the report.
func checkProjectMatrixAPI(t *testing.T, c *client, m *storetest.Matrix, login string) {
	t.Helper()
	getList := func(path string, v any) bool {
		t.Helper()
		r := c.do("GET", path, nil)
		if r.status == http.StatusNotFound {
			return false
		}
		if r.status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, r.status, r.body)
		}
		r.json(t, v)
		return true
	}
	want404 := func(method, path string, body any) {
		t.Helper()
		if r := c.do(method, path, body); r.status != http.StatusNotFound {
			t.Errorf("%s %s: %d, want 404", method, path, r.status)
		}
	}

	// projects
	for _, name := range m.ProjectNames() {
		var p model.Project
		path := "/api/projects/" + m.Projects[name].ID
		if seen := getList(path, &p); seen != m.SeesProject(login, name) {
			t.Errorf("GET project %s: seen=%v, want %v", name, seen, !seen)
			continue
		} else if !seen {
			want404("PATCH", path, map[string]any{"name": "x"})
			continue
		}
		var got []string
		for _, ct := range p.Contacts {
			got = append(got, m.ContactKey(ct.ContactID))
		}
		sort.Strings(got)
		if want := m.ProjectContacts(login, name); !slices.Equal(got, want) {
			t.Errorf("contacts of project %s: %v, want %v", name, got, want)
		}
	}
	var ps []model.Project
	getList("/api/projects", &ps)
	var gotProjects []string
	for _, p := range ps {
		for name, mp := range m.Projects {
			if mp.ID == p.ID {
				gotProjects = append(gotProjects, name)
			}
		}
	}
	sort.Strings(gotProjects)
	if want := m.VisibleProjects(login); !slices.Equal(gotProjects, want) {
		t.Errorf("projects: %v, want %v", gotProjects, want)
	}

	// meetings
	meetingKeys := func(ms []model.Meeting) []string {
		var out []string
		for _, mt := range ms {
			out = append(out, m.MeetingKey(mt.ID))
		}
		sort.Strings(out)
		return out
	}
	for _, key := range m.MeetingKeys() {
		var mt model.Meeting
		path := "/api/meetings/" + m.Meetings[key].ID
		if seen := getList(path, &mt); seen != m.SeesMeeting(login, key) {
			t.Errorf("GET meeting %s: seen=%v", key, seen)
			continue
		} else if !seen {
			want404("PATCH", path, map[string]any{"title": "x"})
			want404("DELETE", path, nil)
			continue
		}
		var got []string
		for _, ct := range mt.Contacts {
			got = append(got, m.ContactKey(ct.ContactID))
		}
		sort.Strings(got)
		if want := m.MeetingContacts(login, key); !slices.Equal(got, want) {
			t.Errorf("contacts of meeting %s: %v, want %v", key, got, want)
		}
	}
	for _, name := range m.ProjectNames() {
		var ms []model.Meeting
		if !getList("/api/projects/"+m.Projects[name].ID+"/meetings", &ms) {
			if m.SeesProject(login, name) {
				t.Errorf("meetings of project %s: 404", name)
			}
			continue
		}
		if got, want := meetingKeys(ms), m.VisibleMeetingsOfProject(login, name); !slices.Equal(got, want) {
			t.Errorf("meetings of project %s: %v, want %v", name, got, want)
		}
	}
	for key, ct := range m.Contacts {
		var ms []model.Meeting
		if !getList("/api/contacts/"+ct.ID+"/meetings", &ms) {
			if m.SeesContact(login, key) {
				t.Errorf("meetings of contact %s: 404", key)
			}
			continue
		}
		if got, want := meetingKeys(ms), m.VisibleMeetingsOfContact(login, key); !slices.Equal(got, want) {
			t.Errorf("meetings of contact %s: %v, want %v", key, got, want)
		}
	}
	// Search knows nothing of meetings: their titles find no contact.
	var page store.ContactPage
	getList("/api/contacts?q=Porada", &page)
	if len(page.Contacts) != 0 {
		t.Errorf("a meeting's title finds contacts: %d", len(page.Contacts))
	}

	// collaboration records
	recordKeys := func(rs []model.CollaborationRecord) []string {
		var out []string
		for _, r := range rs {
			out = append(out, m.RecordKey(r.ID))
		}
		sort.Strings(out)
		return out
	}
	for _, key := range m.RecordKeys() {
		var rec model.CollaborationRecord
		path := "/api/collaboration/" + m.Collaboration[key].ID
		if seen := getList(path, &rec); seen != m.SeesRecord(login, key) {
			t.Errorf("GET record %s: seen=%v", key, seen)
		} else if !seen {
			want404("PATCH", path, map[string]any{"comment": "x"})
			want404("DELETE", path, nil)
		}
	}
	for _, name := range m.ProjectNames() {
		var rs []model.CollaborationRecord
		if !getList("/api/projects/"+m.Projects[name].ID+"/collaboration", &rs) {
			if m.SeesProject(login, name) {
				t.Errorf("records of project %s: 404", name)
			}
			continue
		}
		want := m.VisibleRecords(login, func(p, _ string) bool { return p == name })
		if got := recordKeys(rs); !slices.Equal(got, want) {
			t.Errorf("records of project %s: %v, want %v", name, got, want)
		}
	}
	for key, ct := range m.Contacts {
		var rs []model.CollaborationRecord
		var sum model.CollaborationSummary
		seen := getList("/api/contacts/"+ct.ID+"/collaboration/records", &rs)
		if getList("/api/contacts/"+ct.ID+"/collaboration", &sum) != seen || seen != m.SeesContact(login, key) {
			t.Errorf("collaboration of contact %s: seen=%v, want %v", key, seen, !seen)
			continue
		}
		if !seen {
			continue
		}
		want := m.VisibleRecords(login, func(_, c string) bool { return c == key })
		if got := recordKeys(rs); !slices.Equal(got, want) {
			t.Errorf("records of contact %s: %v, want %v", key, got, want)
		}
		if w := m.Summary(login, key); !reflect.DeepEqual(sum, w) {
			a, _ := json.Marshal(sum)
			b, _ := json.Marshal(w)
			t.Errorf("summary of %s:\n got %s\nwant %s", key, a, b)
		}
	}

	// the supplier quality report
	r := c.do("GET", "/api/reports/supplier-quality.csv", nil)
	if r.status != http.StatusOK {
		t.Fatalf("report: %d %s", r.status, r.body)
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(r.body, []byte("\uFEFF")))).ReadAll()
	if err != nil || len(rows) == 0 {
		t.Fatalf("report CSV: %v", err)
	}
	var got, want [][]string
	for _, row := range rows[1:] {
		got = append(got, []string{row[0], row[3], row[8], row[9], row[12], row[13]})
	}
	for _, q := range m.SupplierQuality(login) {
		avg := func(v *float64) string {
			if v == nil {
				return ""
			}
			return strconv.FormatFloat(*v, 'f', 2, 64)
		}
		want = append(want, []string{q.OrganisationID, strconv.Itoa(q.Records), avg(q.Quality.Average), strconv.Itoa(q.Quality.Count),
			avg(q.Communication.Average), strconv.Itoa(q.Communication.Count)})
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("report rows: %v, want %v", got, want)
	}
}
