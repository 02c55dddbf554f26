package api_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kontakt/kontakt/auth"
	"github.com/kontakt/kontakt/model"
)

// TestActivitiesAndTasksAPI walks the activity log and a task to its worklog entry through
// the API: restricted audiences, an assignee who cannot see the contact (400), a task about
// a contact the caller cannot see (404), and the CSV report's formula defusing.
func TestActivitiesAndTasksAPI(t *testing.T) {
	e := newEnv(t)
	pe := newProjectEnv(t, e)
	p := "/api/contacts/" + pe.person.ID

	var act model.Activity
	mustStatus(t, pe.lead.do("POST", p+"/activities", map[string]any{"type": "visit", "occurred_at": "2026-03-02T10:00:00Z",
		"body": "Návštěva v dílně", "audience": "restricted", "users": []string{pe.memberU.ID}}), http.StatusCreated).json(t, &act)
	mustStatus(t, pe.lead.do("POST", p+"/activities", map[string]any{"type": "fax", "occurred_at": "2026-03-02T10:00:00Z", "body": "x"}), http.StatusBadRequest)
	mustStatus(t, pe.admin.do("GET", "/api/activities/"+act.ID, nil), http.StatusNotFound) // restricted: not in its audience
	mustStatus(t, pe.outsider.do("GET", p+"/activities", nil), http.StatusNotFound)
	var notes []model.Note
	mustStatus(t, pe.lead.do("GET", p+"/notes", nil), http.StatusOK).json(t, &notes)
	if len(notes) != 0 {
		t.Errorf("notes list shows activities: %v", notes)
	}
	mustStatus(t, pe.lead.do("GET", "/api/notes/"+act.ID, nil), http.StatusNotFound)
	mustStatus(t, pe.lead.do("PATCH", "/api/activities/"+act.ID, map[string]any{"audience": "contact"}), http.StatusOK)
	mustStatus(t, pe.admin.do("GET", "/api/activities/"+act.ID, nil), http.StatusOK)

	var proj model.Project
	mustStatus(t, pe.admin.do("POST", "/api/projects", map[string]any{"name": "=SUM(1+1)"}), http.StatusCreated).json(t, &proj)
	r := mustStatus(t, pe.admin.do("POST", "/api/tasks", map[string]any{"title": "Zavolat", "type": "call", "contact_id": pe.person.ID,
		"assignee_id": pe.outsiderU.ID}), http.StatusBadRequest)
	if !strings.Contains(string(r.body), `"field":"assignee_id"`) {
		t.Errorf("assignee who cannot see the contact: %s", r.body)
	}
	mustStatus(t, pe.lead.do("POST", "/api/tasks", map[string]any{"title": "Tajné", "contact_id": pe.secret.ID}), http.StatusBadRequest)
	var task model.Task
	mustStatus(t, pe.admin.do("POST", "/api/tasks", map[string]any{"title": "Zavolat", "type": "call", "contact_id": pe.person.ID,
		"assignee_id": pe.leadU.ID, "project_id": proj.ID, "due_on": "2026-03-10"}), http.StatusCreated).json(t, &task)
	var mine []model.Task
	mustStatus(t, pe.lead.do("GET", "/api/tasks?due=2026-03-31&status=open", nil), http.StatusOK).json(t, &mine)
	if len(mine) != 1 || mine[0].ID != task.ID {
		t.Errorf("lead's tasks: %+v", mine)
	}
	mustStatus(t, pe.outsider.do("GET", "/api/tasks/"+task.ID, nil), http.StatusNotFound)
	mustStatus(t, pe.lead.do("POST", "/api/tasks/"+task.ID+"/complete", map[string]any{"outcome": "zájem"}), http.StatusBadRequest)
	mustStatus(t, pe.lead.do("POST", "/api/tasks/"+task.ID+"/complete", map[string]any{"outcome": "zájem", "minutes_spent": 12}), http.StatusOK).json(t, &task)
	mustStatus(t, pe.lead.do("POST", "/api/tasks/"+task.ID+"/complete", map[string]any{"minutes_spent": 1}), http.StatusConflict)
	if task.ActivityID == nil {
		t.Fatal("a completed call recorded no activity")
	}
	mustStatus(t, pe.lead.do("GET", "/api/activities/"+*task.ActivityID, nil), http.StatusOK)

	day := task.CompletedAt.Format("2006-01-02")
	var rows []map[string]any
	mustStatus(t, pe.lead.do("GET", "/api/reports/worklog?by=person&from="+day+"&to="+day, nil), http.StatusOK).json(t, &rows)
	if len(rows) != 1 || rows[0]["minutes"] != float64(12) {
		t.Errorf("worklog: %v", rows)
	}
	mustStatus(t, pe.lead.do("GET", "/api/reports/worklog?by=team&from="+day+"&to="+day, nil), http.StatusBadRequest)
	csv := mustStatus(t, pe.admin.do("GET", "/api/reports/worklog.csv?by=project&from="+day+"&to="+day, nil), http.StatusOK)
	if !strings.Contains(string(csv.body), ",'=SUM(1+1),1,12\r\n") {
		t.Errorf("worklog CSV: %q", csv.body)
	}
	var none []map[string]any
	mustStatus(t, pe.outsider.do("GET", "/api/reports/worklog?by=person&from="+day+"&to="+day, nil), http.StatusOK).json(t, &none)
	if len(none) != 0 {
		t.Errorf("outsider's worklog: %v", none)
	}
}

