package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"sort"
	"testing"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
	"github.com/kontakt/kontakt/store/storetest"
)

// checkProjectMatrix holds the project read paths of the store to the matrix for one user:
// projects (detail, list, involved contacts), meetings (detail with their contacts, per
// project, per contact), collaboration records (detail, per project, per contact), the
// contact's collaboration summary (counts, averages, meetings, projects) and the supplier
// quality report. What the user may not see is ErrNotFound, or absent from lists and counts.
func checkProjectMatrix(t *testing.T, st *store.Store, m *storetest.Matrix, login string) {
	t.Helper()
	ctx := context.Background()
	a := m.Actor(login)
	notFound := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: got %v, want ErrNotFound", what, err)
		}
	}

	// projects
	for _, name := range m.ProjectNames() {
		p, err := st.GetProject(ctx, a, m.Projects[name].ID)
		if !m.SeesProject(login, name) {
			notFound("project "+name, err)
			continue
		}
		if err != nil {
			t.Errorf("project %s: %v", name, err)
			continue
		}
		var got []string
		for _, c := range p.Contacts {
			got = append(got, m.ContactKey(c.ContactID))
		}
		sort.Strings(got)
		if want := m.ProjectContacts(login, name); !slices.Equal(got, want) {
			t.Errorf("contacts of project %s: %v, want %v", name, got, want)
		}
	}
	ps, err := st.ListProjects(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
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
		mt, err := st.GetMeeting(ctx, a, m.Meetings[key].ID)
		if !m.SeesMeeting(login, key) {
			notFound("meeting "+key, err)
			continue
		}
		if err != nil {
			t.Errorf("meeting %s: %v", key, err)
			continue
		}
		var got []string
		for _, c := range mt.Contacts {
			got = append(got, m.ContactKey(c.ContactID))
		}
		sort.Strings(got)
		if want := m.MeetingContacts(login, key); !slices.Equal(got, want) {
			t.Errorf("contacts of meeting %s: %v, want %v", key, got, want)
		}
	}
	for _, name := range m.ProjectNames() {
		ms, err := st.ListProjectMeetings(ctx, a, m.Projects[name].ID)
		if !m.SeesProject(login, name) {
			notFound("meetings of project "+name, err)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if got, want := meetingKeys(ms), m.VisibleMeetingsOfProject(login, name); !slices.Equal(got, want) {
			t.Errorf("meetings of project %s: %v, want %v", name, got, want)
		}
	}
	for key, c := range m.Contacts {
		ms, err := st.ListContactMeetings(ctx, a, c.ID)
		if !m.SeesContact(login, key) {
			notFound("meetings of contact "+key, err)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if got, want := meetingKeys(ms), m.VisibleMeetingsOfContact(login, key); !slices.Equal(got, want) {
			t.Errorf("meetings of contact %s: %v, want %v", key, got, want)
		}
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
		_, err := st.GetCollaboration(ctx, a, m.Collaboration[key].ID)
		if !m.SeesRecord(login, key) {
			notFound("record "+key, err)
		} else if err != nil {
			t.Errorf("record %s: %v", key, err)
		}
	}
	for _, name := range m.ProjectNames() {
		rs, err := st.ListProjectCollaboration(ctx, a, m.Projects[name].ID)
		if !m.SeesProject(login, name) {
			notFound("records of project "+name, err)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		want := m.VisibleRecords(login, func(p, _ string) bool { return p == name })
		if got := recordKeys(rs); !slices.Equal(got, want) {
			t.Errorf("records of project %s: %v, want %v", name, got, want)
		}
	}
	for key, c := range m.Contacts {
		rs, err := st.ListContactCollaboration(ctx, a, c.ID)
		sum, serr := st.CollaborationSummary(ctx, a, c.ID)
		if !m.SeesContact(login, key) {
			notFound("records of contact "+key, err)
			notFound("summary of contact "+key, serr)
			continue
		}
		if err != nil || serr != nil {
			t.Fatal(err, serr)
		}
		want := m.VisibleRecords(login, func(_, ct string) bool { return ct == key })
		if got := recordKeys(rs); !slices.Equal(got, want) {
			t.Errorf("records of contact %s: %v, want %v", key, got, want)
		}
		if w := m.Summary(login, key); !reflect.DeepEqual(sum, w) {
			t.Errorf("summary of %s:\n got %s\nwant %s", key, dump(sum), dump(w))
		}
	}
	report, err := st.SupplierQuality(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	for i := range report {
		report[i].ContactIDs = nil
	}
	if w := m.SupplierQuality(login); !reflect.DeepEqual(report, w) && (len(report) != 0 || len(w) != 0) {
		t.Errorf("supplier quality:\n got %s\nwant %s", dump(report), dump(w))
	}
}

// dump shows v as JSON for a failure message.
func dump(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
