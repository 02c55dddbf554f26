package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store/storetest"
)

var (
	previewCountRe = regexp.MustCompile(`data-preview-count>([0-9 ,\x{a0}]+)<`)
	previewNameRe  = regexp.MustCompile(`<li><a href="/contacts/([0-9a-f-]{36})">`)
)

// previewCount is the count a campaign preview shows.
func previewCount(t *testing.T, p page) int {
	t.Helper()
	m := previewCountRe.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no preview count: %d %s", p.status, p.body)
	}
	n, err := strconv.Atoi(strings.NewReplacer(" ", "", ",", "", "\u00a0", "").Replace(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// campaignFormValues is a filled campaign form.
func campaignFormValues(tok, action, name string) url.Values {
	return url.Values{"csrf": {tok}, "action": {action}, "name": {name}, "tags": {"matrix"}, "task_type": {"call"},
		"task_title": {"Zavolat"}, "task_due_on": {"2030-05-01"}, "assign_mode": {"round_robin"}, "invitation_language": {"cs"}}
}

// TestCampaignForm: a book manager previews a filter (count and first names, nothing
// stored), saves a draft, edits it, and launches it from its page; bad input, a missing
// CSRF token and users who may not manage the campaign change nothing.
func TestCampaignForm(t *testing.T) {
	e, rec := newWorkEnv(t)
	ctx := context.Background()
	m, err := storetest.SeedMatrix(ctx, e.st, "")
	if err != nil {
		t.Fatal(err)
	}
	cyril := e.sessionFor(m.Users["cyril"].ID)
	stored := func() []model.Campaign {
		cs, err := e.st.ListCampaigns(ctx, m.Actor("admin"))
		if err != nil {
			t.Fatal(err)
		}
		return cs
	}

	p := cyril.get("/campaigns/new")
	if p.status != http.StatusOK || !strings.Contains(p.body, `name="book_ids"`) || !strings.Contains(p.body, `name="purpose_id"`) ||
		!strings.Contains(p.body, `name="types"`) || !strings.Contains(p.body, `name="organisation_ids"`) {
		t.Fatalf("new campaign form: %d %s", p.status, p.body)
	}
	tok := token(t, p)

	// Preview: the count and names of what cyril sees, nothing stored.
	p = cyril.do("POST", "/campaigns/new", campaignFormValues(tok, "preview", "Jaro"))
	if p.status != http.StatusOK {
		t.Fatalf("preview: %d %s", p.status, p.body)
	}
	want := m.VisibleContacts("cyril")
	if n := previewCount(t, p); n != len(want) {
		t.Errorf("preview count %d, want %d", n, len(want))
	}
	for _, id := range matches(previewNameRe, p.body) {
		if !slices.Contains(want, m.ContactKey(id)) {
			t.Errorf("preview names %s, which cyril cannot see", m.ContactKey(id))
		}
	}
	if !strings.Contains(p.body, `value="Jaro"`) || len(stored()) != 0 {
		t.Errorf("preview kept the form or stored a campaign: %v", stored())
	}

	// Bad input: 400 with the reason, nothing stored.
	bad := campaignFormValues(tok, "save", "")
	if p = cyril.do("POST", "/campaigns/new", bad); p.status != http.StatusBadRequest || !strings.Contains(p.body, `role="alert"`) {
		t.Errorf("empty name: %d", p.status)
	}
	bad = campaignFormValues(tok, "save", "Jaro")
	bad.Set("task_due_on", "zítra")
	if p = cyril.do("POST", "/campaigns/new", bad); p.status != http.StatusBadRequest || !strings.Contains(p.body, "task_due_on") {
		t.Errorf("bad due date: %d", p.status)
	}
	bad = campaignFormValues(tok, "save", "Jaro")
	bad.Set("book_ids", m.Books["B4"].ID) // a book cyril does not see
	if p = cyril.do("POST", "/campaigns/new", bad); p.status != http.StatusBadRequest {
		t.Errorf("unseen book: %d", p.status)
	}
	// No CSRF token: refused.
	noTok := campaignFormValues("", "save", "Jaro")
	if p = cyril.do("POST", "/campaigns/new", noTok); p.status != http.StatusForbidden {
		t.Errorf("no CSRF token: %d", p.status)
	}
	if cs := stored(); len(cs) != 0 {
		t.Fatalf("refused forms stored %v", cs)
	}

	// Who manages no book: 404 for the form and the POST.
	alena := e.sessionFor(m.Users["alena"].ID)
	if p = alena.get("/campaigns/new"); p.status != http.StatusNotFound {
		t.Errorf("alena's new campaign form: %d", p.status)
	}
	if p = alena.do("POST", "/campaigns/new", campaignFormValues(token(t, alena.get("/tasks")), "save", "Alenina")); p.status != http.StatusNotFound {
		t.Errorf("alena saves a campaign: %d", p.status)
	}

	// Save: a draft with every field, read back through the store.
	save := campaignFormValues(tok, "save", "Jaro")
	save["types"] = []string{"supplier"}
	save["book_ids"] = []string{m.Books["B3"].ID}
	save["rep_ids"] = []string{m.Users["dana"].ID}
	save.Set("task_type", "meeting")
	p = cyril.do("POST", "/campaigns/new", save)
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/campaigns/") {
		t.Fatalf("save: %d %s", p.status, p.body)
	}
	id := strings.TrimPrefix(p.header.Get("Location"), "/campaigns/")
	c, err := e.st.GetCampaign(ctx, m.Actor("cyril"), id)
	if err != nil || c.Name != "Jaro" || c.TaskType != "meeting" || c.TaskTitle != "Zavolat" || c.TaskDueOn == nil || *c.TaskDueOn != "2030-05-01" ||
		!slices.Equal(c.Filter.Types, []string{"supplier"}) || !slices.Equal(c.Filter.BookIDs, []string{m.Books["B3"].ID}) ||
		!slices.Equal(c.Filter.Tags, []string{"matrix"}) || !slices.Equal(c.RepIDs, []string{m.Users["dana"].ID}) || c.Status != model.CampaignDraft {
		t.Fatalf("saved campaign: %+v %v", c, err)
	}

	// Edit: the owner and admins get the form; the rep and everyone else 404.
	edit := "/campaigns/" + id + "/edit"
	for login, status := range map[string]int{"cyril": 200, "admin": 200, "dana": 404, "alena": 404, "emil": 404} {
		if p := e.sessionFor(m.Users[login].ID).get(edit); p.status != status {
			t.Errorf("%s edits: %d, want %d", login, p.status, status)
		}
	}
	p = cyril.get(edit)
	if !strings.Contains(p.body, `value="Jaro"`) || !strings.Contains(p.body, `value="`+m.Books["B3"].ID+`" checked`) {
		t.Errorf("edit form not filled: %s", p.body)
	}
	// The preview of the edited filter is the saved campaign's.
	pv := campaignFormValues(tok, "preview", "Jaro")
	pv["types"] = []string{"supplier"}
	pv["book_ids"] = []string{m.Books["B3"].ID}
	saved, _ := e.st.PreviewCampaign(ctx, m.Actor("cyril"), id)
	if p = cyril.do("POST", edit, pv); p.status != http.StatusOK || previewCount(t, p) != saved.Targets {
		t.Errorf("edit preview: %d, saved %d", p.status, saved.Targets)
	}
	dana := e.sessionFor(m.Users["dana"].ID)
	if p = dana.do("POST", edit, campaignFormValues(token(t, dana.get("/tasks")), "save", "Danina")); p.status != http.StatusNotFound {
		t.Errorf("the rep saves: %d", p.status)
	}
	upd := campaignFormValues(tok, "save", "Jaro 2")
	upd["types"] = []string{"supplier", "partner"}
	upd["rep_ids"] = []string{m.Users["dana"].ID}
	if p = cyril.do("POST", edit, upd); p.status != http.StatusSeeOther || p.header.Get("Location") != "/campaigns/"+id {
		t.Fatalf("update: %d %s", p.status, p.body)
	}
	if c, _ = e.st.GetCampaign(ctx, m.Actor("cyril"), id); c.Name != "Jaro 2" || len(c.Filter.Types) != 2 || len(c.Filter.BookIDs) != 0 {
		t.Errorf("updated campaign: %+v", c)
	}

	// Launched from its page, the campaign is no longer edited.
	p = cyril.get("/campaigns/" + id)
	if p = cyril.do("POST", "/campaigns/"+id+"/launch", url.Values{"csrf": {token(t, p)}}); p.status != http.StatusSeeOther {
		t.Fatalf("launch: %d %s", p.status, p.body)
	}
	rec.waitFor(t, "launch "+id)
	if p = cyril.get(edit); p.status != http.StatusSeeOther || p.header.Get("Location") != "/campaigns/"+id {
		t.Errorf("edit of a launched campaign: %d", p.status)
	}
	if p = cyril.do("POST", edit, upd); p.status != http.StatusConflict || !strings.Contains(p.body, `role="alert"`) {
		t.Errorf("save of a launched campaign: %d", p.status)
	}
	if c, _ = e.st.GetCampaign(ctx, m.Actor("cyril"), id); c.Status == model.CampaignDraft {
		t.Errorf("launched campaign still a draft")
	}
}