// TestEventsAPI covers an event with staff, invitations only of visible contacts,
// documents with sniffed types, and the public RSVP link.
func TestEventsAPI(t *testing.T) {
	e := newEnv(t)
	pe := newProjectEnv(t, e)
	var ev model.Event
	mustStatus(t, pe.lead.do("POST", "/api/events", map[string]any{"name": "Den otevřených dveří", "starts_at": "2026-06-01T09:00:00Z",
		"venue": "Brno", "budget_note": "50 000 Kč"}), http.StatusCreated).json(t, &ev)
	mustStatus(t, pe.lead.do("POST", "/api/events", map[string]any{"name": "X", "starts_at": "2026-06-01T09:00:00Z", "ends_at": "2026-05-01T09:00:00Z"}), http.StatusBadRequest)
	u := "/api/events/" + ev.ID
	mustStatus(t, pe.outsider.do("GET", u, nil), http.StatusNotFound)
	mustStatus(t, pe.lead.do("PUT", u+"/staff/"+pe.memberU.ID, nil), http.StatusNoContent)
	mustStatus(t, pe.member.do("GET", u, nil), http.StatusOK)
	mustStatus(t, pe.member.do("DELETE", u, nil), http.StatusForbidden)
	mustStatus(t, pe.lead.do("PUT", u+"/invitations/"+pe.person.ID, nil), http.StatusOK)
	mustStatus(t, pe.lead.do("PUT", u+"/invitations/"+pe.secret.ID, nil), http.StatusNotFound)
	mustStatus(t, pe.admin.do("PUT", u+"/invitations/"+pe.secret.ID, nil), http.StatusOK)
	var invs []model.Invitation
	mustStatus(t, pe.lead.do("GET", u+"/invitations", nil), http.StatusOK).json(t, &invs)
	if len(invs) != 1 || invs[0].ContactID != pe.person.ID {
		t.Errorf("lead sees invitations %+v, want only the visible person", invs)
	}
	mustStatus(t, pe.lead.do("GET", u, nil), http.StatusOK).json(t, &ev)
	if ev.Invitations["invited"] != 1 {
		t.Errorf("invitation counts %v, want 1 invited (the hidden one not counted)", ev.Invitations)
	}
	mustStatus(t, pe.lead.do("PATCH", u+"/invitations/"+pe.secret.ID, map[string]any{"status": "attended"}), http.StatusNotFound)
	mustStatus(t, pe.lead.do("PATCH", u+"/invitations/"+pe.person.ID, map[string]any{"status": "maybe"}), http.StatusBadRequest)

	upload := func(name string, data []byte) response {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		fw, _ := mw.CreateFormFile("file", name)
		fw.Write(data) //nolint:errcheck
		mw.Close()     //nolint:errcheck
		return pe.member.do("POST", u+"/documents", buf.Bytes(), "Content-Type", mw.FormDataContentType())
	}
	var doc model.EventDocument
	mustStatus(t, upload("program.pdf", []byte("%PDF-1.4\n1 0 obj\n")), http.StatusCreated).json(t, &doc)
	if doc.ContentType != "application/pdf" {
		t.Errorf("sniffed %q", doc.ContentType)
	}
	mustStatus(t, upload("virus.exe", []byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff")), http.StatusBadRequest)
	got := mustStatus(t, pe.lead.do("GET", u+"/documents/"+doc.ID, nil), http.StatusOK)
	if !bytes.HasPrefix(got.body, []byte("%PDF")) || got.header.Get("Content-Type") != "application/pdf" {
		t.Errorf("download: %q %q", got.header.Get("Content-Type"), got.body)
	}
	mustStatus(t, pe.outsider.do("GET", u+"/documents/"+doc.ID, nil), http.StatusNotFound)

	if err := e.st.InvitationToken(context.Background(), ev.ID, pe.person.ID, auth.HashSecret("rsvp-secret")); err != nil {
		t.Fatal(err)
	}
	page := mustStatus(t, e.anon().do("GET", "/public/rsvp/rsvp-secret", nil), http.StatusOK)
	if !strings.Contains(string(page.body), "Den otevřených dveří") || strings.Contains(string(page.body), "Tesař") {
		t.Errorf("RSVP page: %s", page.body)
	}
	mustStatus(t, e.anon().do("GET", "/public/rsvp/unknown", nil), http.StatusNotFound)
	form := url.Values{"answer": {"accept"}}.Encode()
	mustStatus(t, e.anon().do("POST", "/public/rsvp/rsvp-secret", form, "Content-Type", "application/x-www-form-urlencoded"), http.StatusOK)
	mustStatus(t, e.anon().do("POST", "/public/rsvp/unknown", form, "Content-Type", "application/x-www-form-urlencoded"), http.StatusNotFound)
	mustStatus(t, pe.lead.do("GET", u+"/invitations", nil), http.StatusOK).json(t, &invs)
	if invs[0].Status != "accepted" || invs[0].RespondedAt == nil {
		t.Errorf("after RSVP: %+v", invs[0])
	}
}
