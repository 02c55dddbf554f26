package web

// Work screens: my tasks (completing one is the worklog entry), activities on a contact's
// card, projects (members, involved contacts, meetings, closure with its workflow's
// progress) and campaigns (preview, launch, progress per rep, cancel). Every read and write
// goes through store, and so through the one visibility policy; what the user may not see
// answers 404. Workflow-backed actions start their workflow after the commit, as the API
// does, and link to its history in the Temporal Web UI.

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/session"
	"github.com/kontakt/kontakt/store"
	"github.com/kontakt/kontakt/workflows"
)

// ProjectCloser starts the ProjectClosure workflow of a committed closure request
// (workflows.ProjectCloser); harmless twice.
type ProjectCloser interface {
	StartClosure(ctx context.Context, projectID string) error
	CancelClosure(ctx context.Context, projectID string) error
}

// CampaignLauncher starts and cancels the CampaignLaunch workflow (workflows.Campaigns).
type CampaignLauncher interface {
	StartLaunch(ctx context.Context, campaignID string) error
	CancelLaunch(ctx context.Context, campaignID string) error
}

type workDeps struct {
	closer    ProjectCloser
	campaigns CampaignLauncher
	ui, ns    string
}

// workflowURL is the Temporal Web UI's page of a workflow, or "" without a UI configured.
func (d workDeps) workflowURL(id string) string {
	if d.ui == "" {
		return ""
	}
	ns := d.ns
	if ns == "" {
		ns = "default"
	}
	return strings.TrimRight(d.ui, "/") + "/namespaces/" + url.PathEscape(ns) + "/workflows/" + url.PathEscape(id)
}

// Str is the value of an optional string ("" for none).
func (p page) Str(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// Int is the value of an optional number as text ("" for none).
func (p page) Int(n *int) string {
	if n == nil {
		return ""
	}
	return strconv.Itoa(*n)
}

// DateText formats a YYYY-MM-DD date in the page's language ("" stays "").
func (p page) DateText(s *string) string {
	if s == nil || *s == "" {
		return ""
	}
	t, err := time.Parse(time.DateOnly, *s)
	if err != nil {
		return *s
	}
	return p.Date(t)
}

// Time formats a moment in the page's language.
func (p page) Time(t time.Time) string {
	if p.Lang == "cs" {
		return t.Local().Format("2. 1. 2006 15:04")
	}
	return t.Local().Format("2 Jan 2006 15:04")
}

// Num formats a whole number in the page's language (1 234 567 in Czech, 1,234,567 in
// English).
func (p page) Num(n int) string {
	tag := language.English
	if p.Lang == "cs" {
		tag = language.Czech
	}
	return message.NewPrinter(tag).Sprintf("%d", n)
}

// formFailure is why a form was refused: the status and the message shown on the page.
// ErrNotFound is not one (the caller answers 404).
func (h *handler) formFailure(r *http.Request, err error) (int, string, bool) {
	p := h.newPage(r, "app", nil)
	var fe *model.FieldError
	var ce *store.ConflictError
	switch {
	case errors.As(err, &fe):
		return http.StatusBadRequest, p.T("work.invalid") + " " + fe.Field + ": " + fe.Msg, true
	case errors.As(err, &ce):
		return http.StatusConflict, p.T("work.conflict") + " " + ce.Msg, true
	case errors.Is(err, store.ErrForbidden):
		return http.StatusForbidden, p.T("work.notallowed"), true
	}
	return 0, "", false
}

// checkForm refuses a POST without the session's CSRF token (same origin is checked by
// the sameOrigin middleware).
func (h *handler) checkForm(w http.ResponseWriter, r *http.Request) bool {
	if !validToken(r, csrfToken(session.Secret(r))) {
		h.errorPage(w, r, http.StatusForbidden, "err.forbidden")
		return false
	}
	return true
}

// failForm answers a failed write: 404 for what the user may not see, the page again with
// the reason for a refused form, 500 otherwise.
func (h *handler) failForm(w http.ResponseWriter, r *http.Request, err error, again func(status int, msg string)) {
	if errors.Is(err, store.ErrNotFound) {
		h.errorPage(w, r, http.StatusNotFound, "err.notfound")
		return
	}
	if status, msg, ok := h.formFailure(r, err); ok {
		again(status, msg)
		return
	}
	h.serverError(w, r, err)
}

// pathID is the {id} of the path, or a 404 page when it is not an id.
func (h *handler) pathID(w http.ResponseWriter, r *http.Request) (string, bool) {
	id := chi.URLParam(r, "id")
	if !store.ValidID(id) {
		h.errorPage(w, r, http.StatusNotFound, "err.notfound")
		return "", false
	}
	return id, true
}

// ---- My tasks ----

type tasksData struct {
	Open, Done []model.Task
	Error      string
	ErrorTask  string
	Outcome    string
	Minutes    string
}

func (h *handler) tasksPage(w http.ResponseWriter, r *http.Request) {
	h.showTasks(w, r, http.StatusOK, tasksData{})
}

func (h *handler) showTasks(w http.ResponseWriter, r *http.Request, status int, d tasksData) {
	var err error
	if d.Open, err = h.store.ListTasks(r.Context(), actor(r), store.TaskFilter{Status: string(model.TaskOpen)}); err != nil {
		h.serverError(w, r, err)
		return
	}
	done, err := h.store.ListTasks(r.Context(), actor(r), store.TaskFilter{Status: string(model.TaskDone)})
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	// The most recently completed first, the last 50.
	sortByCompletion(done)
	if len(done) > 50 {
		done = done[:50]
	}
	d.Done = done
	h.render(w, r, status, "work_tasks.html", h.newPage(r, "tasks.title", d))
}

func sortByCompletion(ts []model.Task) {
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0 && completedAfter(ts[j], ts[j-1]); j-- {
			ts[j], ts[j-1] = ts[j-1], ts[j]
		}
	}
}

