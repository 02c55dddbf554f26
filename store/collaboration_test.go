package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// projectCast is a project with its people: admin; lead lenka and member marek; mira,
// manager of the book "Dodavatelé", and eda, its editor, neither of them members; olga, who
// has nothing. The book holds an organisation, a person related to it during 2025, and a
// contact not involved in the project.
type projectCast struct {
	admin, lead, member, manager, editor, outsider store.Actor
	book                                           model.Book
	org, person, other                             model.Contact
	project                                        model.Project
}

func newProjectCast(t *testing.T, st *store.Store) *projectCast {
	t.Helper()
	ctx := context.Background()
	pc := &projectCast{}
	pc.admin, pc.book = fixture(t, st)
	user := func(login string) store.Actor {
		u, err := st.CreateUser(ctx, pc.admin, model.User{Login: login, Name: login}, "")
		mustNoErr(t, err)
		return store.Actor{UserID: u.ID, Channel: "api"}
	}
	pc.lead, pc.member, pc.manager, pc.editor, pc.outsider = user("lenka"), user("marek"), user("mira"), user("eda"), user("olga")
	for _, g := range []struct {
		a    store.Actor
		role model.Role
	}{{pc.lead, "viewer"}, {pc.manager, "manager"}, {pc.editor, "editor"}} {
		_, err := st.PutGrant(ctx, pc.admin, model.Grant{BookID: pc.book.ID, UserID: &g.a.UserID, Role: g.role})
		mustNoErr(t, err)
	}
	contact := func(c model.Contact) model.Contact {
		c.BookID = pc.book.ID
		created, err := st.CreateContact(ctx, pc.admin, c)
		mustNoErr(t, err)
		return created
	}
	pc.org = contact(model.Contact{Kind: "organisation", OrgName: "Stavby Novák s.r.o.", Type: "supplier"})
	pc.person = contact(model.Contact{Kind: "person", GivenName: "Petr", FamilyName: "Tesař"})
	pc.other = contact(model.Contact{Kind: "person", GivenName: "Ota", FamilyName: "Jiný"})
	_, err := st.AddRelation(ctx, pc.admin, model.Relation{PersonID: pc.person.ID, OrganisationID: pc.org.ID, Role: "tesař",
		ValidFrom: ptr("2025-01-01"), ValidTo: ptr("2025-12-31")})
	mustNoErr(t, err)
	pc.project, err = st.CreateProject(ctx, pc.lead, store.ProjectInput{Name: ptr("Rekonstrukce školy")})
	mustNoErr(t, err)
	mustNoErr(t, st.PutProjectMember(ctx, pc.lead, pc.project.ID, pc.member.UserID, nil))
	for _, c := range []model.Contact{pc.org, pc.person} {
		mustNoErr(t, st.PutProjectContact(ctx, pc.lead, pc.project.ID, c.ID, store.ProjectContactInput{Role: "dodavatel"}))
	}
	return pc
}

func fieldOf(err error) string {
	var fe *model.FieldError
	if errors.As(err, &fe) {
		return fe.Field
	}
	return ""
}

