package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// seedBook makes an admin with a token client and a book with a choice field.
func seedBook(t testing.TB, e *env) (*client, model.Book) {
	t.Helper()
	admin := e.user("admin", true, "admin-heslo-123")
	c := e.tokenFor(admin.ID)
	var b model.Book
	r := c.do("POST", "/api/books", map[string]string{"name": "Zákazníci"})
	if r.status != http.StatusCreated {
		t.Fatalf("create book: %d %s", r.status, r.body)
	}
	r.json(t, &b)
	if r := c.do("PUT", "/api/books/"+b.ID+"/fields/segment", map[string]any{"label": "Segment", "type": "choice", "choices": []string{"malý", "velký"}}); r.status != http.StatusOK {
		t.Fatalf("field: %d %s", r.status, r.body)
	}
	return c, b
}

func TestContactLifecycle(t *testing.T) {
	e := newEnv(t)
	c, b := seedBook(t, e)
	r := c.do("POST", "/api/contacts", map[string]any{
		"book_id": b.ID, "kind": "person", "given_name": "Antonín", "family_name": "Dvořák",
		"phones": []map[string]string{{"value": "+420 601 123 456"}}, "custom": map[string]any{"segment": "velký"},
	})
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	var ct model.Contact
	r.json(t, &ct)
	var page store.ContactPage
	c.do("GET", "/api/contacts?q=dvorak", nil).json(t, &page)
	if len(page.Contacts) != 1 || page.Contacts[0].DisplayName != "Antonín Dvořák" {
		t.Fatalf("dvorak did not find Dvořák: %+v", page)
	}
	etag := r.header.Get("ETag")
	if r := c.do("PATCH", "/api/contacts/"+ct.ID, map[string]any{"job_title": "Skladatel"}, "If-Match", etag); r.status != http.StatusOK {
		t.Fatalf("patch: %d %s", r.status, r.body)
	}
	if r := c.do("PATCH", "/api/contacts/"+ct.ID, map[string]any{"job_title": "Dirigent"}, "If-Match", etag); r.status != http.StatusPreconditionFailed {
		t.Fatalf("stale If-Match: %d %s", r.status, r.body)
	}
	org := c.do("POST", "/api/contacts", map[string]any{"book_id": b.ID, "kind": "organisation", "org_name": "Národní divadlo"})
	var o model.Contact
	org.json(t, &o)
	if r := c.do("POST", "/api/relations", map[string]any{"person_id": ct.ID, "organisation_id": o.ID, "role": "dirigent", "valid_from": "2026-01-01"}); r.status != http.StatusCreated {
		t.Fatalf("relation: %d %s", r.status, r.body)
	}
	c.do("GET", "/api/organisations/"+o.ID+"/people", nil).json(t, &page)
	if len(page.Contacts) != 1 || page.Contacts[0].ID != ct.ID {
		t.Fatalf("people of organisation: %+v", page.Contacts)
	}
	if r := c.do("POST", "/api/contacts/"+ct.ID+"/notes", map[string]any{"body": "Preferuje e-mail."}); r.status != http.StatusCreated {
		t.Fatalf("note: %d %s", r.status, r.body)
	}
	if r := c.do("DELETE", "/api/contacts/"+ct.ID, nil); r.status != http.StatusNoContent {
		t.Fatalf("delete: %d", r.status)
	}
	if r := c.do("GET", "/api/contacts/"+ct.ID, nil); r.status != http.StatusNotFound {
		t.Fatalf("deleted contact: %d", r.status)
	}
}

