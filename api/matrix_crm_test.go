package api_test

import (
	"bytes"
	"encoding/csv"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store/storetest"
)

// checkCRMMatrixAPI holds the API's CRM routes to the matrix for one (enabled) user:
// activities (detail, per contact, writes), tasks (detail, lists, completion), the worklog
// report in JSON and CSV, and an event's invitations (list and counts). What the user may
// not see answers 404, writes included, and is absent from lists, counts and reports.
func checkCRMMatrixAPI(t *testing.T, c *client, m *storetest.Matrix, login string) {
	t.Helper()
	for _, k := range m.ActivityKeys() {
		id := m.CRM.Activities[k].ID
		seen := m.SeesActivity(login, k)
		if r := c.do("GET", "/api/activities/"+id, nil); (r.status == http.StatusOK) != seen || r.status != http.StatusOK && r.status != http.StatusNotFound {
			t.Errorf("GET activity %s: %d, want visible=%v", k, r.status, seen)
		}
		if !seen {
			if r := c.do("PATCH", "/api/activities/"+id, map[string]any{"outcome": "x"}); r.status != http.StatusNotFound {
				t.Errorf("PATCH invisible activity %s: %d", k, r.status)
			}
			if r := c.do("DELETE", "/api/activities/"+id, nil); r.status != http.StatusNotFound {
				t.Errorf("DELETE invisible activity %s: %d", k, r.status)
			}
		}
	}
	for key, ct := range m.Contacts {
		r := c.do("GET", "/api/contacts/"+ct.ID+"/activities", nil)
		if !m.SeesContact(login, key) {
			if r.status != http.StatusNotFound {
				t.Errorf("activities of invisible %s: %d", key, r.status)
			}
			if r := c.do("POST", "/api/contacts/"+ct.ID+"/activities", map[string]any{"type": "call",
				"occurred_at": "2026-05-01T10:00:00Z", "body": "x"}); r.status != http.StatusNotFound {
				t.Errorf("POST activity on invisible %s: %d", key, r.status)
			}
			continue
		}
		var list []model.Activity
		mustStatus(t, r, http.StatusOK).json(t, &list)
		var got []string
		for _, a := range list {
			got = append(got, m.ActivityKey(a.ID))
		}
		sort.Strings(got)
		if w := m.VisibleActivities(login, key); !slices.Equal(got, w) {
			t.Errorf("activities of %s: %v, want %v", key, got, w)
		}
	}

	for _, k := range m.TaskKeys() {
		id := m.CRM.Tasks[k].ID
		seen := m.SeesTask(login, k)
		if r := c.do("GET", "/api/tasks/"+id, nil); (r.status == http.StatusOK) != seen || r.status != http.StatusOK && r.status != http.StatusNotFound {
			t.Errorf("GET task %s: %d, want visible=%v", k, r.status, seen)
		}
		if !seen {
			if r := c.do("PATCH", "/api/tasks/"+id, map[string]any{"title": "x"}); r.status != http.StatusNotFound {
				t.Errorf("PATCH invisible task %s: %d", k, r.status)
			}
			if r := c.do("POST", "/api/tasks/"+id+"/complete", map[string]any{"minutes_spent": 1}); r.status != http.StatusNotFound {
				t.Errorf("complete invisible task %s: %d", k, r.status)
			}
		}
	}
	for _, q := range []struct {
		query string
		mine  bool
	}{{"", true}, {"?assignee=any", false}} {
		var list []model.Task
		mustStatus(t, c.do("GET", "/api/tasks"+q.query, nil), http.StatusOK).json(t, &list)
		got := []string{}
		for _, x := range list {
			got = append(got, m.TaskKey(x.ID))
		}
		sort.Strings(got)
		if w := append([]string{}, m.VisibleTasks(login, q.mine)...); !slices.Equal(got, w) {
			t.Errorf("GET /api/tasks%s: %v, want %v", q.query, got, w)
		}
	}

	day := time.Now().Format(time.DateOnly)
	byID := map[string]string{}
	for l, u := range m.Users {
		byID[u.ID] = l
	}
	var rows []struct {
		ID      *string `json:"id"`
		Minutes int     `json:"minutes"`
	}
	mustStatus(t, c.do("GET", "/api/reports/worklog?by=person&from="+day+"&to="+day, nil), http.StatusOK).json(t, &rows)
	got := map[string]int{}
	for _, r := range rows {
		got[byID[*r.ID]] = r.Minutes
	}
	if w := m.Worklog(login); !maps.Equal(got, w) {
		t.Errorf("worklog: %v, want %v", got, w)
	}
	r := mustStatus(t, c.do("GET", "/api/reports/worklog.csv?by=person&from="+day+"&to="+day, nil), http.StatusOK)
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(r.body, []byte("\uFEFF")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	gotCSV := map[string]int{}
	for _, rec := range recs[1:] {
		n, _ := strconv.Atoi(rec[4])
		gotCSV[byID[rec[1]]] = n
	}
	if w := m.Worklog(login); !maps.Equal(gotCSV, w) {
		t.Errorf("worklog CSV: %v, want %v", gotCSV, w)
	}

	ev := "/api/events/" + m.CRM.Event.ID
	if !m.SeesEvent(login) {
		for _, p := range []string{ev, ev + "/invitations", ev + "/documents"} {
			if r := c.do("GET", p, nil); r.status != http.StatusNotFound {
				t.Errorf("GET %s of an unseen event: %d", p, r.status)
			}
		}
		return
	}
	var invs []model.Invitation
	mustStatus(t, c.do("GET", ev+"/invitations", nil), http.StatusOK).json(t, &invs)
	gotInv := []string{}
	for _, inv := range invs {
		gotInv = append(gotInv, m.ContactKey(inv.ContactID))
	}
	sort.Strings(gotInv)
	if w := m.VisibleInvitations(login); !slices.Equal(gotInv, w) {
		t.Errorf("invitations: %v, want %v", gotInv, w)
	}
	var e model.Event
	mustStatus(t, c.do("GET", ev, nil), http.StatusOK).json(t, &e)
	if e.Invitations["invited"] != len(m.VisibleInvitations(login)) {
		t.Errorf("event counts %v, want %d invited", e.Invitations, len(m.VisibleInvitations(login)))
	}
	for _, k := range []string{"b1-person", "b2-person", "b3-person", "b4-person"} {
		if !m.SeesContact(login, k) {
			p := ev + "/invitations/" + m.Contacts[k].ID
			if r := c.do("PATCH", p, map[string]any{"status": "attended"}); r.status != http.StatusNotFound {
				t.Errorf("PATCH invitation of invisible %s: %d", k, r.status)
			}
			if r := c.do("PUT", p, nil); r.status != http.StatusNotFound {
				t.Errorf("PUT invitation of invisible %s: %d", k, r.status)
			}
		}
	}
}