func completedAfter(a, b model.Task) bool {
	return a.CompletedAt != nil && (b.CompletedAt == nil || a.CompletedAt.After(*b.CompletedAt))
}

// completeTask records the worklog entry of one of the user's tasks (the store also
// records the activity of a call or meeting about a contact).
func (h *handler) completeTask(w http.ResponseWriter, r *http.Request) {
	id, ok := h.pathID(w, r)
	if !ok || !h.checkForm(w, r) {
		return
	}
	outcome, minutes := r.PostFormValue("outcome"), strings.TrimSpace(r.PostFormValue("minutes"))
	c := model.TaskCompletion{Outcome: outcome}
	if minutes != "" {
		n, err := strconv.Atoi(minutes)
		if err != nil {
			h.showTasks(w, r, http.StatusBadRequest, tasksData{Error: h.newPage(r, "app", nil).T("tasks.badminutes"),
				ErrorTask: id, Outcome: outcome, Minutes: minutes})
			return
		}
		c.MinutesSpent = &n
	}
	if _, err := h.store.CompleteTask(r.Context(), actor(r), id, c); err != nil {
		h.failForm(w, r, err, func(status int, msg string) {
			h.showTasks(w, r, status, tasksData{Error: msg, ErrorTask: id, Outcome: outcome, Minutes: minutes})
		})
		return
	}
	http.Redirect(w, r, "/tasks", http.StatusSeeOther)
}

// ---- Activities on a contact's card ----

// logActivity records a call, meeting, e-mail, visit or note on a contact the user sees.
func (h *handler) logActivity(w http.ResponseWriter, r *http.Request) {
	id, ok := h.pathID(w, r)
	if !ok || !h.checkForm(w, r) {
		return
	}
	a := model.Activity{ContactID: id, Type: model.ActivityType(r.PostFormValue("type")), OccurredAt: time.Now(),
		Outcome: r.PostFormValue("outcome"), Body: r.PostFormValue("body")}
	if m := strings.TrimSpace(r.PostFormValue("minutes")); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil {
			h.cardWithError(w, r, id, http.StatusBadRequest, h.newPage(r, "app", nil).T("tasks.badminutes"))
			return
		}
		a.DurationMinutes = &n
	}
	if _, err := h.store.CreateActivity(r.Context(), actor(r), a); err != nil {
		h.failForm(w, r, err, func(status int, msg string) { h.cardWithError(w, r, id, status, msg) })
		return
	}
	http.Redirect(w, r, "/contacts/"+id+"#activities", http.StatusSeeOther)
}