// TestCollaborationRecords: members add records on involved contacts; the author, the lead
// and admins change and delete them; managers of the book read them, its editors do not;
// bad input changes nothing.
func TestCollaborationRecords(t *testing.T) {
	ctx := context.Background()
	st, pool := newStore(t)
	pc := newProjectCast(t, st)
	rec := func(c model.Contact, from, to string, q, tm, cm int) model.CollaborationRecord {
		return model.CollaborationRecord{ProjectID: pc.project.ID, ContactID: c.ID, Delivered: "Krov tělocvičny",
			PeriodFrom: &from, PeriodTo: &to, Quality: &q, Timeliness: &tm, Communication: &cm}
	}

	for _, bad := range []struct {
		in    model.CollaborationRecord
		field string
	}{
		{rec(pc.org, "2025-01-01", "2025-02-01", 6, 3, 3), "quality"},
		{rec(pc.org, "2025-01-01", "2025-02-01", 3, 0, 3), "timeliness"},
		{rec(pc.org, "2025-03-01", "2025-02-01", 3, 3, 3), "period_to"},
		{rec(pc.org, "2025-02-30", "", 3, 3, 3), "period_from"},
		{model.CollaborationRecord{ProjectID: pc.project.ID, ContactID: pc.org.ID, Delivered: "  "}, "delivered"},
		{rec(pc.other, "", "", 3, 3, 3), "contact_id"},
		{model.CollaborationRecord{ProjectID: pc.project.ID, ContactID: "nope", Delivered: "x"}, "contact_id"},
	} {
		if _, err := st.CreateCollaboration(ctx, pc.member, bad.in); fieldOf(err) != bad.field {
			t.Errorf("create %+v: %v, want a field error on %s", bad.in, err, bad.field)
		}
	}
	for _, a := range []store.Actor{pc.editor, pc.outsider, pc.manager} {
		if _, err := st.CreateCollaboration(ctx, a, rec(pc.org, "", "", 3, 3, 3)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("non-member creates: %v, want ErrNotFound", err)
		}
	}
	var n int
	mustNoErr(t, pool.QueryRow(ctx, `SELECT count(*) FROM collaboration_records`).Scan(&n))
	if n != 0 {
		t.Fatalf("bad input stored %d records", n)
	}

	r1, err := st.CreateCollaboration(ctx, pc.member, rec(pc.org, "2025-03-01", "2025-04-30", 5, 4, 3))
	mustNoErr(t, err)
	if r1.ProjectName != "Rekonstrukce školy" || *r1.Quality != 5 || *r1.PeriodTo != "2025-04-30" {
		t.Fatalf("created: %+v", r1)
	}
	for _, a := range []store.Actor{pc.member, pc.lead, pc.manager, pc.admin} {
		if _, err := st.GetCollaboration(ctx, a, r1.ID); err != nil {
			t.Errorf("reader %s: %v", a.UserID, err)
		}
	}
	for _, a := range []store.Actor{pc.editor, pc.outsider} {
		if _, err := st.GetCollaboration(ctx, a, r1.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("non-reader: %v", err)
		}
	}
	// The editor sees the organisation, but neither its records nor their count.
	sum, err := st.CollaborationSummary(ctx, pc.editor, pc.org.ID)
	mustNoErr(t, err)
	if sum.Records != 0 || sum.Quality.Average != nil || len(sum.Projects) != 0 {
		t.Errorf("editor's summary: %+v", sum)
	}

	// Who may change a record: its author, the lead, admins; a manager who reads it may not.
	if _, err := st.UpdateCollaboration(ctx, pc.manager, r1.ID, model.CollaborationPatch{Comment: ptr("x")}); !errors.Is(err, store.ErrForbidden) {
		t.Errorf("manager updates: %v, want ErrForbidden", err)
	}
	if _, err := st.UpdateCollaboration(ctx, pc.editor, r1.ID, model.CollaborationPatch{Comment: ptr("x")}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("editor updates: %v, want ErrNotFound", err)
	}
	if _, err := st.UpdateCollaboration(ctx, pc.member, r1.ID, model.CollaborationPatch{PeriodTo: model.Optional[string]{Set: true, Value: ptr("2025-01-01")}}); fieldOf(err) != "period_to" {
		t.Errorf("period_to before period_from: %v", err)
	}
	up, err := st.UpdateCollaboration(ctx, pc.member, r1.ID, model.CollaborationPatch{Comment: ptr(" Včas a čistě. "),
		Communication: model.Optional[int]{Set: true}})
	mustNoErr(t, err)
	if up.Comment != "Včas a čistě." || up.Communication != nil || *up.Quality != 5 {
		t.Fatalf("updated: %+v", up)
	}
	_, err = st.UpdateCollaboration(ctx, pc.lead, r1.ID, model.CollaborationPatch{Quality: model.Optional[int]{Set: true, Value: ptr(4)}})
	mustNoErr(t, err)

	// Records on the person count for the organisation while the relation held (2025).
	_, err = st.CreateCollaboration(ctx, pc.lead, rec(pc.person, "2025-06-01", "2025-06-30", 2, 3, 4))
	mustNoErr(t, err)
	late, err := st.CreateCollaboration(ctx, pc.lead, rec(pc.person, "2026-02-01", "2026-02-28", 1, 1, 1))
	mustNoErr(t, err)
	for _, a := range []store.Actor{pc.manager, pc.member} {
		rows, err := st.SupplierQuality(ctx, a)
		mustNoErr(t, err)
		if len(rows) != 1 {
			t.Fatalf("report rows: %+v", rows)
		}
		q := rows[0]
		if q.OrganisationID != pc.org.ID || q.Records != 2 || q.OwnRecords != 1 || q.PersonRecords != 1 || q.Projects != 1 ||
			*q.Quality.Average != 3 || q.Communication.Count != 1 || *q.Communication.Average != 4 || q.Last != "2025-06-30" {
			t.Errorf("report row: %+v", q)
		}
		if !slices.Contains(q.ContactIDs, pc.person.ID) || slices.Contains(q.ContactIDs, pc.other.ID) {
			t.Errorf("report contacts: %v", q.ContactIDs)
		}
	}
	rows, err := st.SupplierQuality(ctx, pc.editor)
	mustNoErr(t, err)
	if len(rows) != 0 {
		t.Errorf("the editor's report has rows: %+v", rows)
	}
	entries, err := st.ListAudit(ctx, store.AuditFilter{Action: "report.supplier_quality", ActorID: pc.manager.UserID})
	mustNoErr(t, err)
	if len(entries) != 1 || !slices.Contains(entries[0].ContactIDs, pc.person.ID) || !slices.Contains(entries[0].ContactIDs, pc.org.ID) {
		t.Errorf("report audit: %+v", entries)
	}

	// The summary of the person: both records, one project.
	sum, err = st.CollaborationSummary(ctx, pc.manager, pc.person.ID)
	mustNoErr(t, err)
	if sum.Records != 2 || *sum.Quality.Average != 1.5 || len(sum.Projects) != 1 || sum.Projects[0].Last != "2026-02-28" || sum.Projects[0].Records != 2 {
		t.Errorf("person's summary: %+v", sum)
	}

	// Delete: the manager may not, the lead may; then it is gone.
	if err := st.DeleteCollaboration(ctx, pc.manager, late.ID); !errors.Is(err, store.ErrForbidden) {
		t.Errorf("manager deletes: %v", err)
	}
	mustNoErr(t, st.DeleteCollaboration(ctx, pc.lead, late.ID))
	if _, err := st.GetCollaboration(ctx, pc.admin, late.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted record: %v", err)
	}
}

