package web

// Creating and changing work (issue #8, part 3): new tasks (from My tasks, a contact's card
// or a project), projects (create, edit, members, involved contacts), their meetings with
// their own access lists, collaboration records with ratings, and cancelling or reopening a
// closure; events are in events.go. Every read and write goes through store, whose checks
// decide, as they do for the API: a project the user may not read, or may read but not
// manage where the page only changes, answers 404; a meeting or record they may not see is
// absent. The closure's workflow is told after the commit, as the API does.

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// mountProjects routes this room's pages (inside the authenticated group).
func (h *handler) mountProjects(r chi.Router) {
	r.Get("/tasks/new", h.prjTaskForm)
	r.Post("/tasks", h.prjCreateTask)
	r.Get("/projects/new", h.prjNewForm)
	r.Post("/projects", h.prjCreate)
	r.Get("/projects/{id}/edit", h.prjEditForm)
	r.Post("/projects/{id}/edit", h.prjUpdate)
	r.Get("/projects/{id}/people", h.prjPeople)
	r.Post("/projects/{id}/members", h.prjAddMember)
	r.Post("/projects/{id}/members/{user}/remove", h.prjRemoveMember)
	r.Post("/projects/{id}/contacts", h.prjAddContact)
	r.Post("/projects/{id}/contacts/{contact}/remove", h.prjRemoveContact)
	r.Get("/projects/{id}/meetings/new", h.prjMeetingNew)
	r.Post("/projects/{id}/meetings", h.prjMeetingCreate)
	r.Get("/projects/{id}/meetings/{mid}", h.prjMeetingPage)
	r.Post("/projects/{id}/meetings/{mid}", h.prjMeetingUpdate)
	r.Post("/projects/{id}/meetings/{mid}/delete", h.prjMeetingDelete)
	r.Get("/projects/{id}/collaboration", h.prjCollab)
	r.Post("/projects/{id}/collaboration", h.prjCollabCreate)
	r.Get("/projects/{id}/collaboration/{rid}", h.prjCollabEdit)
	r.Post("/projects/{id}/collaboration/{rid}", h.prjCollabUpdate)
	r.Post("/projects/{id}/collaboration/{rid}/delete", h.prjCollabDelete)
	r.Post("/projects/{id}/close/cancel", h.prjCancelClosure)
	r.Post("/projects/{id}/reopen", h.prjReopen)
	h.mountEvents(r)
}

// prjLocalLayout is how a datetime-local input writes a moment (in the server's zone).
const prjLocalLayout = "2006-01-02T15:04"

// prjLocal is t as a datetime-local input's value.
func prjLocal(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Local().Format(prjLocalLayout)
}

// prjParseLocal reads a datetime-local value in the server's zone.
func prjParseLocal(s string) (time.Time, error) {
	return time.ParseInLocation(prjLocalLayout, strings.TrimSpace(s), time.Local)
}

// prjOptional is s trimmed, or nil when empty.
func prjOptional(s string) *string {
	if s = strings.TrimSpace(s); s == "" {
		return nil
	}
	return &s
}

// prjEnabledUsers lists the enabled users (whom tasks, members, meetings and staff may name;
// the API lists them to every staff user too).
func (h *handler) prjEnabledUsers(ctx context.Context) ([]model.User, error) {
	us, err := h.store.ListUsers(ctx)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(us, func(u model.User) bool { return u.Disabled }), nil
}

// prjManages mirrors store's projectManageable: the lead and organisation admins.
func prjManages(u model.User, p model.Project) bool {
	return u.IsAdmin || (p.LeadID != nil && *p.LeadID == u.ID)
}

// prjMayChange mirrors store's mayChangeProjectRecord: a meeting's or record's author, the
// project's lead and organisation admins (the store decides again).
func prjMayChange(u model.User, p model.Project, createdBy *string) bool {
	return prjManages(u, p) || (createdBy != nil && *createdBy == u.ID)
}

// prjProject is the {id} project the user reads (and manages, with manage), or false after
// answering 404.
func (h *handler) prjProject(w http.ResponseWriter, r *http.Request, manage bool) (model.Project, bool) {
	id, ok := h.pathID(w, r)
	if !ok {
		return model.Project{}, false
	}
	p, err := h.store.GetProject(r.Context(), actor(r), id)
	if err != nil {
		h.storeError(w, r, err)
		return p, false
	}
	if manage && !prjManages(currentUser(r), p) {
		h.notFound(w, r)
		return p, false
	}
	return p, true
}

// PrjClosureDone reports whether a closure has finished: the project is closed and the
// workflow recorded the devices that had not synced (none, often) by its deadline.
func (p page) PrjClosureDone(c *store.ProjectClosureReport) bool {
	return c != nil && c.Status == string(model.ProjectClosed) && c.Stragglers != nil
}

// ---- New task ----

type prjTaskFields struct {
	Title, Description, Type, AssigneeID, DueOn, ContactID, ProjectID string
}

type prjTaskData struct {
	Form     prjTaskFields
	Types    []model.TaskType
	Users    []model.User
	Projects []model.Project
	Contact  *model.Contact
	Error    string
}

// prjTaskForm shows the new task form; ?contact= and ?project= link it to a contact the
// user sees or a project they read (404 for any other).
func (h *handler) prjTaskForm(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := prjTaskFields{Type: string(model.TaskTodo), AssigneeID: currentUser(r).ID, ContactID: q.Get("contact"), ProjectID: q.Get("project")}
	h.prjShowTask(w, r, http.StatusOK, f, "")
}

