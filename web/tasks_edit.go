package web

// Editing and cancelling tasks: an open task's title, description, type, due date and
// assignee, and its cancellation (and reopening), as PATCH /api/tasks/{id} allows; the
// API has no delete, a task is cancelled instead. Whoever sees a task may change it (the
// store's rule: its assignee, creator, admins, the lead of its project, the owner of its
// campaign, the owner or staff of its event); a done task keeps its worklog entry. The
// open tasks of a project and about a contact are listed with links to edit them.

import (
	"errors"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// mountTaskEdit routes the task editing pages (from mountGrants).
func (h *handler) mountTaskEdit(r chi.Router) {
	r.Get("/tasks/{id}/edit", h.teditPage)
	r.Post("/tasks/{id}/edit", h.teditSave)
	r.Post("/tasks/{id}/cancel", h.teditCancel)
	r.Post("/tasks/{id}/reopen", h.teditReopen)
	r.Get("/projects/{id}/tasks", h.teditProjectTasks)
	r.Get("/contacts/{id}/tasks", h.teditContactTasks)
}

type teditFields struct {
	Title, Description, Type, DueOn, AssigneeID string
}

type teditData struct {
	Task  model.Task
	Form  teditFields
	Types []model.TaskType
	Users []model.User
	Back  string // "tasks", "project" or "contact": where the page returns to
	Error string
}

// BackURL is where the task page returns to: the task's project or contact task list, or
// the user's tasks. It is built from the task, never from the request.
func (d teditData) BackURL() string {
	switch {
	case d.Back == "project" && d.Task.ProjectID != nil:
		return "/projects/" + *d.Task.ProjectID + "/tasks"
	case d.Back == "contact" && d.Task.ContactID != nil:
		return "/contacts/" + *d.Task.ContactID + "/tasks"
	}
	return "/tasks"
}

// teditTask is the {id} task the user sees, or false after answering 404.
func (h *handler) teditTask(w http.ResponseWriter, r *http.Request) (model.Task, bool) {
	id, ok := h.pathID(w, r)
	if !ok {
		return model.Task{}, false
	}
	t, err := h.store.GetTask(r.Context(), actor(r), id)
	if err != nil {
		h.storeError(w, r, err)
		return t, false
	}
	return t, true
}

func teditBack(s string) string {
	if s == "project" || s == "contact" {
		return s
	}
	return "tasks"
}

func (h *handler) teditShow(w http.ResponseWriter, r *http.Request, status int, d teditData) {
	d.Types = model.TaskTypes
	var err error
	if d.Users, err = h.prjEnabledUsers(r.Context()); err != nil {
		h.serverError(w, r, err)
		return
	}
	p := h.newPage(r, "tedit.title", d)
	p.Title = p.T("tedit.title") + ": " + d.Task.Title
	h.render(w, r, status, "taskedit_form.html", p)
}

func (h *handler) teditPage(w http.ResponseWriter, r *http.Request) {
	t, ok := h.teditTask(w, r)
	if !ok {
		return
	}
	f := teditFields{Title: t.Title, Description: t.Description, Type: string(t.Type), DueOn: (page{}).Str(t.DueOn), AssigneeID: (page{}).Str(t.AssigneeID)}
	h.teditShow(w, r, http.StatusOK, teditData{Task: t, Form: f, Back: teditBack(r.URL.Query().Get("back"))})
}

// teditMessage is the page's words for a refused change of a task.
func (h *handler) teditMessage(r *http.Request, err error) (int, string, bool) {
	p := h.newPage(r, "app", nil)
	var fe *model.FieldError
	var ce *store.ConflictError
	switch {
	case errors.As(err, &ce):
		return http.StatusConflict, p.T("tedit.notopen"), true
	case errors.As(err, &fe):
		key := map[string]string{"title": "tedit.badtitle", "description": "tedit.baddesc", "due_on": "tedit.baddue",
			"assignee_id": "tedit.badassignee"}[fe.Field]
		if key != "" {
			return http.StatusBadRequest, p.T(key), true
		}
	}
	return h.formFailure(r, err)
}

// teditSave changes an open task through the API's patch.
func (h *handler) teditSave(w http.ResponseWriter, r *http.Request) {
	t, ok := h.teditTask(w, r)
	if !ok || !h.checkForm(w, r) {
		return
	}
	d := teditData{Task: t, Back: teditBack(r.PostFormValue("back")), Form: teditFields{Title: r.PostFormValue("title"),
		Description: r.PostFormValue("description"), Type: r.PostFormValue("type"), DueOn: strings.TrimSpace(r.PostFormValue("due_on")),
		AssigneeID: r.PostFormValue("assignee_id")}}
	if t.Status != model.TaskOpen {
		d.Error = h.newPage(r, "app", nil).T("tedit.notopen")
		h.teditShow(w, r, http.StatusConflict, d)
		return
	}
	typ := model.TaskType(d.Form.Type)
	p := model.TaskPatch{Title: &d.Form.Title, Description: &d.Form.Description, Type: &typ, DueOn: &d.Form.DueOn}
	// The API cannot clear an assignee; an unchanged one is not sent, so that a task whose
	// assignee has since been disabled can still be edited.
	if d.Form.AssigneeID != (page{}).Str(t.AssigneeID) {
		p.AssigneeID = &d.Form.AssigneeID
	}
	// Handing the task to someone else may take it out of the user's sight; the store still
	// answers with the task as written.
	if _, err := h.store.UpdateTask(r.Context(), actor(r), t.ID, p); err != nil {
		h.teditFail(w, r, err, d)
		return
	}
	http.Redirect(w, r, d.BackURL(), http.StatusSeeOther)
}

func (h *handler) teditFail(w http.ResponseWriter, r *http.Request, err error, d teditData) {
	if errors.Is(err, store.ErrNotFound) {
		h.notFound(w, r)
		return
	}
	if status, msg, ok := h.teditMessage(r, err); ok {
		d.Error = msg
		h.teditShow(w, r, status, d)
		return
	}
	h.serverError(w, r, err)
}

func (h *handler) teditCancel(w http.ResponseWriter, r *http.Request) {
	h.teditStatus(w, r, model.TaskCancelled)
}

func (h *handler) teditReopen(w http.ResponseWriter, r *http.Request) {
	h.teditStatus(w, r, model.TaskOpen)
}

// teditStatus cancels an open task or reopens a cancelled one (the store refuses a done one).
func (h *handler) teditStatus(w http.ResponseWriter, r *http.Request, s model.TaskStatus) {
	t, ok := h.teditTask(w, r)
	if !ok || !h.checkForm(w, r) {
		return
	}
	d := teditData{Task: t, Back: teditBack(r.PostFormValue("back")), Form: teditFields{Title: t.Title, Description: t.Description,
		Type: string(t.Type), DueOn: (page{}).Str(t.DueOn), AssigneeID: (page{}).Str(t.AssigneeID)}}
	if _, err := h.store.UpdateTask(r.Context(), actor(r), t.ID, model.TaskPatch{Status: &s}); err != nil {
		h.teditFail(w, r, err, d)
		return
	}
	if s == model.TaskOpen {
		http.Redirect(w, r, "/tasks/"+t.ID+"/edit?back="+d.Back, http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, d.BackURL(), http.StatusSeeOther)
}

type teditListData struct {
	Heading string // the project's name or the contact's display name
	Back    string // the project's or contact's page
	From    string // "project" or "contact"
	Tasks   []model.Task
}

// teditProjectTasks lists the open and cancelled tasks of a project the user reads.
func (h *handler) teditProjectTasks(w http.ResponseWriter, r *http.Request) {
	id, ok := h.pathID(w, r)
	if !ok {
		return
	}
	p, err := h.store.GetProject(r.Context(), actor(r), id)
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	h.teditList(w, r, teditListData{Heading: p.Name, Back: "/projects/" + id, From: "project"}, store.TaskFilter{Assignee: "any", ProjectID: id})
}

// teditContactTasks lists the open and cancelled tasks about a contact the user sees.
func (h *handler) teditContactTasks(w http.ResponseWriter, r *http.Request) {
	id, ok := h.pathID(w, r)
	if !ok {
		return
	}
	c, err := h.store.GetContact(r.Context(), actor(r), id)
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	h.teditList(w, r, teditListData{Heading: c.DisplayName, Back: "/contacts/" + id, From: "contact"}, store.TaskFilter{Assignee: "any", ContactID: id})
}

func (h *handler) teditList(w http.ResponseWriter, r *http.Request, d teditListData, f store.TaskFilter) {
	for _, s := range []model.TaskStatus{model.TaskOpen, model.TaskCancelled} {
		f.Status = string(s)
		ts, err := h.store.ListTasks(r.Context(), actor(r), f)
		if err != nil {
			h.storeError(w, r, err)
			return
		}
		d.Tasks = append(d.Tasks, ts...)
	}
	key := "tedit.ofproject"
	if d.From == "contact" {
		key = "tedit.ofcontact"
	}
	p := h.newPage(r, key, d)
	p.Title = p.T(key) + ": " + d.Heading
	h.render(w, r, http.StatusOK, "taskedit_list.html", p)
}