// cardWithError shows the card again with the activity form's error.
func (h *handler) cardWithError(w http.ResponseWriter, r *http.Request, id string, status int, msg string) {
	h.showCard(w, r, id, status, msg)
}

// activityTypes are the types the activity form offers.
func (p page) ActivityTypes() []model.ActivityType { return model.ActivityTypes }

// ---- Projects ----

type projectData struct {
	Project     model.Project
	Meetings    []model.Meeting
	CanManage   bool
	Closure     *store.ProjectClosureReport
	WorkflowURL string
	Error       string
	Grace       string
}

func (h *handler) projectsPage(w http.ResponseWriter, r *http.Request) {
	ps, err := h.store.ListProjects(r.Context(), actor(r))
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "work_projects.html", h.newPage(r, "projects.title", ps))
}

func (h *handler) projectPage(w http.ResponseWriter, r *http.Request) {
	id, ok := h.pathID(w, r)
	if !ok {
		return
	}
	h.showProject(w, r, id, http.StatusOK, projectData{Grace: "72"})
}

func (h *handler) showProject(w http.ResponseWriter, r *http.Request, id string, status int, d projectData) {
	p, err := h.store.GetProject(r.Context(), actor(r), id)
	if errors.Is(err, store.ErrNotFound) {
		h.errorPage(w, r, http.StatusNotFound, "err.notfound")
		return
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	d.Project = p
	if d.Meetings, err = h.store.ListProjectMeetings(r.Context(), actor(r), id); err != nil {
		h.serverError(w, r, err)
		return
	}
	// The closure report is the lead's and admins'; members get ErrForbidden.
	c, err := h.store.GetProjectClosure(r.Context(), actor(r), id)
	switch {
	case err == nil:
		d.CanManage, d.Closure = true, &c
		if c.RequestedAt != nil || c.ClosedAt != nil {
			d.WorkflowURL = h.work.workflowURL(workflows.ProjectClosureID(id))
		}
	case errors.Is(err, store.ErrForbidden):
	default:
		h.serverError(w, r, err)
		return
	}
	pg := h.newPage(r, "projects.title", d)
	pg.Title = p.Name
	h.render(w, r, status, "work_project.html", pg)
}

// closeProject starts closing a project after a grace period in hours; the lead and
// admins may. The ProjectClosure workflow is started after the commit.
func (h *handler) closeProject(w http.ResponseWriter, r *http.Request) {
	id, ok := h.pathID(w, r)
	if !ok || !h.checkForm(w, r) {
		return
	}
	raw := strings.TrimSpace(r.PostFormValue("grace_hours"))
	hours, err := strconv.ParseFloat(strings.Replace(raw, ",", ".", 1), 64)
	if err != nil || hours < 0 || hours > 90*24 {
		h.showProject(w, r, id, http.StatusBadRequest, projectData{Error: h.newPage(r, "app", nil).T("projects.badgrace"), Grace: raw})
		return
	}
	if err := h.store.RequestProjectClosure(r.Context(), actor(r), id, time.Duration(hours*float64(time.Hour))); err != nil {
		h.failForm(w, r, err, func(status int, msg string) {
			h.showProject(w, r, id, status, projectData{Error: msg, Grace: raw})
		})
		return
	}
	if h.work.closer != nil {
		h.followups.Go(func(ctx context.Context) error {
			if err := h.work.closer.StartClosure(ctx, id); err != nil {
				return err
			}
			return h.store.MarkProjectClosureStarted(ctx, id)
		})
	}
	http.Redirect(w, r, "/projects/"+id+"#closure", http.StatusSeeOther)
}

// ---- Campaigns ----

type campaignData struct {
	Campaign    model.Campaign
	Preview     *store.CampaignPreview
	Results     model.CampaignResults
	RepNames    map[string]string
	CanManage   bool
	CanLaunch   bool
	CanCancel   bool
	WorkflowURL string
	Error       string
}

type campaignsData struct {
	Campaigns []model.Campaign
	MayCreate bool // the user manages a book, so may define a campaign
}

func (h *handler) campaignsPage(w http.ResponseWriter, r *http.Request) {
	cs, err := h.store.ListCampaigns(r.Context(), actor(r))
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	mayCreate, err := h.mayCreateCampaign(r)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "work_campaigns.html", h.newPage(r, "campaigns.title",
		campaignsData{Campaigns: cs, MayCreate: mayCreate}))
}

