package web

// Events (issue #8, part 3): the events the user sees (organisation admins, an event's owner
// and its staff), creating and changing one (name, time, place, description), its staff
// (the owner and admins choose them), and its invitations: inviting contacts the user
// sees, recording each invitee's RSVP, withdrawing an invitation. Invitations go through
// the same store calls as the API's, so an invitation of a contact the user may not see is
// absent here as there. Like PUT /api/events/{id}/invitations/{contact}, inviting records
// the invitation only; the invitation mails with their RSVP links are sent by a campaign
// that invites to the event (the CampaignLaunch workflow), never from a page.

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// mountEvents routes the event pages (called from mountProjects).
func (h *handler) mountEvents(r chi.Router) {
	r.Get("/events", h.evtList)
	r.Get("/events/new", h.evtNew)
	r.Post("/events", h.evtCreate)
	r.Get("/events/{id}", h.evtPage)
	r.Get("/events/{id}/edit", h.evtEdit)
	r.Post("/events/{id}/edit", h.evtUpdate)
	r.Post("/events/{id}/delete", h.evtDelete)
	r.Post("/events/{id}/staff", h.evtAddStaff)
	r.Post("/events/{id}/staff/{user}/remove", h.evtRemoveStaff)
	r.Post("/events/{id}/invitations", h.evtInvite)
	r.Post("/events/{id}/invitations/{contact}/status", h.evtSetStatus)
	r.Post("/events/{id}/invitations/{contact}/cancel", h.evtCancelInvitation)
}

// evtManages mirrors store's requireEvent(manage): the owner and organisation admins.
func evtManages(u model.User, e model.Event) bool {
	return u.IsAdmin || (e.OwnerID != nil && *e.OwnerID == u.ID)
}

func (h *handler) evtList(w http.ResponseWriter, r *http.Request) {
	es, err := h.store.ListEvents(r.Context(), actor(r))
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "evt_list.html", h.newPage(r, "evt.title", es))
}

// evtEvent is the {id} event the user sees, or false after answering 404.
func (h *handler) evtEvent(w http.ResponseWriter, r *http.Request) (model.Event, bool) {
	id, ok := h.pathID(w, r)
	if !ok {
		return model.Event{}, false
	}
	e, err := h.store.GetEvent(r.Context(), actor(r), id)
	if err != nil {
		h.storeError(w, r, err)
		return e, false
	}
	return e, true
}

// ---- Create and edit ----

type evtFields struct {
	Name, Kind, StartsAt, EndsAt, Venue, Description string
}

type evtFormData struct {
	Event *model.Event // nil for a new one
	Form  evtFields
	Kinds []model.EventKind
	Error string
}

func (h *handler) evtShowForm(w http.ResponseWriter, r *http.Request, status int, d evtFormData) {
	d.Kinds = model.EventKinds
	p := h.newPage(r, "evt.new", d)
	if d.Event != nil {
		p.Title = p.T("evt.edit") + ": " + d.Event.Name
	}
	h.render(w, r, status, "evt_form.html", p)
}

func (h *handler) evtNew(w http.ResponseWriter, r *http.Request) {
	at := time.Now().AddDate(0, 0, 14).Truncate(time.Hour)
	h.evtShowForm(w, r, http.StatusOK, evtFormData{Form: evtFields{Kind: "business", StartsAt: prjLocal(at)}})
}

// evtInput reads the event form; a time that is not one is a field error.
func evtInput(r *http.Request) (model.EventInput, evtFields, error) {
	f := evtFields{Name: r.PostFormValue("name"), Kind: r.PostFormValue("kind"), StartsAt: r.PostFormValue("starts_at"),
		EndsAt: r.PostFormValue("ends_at"), Venue: r.PostFormValue("venue"), Description: r.PostFormValue("description")}
	kind := model.EventKind(f.Kind)
	in := model.EventInput{Name: &f.Name, Kind: &kind, Venue: &f.Venue, Description: &f.Description}
	start, err := prjParseLocal(f.StartsAt)
	if err != nil {
		return in, f, &model.FieldError{Field: "starts_at", Msg: "must be a date and time"}
	}
	in.StartsAt = &start
	if strings.TrimSpace(f.EndsAt) != "" {
		end, err := prjParseLocal(f.EndsAt)
		if err != nil {
			return in, f, &model.FieldError{Field: "ends_at", Msg: "must be a date and time"}
		}
		in.EndsAt = &end
	}
	return in, f, nil
}

// evtCreate creates an event that the user owns.
func (h *handler) evtCreate(w http.ResponseWriter, r *http.Request) {
	if !h.checkForm(w, r) {
		return
	}
	in, f, err := evtInput(r)
	var e model.Event
	if err == nil {
		e, err = h.store.CreateEvent(r.Context(), actor(r), in)
	}
	if err != nil {
		h.failForm(w, r, err, func(status int, msg string) { h.evtShowForm(w, r, status, evtFormData{Form: f, Error: msg}) })
		return
	}
	http.Redirect(w, r, "/events/"+e.ID, http.StatusSeeOther)
}

func (h *handler) evtEdit(w http.ResponseWriter, r *http.Request) {
	e, ok := h.evtEvent(w, r)
	if !ok {
		return
	}
	f := evtFields{Name: e.Name, Kind: string(e.Kind), StartsAt: prjLocal(e.StartsAt), Venue: e.Venue, Description: e.Description}
	if e.EndsAt != nil {
		f.EndsAt = prjLocal(*e.EndsAt)
	}
	h.evtShowForm(w, r, http.StatusOK, evtFormData{Event: &e, Form: f})
}