// TestBadInput sends malformed, unknown, mistyped, oversize and invalid requests: each gets
// a 4xx with a reason, and nothing changes.
func TestBadInput(t *testing.T) {
	e := newEnv(t)
	c, b := seedBook(t, e)
	r := c.do("POST", "/api/contacts", map[string]any{"book_id": b.ID, "kind": "person", "family_name": "Nováková"})
	var existing model.Contact
	r.json(t, &existing)
	missing := "00000000-0000-0000-0000-000000000000"
	huge := `{"book_id":"` + b.ID + `","kind":"person","family_name":"` + strings.Repeat("x", 70<<10) + `"}`
	cases := []struct {
		name, method, path string
		body               any
		status             int
		field              string
	}{
		{"malformed json", "POST", "/api/contacts", `{"kind": "person",`, 400, ""},
		{"not an object", "POST", "/api/contacts", `[1,2]`, 400, ""},
		{"trailing data", "POST", "/api/contacts", `{"kind":"person"} {}`, 400, ""},
		{"empty body", "POST", "/api/contacts", ``, 400, ""},
		{"unknown field", "POST", "/api/contacts", map[string]any{"book_id": b.ID, "kind": "person", "family_name": "X", "nickname": "x"}, 400, "nickname"},
		{"wrong type", "POST", "/api/contacts", `{"book_id": 5}`, 400, "book_id"},
		{"oversize", "POST", "/api/contacts", huge, 413, ""},
		{"invalid email", "POST", "/api/contacts", map[string]any{"book_id": b.ID, "kind": "person", "family_name": "X", "emails": []map[string]string{{"value": "jan@@example"}}}, 400, "emails[0].value"},
		{"invalid phone", "POST", "/api/contacts", map[string]any{"book_id": b.ID, "kind": "person", "family_name": "X", "phones": []map[string]string{{"value": "12"}}}, 400, "phones[0].value"},
		{"invalid kind", "POST", "/api/contacts", map[string]any{"book_id": b.ID, "kind": "robot", "family_name": "X"}, 400, "kind"},
		{"no name", "POST", "/api/contacts", map[string]any{"book_id": b.ID, "kind": "organisation"}, 400, "org_name"},
		{"bad choice", "POST", "/api/contacts", map[string]any{"book_id": b.ID, "kind": "person", "family_name": "X", "custom": map[string]any{"segment": "obří"}}, 400, "custom.segment"},
		{"unknown custom", "POST", "/api/contacts", map[string]any{"book_id": b.ID, "kind": "person", "family_name": "X", "custom": map[string]any{"barva": "modrá"}}, 400, "custom.barva"},
		{"bad date", "POST", "/api/contacts", map[string]any{"book_id": b.ID, "kind": "person", "family_name": "X", "birthday": "31.12.1990"}, 400, "birthday"},
		{"unknown book", "POST", "/api/contacts", map[string]any{"book_id": missing, "kind": "person", "family_name": "X"}, 400, "book_id"},
		{"unknown contact", "GET", "/api/contacts/" + missing, nil, 404, ""},
		{"malformed id", "GET", "/api/contacts/not-an-id", nil, 404, ""},
		{"patch unknown", "PATCH", "/api/contacts/" + missing, map[string]any{"job_title": "x"}, 404, ""},
		{"patch bad email", "PATCH", "/api/contacts/" + existing.ID, map[string]any{"emails": []map[string]string{{"value": "x"}}}, 400, "emails[0].value"},
		{"bad cursor", "GET", "/api/contacts?cursor=zzz", nil, 400, "cursor"},
		{"bad limit", "GET", "/api/contacts?limit=0", nil, 400, "limit"},
		{"bad type filter", "GET", "/api/contacts?type=alien", nil, 400, "type"},
		{"long query", "GET", "/api/contacts?q=" + strings.Repeat("a", 300), nil, 400, "q"},
		{"duplicate book", "POST", "/api/books", map[string]string{"name": "zákazníci"}, 409, "name"},
		{"empty book name", "POST", "/api/books", map[string]string{"name": " "}, 400, "name"},
		{"grant without grantee", "POST", "/api/books/" + b.ID + "/grants", map[string]string{"role": "viewer"}, 400, "user_id"},
		{"grant bad role", "POST", "/api/books/" + b.ID + "/grants", map[string]string{"user_id": missing, "role": "owner"}, 400, "role"},
		{"grant unknown user", "POST", "/api/books/" + b.ID + "/grants", map[string]string{"user_id": missing, "role": "viewer"}, 409, ""},
		{"bad field key", "PUT", "/api/books/" + b.ID + "/fields/Bad-Key", map[string]any{"label": "x", "type": "text"}, 400, "key"},
		{"choice without choices", "PUT", "/api/books/" + b.ID + "/fields/size", map[string]any{"label": "x", "type": "choice"}, 400, "choices"},
		{"duplicate login", "POST", "/api/users", map[string]any{"login": "admin", "name": "A", "password": "dlouhe-heslo-1"}, 409, "login"},
		{"short password", "POST", "/api/users", map[string]any{"login": "novy", "name": "N", "password": "kratke"}, 400, "password"},
		{"bad login", "POST", "/api/users", map[string]any{"login": "Ne Platný", "name": "N", "password": "dlouhe-heslo-1"}, 400, "login"},
		{"note empty", "POST", "/api/contacts/" + existing.ID + "/notes", map[string]any{"body": "  "}, 400, "body"},
		{"note bad audience", "POST", "/api/contacts/" + existing.ID + "/notes", map[string]any{"body": "x", "audience": "world"}, 400, "audience"},
		{"note unknown user", "POST", "/api/contacts/" + existing.ID + "/notes", map[string]any{"body": "x", "audience": "restricted", "users": []string{missing}}, 400, "users"},
		{"relation bad date", "POST", "/api/relations", map[string]any{"person_id": existing.ID, "organisation_id": existing.ID, "valid_from": "x"}, 400, "valid_from"},
		{"relation to person", "POST", "/api/relations", map[string]any{"person_id": existing.ID, "organisation_id": existing.ID}, 400, "organisation_id"},
		{"wrong content type", "POST", "/api/groups", "name=x", 415, ""},
		{"audit bad time", "GET", "/api/audit?since=yesterday", nil, 400, "since"},
	}
	before := counts(t, e)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var r response
			if tc.name == "wrong content type" {
				r = c.do(tc.method, tc.path, tc.body, "Content-Type", "application/x-www-form-urlencoded")
			} else {
				r = c.do(tc.method, tc.path, tc.body)
			}
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			var body struct{ Error, Field string }
			r.json(t, &body)
			if body.Error == "" || (tc.field != "" && body.Field != tc.field) {
				t.Fatalf("body %s, want error with field %q", r.body, tc.field)
			}
		})
	}
	if after := counts(t, e); after != before {
		t.Fatalf("rejected requests changed data: %s → %s", before, after)
	}
}