func (h *handler) campaignPage(w http.ResponseWriter, r *http.Request) {
	id, ok := h.pathID(w, r)
	if !ok {
		return
	}
	h.showCampaign(w, r, id, http.StatusOK, "")
}

func (h *handler) showCampaign(w http.ResponseWriter, r *http.Request, id string, status int, msg string) {
	c, err := h.store.GetCampaign(r.Context(), actor(r), id)
	if errors.Is(err, store.ErrNotFound) {
		h.errorPage(w, r, http.StatusNotFound, "err.notfound")
		return
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	u := currentUser(r)
	d := campaignData{Campaign: c, Error: msg, RepNames: map[string]string{}}
	d.CanManage = u.IsAdmin || (c.OwnerID != nil && *c.OwnerID == u.ID)
	d.CanLaunch = d.CanManage && c.Status == model.CampaignDraft
	d.CanCancel = d.CanManage && c.Status != model.CampaignDone && c.Status != model.CampaignCancelled
	if c.Status == model.CampaignDraft {
		pv, err := h.store.PreviewCampaign(r.Context(), actor(r), id)
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		d.Preview = &pv
	}
	if d.Results, err = h.store.CampaignResults(r.Context(), actor(r), id); err != nil {
		h.serverError(w, r, err)
		return
	}
	for _, rp := range d.Results.PerRep {
		if rp.RepID != nil {
			if ru, err := h.store.GetUser(r.Context(), *rp.RepID); err == nil {
				d.RepNames[*rp.RepID] = ru.Name
			}
		}
	}
	if c.LaunchedAt != nil {
		d.WorkflowURL = h.work.workflowURL(workflows.CampaignLaunchID(id))
	}
	pg := h.newPage(r, "campaigns.title", d)
	pg.Title = c.Name
	h.render(w, r, status, "work_campaign.html", pg)
}

// launchCampaign commits the launch of a draft campaign (owner and admins); the
// CampaignLaunch workflow is started after the commit.
func (h *handler) launchCampaign(w http.ResponseWriter, r *http.Request) {
	id, ok := h.pathID(w, r)
	if !ok || !h.checkForm(w, r) {
		return
	}
	if _, err := h.store.LaunchCampaign(r.Context(), actor(r), id); err != nil {
		h.failForm(w, r, err, func(status int, msg string) { h.showCampaign(w, r, id, status, msg) })
		return
	}
	if h.work.campaigns != nil {
		h.followups.Go(func(ctx context.Context) error {
			if err := h.work.campaigns.StartLaunch(ctx, id); err != nil {
				return err
			}
			return h.store.MarkCampaignLaunchStarted(ctx, id)
		})
	}
	http.Redirect(w, r, "/campaigns/"+id, http.StatusSeeOther)
}

// cancelCampaign cancels a campaign that is not over (its open tasks with it); the launch
// workflow is told after the commit.
func (h *handler) cancelCampaign(w http.ResponseWriter, r *http.Request) {
	id, ok := h.pathID(w, r)
	if !ok || !h.checkForm(w, r) {
		return
	}
	c, err := h.store.CancelCampaign(r.Context(), actor(r), id)
	if err != nil {
		h.failForm(w, r, err, func(status int, msg string) { h.showCampaign(w, r, id, status, msg) })
		return
	}
	if h.work.campaigns != nil && c.LaunchedAt != nil {
		h.followups.Go(func(ctx context.Context) error { return h.work.campaigns.CancelLaunch(ctx, id) })
	}
	http.Redirect(w, r, "/campaigns/"+id, http.StatusSeeOther)
}