// evtUpdate saves an event; whoever sees it (owner, staff, admins) may.
func (h *handler) evtUpdate(w http.ResponseWriter, r *http.Request) {
	e, ok := h.evtEvent(w, r)
	if !ok || !h.checkForm(w, r) {
		return
	}
	in, f, err := evtInput(r)
	if err == nil {
		_, err = h.store.UpdateEvent(r.Context(), actor(r), e.ID, in)
	}
	if err != nil {
		h.failForm(w, r, err, func(status int, msg string) { h.evtShowForm(w, r, status, evtFormData{Event: &e, Form: f, Error: msg}) })
		return
	}
	http.Redirect(w, r, "/events/"+e.ID, http.StatusSeeOther)
}

// evtDelete deletes an event with its staff and invitations; its owner and admins may.
func (h *handler) evtDelete(w http.ResponseWriter, r *http.Request) {
	e, ok := h.evtEvent(w, r)
	if !ok || !h.checkForm(w, r) {
		return
	}
	if err := h.store.DeleteEvent(r.Context(), actor(r), e.ID); err != nil {
		h.failForm(w, r, err, func(status int, msg string) { h.evtShow(w, r, status, e, "", msg) })
		return
	}
	http.Redirect(w, r, "/events", http.StatusSeeOther)
}

// ---- The event: staff and invitations ----

type evtData struct {
	Event       model.Event
	Owner       string
	Staff       []model.User
	Users       []model.User // enabled users who may become staff
	Invitations []model.Invitation
	Statuses    []model.InvitationStatus
	Query       string
	Found       []model.Contact // contacts the user sees that match Query and are not invited
	CanManage   bool
	Error       string
}

func (h *handler) evtPage(w http.ResponseWriter, r *http.Request) {
	e, ok := h.evtEvent(w, r)
	if !ok {
		return
	}
	h.evtShow(w, r, http.StatusOK, e, r.URL.Query().Get("q"), "")
}

func (h *handler) evtShow(w http.ResponseWriter, r *http.Request, status int, e model.Event, q, msg string) {
	d := evtData{Event: e, Statuses: model.InvitationStatuses, Query: strings.TrimSpace(q), Error: msg,
		CanManage: evtManages(currentUser(r), e)}
	all, err := h.store.ListUsers(r.Context())
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	for _, u := range all {
		switch {
		case e.OwnerID != nil && *e.OwnerID == u.ID:
			d.Owner = u.Name
		case slices.Contains(e.Staff, u.ID):
			d.Staff = append(d.Staff, u)
		case !u.Disabled:
			d.Users = append(d.Users, u)
		}
	}
	if d.Invitations, err = h.store.ListInvitations(r.Context(), actor(r), e.ID); err != nil {
		h.storeError(w, r, err)
		return
	}
	if d.Query != "" {
		pg, err := h.store.ListContacts(r.Context(), actor(r), store.ContactFilter{Query: d.Query, Limit: 20})
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		for _, c := range pg.Contacts {
			if !slices.ContainsFunc(d.Invitations, func(i model.Invitation) bool { return i.ContactID == c.ID }) {
				d.Found = append(d.Found, c)
			}
		}
	}
	p := h.newPage(r, "evt.title", d)
	p.Title = e.Name
	h.render(w, r, status, "evt_event.html", p)
}

// evtAction runs a change on the event page and redirects back to it; a refused one shows
// the page again with the reason.
func (h *handler) evtAction(w http.ResponseWriter, r *http.Request, anchor string, run func(ctx context.Context, a store.Actor, eventID string) error) {
	e, ok := h.evtEvent(w, r)
	if !ok || !h.checkForm(w, r) {
		return
	}
	if err := run(r.Context(), actor(r), e.ID); err != nil {
		h.failForm(w, r, err, func(status int, msg string) { h.evtShow(w, r, status, e, "", msg) })
		return
	}
	http.Redirect(w, r, "/events/"+e.ID+anchor, http.StatusSeeOther)
}

func (h *handler) evtAddStaff(w http.ResponseWriter, r *http.Request) {
	h.evtAction(w, r, "#h-staff", func(ctx context.Context, a store.Actor, id string) error {
		return h.store.PutEventStaff(ctx, a, id, r.PostFormValue("user_id"))
	})
}

func (h *handler) evtRemoveStaff(w http.ResponseWriter, r *http.Request) {
	h.evtAction(w, r, "#h-staff", func(ctx context.Context, a store.Actor, id string) error {
		user := chi.URLParam(r, "user")
		if !store.ValidID(user) {
			return store.ErrNotFound
		}
		return h.store.DeleteEventStaff(ctx, a, id, user)
	})
}

// evtInvite invites a contact the user sees (from the search); the store answers 404 for
// any other, as the API does.
func (h *handler) evtInvite(w http.ResponseWriter, r *http.Request) {
	h.evtAction(w, r, "#h-invitations", func(ctx context.Context, a store.Actor, id string) error {
		_, err := h.store.PutInvitation(ctx, a, id, r.PostFormValue("contact_id"))
		return err
	})
}

// evtSetStatus records an invitee's answer (or attendance) that staff heard of directly.
func (h *handler) evtSetStatus(w http.ResponseWriter, r *http.Request) {
	h.evtAction(w, r, "#h-invitations", func(ctx context.Context, a store.Actor, id string) error {
		_, err := h.store.SetInvitationStatus(ctx, a, id, chi.URLParam(r, "contact"), model.InvitationStatus(r.PostFormValue("status")))
		return err
	})
}

// evtCancelInvitation withdraws an invitation; its RSVP link stops answering.
func (h *handler) evtCancelInvitation(w http.ResponseWriter, r *http.Request) {
	h.evtAction(w, r, "#h-invitations", func(ctx context.Context, a store.Actor, id string) error {
		return h.store.DeleteInvitation(ctx, a, id, chi.URLParam(r, "contact"))
	})
}