// counts summarises the writable tables, to show that rejected requests changed nothing.
func counts(t testing.TB, e *env) string {
	var s string
	err := e.pool.QueryRow(context.Background(), `SELECT concat_ws(',',
		(SELECT count(*) FROM contacts), (SELECT max(version) FROM contacts), (SELECT count(*) FROM contact_points),
		(SELECT count(*) FROM address_books), (SELECT count(*) FROM book_grants), (SELECT count(*) FROM custom_field_defs),
		(SELECT count(*) FROM users), (SELECT count(*) FROM attached_items), (SELECT count(*) FROM relations),
		(SELECT count(*) FROM groups))`).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// FuzzCreateContact posts arbitrary bodies: the API answers 201 or a 4xx, never a 5xx.
func FuzzCreateContact(f *testing.F) {
	for _, s := range []string{
		`{"kind":"person","family_name":"Nováková"}`,
		`{"kind":"organisation","org_name":"Pekárna","phones":[{"value":"+420 601 123 456"}],"emails":[{"value":"a@b.cz"}]}`,
		`{"kind":"person","given_name":"Jan","custom":{"segment":"malý"},"tags":["vip"],"birthday":"1990-01-01"}`,
		`{"kind":"person","family_name":"X","socials":[{"network":"mastodon","handle":"@jan@social.example"}]}`,
		`{"kind":"person","family_name":"\u0000"}`, `{"custom":{"segment":1e999}}`, `{"phones":[{"value":"+999999999999999999"}]}`,
		`{"kind":"person","family_name":"X","addresses":[{"street":"` + strings.Repeat("ř", 300) + `"}]}`,
	} {
		f.Add(s)
	}
	e := newEnv(f)
	c, b := seedBook(f, e)
	f.Fuzz(func(t *testing.T, body string) {
		// aim the body at the real book so that validation, not the book lookup, is exercised
		body = strings.Replace(body, "{", fmt.Sprintf(`{"book_id":%q,`, b.ID), 1)
		req, err := http.NewRequest("POST", e.srv.URL+"/api/contacts", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+c.token)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode >= 500 {
			t.Fatalf("status %d for %q", res.StatusCode, body)
		}
	})
}
