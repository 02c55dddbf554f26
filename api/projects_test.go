package api_test

import (
	"net/http"
	"testing"

	"github.com/kontakt/kontakt/model"
)

// projectEnv is a project's cast: an admin, a lead who sees book "Dodavatelé", a member and
// an outsider, each with a token client, and a person in that book and one in a book only
// the admin sees.
type projectEnv struct {
	admin, lead, member, outsider *client
	leadU, memberU, outsiderU     model.User
	book                          model.Book
	person, secret                model.Contact
}

func newProjectEnv(t *testing.T, e *env) *projectEnv {
	t.Helper()
	pe := &projectEnv{}
	adminU := e.user("admin", true, "admin-heslo-123")
	pe.leadU, pe.memberU, pe.outsiderU = e.user("lenka", false, "x-heslo-12345"), e.user("marek", false, "x-heslo-12345"), e.user("olga", false, "x-heslo-12345")
	pe.admin, pe.lead, pe.member, pe.outsider = e.tokenFor(adminU.ID), e.tokenFor(pe.leadU.ID), e.tokenFor(pe.memberU.ID), e.tokenFor(pe.outsiderU.ID)
	mustStatus(t, pe.admin.do("POST", "/api/books", map[string]string{"name": "Dodavatelé"}), http.StatusCreated).json(t, &pe.book)
	var hidden model.Book
	mustStatus(t, pe.admin.do("POST", "/api/books", map[string]string{"name": "Tajné"}), http.StatusCreated).json(t, &hidden)
	mustStatus(t, pe.admin.do("POST", "/api/books/"+pe.book.ID+"/grants", map[string]any{"user_id": pe.leadU.ID, "role": "viewer"}), http.StatusOK)
	mustStatus(t, pe.admin.do("POST", "/api/contacts", map[string]any{"book_id": pe.book.ID, "kind": "person", "given_name": "Petr", "family_name": "Tesař"}), http.StatusCreated).json(t, &pe.person)
	mustStatus(t, pe.admin.do("POST", "/api/contacts", map[string]any{"book_id": hidden.ID, "kind": "person", "given_name": "Věra", "family_name": "Skrytá"}), http.StatusCreated).json(t, &pe.secret)
	return pe
}

// mustStatus fails the test unless r has status want, and returns r.
func mustStatus(t testing.TB, r response, want int) response {
	t.Helper()
	if r.status != want {
		t.Fatalf("status %d, want %d: %s", r.status, want, r.body)
	}
	return r
}

