package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/http"
	"strings"
	"testing"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// collabEnv is a project led by lenka with member marek, involving a person and an
// organisation whose name is a formula; mira manages the book without being a member.
type collabEnv struct {
	*projectEnv
	project model.Project
	org     model.Contact
	manager *client
}

func newCollabEnv(t *testing.T, e *env) *collabEnv {
	t.Helper()
	ce := &collabEnv{projectEnv: newProjectEnv(t, e)}
	mira := e.user("mira", false, "x-heslo-12345")
	ce.manager = e.tokenFor(mira.ID)
	mustStatus(t, ce.admin.do("POST", "/api/books/"+ce.book.ID+"/grants", map[string]any{"user_id": mira.ID, "role": "manager"}), http.StatusOK)
	mustStatus(t, ce.admin.do("POST", "/api/contacts", map[string]any{"book_id": ce.book.ID, "kind": "organisation",
		"org_name": `=SUM(1+1), "Dodávky" a.s.`}), http.StatusCreated).json(t, &ce.org)
	mustStatus(t, ce.lead.do("POST", "/api/projects", map[string]any{"name": "Rekonstrukce školy"}), http.StatusCreated).json(t, &ce.project)
	base := "/api/projects/" + ce.project.ID
	mustStatus(t, ce.lead.do("PUT", base+"/members/"+ce.memberU.ID, nil), http.StatusNoContent)
	for _, c := range []model.Contact{ce.person, ce.org} {
		mustStatus(t, ce.lead.do("PUT", base+"/contacts/"+c.ID, map[string]any{"role": "dodavatel"}), http.StatusNoContent)
	}
	return ce
}

