package storetest

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// The project part of the matrix: meetings with their audiences and collaboration records
// with their ratings, and the expected visibility of each, worked out in Go from the
// fixture's tables (never from the SQL policy).

// matrixMeeting is what the fixture says of a meeting.
type matrixMeeting struct {
	project, creator    string
	restricted          bool
	participants, grant []string // logins
	contacts            []string // contact keys
}

// matrixRecord is what the fixture says of a collaboration record.
type matrixRecord struct {
	project, contact, author string
	quality, timeliness, com int // 0 = not rated
	from, to                 string
}

// matrixMeetings: on P1 a project-audience meeting and a restricted one, both with b1-org
// taking part; on closed P2 a project-audience meeting with b3-person.
//
//	p1-project     by cyril (participant); members cyril, emil, dana see it, admin does not
//	p1-restricted  by dana; participants emil and frantisek (disabled at the end), granted
//	               bohdan (no member of P1): dana, emil, bohdan see it; the lead cyril, admin
//	               and alena (who sees b1-org) do not
//	p2-closed      by admin (participant): its members admin and alena see it after closing;
//	               cyril sees b3-person but not the meeting
var matrixMeetings = map[string]matrixMeeting{
	"p1-project":    {project: "P1", creator: "cyril", participants: []string{"cyril"}, contacts: []string{"b1-org", "b4-person"}},
	"p1-restricted": {project: "P1", creator: "dana", restricted: true, participants: []string{"emil", "frantisek"}, grant: []string{"bohdan"}, contacts: []string{"b1-org"}},
	"p2-closed":     {project: "P2", creator: "admin", participants: []string{"admin"}, contacts: []string{"b3-person"}},
}

// matrixRecords: two records on b1-org and one on b4-person in P1, one on b3-person in
// closed P2. Bohdan (editor of B1) and alena (viewer of B1) see b1-org but not its records;
// cyril, manager of B3 and no member of P2, sees r3; alena, member of P2, does not see r3
// because P2 no longer shares b3-person with her.
var matrixRecords = map[string]matrixRecord{
	"r1": {project: "P1", contact: "b1-org", author: "emil", quality: 5, timeliness: 4, com: 3, from: "2026-01-01", to: "2026-02-28"},
	"r2": {project: "P1", contact: "b4-person", author: "cyril", quality: 2, timeliness: 2, from: "2026-03-01", to: "2026-03-31"},
	"r3": {project: "P2", contact: "b3-person", author: "admin", quality: 4, timeliness: 5, com: 5, from: "2024-05-01", to: "2024-09-30"},
	"r4": {project: "P1", contact: "b1-org", author: "cyril", quality: 3, com: 4, from: "2025-06-01", to: "2025-07-31"},
}

// matrixProjectStatus is where the matrix projects stand once seeded.
var matrixProjectStatus = map[string]model.ProjectStatus{"P1": model.ProjectActive, "P2": model.ProjectClosed}

// seedMeetings creates matrixMeetings through the store, each by its creator.
func (m *Matrix) seedMeetings(ctx context.Context, st *store.Store) error {
	at := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
	for _, key := range slices.Sorted(maps.Keys(matrixMeetings)) {
		mm := matrixMeetings[key]
		in := model.MeetingInput{At: &at, Title: "Porada " + key, Agenda: "Body " + key, Minutes: "Zápis " + key, Audience: model.MeetingAudienceProject}
		if mm.restricted {
			in.Audience = model.MeetingAudienceRestricted
		}
		for _, l := range mm.participants {
			in.Participants = append(in.Participants, m.Users[l].ID)
		}
		for _, l := range mm.grant {
			in.Granted = append(in.Granted, m.Users[l].ID)
		}
		for _, k := range mm.contacts {
			in.ContactIDs = append(in.ContactIDs, m.Contacts[k].ID)
		}
		created, err := st.CreateMeeting(ctx, m.Actor(mm.creator), m.Projects[mm.project].ID, in)
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		m.Meetings[key], m.meetings[key] = created, mm
		at = at.Add(time.Hour)
	}
	return nil
}

// seedCollaboration creates matrixRecords through the store, each by its author.
func (m *Matrix) seedCollaboration(ctx context.Context, st *store.Store) error {
	rating := func(v int) *int {
		if v == 0 {
			return nil
		}
		return &v
	}
	for _, key := range slices.Sorted(maps.Keys(matrixRecords)) {
		mr := matrixRecords[key]
		created, err := st.CreateCollaboration(ctx, m.Actor(mr.author), model.CollaborationRecord{
			ProjectID: m.Projects[mr.project].ID, ContactID: m.Contacts[mr.contact].ID, Delivered: "Dodávka " + key,
			PeriodFrom: &mr.from, PeriodTo: &mr.to, Quality: rating(mr.quality), Timeliness: rating(mr.timeliness),
			Communication: rating(mr.com), Comment: "Komentář " + key,
		})
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		m.Collaboration[key], m.records[key] = created, mr
	}
	return nil
}

