package api_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"html"
	"net/http"
	"strings"
	"testing"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store/storetest"
)

func TestSubjectExportAPI(t *testing.T) {
	e := newEnv(t)
	s, err := storetest.SeedSubject(context.Background(), e.st, e.pool, "")
	if err != nil {
		t.Fatal(err)
	}
	manager, dpo := e.tokenFor(s.Manager.ID), e.tokenFor(s.DPO.ID)
	path := "/api/contacts/" + s.Person.ID + "/subject-export"

	r := manager.do("GET", path, nil)
	if r.status != http.StatusOK {
		t.Fatalf("json export: %d %s", r.status, r.body)
	}
	if cd := r.header.Get("Content-Disposition"); cd != "attachment; filename=subject-export-"+s.Person.ID+".json" {
		t.Errorf("Content-Disposition %q", cd)
	}
	var sections map[string]json.RawMessage
	r.json(t, &sections)
	for _, k := range []string{"generated_at", "generated_by", "contact", "book", "custom_fields", "notes", "consents",
		"consent_requests", "subject_requests", "access", "devices"} {
		if len(sections[k]) == 0 || string(sections[k]) == "null" || string(sections[k]) == "[]" {
			t.Errorf("section %s missing or empty: %s", k, sections[k])
		}
	}
	for section, values := range s.Found {
		for _, v := range values {
			if !strings.Contains(string(sections[section]), v) {
				t.Errorf("section %s lacks %q", section, v)
			}
		}
	}
	scan64 := base64.StdEncoding.EncodeToString(s.Scan)
	for _, v := range append(s.Absent, scan64) {
		if strings.Contains(string(r.body), v) {
			t.Errorf("JSON export holds %q", v)
		}
	}
	var x model.SubjectExport
	r.json(t, &x)
	for _, c := range x.ConsentRequests {
		if c.WorkflowID != "consent-verify/"+c.ID {
			t.Errorf("consent request workflow id %q", c.WorkflowID)
		}
	}

	// HTML, in the reader's language: a page with every section, nothing to fetch.
	r = manager.do("GET", path+"?format=html", nil)
	if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
		t.Fatalf("html export: %d %s", r.status, r.header.Get("Content-Type"))
	}
	page := html.UnescapeString(string(r.body))
	for _, v := range []string{"Personal data export", "Who accessed the record", "Devices holding a copy"} {
		if !strings.Contains(page, v) {
			t.Errorf("English page lacks %q", v)
		}
	}
	for section, values := range s.Found {
		for _, v := range values {
			if section == "consents" && strings.HasPrefix(v, "s-") || section == "custom_fields" {
				continue // purposes show by name, fields by label with their values
			}
			if !strings.Contains(page, v) {
				t.Errorf("page lacks %q (%s)", v, section)
			}
		}
	}
	for _, v := range append(s.Absent, scan64, "<script", "src=", "<link", "@import", "url(") {
		if strings.Contains(page, v) {
			t.Errorf("page holds %q", v)
		}
	}
	if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("CSP %q", csp)
	}
	if r := dpo.do("PATCH", "/api/users/"+s.DPO.ID, map[string]any{"locale": "cs"}); r.status != http.StatusOK {
		t.Fatal(r.status)
	}
	r = dpo.do("GET", path+"?format=html", nil)
	if page := html.UnescapeString(string(r.body)); r.status != http.StatusOK || !strings.Contains(page, "Výpis osobních údajů") ||
		!strings.Contains(page, "Kdo k záznamu přistupoval") || !strings.Contains(page, "Členské číslo") {
		t.Errorf("Czech page: %d", r.status)
	}

	wantError(t, manager.do("GET", path+"?format=pdf", nil), 400, "format")
	wantError(t, e.tokenFor(s.Viewer.ID).do("GET", path, nil), 403, "")
	wantError(t, e.tokenFor(s.Stranger.ID).do("GET", path, nil), 404, "")
	wantError(t, manager.do("GET", "/api/contacts/"+missingID+"/subject-export", nil), 404, "")
	if n := countRows(t, e, `SELECT count(*) FROM audit_log WHERE action = 'contact.subject_export' AND contact_ids = ARRAY[$1::uuid]`, s.Person.ID); n != 3 {
		t.Errorf("exports audited: %d, want 3", n)
	}
}