// TestCollaborationAPI: bad input is a 400 that stores nothing; members add records, the
// author, the lead and admins change them, a manager of the book reads them (403 on
// writes), an outsider gets 404; the summary and the CSV report, with its quoting and its
// defused formula.
func TestCollaborationAPI(t *testing.T) {
	e := newEnv(t)
	ce := newCollabEnv(t, e)
	base := "/api/projects/" + ce.project.ID + "/collaboration"
	valid := func() map[string]any {
		return map[string]any{"contact_id": ce.org.ID, "delivered": "Okna do tělocvičny", "period_from": "2026-03-01",
			"period_to": "2026-04-30", "quality": 5, "timeliness": 3, "communication": 4, "comment": "Dobře."}
	}
	for _, bad := range []struct {
		set   map[string]any
		field string
	}{
		{map[string]any{"quality": 0}, "quality"},
		{map[string]any{"communication": 6}, "communication"},
		{map[string]any{"quality": "pět"}, "quality"},
		{map[string]any{"delivered": ""}, "delivered"},
		{map[string]any{"period_to": "2026-02-01"}, "period_to"},
		{map[string]any{"period_from": "březen"}, "period_from"},
		{map[string]any{"contact_id": ce.secret.ID}, "contact_id"},
		{map[string]any{"rating": 5}, "rating"},
	} {
		body := valid()
		for k, v := range bad.set {
			body[k] = v
		}
		r := ce.member.do("POST", base, body)
		var eb struct{ Field string }
		r.json(t, &eb)
		if r.status != http.StatusBadRequest || eb.Field != bad.field {
			t.Errorf("create with %v: %d %s", bad.set, r.status, r.body)
		}
	}
	if r := ce.outsider.do("POST", base, valid()); r.status != http.StatusNotFound {
		t.Errorf("outsider creates: %d", r.status)
	}
	var rs []model.CollaborationRecord
	ce.lead.do("GET", base, nil).json(t, &rs)
	if len(rs) != 0 {
		t.Fatalf("bad input stored records: %+v", rs)
	}

	var rec model.CollaborationRecord
	r := mustStatus(t, ce.member.do("POST", base, valid()), http.StatusCreated)
	r.json(t, &rec)
	path := "/api/collaboration/" + rec.ID
	if r.header.Get("Location") != path || *rec.Quality != 5 || rec.ProjectName != "Rekonstrukce školy" {
		t.Fatalf("created %s: %+v", r.header.Get("Location"), rec)
	}
	mustStatus(t, ce.manager.do("GET", path, nil), http.StatusOK)
	mustStatus(t, ce.manager.do("PATCH", path, map[string]any{"comment": "x"}), http.StatusForbidden)
	mustStatus(t, ce.manager.do("DELETE", path, nil), http.StatusForbidden)
	for _, req := range []struct{ method, path string }{{"GET", path}, {"PATCH", path}, {"DELETE", path},
		{"GET", base}, {"GET", "/api/contacts/" + ce.org.ID + "/collaboration"}} {
		if r := ce.outsider.do(req.method, req.path, map[string]any{"comment": "x"}); r.status != http.StatusNotFound {
			t.Errorf("outsider %s %s: %d", req.method, req.path, r.status)
		}
	}
	if r := ce.member.do("PATCH", path, map[string]any{"quality": 9}); r.status != http.StatusBadRequest {
		t.Errorf("PATCH quality 9: %d", r.status)
	}
	mustStatus(t, ce.lead.do("PATCH", path, map[string]any{"quality": 4, "timeliness": nil}), http.StatusOK).json(t, &rec)
	if *rec.Quality != 4 || rec.Timeliness != nil || *rec.Communication != 4 {
		t.Fatalf("patched: %+v", rec)
	}

	var sum model.CollaborationSummary
	mustStatus(t, ce.manager.do("GET", "/api/contacts/"+ce.org.ID+"/collaboration", nil), http.StatusOK).json(t, &sum)
	if sum.Records != 1 || *sum.Quality.Average != 4 || sum.Timeliness.Count != 0 || len(sum.Projects) != 1 || sum.Projects[0].Last != "2026-04-30" {
		t.Errorf("summary: %+v", sum)
	}
	mustStatus(t, ce.member.do("GET", "/api/contacts/"+ce.org.ID+"/collaboration/records", nil), http.StatusOK).json(t, &rs)
	if len(rs) != 1 || rs[0].ID != rec.ID {
		t.Errorf("records of the organisation: %+v", rs)
	}

	// The report: text/csv with a BOM, RFC 4180 quoting, the formula defused.
	r = mustStatus(t, ce.lead.do("GET", "/api/reports/supplier-quality.csv", nil), http.StatusOK)
	if ct := r.header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if !bytes.HasPrefix(r.body, []byte("\uFEFForganisation_id,organisation,")) {
		t.Errorf("report starts %q", r.body[:min(40, len(r.body))])
	}
	if !bytes.Contains(r.body, []byte(`"'=SUM(1+1), ""Dodávky"" a.s."`)) || !bytes.Contains(r.body, []byte("\r\n")) {
		t.Errorf("report body:\n%s", r.body)
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(r.body, []byte("\uFEFF")))).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("report: %v %q", err, rows)
	}
	if got := strings.Join(rows[1][:10], "|"); got != ce.org.ID+`|'=SUM(1+1), "Dodávky" a.s.|other|1|1|0|1|2026-04-30|4.00|1` {
		t.Errorf("report row: %s", got)
	}
	entries, err := e.st.ListAudit(context.Background(), store.AuditFilter{Action: "report.supplier_quality"})
	if err != nil || len(entries) != 1 || entries[0].ContactIDs[0] != ce.org.ID || entries[0].Channel != "api" {
		t.Errorf("report audit: %+v %v", entries, err)
	}
	r = mustStatus(t, ce.outsider.do("GET", "/api/reports/supplier-quality.csv", nil), http.StatusOK)
	if rows, _ := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(r.body, []byte("\uFEFF")))).ReadAll(); len(rows) != 1 {
		t.Errorf("the outsider's report: %q", rows)
	}

	mustStatus(t, ce.member.do("DELETE", path, nil), http.StatusNoContent)
	mustStatus(t, ce.member.do("GET", path, nil), http.StatusNotFound)
}