// ProjectNames lists the matrix projects, sorted.
func (m *Matrix) ProjectNames() []string { return slices.Sorted(maps.Keys(m.Projects)) }

// SeesProject reports whether login may read project name: its members (the lead
// included) and admins, enabled.
func (m *Matrix) SeesProject(login, name string) bool {
	u := m.Users[login]
	return !u.Disabled && (u.IsAdmin || slices.Contains(m.projectMembers[name], login))
}

// VisibleProjects returns the names of the projects login may read, sorted.
func (m *Matrix) VisibleProjects(login string) []string {
	var out []string
	for _, p := range m.ProjectNames() {
		if m.SeesProject(login, p) {
			out = append(out, p)
		}
	}
	return out
}

// ProjectContacts returns the keys of the contacts involved in project name that login
// sees, sorted.
func (m *Matrix) ProjectContacts(login, name string) []string {
	involved := map[string][]string{"P1": {"b4-person", "b1-org", "b2-org"}, "P2": {"b3-person"}}[name]
	var out []string
	for _, k := range involved {
		if m.SeesContact(login, k) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// ProjectMembers returns the logins of project name's members, the lead included.
func (m *Matrix) ProjectMembers(name string) []string { return slices.Clone(m.projectMembers[name]) }

// ProjectCollection returns the keys of the contacts a member of project name finds in the
// project's CardDAV collection when they hold project sync: the involved contacts the
// project shares (none once it is closed), without those a consent requirement hides.
func (m *Matrix) ProjectCollection(name string) []string {
	if name != "P1" { // P2 is closed
		return nil
	}
	var out []string
	for _, k := range []string{"b4-person", "b1-org", "b2-org"} {
		if !m.hidden[k] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// SeesMeeting reports whether login may see meeting key: an enabled user who created it,
// takes part in it or was granted it, or, for a project-audience meeting, is a member of
// its project. Admins have no exception.
func (m *Matrix) SeesMeeting(login, key string) bool {
	mm := m.meetings[key]
	if m.Users[login].Disabled {
		return false
	}
	return mm.creator == login || slices.Contains(mm.participants, login) || slices.Contains(mm.grant, login) ||
		!mm.restricted && slices.Contains(m.projectMembers[mm.project], login)
}

// MeetingKeys lists the matrix meetings, sorted.
func (m *Matrix) MeetingKeys() []string { return slices.Sorted(maps.Keys(m.meetings)) }

// MeetingContacts returns the keys of the contacts of meeting key that login sees, sorted.
func (m *Matrix) MeetingContacts(login, key string) []string {
	var out []string
	for _, k := range m.meetings[key].contacts {
		if m.SeesContact(login, k) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// VisibleMeetingsOfProject returns the keys of the meetings of project name that login
// sees, sorted.
func (m *Matrix) VisibleMeetingsOfProject(login, name string) []string {
	var out []string
	for _, k := range m.MeetingKeys() {
		if m.meetings[k].project == name && m.SeesMeeting(login, k) {
			out = append(out, k)
		}
	}
	return out
}

// VisibleMeetingsOfContact returns the keys of the meetings contact took part in that
// login sees, sorted (none when login does not see the contact).
func (m *Matrix) VisibleMeetingsOfContact(login, contact string) []string {
	var out []string
	if !m.SeesContact(login, contact) {
		return nil
	}
	for _, k := range m.MeetingKeys() {
		if slices.Contains(m.meetings[k].contacts, contact) && m.SeesMeeting(login, k) {
			out = append(out, k)
		}
	}
	return out
}

// MeetingKey returns the matrix key of a meeting id.
func (m *Matrix) MeetingKey(id string) string {
	for k, mt := range m.Meetings {
		if mt.ID == id {
			return k
		}
	}
	return ""
}

// managesBook reports whether login holds the manager role on book (admins manage all).
func (m *Matrix) managesBook(login, book string) bool {
	u := m.Users[login]
	if u.Disabled {
		return false
	}
	if u.IsAdmin {
		return true
	}
	for grantee, role := range m.bookGrants[book] {
		if role == "manager" && (grantee == "u:"+login || grantee[:2] == "g:" && m.inGroup(login, grantee[2:])) {
			return true
		}
	}
	return false
}

// SeesRecord reports whether login may see collaboration record key: they see its contact,
// and are a member of its project or a manager of the contact's book.
func (m *Matrix) SeesRecord(login, key string) bool {
	r := m.records[key]
	return m.SeesContact(login, r.contact) &&
		(slices.Contains(m.projectMembers[r.project], login) || m.managesBook(login, bookOf(r.contact)))
}

// RecordKeys lists the matrix records, sorted.
func (m *Matrix) RecordKeys() []string { return slices.Sorted(maps.Keys(m.records)) }

// VisibleRecords returns the keys of the records login sees that match keep, sorted.
func (m *Matrix) VisibleRecords(login string, keep func(project, contact string) bool) []string {
	var out []string
	for _, k := range m.RecordKeys() {
		r := m.records[k]
		if keep(r.project, r.contact) && m.SeesRecord(login, k) {
			out = append(out, k)
		}
	}
	return out
}

// RecordKey returns the matrix key of a collaboration record id.
func (m *Matrix) RecordKey(id string) string {
	for k, r := range m.Collaboration {
		if r.ID == id {
			return k
		}
	}
	return ""
}

// ratingsOf summarises the records keys as the store does: averages to two decimals over
// the records that rate a criterion.
func (m *Matrix) ratingsOf(keys []string) model.Ratings {
	avg := func(get func(matrixRecord) int) model.Rating {
		var sum, n int
		for _, k := range keys {
			if v := get(m.records[k]); v != 0 {
				sum += v
				n++
			}
		}
		if n == 0 {
			return model.Rating{}
		}
		a := math.Round(float64(sum)/float64(n)*100) / 100
		return model.Rating{Average: &a, Count: n}
	}
	return model.Ratings{
		Quality:       avg(func(r matrixRecord) int { return r.quality }),
		Timeliness:    avg(func(r matrixRecord) int { return r.timeliness }),
		Communication: avg(func(r matrixRecord) int { return r.com }),
	}
}

// Summary is the collaboration summary login should get for contact (which they see): the
// records and meetings they see, and the projects of those records, latest first (by the
// records' period ends). Project ids stand in the summary's projects.
func (m *Matrix) Summary(login, contact string) model.CollaborationSummary {
	keys := m.VisibleRecords(login, func(_, c string) bool { return c == contact })
	sum := model.CollaborationSummary{ContactID: m.Contacts[contact].ID, Records: len(keys), Ratings: m.ratingsOf(keys),
		Meetings: len(m.VisibleMeetingsOfContact(login, contact)), Projects: []model.ProjectCollaboration{}}
	byProject := map[string][]string{}
	for _, k := range keys {
		byProject[m.records[k].project] = append(byProject[m.records[k].project], k)
	}
	for p, ks := range byProject {
		last := ""
		for _, k := range ks {
			last = max(last, m.records[k].to)
		}
		pr := m.Projects[p]
		sum.Projects = append(sum.Projects, model.ProjectCollaboration{ProjectID: pr.ID, Name: pr.Name, Kind: pr.Kind,
			Status: matrixProjectStatus[p], Records: len(ks), Last: last, Ratings: m.ratingsOf(ks)})
	}
	sort.Slice(sum.Projects, func(i, j int) bool {
		a, b := sum.Projects[i], sum.Projects[j]
		return a.Last > b.Last || a.Last == b.Last && a.ProjectID < b.ProjectID
	})
	return sum
}

// SupplierQuality is the supplier quality report login should get: one row per
// organisation they see with records they see on it. (The matrix has no record on a
// person related to an organisation; store tests cover that part of the report.)
func (m *Matrix) SupplierQuality(login string) []model.SupplierQuality {
	var out []model.SupplierQuality
	for key, c := range m.Contacts {
		if c.Kind != "organisation" || !m.SeesContact(login, key) {
			continue
		}
		keys := m.VisibleRecords(login, func(_, ct string) bool { return ct == key })
		if len(keys) == 0 {
			continue
		}
		projects := map[string]bool{}
		last := ""
		for _, k := range keys {
			projects[m.records[k].project] = true
			last = max(last, m.records[k].to)
		}
		out = append(out, model.SupplierQuality{OrganisationID: c.ID, Name: c.DisplayName, Type: c.Type,
			Records: len(keys), OwnRecords: len(keys), Projects: len(projects), Last: last, Ratings: m.ratingsOf(keys)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
