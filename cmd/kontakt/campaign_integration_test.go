package main

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kontakt/kontakt/auth"
	"github.com/kontakt/kontakt/devstack"
	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
	"github.com/kontakt/kontakt/workflows"
)

// TestCampaignThroughTemporal: jana launches the demo campaign through the API; on a real
// Temporal server the worker creates a call task per target, dealt to jana and eva, and
// mails the event invitation over SMTP to exactly the contacts with the events consent;
// the workflow's query shows the tasks per rep, and cancelling through the API closes them.
func TestCampaignThroughTemporal(t *testing.T) {
	ts := startTemporal(t, 0)
	s := newStack(t, ts.Address())
	c := s.runWorker(ts.Address())
	ctx := context.Background()
	crm, err := devstack.SeedDemoCampaign(ctx, s.st)
	if err != nil {
		t.Fatal(err)
	}
	jana, _, err := s.st.UserLogin(ctx, "jana")
	if err != nil {
		t.Fatal(err)
	}
	ja := store.Actor{UserID: jana.ID, Channel: "api"}
	secret := auth.NewSecret("kt_")
	if _, err := s.st.CreateToken(ctx, ja, "t", secret[:7], auth.HashSecret(secret), nil); err != nil {
		t.Fatal(err)
	}
	call := func(method, path string, want int, out any) {
		t.Helper()
		req, _ := http.NewRequest(method, s.srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if res.StatusCode != want {
			t.Fatalf("%s %s: %d, want %d", method, path, res.StatusCode, want)
		}
		if out != nil {
			if err := json.NewDecoder(res.Body).Decode(out); err != nil {
				t.Fatal(err)
			}
		}
	}
	id := crm.Campaign.ID
	var preview store.CampaignPreview
	call("GET", "/api/campaigns/"+id+"/preview", 200, &preview)
	var launched model.Campaign
	call("POST", "/api/campaigns/"+id+"/launch", 202, &launched)
	if launched.Status != model.CampaignLaunching || launched.WorkflowID != workflows.CampaignLaunchID(id) {
		t.Fatalf("launched %+v", launched)
	}
	call("POST", "/api/campaigns/"+id+"/launch", 409, nil)

	// The workflow creates the tasks and reports them per rep.
	var p model.CampaignProgress
	deadline := time.Now().Add(60 * time.Second)
	for p.Status != model.CampaignActive || p.Open != preview.Targets {
		if time.Now().After(deadline) {
			t.Fatalf("no tasks: %+v", p)
		}
		time.Sleep(100 * time.Millisecond)
		if v, err := c.QueryWorkflow(ctx, workflows.CampaignLaunchID(id), "", workflows.CampaignProgressQuery); err == nil {
			_ = v.Get(&p)
		}
	}
	eva, _, _ := s.st.UserLogin(ctx, "eva")
	if len(p.PerRep) != 2 || p.PerRep[0].Open+p.PerRep[1].Open != preview.Targets || preview.Targets != 12 {
		t.Errorf("per rep %+v of %d", p.PerRep, preview.Targets)
	}
	for _, r := range p.PerRep {
		if r.RepID == nil || (*r.RepID != jana.ID && *r.RepID != eva.ID) || r.Open != 6 {
			t.Errorf("rep %+v", r)
		}
	}

	// The invitations: one mail to each target, all of whom hold the events consent.
	var consented []string
	rows, err := s.pool.Query(ctx, `SELECT lower(cp.value) FROM consents k JOIN purposes pu ON pu.id = k.purpose_id AND pu.key = 'events'
		JOIN contact_points cp ON cp.contact_id = k.contact_id AND cp.kind = 'email' WHERE k.status = 'active'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var e string
		if err := rows.Scan(&e); err != nil {
			t.Fatal(err)
		}
		consented = append(consented, e)
	}
	rows.Close()
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	for {
		var invitations []string
		for _, m := range s.catcher.Messages() {
			if strings.HasPrefix(m.Subject, "Pozvánka:") {
				invitations = append(invitations, strings.ToLower(m.To[0]))
				if !strings.Contains(m.Text, s.srv.URL+"/public/rsvp/") {
					t.Fatalf("no RSVP link:\n%s", m.Text)
				}
			}
		}
		if len(invitations) == preview.Targets {
			for _, to := range invitations {
				if !slices.Contains(consented, to) {
					t.Errorf("invitation to %s, who holds no events consent", to)
				}
			}
			slices.Sort(invitations)
			if len(slices.Compact(invitations)) != preview.Targets {
				t.Errorf("duplicate invitations: %v", invitations)
			}
			break
		}
		if wctx.Err() != nil {
			t.Fatalf("%d invitations of %d", len(invitations), preview.Targets)
		}
		time.Sleep(100 * time.Millisecond)
	}

	var results model.CampaignResults
	call("GET", "/api/campaigns/"+id+"/results", 200, &results)
	if results.Open != 12 || results.Mailed != 12 {
		t.Errorf("results %+v", results)
	}
	var cancelled model.Campaign
	call("POST", "/api/campaigns/"+id+"/cancel", 202, &cancelled)
	if cancelled.Status != model.CampaignCancelled {
		t.Errorf("cancelled %+v", cancelled)
	}
	run := c.GetWorkflow(ctx, workflows.CampaignLaunchID(id), "")
	var final model.CampaignProgress
	if err := run.Get(wctx, &final); err != nil || final.Status != model.CampaignCancelled || final.Cancelled != 12 || final.Open != 0 {
		t.Errorf("workflow result %+v, %v", final, err)
	}
}