// TestMeetingAPI: bad input is a 400 that stores nothing; a restricted meeting exists only
// for its audience (404 for the lead outside it, absent from lists and counts), a
// participant reads but does not change it (403), and it shows only the contacts its
// reader sees.
func TestMeetingAPI(t *testing.T) {
	e := newEnv(t)
	ce := newCollabEnv(t, e)
	base := "/api/projects/" + ce.project.ID + "/meetings"
	valid := func() map[string]any {
		return map[string]any{"at": "2026-04-01T09:00:00+02:00", "title": "Kontrolní den", "agenda": "1. Okna",
			"audience": "restricted", "participants": []string{ce.outsiderU.ID}, "contact_ids": []string{ce.person.ID}}
	}
	for _, bad := range []struct {
		set   map[string]any
		field string
	}{
		{map[string]any{"title": " "}, "title"},
		{map[string]any{"at": nil}, "at"},
		{map[string]any{"at": "zítra"}, ""},
		{map[string]any{"audience": "all"}, "audience"},
		{map[string]any{"contact_ids": []string{ce.secret.ID}}, "contact_ids"},
		{map[string]any{"participants": []string{ce.person.ID}}, "participants"},
		{map[string]any{"granted": []string{ce.outsiderU.ID}}, "granted"},
		{map[string]any{"place": "Praha"}, "place"},
	} {
		body := valid()
		for k, v := range bad.set {
			body[k] = v
		}
		r := ce.member.do("POST", base, body)
		var eb struct{ Field string }
		r.json(t, &eb)
		if r.status != http.StatusBadRequest || eb.Field != bad.field {
			t.Errorf("create with %v: %d %s", bad.set, r.status, r.body)
		}
	}
	mustStatus(t, ce.outsider.do("POST", base, valid()), http.StatusNotFound)
	var ms []model.Meeting
	ce.member.do("GET", base, nil).json(t, &ms)
	if len(ms) != 0 {
		t.Fatalf("bad input stored meetings: %+v", ms)
	}

	var mt model.Meeting
	r := mustStatus(t, ce.member.do("POST", base, valid()), http.StatusCreated)
	r.json(t, &mt)
	path := "/api/meetings/" + mt.ID
	if r.header.Get("Location") != path || mt.Audience != "restricted" || len(mt.Contacts) != 1 || len(mt.Participants) != 1 {
		t.Fatalf("created: %+v", mt)
	}
	// The participant reads it, without the contact she does not see, and may not change it.
	mustStatus(t, ce.outsider.do("GET", path, nil), http.StatusOK).json(t, &mt)
	if len(mt.Contacts) != 0 {
		t.Errorf("the participant sees contacts %+v", mt.Contacts)
	}
	mustStatus(t, ce.outsider.do("PATCH", path, map[string]any{"title": "x"}), http.StatusForbidden)
	mustStatus(t, ce.outsider.do("DELETE", path, nil), http.StatusForbidden)
	mustStatus(t, ce.outsider.do("GET", base, nil), http.StatusNotFound)

	// The lead sees the person and the project, but not the meeting.
	for _, req := range []struct{ method, path string }{{"GET", path}, {"PATCH", path}, {"DELETE", path}} {
		if r := ce.lead.do(req.method, req.path, map[string]any{"title": "x"}); r.status != http.StatusNotFound {
			t.Errorf("lead %s: %d", req.method, r.status)
		}
	}
	counts := func(c *client) (project, contact, summary int) {
		var ms []model.Meeting
		c.do("GET", base, nil).json(t, &ms)
		project = len(ms)
		c.do("GET", "/api/contacts/"+ce.person.ID+"/meetings", nil).json(t, &ms)
		var sum model.CollaborationSummary
		c.do("GET", "/api/contacts/"+ce.person.ID+"/collaboration", nil).json(t, &sum)
		return project, len(ms), sum.Meetings
	}
	if p, c, s := counts(ce.lead); p+c+s != 0 {
		t.Errorf("the lead counts the restricted meeting: %d %d %d", p, c, s)
	}
	if p, c, s := counts(ce.member); p != 1 || c != 1 || s != 1 {
		t.Errorf("the creator counts %d %d %d", p, c, s)
	}

	// Opened to the project, the lead sees it and, as lead, may delete it.
	mustStatus(t, ce.member.do("PATCH", path, map[string]any{"audience": "project", "minutes": "Okna osazena."}), http.StatusOK).json(t, &mt)
	if mt.Audience != "project" || mt.Minutes != "Okna osazena." || mt.Title != "Kontrolní den" {
		t.Fatalf("patched: %+v", mt)
	}
	if p, c, s := counts(ce.lead); p != 1 || c != 1 || s != 1 {
		t.Errorf("the lead counts %d %d %d", p, c, s)
	}
	mustStatus(t, ce.lead.do("DELETE", path, nil), http.StatusNoContent)
	mustStatus(t, ce.member.do("GET", path, nil), http.StatusNotFound)
}
