package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// TestTaskEditPages: an open task is edited (title, description, type, due date, assignee)
// from My tasks and from its project's and contact's task lists, cancelled and reopened;
// bad input is 400 with the reason and changes nothing; a done task is not changed (409);
// every form needs the CSRF token.
func TestTaskEditPages(t *testing.T) {
	e := newAdminEnv(t, nil)
	f := e.adminFixture()
	ctx := context.Background()
	a := store.Actor{UserID: f.admin.ID, Channel: model.ChannelAPI}
	sys := store.Actor{Channel: model.ChannelSystem}
	eva, err := e.st.CreateUser(ctx, sys, model.User{Login: "eva", Name: "Eva Malá", Locale: "en"}, "")
	if err != nil {
		t.Fatal(err)
	}
	name := "Zavedení skladu"
	prj, err := e.st.CreateProject(ctx, a, store.ProjectInput{Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	due := "2026-12-01"
	task, err := e.st.CreateTask(ctx, a, model.TaskInput{Title: "Zavolat Dvořákovi", Type: model.TaskCall, AssigneeID: &f.jana.ID,
		DueOn: &due, ContactID: &f.contact.ID, ProjectID: &prj.ID})
	if err != nil {
		t.Fatal(err)
	}
	admin, jana := e.sessionFor(f.admin.ID), e.sessionFor(f.jana.ID)
	edit := "/tasks/" + task.ID + "/edit"

	// The links: My tasks, the project's and the contact's task lists.
	if p := jana.get("/tasks"); !strings.Contains(p.body, `href="`+edit+`"`) {
		t.Errorf("my tasks do not link the edit page: %s", p.body)
	}
	if p := admin.get("/projects/" + prj.ID); !strings.Contains(p.body, `href="/projects/`+prj.ID+`/tasks"`) {
		t.Error("the project page does not link its tasks")
	}
	if p := jana.get("/contacts/" + f.contact.ID); !strings.Contains(p.body, `href="/contacts/`+f.contact.ID+`/tasks"`) {
		t.Error("the card does not link the contact's tasks")
	}
	for _, list := range []string{"/projects/" + prj.ID + "/tasks", "/contacts/" + f.contact.ID + "/tasks"} {
		if p := admin.get(list); p.status != http.StatusOK || !strings.Contains(p.body, `data-task="`+task.ID+`"`) || !strings.Contains(p.body, edit+"?back=") {
			t.Errorf("%s: %d %s", list, p.status, p.body)
		}
	}

	p := jana.get(edit + "?back=contact")
	if p.status != http.StatusOK || !strings.Contains(p.body, `value="Zavolat Dvořákovi"`) || !strings.Contains(p.body, `value="2026-12-01"`) ||
		!strings.Contains(p.body, `href="/contacts/`+f.contact.ID+`/tasks"`) {
		t.Fatalf("edit page: %d %s", p.status, p.body)
	}
	tok := token(t, p)
	form := url.Values{"csrf": {tok}, "back": {"contact"}, "title": {"Zavolat panu Dvořákovi"}, "description": {"Nabídka na jaro"},
		"type": {"meeting"}, "due_on": {"2026-12-15"}, "assignee_id": {f.admin.ID}}
	with := func(k, v string) url.Values {
		c := url.Values{}
		for kk, vv := range form {
			c[kk] = vv
		}
		c.Set(k, v)
		return c
	}
	get := func() model.Task {
		got, err := e.st.GetTask(ctx, a, task.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if p := jana.do("POST", edit, with("csrf", "")); p.status != http.StatusForbidden {
		t.Errorf("edit without token: %d", p.status)
	}
	for _, c := range []struct{ k, v, want string }{
		{"title", " ", "Zadejte název"},
		{"title", strings.Repeat("x", 301), "Zadejte název"},
		{"due_on", "15. 12.", "Termín musí být datum."},
		{"assignee_id", eva.ID, "Vyberte někoho, kdo vidí kontakt úkolu."},
		{"type", "party", "type"},
	} {
		p := jana.do("POST", edit, with(c.k, c.v))
		if p.status != http.StatusBadRequest || !strings.Contains(p.body, c.want) || !strings.Contains(p.body, `role="alert"`) {
			t.Errorf("edit with %s=%q: %d", c.k, c.v, p.status)
		}
	}
	if got := get(); got.Title != task.Title || *got.DueOn != due || *got.AssigneeID != f.jana.ID {
		t.Fatalf("refused edits changed the task: %+v", got)
	}
	p = jana.do("POST", edit, form)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/contacts/"+f.contact.ID+"/tasks" {
		t.Fatalf("edit: %d %s", p.status, p.body)
	}
	got := get()
	if got.Title != "Zavolat panu Dvořákovi" || got.Description != "Nabídka na jaro" || got.Type != model.TaskMeeting ||
		got.DueOn == nil || *got.DueOn != "2026-12-15" || *got.AssigneeID != f.admin.ID {
		t.Fatalf("task after edit: %+v", got)
	}
	// The admin created the task and now holds it: jana no longer sees it (404, as the API).
	if p := jana.get(edit); p.status != http.StatusNotFound {
		t.Errorf("jana after reassigning: %d", p.status)
	}
	if p := admin.do("POST", edit, url.Values{"csrf": {token(t, admin.get(edit))}, "title": {got.Title}, "type": {"meeting"},
		"due_on": {""}, "assignee_id": {f.admin.ID}, "back": {"project"}}); p.status != http.StatusSeeOther || p.header.Get("Location") != "/projects/"+prj.ID+"/tasks" {
		t.Errorf("clear the due date: %d %s", p.status, p.header.Get("Location"))
	}
	if got := get(); got.DueOn != nil {
		t.Errorf("due date after clearing: %v", *got.DueOn)
	}

	// Cancel and reopen.
	atok := token(t, admin.get(edit))
	if p := admin.do("POST", "/tasks/"+task.ID+"/cancel", url.Values{}); p.status != http.StatusForbidden {
		t.Errorf("cancel without token: %d", p.status)
	}
	if p := admin.do("POST", "/tasks/"+task.ID+"/cancel", url.Values{"csrf": {atok}}); p.status != http.StatusSeeOther || p.header.Get("Location") != "/tasks" {
		t.Fatalf("cancel: %d", p.status)
	}
	if got := get(); got.Status != model.TaskCancelled {
		t.Fatalf("after cancel: %s", got.Status)
	}
	if p := admin.get("/tasks"); strings.Contains(p.body, `data-task="`+task.ID+`"`) {
		t.Error("a cancelled task is still open on My tasks")
	}
	if p := admin.get(edit); !strings.Contains(p.body, `id="task-reopen"`) || strings.Contains(p.body, `id="task-edit"`) {
		t.Errorf("a cancelled task's page: %s", p.body)
	}
	if p := admin.do("POST", edit, url.Values{"csrf": {atok}, "title": {"Jiný"}}); p.status != http.StatusConflict {
		t.Errorf("edit a cancelled task: %d", p.status)
	}
	if p := admin.do("POST", "/tasks/"+task.ID+"/reopen", url.Values{"csrf": {atok}}); p.status != http.StatusSeeOther {
		t.Fatalf("reopen: %d", p.status)
	}
	if got := get(); got.Status != model.TaskOpen || got.Title != "Zavolat panu Dvořákovi" {
		t.Fatalf("after reopen: %+v", got)
	}

	// A done task keeps its worklog entry: no change, no cancel.
	zero := 0
	if _, err := e.st.CompleteTask(ctx, a, task.ID, model.TaskCompletion{MinutesSpent: &zero}); err != nil {
		t.Fatal(err)
	}
	if p := admin.do("POST", "/tasks/"+task.ID+"/cancel", url.Values{"csrf": {atok}}); p.status != http.StatusConflict || !strings.Contains(p.body, "Only an open task") {
		t.Errorf("cancel a done task: %d", p.status)
	}
	if got := get(); got.Status != model.TaskDone {
		t.Errorf("done task after refused cancel: %s", got.Status)
	}
}
