package web

// The audit log for admins: filters by actor, action, contact and a date range, newest
// first, paged by the last entry's id (as the API).

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// auditPageSize is how many entries a page of the audit log shows.
const auditPageSize = 50

type auditRow struct {
	model.AuditEntry
	Actor  string
	Detail string
}

type auditData struct {
	Actor, Action, Contact, From, To string
	Users                            []model.User
	Entries                          []auditRow
	Next                             string
	Error                            string
}

// auditFilter reads the page's query into a store filter, or an error message key.
func auditFilter(q url.Values, d *auditData) (store.AuditFilter, string) {
	d.Actor, d.Action = q.Get("actor"), strings.TrimSpace(q.Get("action"))
	d.Contact, d.From, d.To = strings.TrimSpace(q.Get("contact")), q.Get("from"), q.Get("to")
	f := store.AuditFilter{ActorID: d.Actor, Action: d.Action, ContactID: d.Contact, Limit: auditPageSize}
	if (f.ActorID != "" && !store.ValidID(f.ActorID)) || (f.ContactID != "" && !store.ValidID(f.ContactID)) {
		return f, "adm.audit.badid"
	}
	if s := q.Get("before"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 1 {
			return f, "adm.invalid"
		}
		f.Before = n
	}
	for _, p := range []struct {
		v    string
		dst  **time.Time
		next bool
	}{{d.From, &f.Since, false}, {d.To, &f.Until, true}} {
		if p.v == "" {
			continue
		}
		t, err := time.ParseInLocation("2006-01-02", p.v, time.Local)
		if err != nil {
			return f, "adm.audit.baddate"
		}
		if p.next { // "to" includes its day
			t = t.AddDate(0, 0, 1)
		}
		*p.dst = &t
	}
	return f, ""
}

func (h *handler) auditPage(w http.ResponseWriter, r *http.Request) {
	if !h.requireAdminPage(w, r) {
		return
	}
	users, err := h.store.ListUsers(r.Context())
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	p := h.newPage(r, "adm.audit", nil)
	d := auditData{Users: users}
	f, errKey := auditFilter(r.URL.Query(), &d)
	if errKey != "" {
		d.Error = p.T(errKey)
		p.Data = d
		h.render(w, r, http.StatusBadRequest, "admin_audit.html", p)
		return
	}
	es, err := h.store.ListAudit(r.Context(), f)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	names := map[string]string{}
	for _, u := range users {
		names[u.ID] = u.Name
	}
	for _, e := range es {
		row := auditRow{AuditEntry: e, Actor: "—"}
		if e.ActorID != nil {
			row.Actor = names[*e.ActorID]
		}
		if len(e.Detail) > 0 {
			b, _ := json.Marshal(e.Detail)
			row.Detail = string(b)
		}
		d.Entries = append(d.Entries, row)
	}
	if len(es) == auditPageSize {
		q := url.Values{"actor": {d.Actor}, "action": {d.Action}, "contact": {d.Contact}, "from": {d.From}, "to": {d.To},
			"before": {strconv.FormatInt(es[len(es)-1].ID, 10)}}
		d.Next = "/admin/audit?" + q.Encode()
	}
	p.Data = d
	h.render(w, r, http.StatusOK, "admin_audit.html", p)
}