func (h *handler) prjShowTask(w http.ResponseWriter, r *http.Request, status int, f prjTaskFields, msg string) {
	d := prjTaskData{Form: f, Types: model.TaskTypes, Error: msg}
	var err error
	if f.ContactID != "" {
		c, err := h.store.GetContact(r.Context(), actor(r), f.ContactID)
		if err != nil {
			h.storeError(w, r, err)
			return
		}
		d.Contact = &c
	}
	if f.ProjectID != "" {
		if _, err := h.store.GetProject(r.Context(), actor(r), f.ProjectID); err != nil {
			h.storeError(w, r, err)
			return
		}
	}
	if d.Users, err = h.prjEnabledUsers(r.Context()); err != nil {
		h.serverError(w, r, err)
		return
	}
	if d.Projects, err = h.store.ListProjects(r.Context(), actor(r)); err != nil {
		h.serverError(w, r, err)
		return
	}
	h.render(w, r, status, "prj_task.html", h.newPage(r, "prj.task.new", d))
}

// prjCreateTask creates a task; the store checks what it refers to and that the assignee
// sees its contact. It redirects to where the task was asked for.
func (h *handler) prjCreateTask(w http.ResponseWriter, r *http.Request) {
	if !h.checkForm(w, r) {
		return
	}
	f := prjTaskFields{Title: r.PostFormValue("title"), Description: r.PostFormValue("description"), Type: r.PostFormValue("type"),
		AssigneeID: r.PostFormValue("assignee_id"), DueOn: r.PostFormValue("due_on"), ContactID: r.PostFormValue("contact_id"),
		ProjectID: r.PostFormValue("project_id")}
	in := model.TaskInput{Title: f.Title, Description: f.Description, Type: model.TaskType(f.Type), AssigneeID: prjOptional(f.AssigneeID),
		DueOn: prjOptional(f.DueOn), ContactID: prjOptional(f.ContactID), ProjectID: prjOptional(f.ProjectID)}
	t, err := h.store.CreateTask(r.Context(), actor(r), in)
	if err != nil {
		h.failForm(w, r, err, func(status int, msg string) {
			// A contact or project the form no longer may name is shown without it.
			var fe *model.FieldError
			if errors.As(err, &fe) && fe.Field == "contact_id" {
				f.ContactID = ""
			}
			if errors.As(err, &fe) && fe.Field == "project_id" {
				f.ProjectID = ""
			}
			h.prjShowTask(w, r, status, f, msg)
		})
		return
	}
	to := "/tasks"
	switch {
	case t.ContactID != nil:
		to = "/contacts/" + *t.ContactID
	case t.ProjectID != nil:
		to = "/projects/" + *t.ProjectID
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// ---- Project: create and edit ----

type prjFields struct {
	Name, Description, StartsOn, EndsOn, Status string
}

type prjFormData struct {
	Project  *model.Project // nil for a new one
	Form     prjFields
	Statuses []model.ProjectStatus
	Error    string
}

func (h *handler) prjShowForm(w http.ResponseWriter, r *http.Request, status int, d prjFormData) {
	d.Statuses = []model.ProjectStatus{model.ProjectActive, model.ProjectPlanned}
	p := h.newPage(r, "prj.new", d)
	if d.Project != nil {
		p.Title = p.T("prj.edit") + ": " + d.Project.Name
	}
	h.render(w, r, status, "prj_form.html", p)
}

func (h *handler) prjNewForm(w http.ResponseWriter, r *http.Request) {
	h.prjShowForm(w, r, http.StatusOK, prjFormData{Form: prjFields{Status: string(model.ProjectActive)}})
}

func prjFormValues(r *http.Request) prjFields {
	return prjFields{Name: r.PostFormValue("name"), Description: r.PostFormValue("description"),
		StartsOn: strings.TrimSpace(r.PostFormValue("starts_on")), EndsOn: strings.TrimSpace(r.PostFormValue("ends_on")),
		Status: r.PostFormValue("status")}
}

// prjCreate creates a project that the user leads.
func (h *handler) prjCreate(w http.ResponseWriter, r *http.Request) {
	if !h.checkForm(w, r) {
		return
	}
	f := prjFormValues(r)
	st := model.ProjectStatus(f.Status)
	in := store.ProjectInput{Name: &f.Name, Description: &f.Description, StartsOn: &f.StartsOn, EndsOn: &f.EndsOn, Status: &st}
	p, err := h.store.CreateProject(r.Context(), actor(r), in)
	if err != nil {
		h.failForm(w, r, err, func(status int, msg string) { h.prjShowForm(w, r, status, prjFormData{Form: f, Error: msg}) })
		return
	}
	http.Redirect(w, r, "/projects/"+p.ID, http.StatusSeeOther)
}

func (h *handler) prjEditForm(w http.ResponseWriter, r *http.Request) {
	p, ok := h.prjProject(w, r, true)
	if !ok {
		return
	}
	f := prjFields{Name: p.Name, Description: p.Description, StartsOn: page{}.Str(p.StartsOn), EndsOn: page{}.Str(p.EndsOn), Status: string(p.Status)}
	h.prjShowForm(w, r, http.StatusOK, prjFormData{Project: &p, Form: f})
}

// prjUpdate saves a project's settings; its status moves only between planned and active
// (closing goes through the closure).
func (h *handler) prjUpdate(w http.ResponseWriter, r *http.Request) {
	p, ok := h.prjProject(w, r, true)
	if !ok || !h.checkForm(w, r) {
		return
	}
	f := prjFormValues(r)
	in := store.ProjectInput{Name: &f.Name, Description: &f.Description, StartsOn: &f.StartsOn, EndsOn: &f.EndsOn}
	if (p.Status == model.ProjectPlanned || p.Status == model.ProjectActive) && f.Status != "" && f.Status != string(p.Status) {
		st := model.ProjectStatus(f.Status)
		in.Status = &st
	}
	if _, err := h.store.UpdateProject(r.Context(), actor(r), p.ID, in); err != nil {
		h.failForm(w, r, err, func(status int, msg string) {
			f.Status = string(p.Status)
			h.prjShowForm(w, r, status, prjFormData{Project: &p, Form: f, Error: msg})
		})
		return
	}
	http.Redirect(w, r, "/projects/"+p.ID, http.StatusSeeOther)
}

// ---- Project: members and involved contacts ----

type prjPeopleData struct {
	Project model.Project
	Users   []model.User    // enabled users who are not members
	Query   string          // the contact search
	Found   []model.Contact // contacts the user sees that match it and are not involved
	Error   string
}

func (h *handler) prjPeople(w http.ResponseWriter, r *http.Request) {
	p, ok := h.prjProject(w, r, true)
	if !ok {
		return
	}
	h.prjShowPeople(w, r, http.StatusOK, p, r.URL.Query().Get("q"), "")
}

func (h *handler) prjShowPeople(w http.ResponseWriter, r *http.Request, status int, p model.Project, q, msg string) {
	d := prjPeopleData{Project: p, Query: strings.TrimSpace(q), Error: msg}
	users, err := h.prjEnabledUsers(r.Context())
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	for _, u := range users {
		if !slices.ContainsFunc(p.Members, func(m model.ProjectMember) bool { return m.UserID == u.ID }) {
			d.Users = append(d.Users, u)
		}
	}
	if d.Query != "" {
		pg, err := h.store.ListContacts(r.Context(), actor(r), store.ContactFilter{Query: d.Query, Limit: 20})
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		for _, c := range pg.Contacts {
			if !slices.ContainsFunc(p.Contacts, func(pc model.ProjectContact) bool { return pc.ContactID == c.ID }) {
				d.Found = append(d.Found, c)
			}
		}
	}
	pg := h.newPage(r, "prj.people", d)
	pg.Title = pg.T("prj.people") + ": " + p.Name
	h.render(w, r, status, "prj_people.html", pg)
}

// prjPeopleAction runs a change of the people page and redirects back to it; a refused one
// shows the page again with the reason.
func (h *handler) prjPeopleAction(w http.ResponseWriter, r *http.Request, run func(ctx context.Context, a store.Actor, projectID string) error) {
	p, ok := h.prjProject(w, r, true)
	if !ok || !h.checkForm(w, r) {
		return
	}
	if err := run(r.Context(), actor(r), p.ID); err != nil {
		h.failForm(w, r, err, func(status int, msg string) { h.prjShowPeople(w, r, status, p, "", msg) })
		return
	}
	http.Redirect(w, r, "/projects/"+p.ID+"/people", http.StatusSeeOther)
}

// prjAddMember adds a member, with the project's contacts on their devices (sync "read")
// or without; adding one again changes that.
func (h *handler) prjAddMember(w http.ResponseWriter, r *http.Request) {
	h.prjPeopleAction(w, r, func(ctx context.Context, a store.Actor, id string) error {
		var mode *string
		if r.PostFormValue("sync_mode") == "read" {
			mode = prjOptional("read")
		}
		user := r.PostFormValue("user_id")
		if !store.ValidID(user) {
			return &model.FieldError{Field: "user_id", Msg: "choose a user"}
		}
		return h.store.PutProjectMember(ctx, a, id, user, mode)
	})
}

func (h *handler) prjRemoveMember(w http.ResponseWriter, r *http.Request) {
	h.prjPeopleAction(w, r, func(ctx context.Context, a store.Actor, id string) error {
		return h.store.DeleteProjectMember(ctx, a, id, chi.URLParam(r, "user"))
	})
}

// prjAddContact involves a contact from the search in the project, with a role.
func (h *handler) prjAddContact(w http.ResponseWriter, r *http.Request) {
	h.prjPeopleAction(w, r, func(ctx context.Context, a store.Actor, id string) error {
		return h.store.PutProjectContact(ctx, a, id, r.PostFormValue("contact_id"), store.ProjectContactInput{Role: strings.TrimSpace(r.PostFormValue("role"))})
	})
}

func (h *handler) prjRemoveContact(w http.ResponseWriter, r *http.Request) {
	h.prjPeopleAction(w, r, func(ctx context.Context, a store.Actor, id string) error {
		return h.store.DeleteProjectContact(ctx, a, id, chi.URLParam(r, "contact"))
	})
}

// ---- Meetings ----

type prjMeetingData struct {
	Project   model.Project
	Meeting   model.Meeting // ID "" for a new one
	At        string        // the datetime-local value
	Users     []model.User
	Names     map[string]string // user id → name
	Contacts  []model.MeetingContact
	Chosen    map[string]bool // participants, granted and contacts of the form, by "p:", "g:", "c:" + id
	CanChange bool
	Error     string
}

// Picked reports whether the form has kind ("p", "g", "c") id chosen.
func (d prjMeetingData) Picked(kind, id string) bool { return d.Chosen[kind+":"+id] }

// prjMeeting is the {mid} meeting of project p that the user sees, or false after 404.
func (h *handler) prjMeeting(w http.ResponseWriter, r *http.Request, p model.Project) (model.Meeting, bool) {
	mid := chi.URLParam(r, "mid")
	if !store.ValidID(mid) {
		h.notFound(w, r)
		return model.Meeting{}, false
	}
	m, err := h.store.GetMeeting(r.Context(), actor(r), mid)
	if err == nil && m.ProjectID != p.ID {
		err = store.ErrNotFound
	}
	if err != nil {
		h.storeError(w, r, err)
		return m, false
	}
	return m, true
}

// prjMeetingForm fills the meeting form's choices: every enabled user; the project's
// involved contacts the user sees and those the meeting already shows.
func (h *handler) prjShowMeeting(w http.ResponseWriter, r *http.Request, status int, d prjMeetingData) {
	users, err := h.prjEnabledUsers(r.Context())
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	d.Users, d.Names = users, map[string]string{}
	for _, u := range users {
		d.Names[u.ID] = u.Name
	}
	d.Contacts = slices.Clone(d.Meeting.Contacts)
	for _, pc := range d.Project.Contacts {
		if !slices.ContainsFunc(d.Contacts, func(c model.MeetingContact) bool { return c.ContactID == pc.ContactID }) {
			d.Contacts = append(d.Contacts, model.MeetingContact{ContactID: pc.ContactID, DisplayName: pc.DisplayName})
		}
	}
	if d.Chosen == nil {
		d.Chosen = map[string]bool{}
		for _, id := range d.Meeting.Participants {
			d.Chosen["p:"+id] = true
		}
		for _, id := range d.Meeting.Granted {
			d.Chosen["g:"+id] = true
		}
		for _, c := range d.Meeting.Contacts {
			d.Chosen["c:"+c.ContactID] = true
		}
	}
	pg := h.newPage(r, "prj.meeting.new", d)
	if d.Meeting.ID != "" {
		pg.Title = d.Meeting.Title
	}
	h.render(w, r, status, "prj_meeting.html", pg)
}

func (h *handler) prjMeetingNew(w http.ResponseWriter, r *http.Request) {
	p, ok := h.prjProject(w, r, false)
	if !ok {
		return
	}
	at := time.Now().Add(time.Hour).Truncate(time.Hour)
	h.prjShowMeeting(w, r, http.StatusOK, prjMeetingData{Project: p, At: prjLocal(at), CanChange: true,
		Meeting: model.Meeting{Audience: model.MeetingAudienceProject, Participants: []string{currentUser(r).ID}}})
}

// prjMeetingInput reads the meeting form; a bad time is a field error.
func prjMeetingInput(r *http.Request) (model.MeetingInput, map[string]bool, error) {
	in := model.MeetingInput{Title: r.PostFormValue("title"), Agenda: r.PostFormValue("agenda"), Minutes: r.PostFormValue("minutes"),
		Audience: model.MeetingAudience(r.PostFormValue("audience")), Participants: r.PostForm["participants"],
		Granted: r.PostForm["granted"], ContactIDs: r.PostForm["contact_ids"]}
	for _, l := range []*[]string{&in.Participants, &in.Granted, &in.ContactIDs} {
		if *l == nil {
			*l = []string{}
		}
	}
	chosen := map[string]bool{}
	for kind, ids := range map[string][]string{"p": in.Participants, "g": in.Granted, "c": in.ContactIDs} {
		for _, id := range ids {
			chosen[kind+":"+id] = true
		}
	}
	at, err := prjParseLocal(r.PostFormValue("at"))
	if err != nil {
		return in, chosen, &model.FieldError{Field: "at", Msg: "must be a date and time"}
	}
	in.At = &at
	return in, chosen, nil
}

// prjMeetingCreate records a meeting of a project the user reads, with its access list.
func (h *handler) prjMeetingCreate(w http.ResponseWriter, r *http.Request) {
	p, ok := h.prjProject(w, r, false)
	if !ok || !h.checkForm(w, r) {
		return
	}
	in, chosen, err := prjMeetingInput(r)
	var m model.Meeting
	if err == nil {
		m, err = h.store.CreateMeeting(r.Context(), actor(r), p.ID, in)
	}
	if err != nil {
		h.failForm(w, r, err, func(status int, msg string) {
			h.prjShowMeeting(w, r, status, prjMeetingData{Project: p, At: r.PostFormValue("at"), Chosen: chosen, CanChange: true, Error: msg,
				Meeting: model.Meeting{Title: in.Title, Agenda: in.Agenda, Minutes: in.Minutes, Audience: in.Audience}})
		})
		return
	}
	http.Redirect(w, r, "/projects/"+p.ID+"/meetings/"+m.ID, http.StatusSeeOther)
}

// prjMeetingPage shows a meeting the user sees, with the form to change it when they may.
func (h *handler) prjMeetingPage(w http.ResponseWriter, r *http.Request) {
	p, ok := h.prjProject(w, r, false)
	if !ok {
		return
	}
	m, ok := h.prjMeeting(w, r, p)
	if !ok {
		return
	}
	h.prjShowMeeting(w, r, http.StatusOK, prjMeetingData{Project: p, Meeting: m, At: prjLocal(m.At),
		CanChange: prjMayChange(currentUser(r), p, m.CreatedBy)})
}

// prjMeetingUpdate changes a meeting: time, title, agenda, minutes, its access list.
func (h *handler) prjMeetingUpdate(w http.ResponseWriter, r *http.Request) {
	p, ok := h.prjProject(w, r, false)
	if !ok {
		return
	}
	m, ok := h.prjMeeting(w, r, p)
	if !ok || !h.checkForm(w, r) {
		return
	}
	in, chosen, err := prjMeetingInput(r)
	if err == nil {
		_, err = h.store.UpdateMeeting(r.Context(), actor(r), m.ID, model.MeetingPatch{At: in.At, Title: &in.Title, Agenda: &in.Agenda,
			Minutes: &in.Minutes, Audience: &in.Audience, Participants: &in.Participants, Granted: &in.Granted, ContactIDs: &in.ContactIDs})
	}
	if err != nil {
		h.failForm(w, r, err, func(status int, msg string) {
			shown := m
			shown.Title, shown.Agenda, shown.Minutes, shown.Audience = in.Title, in.Agenda, in.Minutes, in.Audience
			h.prjShowMeeting(w, r, status, prjMeetingData{Project: p, Meeting: shown, At: r.PostFormValue("at"), Chosen: chosen,
				CanChange: true, Error: msg})
		})
		return
	}
	http.Redirect(w, r, "/projects/"+p.ID+"/meetings/"+m.ID, http.StatusSeeOther)
}

func (h *handler) prjMeetingDelete(w http.ResponseWriter, r *http.Request) {
	p, ok := h.prjProject(w, r, false)
	if !ok {
		return
	}
	m, ok := h.prjMeeting(w, r, p)
	if !ok || !h.checkForm(w, r) {
		return
	}
	if err := h.store.DeleteMeeting(r.Context(), actor(r), m.ID); err != nil {
		h.failForm(w, r, err, func(status int, msg string) {
			h.prjShowMeeting(w, r, status, prjMeetingData{Project: p, Meeting: m, At: prjLocal(m.At), Error: msg,
				CanChange: prjMayChange(currentUser(r), p, m.CreatedBy)})
		})
		return
	}
	http.Redirect(w, r, "/projects/"+p.ID+"#h-meetings", http.StatusSeeOther)
}

// ---- Collaboration records ----

type prjRecord struct {
	model.CollaborationRecord
	ContactName string
	CanChange   bool
}

type prjCollabFields struct {
	ContactID, Delivered, PeriodFrom, PeriodTo, Quality, Timeliness, Communication, Comment string
}

type prjCollabData struct {
	Project model.Project
	Records []prjRecord
	Form    prjCollabFields
	EditID  string // the record the form changes ("" for a new one)
	Ratings []int
	Error   string
}

func (h *handler) prjCollab(w http.ResponseWriter, r *http.Request) {
	p, ok := h.prjProject(w, r, false)
	if !ok {
		return
	}
	h.prjShowCollab(w, r, http.StatusOK, p, prjCollabFields{}, "", "")
}

func (h *handler) prjShowCollab(w http.ResponseWriter, r *http.Request, status int, p model.Project, f prjCollabFields, editID, msg string) {
	recs, err := h.store.ListProjectCollaboration(r.Context(), actor(r), p.ID)
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	names := map[string]string{}
	for _, c := range p.Contacts {
		names[c.ContactID] = c.DisplayName
	}
	d := prjCollabData{Project: p, Form: f, EditID: editID, Ratings: []int{1, 2, 3, 4, 5}, Error: msg}
	u := currentUser(r)
	for _, rec := range recs {
		n := names[rec.ContactID]
		if n == "" {
			// A record's contact is one the user sees (the policy), if no longer involved.
			if c, err := h.store.GetContact(r.Context(), actor(r), rec.ContactID); err == nil {
				n = c.DisplayName
			}
		}
		d.Records = append(d.Records, prjRecord{CollaborationRecord: rec, ContactName: n, CanChange: prjMayChange(u, p, rec.CreatedBy)})
	}
	pg := h.newPage(r, "prj.collab", d)
	pg.Title = pg.T("prj.collab") + ": " + p.Name
	h.render(w, r, status, "prj_collab.html", pg)
}

// prjRating reads an optional rating field ("" for none).
func prjRating(field, s string) (*int, error) {
	if s = strings.TrimSpace(s); s == "" {
		return nil, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return nil, &model.FieldError{Field: field, Msg: "must be a rating from 1 to 5"}
	}
	return &n, nil
}

// prjCollabCreate records what an involved contact delivered and how well; the project's
// members and admins may.
func (h *handler) prjCollabCreate(w http.ResponseWriter, r *http.Request) {
	p, ok := h.prjProject(w, r, false)
	if !ok || !h.checkForm(w, r) {
		return
	}
	f, rec, err := prjCollabForm(r)
	rec.ProjectID = p.ID
	if err == nil && !store.ValidID(f.ContactID) {
		err = &model.FieldError{Field: "contact_id", Msg: "choose a contact"}
	}
	if err == nil {
		_, err = h.store.CreateCollaboration(r.Context(), actor(r), rec)
	}
	if err != nil {
		h.failForm(w, r, err, func(status int, msg string) { h.prjShowCollab(w, r, status, p, f, "", msg) })
		return
	}
	http.Redirect(w, r, "/projects/"+p.ID+"/collaboration", http.StatusSeeOther)
}

// prjCollabForm reads the record form; a rating that is no number is a field error.
func prjCollabForm(r *http.Request) (prjCollabFields, model.CollaborationRecord, error) {
	f := prjCollabFields{ContactID: r.PostFormValue("contact_id"), Delivered: r.PostFormValue("delivered"),
		PeriodFrom: r.PostFormValue("period_from"), PeriodTo: r.PostFormValue("period_to"), Quality: r.PostFormValue("quality"),
		Timeliness: r.PostFormValue("timeliness"), Communication: r.PostFormValue("communication"), Comment: r.PostFormValue("comment")}
	rec := model.CollaborationRecord{ContactID: f.ContactID, Delivered: f.Delivered, PeriodFrom: prjOptional(f.PeriodFrom),
		PeriodTo: prjOptional(f.PeriodTo), Comment: f.Comment}
	var err error
	for _, x := range []struct {
		field, v string
		to       **int
	}{{"quality", f.Quality, &rec.Quality}, {"timeliness", f.Timeliness, &rec.Timeliness}, {"communication", f.Communication, &rec.Communication}} {
		if err == nil {
			*x.to, err = prjRating(x.field, x.v)
		}
	}
	return f, rec, err
}

// prjRecordOf is the {rid} record of project p that the user sees and may change (its
// author, the lead, admins), or false after answering 404.
func (h *handler) prjRecordOf(w http.ResponseWriter, r *http.Request, p model.Project) (model.CollaborationRecord, bool) {
	rec, err := h.store.GetCollaboration(r.Context(), actor(r), chi.URLParam(r, "rid"))
	if err == nil && (rec.ProjectID != p.ID || !prjMayChange(currentUser(r), p, rec.CreatedBy)) {
		err = store.ErrNotFound
	}
	if err != nil {
		h.storeError(w, r, err)
		return rec, false
	}
	return rec, true
}

// prjCollabEdit shows the list with the form filled with one record to change.
func (h *handler) prjCollabEdit(w http.ResponseWriter, r *http.Request) {
	p, ok := h.prjProject(w, r, false)
	if !ok {
		return
	}
	rec, ok := h.prjRecordOf(w, r, p)
	if !ok {
		return
	}
	pg := page{}
	f := prjCollabFields{ContactID: rec.ContactID, Delivered: rec.Delivered, PeriodFrom: pg.Str(rec.PeriodFrom), PeriodTo: pg.Str(rec.PeriodTo),
		Quality: pg.Int(rec.Quality), Timeliness: pg.Int(rec.Timeliness), Communication: pg.Int(rec.Communication), Comment: rec.Comment}
	h.prjShowCollab(w, r, http.StatusOK, p, f, rec.ID, "")
}

// prjCollabUpdate changes a record (its contact and project stay).
func (h *handler) prjCollabUpdate(w http.ResponseWriter, r *http.Request) {
	p, ok := h.prjProject(w, r, false)
	if !ok {
		return
	}
	old, ok := h.prjRecordOf(w, r, p)
	if !ok || !h.checkForm(w, r) {
		return
	}
	f, rec, err := prjCollabForm(r)
	f.ContactID = old.ContactID
	if err == nil {
		_, err = h.store.UpdateCollaboration(r.Context(), actor(r), old.ID, model.CollaborationPatch{Delivered: &rec.Delivered,
			PeriodFrom: model.Optional[string]{Set: true, Value: rec.PeriodFrom}, PeriodTo: model.Optional[string]{Set: true, Value: rec.PeriodTo},
			Quality: model.Optional[int]{Set: true, Value: rec.Quality}, Timeliness: model.Optional[int]{Set: true, Value: rec.Timeliness},
			Communication: model.Optional[int]{Set: true, Value: rec.Communication}, Comment: &rec.Comment})
	}
	if err != nil {
		h.failForm(w, r, err, func(status int, msg string) { h.prjShowCollab(w, r, status, p, f, old.ID, msg) })
		return
	}
	http.Redirect(w, r, "/projects/"+p.ID+"/collaboration", http.StatusSeeOther)
}

// prjCollabDelete removes a record of this project; its author, the lead and admins may.
func (h *handler) prjCollabDelete(w http.ResponseWriter, r *http.Request) {
	p, ok := h.prjProject(w, r, false)
	if !ok || !h.checkForm(w, r) {
		return
	}
	rid := chi.URLParam(r, "rid")
	rec, err := h.store.GetCollaboration(r.Context(), actor(r), rid)
	if err == nil && rec.ProjectID != p.ID {
		err = store.ErrNotFound
	}
	if err == nil {
		err = h.store.DeleteCollaboration(r.Context(), actor(r), rid)
	}
	if err != nil {
		h.failForm(w, r, err, func(status int, msg string) { h.prjShowCollab(w, r, status, p, prjCollabFields{}, "", msg) })
		return
	}
	http.Redirect(w, r, "/projects/"+p.ID+"/collaboration", http.StatusSeeOther)
}

// ---- Closure: cancel and reopen ----

// prjCancelClosure ends a closure's grace period (the project is active again) and tells
// its workflow after the commit, as the API does.
func (h *handler) prjCancelClosure(w http.ResponseWriter, r *http.Request) {
	id, ok := h.pathID(w, r)
	if !ok || !h.checkForm(w, r) {
		return
	}
	if err := h.store.CancelProjectClosure(r.Context(), actor(r), id); err != nil {
		h.failForm(w, r, err, func(status int, msg string) {
			h.showProject(w, r, id, status, projectData{Error: msg, Grace: "72"})
		})
		return
	}
	if h.work.closer != nil {
		h.followups.Go(func(ctx context.Context) error { return h.work.closer.CancelClosure(ctx, id) })
	}
	http.Redirect(w, r, "/projects/"+id+"#closure", http.StatusSeeOther)
}

// prjReopen makes a closed project active again: its members see its contacts again. Like
// the API, it starts no workflow (a closure still waiting for devices reads the status).
func (h *handler) prjReopen(w http.ResponseWriter, r *http.Request) {
	id, ok := h.pathID(w, r)
	if !ok || !h.checkForm(w, r) {
		return
	}
	if err := h.store.ReopenProject(r.Context(), actor(r), id); err != nil {
		h.failForm(w, r, err, func(status int, msg string) {
			h.showProject(w, r, id, status, projectData{Error: msg, Grace: "72"})
		})
		return
	}
	http.Redirect(w, r, "/projects/"+id+"#closure", http.StatusSeeOther)
}

// PrjStars draws a rating from 1 to 5 as filled and empty stars.
func (p page) PrjStars(n *int) string {
	if n == nil || *n < 1 || *n > 5 {
		return ""
	}
	return strings.Repeat("★", *n) + strings.Repeat("☆", 5-*n)
}

// PrjCriteria are the criteria a collaboration record rates.
func (p page) PrjCriteria() []string { return []string{"quality", "timeliness", "communication"} }

// Rating is the form's value of criterion k.
func (f prjCollabFields) Rating(k string) string {
	switch k {
	case "quality":
		return f.Quality
	case "timeliness":
		return f.Timeliness
	case "communication":
		return f.Communication
	}
	return ""
}

// projectMessages are this room's strings: creating tasks, projects, meetings, ratings and
// events (projects_edit.go, events.go).
func projectMessages() catalogue {
	return catalogue{
		"en": {
			"prj.tools":                 "Project actions",
			"prj.new":                   "New project",
			"prj.edit":                  "Edit the project",
			"prj.create":                "Create the project",
			"prj.save":                  "Save",
			"prj.name":                  "Name",
			"prj.description":           "Description",
			"prj.starts":                "From",
			"prj.ends":                  "Until",
			"prj.none":                  "none",
			"prj.remove":                "Remove",
			"prj.people":                "Members and contacts",
			"prj.member.add":            "Add a member",
			"prj.member.role":           "Project contacts on their phone",
			"prj.member.sync":           "syncs the project's contacts",
			"prj.member.nosync":         "no sync",
			"prj.member.submit":         "Add the member",
			"prj.contact.search":        "Find a contact to involve",
			"prj.contact.role":          "Role in the project",
			"prj.contact.add":           "Involve",
			"prj.task.new":              "New task",
			"prj.task.title":            "What is to be done",
			"prj.task.about":            "About",
			"prj.task.due":              "Due on",
			"prj.task.assignee":         "Assignee",
			"prj.task.assigneehint":     "The assignee must see the contact the task is about.",
			"prj.task.create":           "Create the task",
			"prj.meeting.new":           "New meeting",
			"prj.meeting.edit":          "Change the meeting",
			"prj.meeting.create":        "Record the meeting",
			"prj.meeting.delete":        "Delete the meeting",
			"prj.meeting.at":            "Date and time",
			"prj.meeting.title":         "Title",
			"prj.meeting.agenda":        "Agenda",
			"prj.meeting.minutes":       "Minutes",
			"prj.meeting.access":        "Who sees the meeting",
			"prj.meeting.project":       "all project members",
			"prj.meeting.restricted":    "only its participants and the people below",
			"prj.meeting.restrictedtag": "restricted access",
			"prj.meeting.projecttag":    "for the project's members",
			"prj.meeting.accesshint":    "Besides these, its author always sees it. Administrators have no exception.",
			"prj.meeting.participants":  "Participants",
			"prj.meeting.contacts":      "Participating contacts",
			"prj.meeting.granted":       "Also shown to",
			"prj.meeting.grantedhint":   "People who did not take part but may read the minutes.",
			"prj.collab":                "Collaboration and ratings",
			"prj.collab.none":           "No collaboration records you may see.",
			"prj.collab.new":            "Record a delivery",
			"prj.collab.edit":           "Change the record",
			"prj.collab.contact":        "Contact",
			"prj.collab.delivered":      "What was delivered",
			"prj.collab.quality":        "Quality",
			"prj.collab.timeliness":     "Timeliness",
			"prj.collab.communication":  "Communication",
			"prj.collab.unrated":        "not rated",
			"prj.collab.comment":        "Comment",
			"prj.collab.create":         "Save the record",
			"prj.rating.1":              "poor",
			"prj.rating.2":              "below expectations",
			"prj.rating.3":              "as expected",
			"prj.rating.4":              "good",
			"prj.rating.5":              "excellent",
			"prj.closure.cancel":        "Cancel the closure",
			"prj.closure.done":          "Closure complete",
			"prj.reopen":                "Reopen the project",
			"evt.title":                 "Events",
			"evt.none":                  "No events you may see.",
			"evt.new":                   "New event",
			"evt.edit":                  "Edit the event",
			"evt.create":                "Create the event",
			"evt.delete":                "Delete the event",
			"evt.name":                  "Name",
			"evt.kind":                  "Kind",
			"evt.kind.business":         "business",
			"evt.kind.experience":       "experience",
			"evt.kind.conference":       "conference",
			"evt.starts":                "Starts",
			"evt.ends":                  "Ends",
			"evt.venue":                 "Place",
			"evt.staff":                 "Staff",
			"evt.owner":                 "owner",
			"evt.staff.add":             "Add to the staff",
			"evt.staff.submit":          "Add",
			"evt.invitations":           "Invitations",
			"evt.noinvitations":         "No invitations of contacts you may see.",
			"evt.mailhint":              "Inviting here records the invitation. The invitation e-mails with their RSVP links are sent by a campaign that invites to this event.",
			"evt.invite.search":         "Find a contact to invite",
			"evt.invite":                "Invite",
			"evt.invited":               "invited",
			"evt.mailed":                "mailed",
			"evt.responded":             "answered",
			"evt.rsvp":                  "RSVP",
			"evt.cancelinv":             "Withdraw",
			"evt.istatus.invited":       "invited",
			"evt.istatus.accepted":      "accepted",
			"evt.istatus.declined":      "declined",
			"evt.istatus.attended":      "attended",
		},
		"cs": {
			"prj.tools":                 "Akce projektu",
			"prj.new":                   "Nový projekt",
			"prj.edit":                  "Upravit projekt",
			"prj.create":                "Založit projekt",
			"prj.save":                  "Uložit",
			"prj.name":                  "Název",
			"prj.description":           "Popis",
			"prj.starts":                "Od",
			"prj.ends":                  "Do",
			"prj.none":                  "žádný",
			"prj.remove":                "Odebrat",
			"prj.people":                "Členové a kontakty",
			"prj.member.add":            "Přidat člena",
			"prj.member.role":           "Kontakty projektu v telefonu",
			"prj.member.sync":           "synchronizuje kontakty projektu",
			"prj.member.nosync":         "bez synchronizace",
			"prj.member.submit":         "Přidat člena",
			"prj.contact.search":        "Najít kontakt k zapojení",
			"prj.contact.role":          "Role v projektu",
			"prj.contact.add":           "Zapojit",
			"prj.task.new":              "Nový úkol",
			"prj.task.title":            "Co je třeba udělat",
			"prj.task.about":            "Týká se",
			"prj.task.due":              "Termín",
			"prj.task.assignee":         "Řešitel",
			"prj.task.assigneehint":     "Řešitel musí vidět kontakt, kterého se úkol týká.",
			"prj.task.create":           "Vytvořit úkol",
			"prj.meeting.new":           "Nová schůzka",
			"prj.meeting.edit":          "Změnit schůzku",
			"prj.meeting.create":        "Zapsat schůzku",
			"prj.meeting.delete":        "Smazat schůzku",
			"prj.meeting.at":            "Datum a čas",
			"prj.meeting.title":         "Název",
			"prj.meeting.agenda":        "Program",
			"prj.meeting.minutes":       "Zápis",
			"prj.meeting.access":        "Kdo schůzku vidí",
			"prj.meeting.project":       "všichni členové projektu",
			"prj.meeting.restricted":    "jen její účastníci a lidé níže",
			"prj.meeting.restrictedtag": "omezený přístup",
			"prj.meeting.projecttag":    "pro členy projektu",
			"prj.meeting.accesshint":    "Kromě nich ji vždy vidí její autor. Správci výjimku nemají.",
			"prj.meeting.participants":  "Účastníci",
			"prj.meeting.contacts":      "Zúčastněné kontakty",
			"prj.meeting.granted":       "Zobrazit také",
			"prj.meeting.grantedhint":   "Lidé, kteří se neúčastnili, ale smějí číst zápis.",
			"prj.collab":                "Spolupráce a hodnocení",
			"prj.collab.none":           "Žádné záznamy o spolupráci, které smíte vidět.",
			"prj.collab.new":            "Zapsat dodávku",
			"prj.collab.edit":           "Změnit záznam",
			"prj.collab.contact":        "Kontakt",
			"prj.collab.delivered":      "Co bylo dodáno",
			"prj.collab.quality":        "Kvalita",
			"prj.collab.timeliness":     "Dodržení termínů",
			"prj.collab.communication":  "Komunikace",
			"prj.collab.unrated":        "nehodnoceno",
			"prj.collab.comment":        "Komentář",
			"prj.collab.create":         "Uložit záznam",
			"prj.rating.1":              "špatná",
			"prj.rating.2":              "pod očekáváním",
			"prj.rating.3":              "podle očekávání",
			"prj.rating.4":              "dobrá",
			"prj.rating.5":              "vynikající",
			"prj.closure.cancel":        "Zrušit uzavírání",
			"prj.closure.done":          "Uzavření dokončeno",
			"prj.reopen":                "Znovu otevřít projekt",
			"evt.title":                 "Akce",
			"evt.none":                  "Žádné akce, které smíte vidět.",
			"evt.new":                   "Nová akce",
			"evt.edit":                  "Upravit akci",
			"evt.create":                "Založit akci",
			"evt.delete":                "Smazat akci",
			"evt.name":                  "Název",
			"evt.kind":                  "Druh",
			"evt.kind.business":         "obchodní",
			"evt.kind.experience":       "zážitková",
			"evt.kind.conference":       "konference",
			"evt.starts":                "Začátek",
			"evt.ends":                  "Konec",
			"evt.venue":                 "Místo",
			"evt.staff":                 "Organizátoři",
			"evt.owner":                 "vlastník",
			"evt.staff.add":             "Přidat organizátora",
			"evt.staff.submit":          "Přidat",
			"evt.invitations":           "Pozvánky",
			"evt.noinvitations":         "Žádné pozvánky kontaktů, které smíte vidět.",
			"evt.mailhint":              "Pozvání zde pozvánku zaznamená. E-maily s pozvánkou a odkazem na odpověď rozešle kampaň, která na tuto akci zve.",
			"evt.invite.search":         "Najít kontakt k pozvání",
			"evt.invite":                "Pozvat",
			"evt.invited":               "pozván",
			"evt.mailed":                "odesláno",
			"evt.responded":             "odpověď",
			"evt.rsvp":                  "Odpověď",
			"evt.cancelinv":             "Zrušit pozvánku",
			"evt.istatus.invited":       "pozván",
			"evt.istatus.accepted":      "přijde",
			"evt.istatus.declined":      "nepřijde",
			"evt.istatus.attended":      "zúčastnil se",
		},
	}
}
