package api

import (
	"encoding/csv"
	"net/http"
	"strconv"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// listTasks lists the caller's tasks (assignee=any: every task they see; or a user id),
// filtered by status, due (on or before a date), contact, project, campaign and event.
func (h *handler) listTasks(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := store.TaskFilter{Assignee: q.Get("assignee"), Status: q.Get("status"), Due: q.Get("due"), ContactID: q.Get("contact"),
		ProjectID: q.Get("project"), CampaignID: q.Get("campaign"), EventID: q.Get("event")}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > store.MaxTaskPage {
			writeError(w, http.StatusBadRequest, "must be between 1 and "+strconv.Itoa(store.MaxTaskPage), "limit")
			return
		}
		f.Limit = n
	}
	tasks, err := h.store.ListTasks(r.Context(), actor(r), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, tasks)
}

func (h *handler) createTask(w http.ResponseWriter, r *http.Request) {
	var in model.TaskInput
	if err := decode(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	t, err := h.store.CreateTask(r.Context(), actor(r), in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, t)
}

func (h *handler) updateTask(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	var in model.TaskPatch
	if err := decode(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	t, err := h.store.UpdateTask(r.Context(), actor(r), id, in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, t)
}

// completeTask records the worklog entry of a task (and, for a call or meeting about a
// contact, the activity).
func (h *handler) completeTask(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	var in model.TaskCompletion
	if err := decode(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	t, err := h.store.CompleteTask(r.Context(), actor(r), id, in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, t)
}

// worklogHeader is the header row of the worklog CSV.
var worklogHeader = []string{"by", "id", "name", "tasks", "minutes"}

// worklog answers the worklog report as JSON, or as CSV when csv is set.
func (h *handler) worklog(csvOut bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		by := q.Get("by")
		if by == "" {
			by = "person"
		}
		rows, err := h.store.Worklog(r.Context(), actor(r), by, q.Get("from"), q.Get("to"))
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if !csvOut {
			writeJSON(w, http.StatusOK, rows)
			return
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="worklog.csv"`)
		w.WriteHeader(http.StatusOK)
		w.Write([]byte("\uFEFF")) //nolint:errcheck // the client went away
		cw := csv.NewWriter(w)
		cw.UseCRLF = true
		cw.Write(worklogHeader) //nolint:errcheck
		for _, row := range rows {
			id := ""
			if row.ID != nil {
				id = *row.ID
			}
			cw.Write(csvSafe([]string{by, id, row.Name, strconv.Itoa(row.Tasks), strconv.Itoa(row.Minutes)})) //nolint:errcheck
		}
		cw.Flush()
	}
}