// TestMeetings: audiences, participating contacts a writer does not see, and who may change
// a meeting.
func TestMeetings(t *testing.T) {
	ctx := context.Background()
	st, pool := newStore(t)
	pc := newProjectCast(t, st)
	secretBook, err := st.CreateBook(ctx, pc.admin, "Tajné", "")
	mustNoErr(t, err)
	secret, err := st.CreateContact(ctx, pc.admin, model.Contact{BookID: secretBook.ID, Kind: "person", GivenName: "Věra", FamilyName: "Skrytá"})
	mustNoErr(t, err)
	mustNoErr(t, st.PutProjectMember(ctx, pc.lead, pc.project.ID, pc.admin.UserID, nil))
	at := mustTime(t, "2026-04-01T09:00:00+02:00")
	base := func() model.MeetingInput {
		return model.MeetingInput{At: &at, Title: "Kontrolní den", Agenda: "1. Krov", ContactIDs: []string{pc.org.ID}}
	}

	for _, bad := range []struct {
		edit  func(*model.MeetingInput)
		field string
	}{
		{func(in *model.MeetingInput) { in.At = nil }, "at"},
		{func(in *model.MeetingInput) { in.Title = " " }, "title"},
		{func(in *model.MeetingInput) { in.Audience = "everyone" }, "audience"},
		{func(in *model.MeetingInput) { in.ContactIDs = []string{secret.ID} }, "contact_ids"},
		{func(in *model.MeetingInput) { in.ContactIDs = []string{pc.book.ID} }, "contact_ids"},
		{func(in *model.MeetingInput) { in.Participants = []string{pc.book.ID} }, "participants"},
		{func(in *model.MeetingInput) { in.Participants = []string{"x"} }, "participants"},
		{func(in *model.MeetingInput) {
			in.Participants, in.Granted = []string{pc.member.UserID}, []string{pc.member.UserID}
		}, "granted"},
	} {
		in := base()
		bad.edit(&in)
		if _, err := st.CreateMeeting(ctx, pc.lead, pc.project.ID, in); fieldOf(err) != bad.field {
			t.Errorf("create (%s): %v", bad.field, err)
		}
	}
	if _, err := st.CreateMeeting(ctx, pc.outsider, pc.project.ID, base()); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("outsider creates: %v", err)
	}
	var n int
	mustNoErr(t, pool.QueryRow(ctx, `SELECT count(*) FROM meetings`).Scan(&n))
	if n != 0 {
		t.Fatalf("bad input stored %d meetings", n)
	}

	// A meeting the admin creates with a contact the lead does not see.
	in := base()
	in.ContactIDs = []string{pc.org.ID, secret.ID}
	in.Participants = []string{pc.admin.UserID}
	open, err := st.CreateMeeting(ctx, pc.admin, pc.project.ID, in)
	mustNoErr(t, err)
	if len(open.Contacts) != 2 || open.Audience != "project" || len(open.Participants) != 1 {
		t.Fatalf("created: %+v", open)
	}
	got, err := st.GetMeeting(ctx, pc.lead, open.ID)
	mustNoErr(t, err)
	if len(got.Contacts) != 1 || got.Contacts[0].ContactID != pc.org.ID {
		t.Errorf("the lead sees contacts %+v", got.Contacts)
	}
	// The lead replaces the contacts they see; the one they do not see stays.
	_, err = st.UpdateMeeting(ctx, pc.lead, open.ID, model.MeetingPatch{ContactIDs: &[]string{pc.person.ID}, Minutes: ptr("Krov hotov.")})
	mustNoErr(t, err)
	got, err = st.GetMeeting(ctx, pc.admin, open.ID)
	mustNoErr(t, err)
	var ids []string
	for _, c := range got.Contacts {
		ids = append(ids, c.ContactID)
	}
	if len(ids) != 2 || !slices.Contains(ids, secret.ID) || !slices.Contains(ids, pc.person.ID) || got.Minutes != "Krov hotov." {
		t.Errorf("after the lead's change: %+v", got)
	}

	// A restricted meeting: its creator, participants and granted users only; not the lead
	// nor the admin, who see the organisation.
	in = base()
	in.Audience = "restricted"
	in.Participants = []string{pc.manager.UserID}
	closed, err := st.CreateMeeting(ctx, pc.member, pc.project.ID, in)
	mustNoErr(t, err)
	for _, a := range []store.Actor{pc.member, pc.manager} {
		if _, err := st.GetMeeting(ctx, a, closed.ID); err != nil {
			t.Errorf("audience reads: %v", err)
		}
	}
	for _, a := range []store.Actor{pc.lead, pc.admin, pc.editor} {
		if _, err := st.GetMeeting(ctx, a, closed.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("outside the audience: %v", err)
		}
		ms, err := st.ListContactMeetings(ctx, a, pc.org.ID)
		mustNoErr(t, err)
		for _, m := range ms {
			if m.ID == closed.ID {
				t.Errorf("restricted meeting listed")
			}
		}
		sum, err := st.CollaborationSummary(ctx, a, pc.org.ID)
		mustNoErr(t, err)
		if sum.Meetings != 0 {
			t.Errorf("summary counts %d meetings, want 0 (the open one no longer has the organisation)", sum.Meetings)
		}
	}
	if sum, err := st.CollaborationSummary(ctx, pc.member, pc.org.ID); err != nil || sum.Meetings != 1 {
		t.Errorf("the creator's summary counts %d meetings (%v), want 1", sum.Meetings, err)
	}
	// Who may change it: its creator (the member); a participant may not, and the lead
	// outside its audience does not see it.
	if _, err := st.UpdateMeeting(ctx, pc.manager, closed.ID, model.MeetingPatch{Title: ptr("x")}); !errors.Is(err, store.ErrForbidden) {
		t.Errorf("participant updates: %v", err)
	}
	if err := st.DeleteMeeting(ctx, pc.lead, closed.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("lead outside the audience deletes: %v", err)
	}
	// Granting the lead the meeting lets them see it.
	_, err = st.UpdateMeeting(ctx, pc.member, closed.ID, model.MeetingPatch{Granted: &[]string{pc.lead.UserID}})
	mustNoErr(t, err)
	mustNoErr(t, func() error { _, err := st.GetMeeting(ctx, pc.lead, closed.ID); return err }())

	// A lead who would lose sight of the meeting by their own change is refused.
	if _, err := st.UpdateMeeting(ctx, pc.lead, closed.ID, model.MeetingPatch{Granted: &[]string{}}); fieldOf(err) != "audience" {
		t.Errorf("self-exclusion: %v", err)
	}
	mustNoErr(t, func() error { _, err := st.GetMeeting(ctx, pc.lead, closed.ID); return err }())
	mustNoErr(t, st.DeleteMeeting(ctx, pc.lead, closed.ID))
	if _, err := st.GetMeeting(ctx, pc.member, closed.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted meeting: %v", err)
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	mustNoErr(t, err)
	return v
}
