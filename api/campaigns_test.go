package api_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store/storetest"
)

// TestCampaignsAPI: the campaign routes over the matrix. cyril (manager of B3) creates a
// campaign whose preview counts what cyril sees, whoever asks; his rep dana reads it but
// may not change it (403); emil gets 404 everywhere; alena (no book managed) may not create
// one (403); bad input is 400 with the field and changes nothing; launch answers 202 (no
// Temporal here: the outbox holds the start), a second launch 409; cancel 202.
func TestCampaignsAPI(t *testing.T) {
	e := newEnv(t)
	m, err := storetest.SeedMatrix(context.Background(), e.st, "")
	if err != nil {
		t.Fatal(err)
	}
	cyril, dana, emil, alena := e.tokenFor(m.Users["cyril"].ID), e.tokenFor(m.Users["dana"].ID),
		e.tokenFor(m.Users["emil"].ID), e.tokenFor(m.Users["alena"].ID)
	body := map[string]any{"name": "Jaro", "task_title": "Zavolat", "filter": map[string]any{"tags": []string{"matrix"}},
		"rep_ids": []string{m.Users["dana"].ID, m.Users["cyril"].ID}}
	if r := alena.do("POST", "/api/campaigns", body); r.status != http.StatusForbidden {
		t.Errorf("alena creates: %d", r.status)
	}
	for field, bad := range map[string]map[string]any{
		"filter.book_ids":  {"name": "x", "task_title": "x", "filter": map[string]any{"book_ids": []string{m.Books["B4"].ID}}},
		"task_title":       {"name": "x"},
		"send_invitations": {"name": "x", "task_title": "x", "send_invitations": true},
		"assign_mode":      {"name": "x", "task_title": "x", "assign_mode": "random"},
	} {
		var eb struct{ Field string }
		r := cyril.do("POST", "/api/campaigns", bad)
		if r.status != http.StatusBadRequest {
			t.Errorf("%s: %d %s", field, r.status, r.body)
			continue
		}
		r.json(t, &eb)
		if eb.Field != field {
			t.Errorf("bad %s: field %q", field, eb.Field)
		}
	}
	var c model.Campaign
	r := cyril.do("POST", "/api/campaigns", body)
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	r.json(t, &c)
	path := "/api/campaigns/" + c.ID
	for _, cl := range []*client{cyril, dana} {
		var p struct{ Targets int }
		if r := cl.do("GET", path+"/preview", nil); r.status != 200 {
			t.Errorf("preview: %d", r.status)
		} else if r.json(t, &p); p.Targets != len(m.VisibleContacts("cyril")) {
			t.Errorf("preview %d, cyril sees %d", p.Targets, len(m.VisibleContacts("cyril")))
		}
	}
	for _, req := range []struct{ method, path string }{{"GET", path}, {"GET", path + "/preview"}, {"GET", path + "/results"},
		{"PATCH", path}, {"POST", path + "/launch"}, {"POST", path + "/cancel"}} {
		if r := emil.do(req.method, req.path, map[string]any{}); r.status != http.StatusNotFound {
			t.Errorf("emil %s %s: %d", req.method, req.path, r.status)
		}
	}
	if r := dana.do("PATCH", path, map[string]any{"name": "y"}); r.status != http.StatusForbidden {
		t.Errorf("dana patches: %d", r.status)
	}
	if r := dana.do("POST", path+"/launch", nil); r.status != http.StatusForbidden {
		t.Errorf("dana launches: %d", r.status)
	}
	var list []model.Campaign
	dana.do("GET", "/api/campaigns", nil).json(t, &list)
	if len(list) != 1 {
		t.Errorf("dana lists %d campaigns", len(list))
	}
	emil.do("GET", "/api/campaigns", nil).json(t, &list)
	if len(list) != 0 {
		t.Errorf("emil lists %d campaigns", len(list))
	}
	if r := cyril.do("PATCH", path, map[string]any{"task_title": "Navštívit"}); r.status != 200 {
		t.Errorf("patch: %d %s", r.status, r.body)
	}
	r = cyril.do("POST", path+"/launch", nil)
	if r.status != http.StatusAccepted {
		t.Fatalf("launch: %d %s", r.status, r.body)
	}
	r.json(t, &c)
	if c.Status != model.CampaignLaunching || c.WorkflowID != "campaign-launch/"+c.ID {
		t.Errorf("launched %+v", c)
	}
	if r := cyril.do("POST", path+"/launch", nil); r.status != http.StatusConflict {
		t.Errorf("second launch: %d", r.status)
	}
	if r := cyril.do("PATCH", path, map[string]any{"name": "z"}); r.status != http.StatusConflict {
		t.Errorf("patch after launch: %d", r.status)
	}
	if r := cyril.do("POST", path+"/cancel", nil); r.status != http.StatusAccepted {
		t.Errorf("cancel: %d %s", r.status, r.body)
	}
	if r := cyril.do("POST", path+"/cancel", nil); r.status != http.StatusConflict {
		t.Errorf("second cancel: %d", r.status)
	}
	var res model.CampaignResults
	if r := dana.do("GET", path+"/results", nil); r.status != 200 {
		t.Errorf("results: %d", r.status)
	} else if r.json(t, &res); res.Status != model.CampaignCancelled {
		t.Errorf("results %+v", res)
	}
}
