package main

import (
	"context"
	"net/http"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/kontakt/kontakt/devstack/mailcatcher"
	"github.com/kontakt/kontakt/workflows"
)

// TestRetentionSchedule: the worker creates the kontakt-retention schedule; a triggered run
// expires a request whose verification workflow was terminated past its expiry (erasing the
// contact it created), and deletes an expired session, against real Temporal and PostgreSQL.
func TestRetentionSchedule(t *testing.T) {
	ctx := context.Background()
	ts := startTemporal(t, 0)
	s := newStack(t, ts.Address())
	c := s.runWorker(ts.Address())

	const email = "opusteny@posta.example"
	if res := s.submit(email); res.StatusCode != http.StatusAccepted {
		t.Fatalf("submit: %d", res.StatusCode)
	}
	wait, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if _, err := s.catcher.Wait(wait, func(m mailcatcher.Caught) bool { return len(m.To) == 1 && m.To[0] == email }); err != nil {
		t.Fatalf("no confirmation mail: %v", err)
	}
	var requestID, contactID string
	if err := s.pool.QueryRow(ctx, `SELECT id, contact_id FROM consent_requests WHERE email = $1`, email).Scan(&requestID, &contactID); err != nil {
		t.Fatal(err)
	}
	// The verification dies (an operator terminated it), and its deadline passes.
	if err := c.TerminateWorkflow(ctx, workflows.ConsentVerificationID(requestID), "", "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, `UPDATE consent_requests SET expires_at = now() - interval '2 hours' WHERE id = $1`, requestID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO sessions (token_hash, user_id, expires_at)
		SELECT 'stale', id, now() - interval '1 minute' FROM users WHERE login = 'admin'`); err != nil {
		t.Fatal(err)
	}

	h := c.ScheduleClient().GetHandle(ctx, workflows.RetentionScheduleID)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := h.Describe(ctx); err == nil {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("schedule %s: %v", workflows.RetentionScheduleID, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := h.Trigger(ctx, client.ScheduleTriggerOptions{}); err != nil {
		t.Fatal(err)
	}
	var runID string
	for runID == "" {
		d, err := h.Describe(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Info.RecentActions) > 0 {
			runID = d.Info.RecentActions[0].StartWorkflowResult.WorkflowID
		} else if time.Now().After(deadline) {
			t.Fatal("the triggered sweep did not start")
		}
		time.Sleep(100 * time.Millisecond)
	}
	var sum workflows.RetentionSummary
	if err := c.GetWorkflow(ctx, runID, "").Get(ctx, &sum); err != nil {
		t.Fatalf("sweep %s: %v", runID, err)
	}
	if sum.ExpiredRequests != 1 || sum.Sessions != 1 {
		t.Fatalf("summary %+v, want 1 expired request and 1 session", sum)
	}
	var status string
	var contacts int
	if err := s.pool.QueryRow(ctx, `SELECT r.status, (SELECT count(*) FROM contacts WHERE id = $2)
		FROM consent_requests r WHERE r.id = $1`, requestID, contactID).Scan(&status, &contacts); err != nil {
		t.Fatal(err)
	}
	if status != "expired" || contacts != 0 {
		t.Fatalf("request %s, contact rows %d; want expired and erased", status, contacts)
	}
}