// TestProjectAPI walks a project through the API: create, read, change, members and
// involved contacts, with bad input (400, nothing changed), a member who may read but not
// manage (403), and an outsider to whom the project does not exist (404).
func TestProjectAPI(t *testing.T) {
	e := newEnv(t)
	pe := newProjectEnv(t, e)

	for _, bad := range []struct {
		body  any
		field string
	}{
		{map[string]any{}, "name"},
		{map[string]any{"name": "  "}, "name"},
		{map[string]any{"name": "X", "kind": "party"}, "kind"},
		{map[string]any{"name": "X", "status": "closed"}, "status"},
		{map[string]any{"name": "X", "starts_on": "2026-05-01", "ends_on": "2026-04-01"}, "ends_on"},
		{map[string]any{"name": "X", "starts_on": "1. 5. 2026"}, "starts_on"},
		{map[string]any{"name": "X", "lead_id": pe.memberU.ID}, "lead_id"},
		{map[string]any{"name": "X", "budget": 5}, "budget"},
		{map[string]any{"name": 5}, "name"},
		{map[string]any{"name": "X", "sync_profile": []string{"org"}}, "sync_profile"},
	} {
		r := pe.lead.do("POST", "/api/projects", bad.body)
		var eb struct{ Field string }
		r.json(t, &eb)
		if r.status != http.StatusBadRequest || eb.Field != bad.field {
			t.Errorf("create %v: %d %s, want 400 on %s", bad.body, r.status, r.body, bad.field)
		}
	}
	if r := pe.lead.do("POST", "/api/projects", `{"name": "X"`); r.status != http.StatusBadRequest {
		t.Errorf("truncated JSON: %d", r.status)
	}
	var list []model.Project
	pe.admin.do("GET", "/api/projects", nil).json(t, &list)
	if len(list) != 0 {
		t.Fatalf("bad input created projects: %+v", list)
	}

	var p model.Project
	r := mustStatus(t, pe.lead.do("POST", "/api/projects", map[string]any{"name": "Rekonstrukce školy", "kind": "delivery", "starts_on": "2026-03-01"}), http.StatusCreated)
	r.json(t, &p)
	if p.LeadID == nil || *p.LeadID != pe.leadU.ID || p.Kind != "delivery" || p.Status != "active" || len(p.Members) != 1 {
		t.Fatalf("created: %+v", p)
	}
	if r.header.Get("Location") != "/api/projects/"+p.ID {
		t.Errorf("Location %q", r.header.Get("Location"))
	}
	base := "/api/projects/" + p.ID

	// The outsider sees nothing of it, and cannot act on it.
	for _, req := range []struct {
		method, path string
		body         any
	}{
		{"GET", base, nil},
		{"PATCH", base, map[string]any{"name": "Moje"}},
		{"PUT", base + "/members/" + pe.outsiderU.ID, map[string]any{}},
		{"DELETE", base + "/members/" + pe.leadU.ID, nil},
		{"PUT", base + "/contacts/" + pe.person.ID, map[string]any{"role": "x"}},
		{"DELETE", base + "/contacts/" + pe.person.ID, nil},
		{"GET", "/api/projects/not-an-id", nil},
	} {
		if r := pe.outsider.do(req.method, req.path, req.body); r.status != http.StatusNotFound {
			t.Errorf("outsider %s %s: %d, want 404", req.method, req.path, r.status)
		}
	}
	pe.outsider.do("GET", "/api/projects", nil).json(t, &list)
	if len(list) != 0 {
		t.Errorf("outsider lists %d projects", len(list))
	}

	// Members.
	mustStatus(t, pe.lead.do("PUT", base+"/members/"+pe.memberU.ID, map[string]any{"sync_mode": "read"}), http.StatusNoContent)
	if r := pe.lead.do("PUT", base+"/members/"+pe.memberU.ID, map[string]any{"sync_mode": "write"}); r.status != http.StatusBadRequest {
		t.Errorf("sync_mode write: %d", r.status)
	}
	if r := pe.lead.do("PUT", base+"/members/"+pe.book.ID, nil); r.status != http.StatusNotFound {
		t.Errorf("unknown user: %d", r.status)
	}
	pe.member.do("GET", base, nil).json(t, &p)
	if len(p.Members) != 2 || p.Members[1].SyncMode == nil || *p.Members[1].SyncMode != "read" {
		t.Fatalf("members: %+v", p.Members)
	}
	// A member reads the project but does not manage it.
	for _, req := range []struct {
		method, path string
		body         any
	}{
		{"PATCH", base, map[string]any{"name": "Moje"}},
		{"PUT", base + "/members/" + pe.outsiderU.ID, nil},
		{"PUT", base + "/contacts/" + pe.person.ID, map[string]any{"role": "x"}},
	} {
		if r := pe.member.do(req.method, req.path, req.body); r.status != http.StatusForbidden {
			t.Errorf("member %s %s: %d, want 403", req.method, req.path, r.status)
		}
	}

	// Involved contacts: the member sees the person through the project.
	if r := pe.member.do("GET", "/api/contacts/"+pe.person.ID, nil); r.status != http.StatusNotFound {
		t.Fatalf("member sees the person before it is involved: %d", r.status)
	}
	for _, bad := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"from_date": "2026-13-01"}, "from_date"},
		{map[string]any{"from_date": "2026-05-01", "to_date": "2026-04-01"}, "to_date"},
		{map[string]any{"role": string(make([]rune, 201))}, "role"},
		{map[string]any{"rola": "x"}, "rola"},
	} {
		r := pe.lead.do("PUT", base+"/contacts/"+pe.person.ID, bad.body)
		var eb struct{ Field string }
		r.json(t, &eb)
		if r.status != http.StatusBadRequest || eb.Field != bad.field {
			t.Errorf("put contact %v: %d %s", bad.body, r.status, r.body)
		}
	}
	if r := pe.lead.do("PUT", base+"/contacts/"+pe.secret.ID, map[string]any{"role": "x"}); r.status != http.StatusNotFound {
		t.Errorf("involving a contact the lead does not see: %d, want 404", r.status)
	}
	mustStatus(t, pe.lead.do("PUT", base+"/contacts/"+pe.person.ID, map[string]any{"role": "tesař", "from_date": "2026-03-01", "to_date": "2026-06-30"}), http.StatusNoContent)
	mustStatus(t, pe.member.do("GET", "/api/contacts/"+pe.person.ID, nil), http.StatusOK)
	pe.member.do("GET", base, nil).json(t, &p)
	if len(p.Contacts) != 1 || p.Contacts[0].Role != "tesař" || p.Contacts[0].ToDate == nil || *p.Contacts[0].ToDate != "2026-06-30" {
		t.Fatalf("contacts: %+v", p.Contacts)
	}

	// PATCH: a date against the stored other end is a 400, not the table's CHECK as a 500.
	if r := pe.lead.do("PATCH", base, map[string]any{"ends_on": "2026-01-01"}); r.status != http.StatusBadRequest {
		t.Errorf("ends_on before the stored starts_on: %d %s", r.status, r.body)
	}
	if r := pe.lead.do("PATCH", base, map[string]any{"status": "closed"}); r.status != http.StatusBadRequest {
		t.Errorf("PATCH status closed: %d", r.status)
	}
	if r := pe.lead.do("PATCH", base, map[string]any{"lead_id": pe.memberU.ID}); r.status != http.StatusForbidden {
		t.Errorf("lead hands over the lead: %d, want 403 (admins only)", r.status)
	}
	r = mustStatus(t, pe.lead.do("PATCH", base, map[string]any{"name": "Rekonstrukce ZŠ", "ends_on": "2026-12-31", "status": "planned"}), http.StatusOK)
	r.json(t, &p)
	if p.Name != "Rekonstrukce ZŠ" || p.EndsOn == nil || *p.EndsOn != "2026-12-31" || p.Status != "planned" || p.StartsOn == nil {
		t.Fatalf("patched: %+v", p)
	}

	// The lead stays a member; removing the member takes the person out of their sight.
	if r := pe.lead.do("DELETE", base+"/members/"+pe.leadU.ID, nil); r.status != http.StatusConflict {
		t.Errorf("removing the lead: %d, want 409", r.status)
	}
	mustStatus(t, pe.lead.do("DELETE", base+"/members/"+pe.memberU.ID, nil), http.StatusNoContent)
	if r := pe.lead.do("DELETE", base+"/members/"+pe.memberU.ID, nil); r.status != http.StatusNotFound {
		t.Errorf("removing a non-member: %d", r.status)
	}
	if r := pe.member.do("GET", base, nil); r.status != http.StatusNotFound {
		t.Errorf("former member reads the project: %d", r.status)
	}
	if r := pe.member.do("GET", "/api/contacts/"+pe.person.ID, nil); r.status != http.StatusNotFound {
		t.Errorf("former member sees the person: %d", r.status)
	}

	// An admin hands the lead over; the new lead becomes a member.
	mustStatus(t, pe.admin.do("PATCH", base, map[string]any{"lead_id": pe.outsiderU.ID}), http.StatusOK).json(t, &p)
	if *p.LeadID != pe.outsiderU.ID || len(p.Members) != 2 {
		t.Fatalf("after handing over: %+v", p)
	}
	mustStatus(t, pe.outsider.do("GET", base, nil), http.StatusOK)

	mustStatus(t, pe.lead.do("DELETE", base+"/contacts/"+pe.person.ID, nil), http.StatusForbidden)
	mustStatus(t, pe.outsider.do("DELETE", base+"/contacts/"+pe.person.ID, nil), http.StatusNoContent)
	mustStatus(t, pe.outsider.do("DELETE", base+"/contacts/"+pe.person.ID, nil), http.StatusNotFound)
}
