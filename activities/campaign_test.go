package activities_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"

	"github.com/kontakt/kontakt/activities"
	"github.com/kontakt/kontakt/devstack/testdb"
	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
	"github.com/kontakt/kontakt/workflows"
)

// The CampaignLaunch workflow in Temporal's test suite (time skipping) over its real
// activities and a real PostgreSQL; only the SMTP relay is a recorder.

type campaignFixture struct {
	st       *store.Store
	pool     *pgxpool.Pool
	owner    store.Actor
	reps     map[string]string // login → id
	campaign model.Campaign
	mails    *outbox
	acts     *activities.Campaign
}

// newCampaignFixture: a book managed by the owner with n contacts, read by reps r1 and r2
// (r3 sees nothing); every third contact consents to events, every tenth has no address.
func newCampaignFixture(t *testing.T, n int, invite bool) *campaignFixture {
	t.Helper()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, testdb.New(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	st := store.New(pool, "CZ")
	sys := store.Actor{Channel: "system"}
	admin, err := st.CreateUser(ctx, sys, model.User{Login: "admin", Name: "Admin", IsAdmin: true}, "")
	if err != nil {
		t.Fatal(err)
	}
	aa := store.Actor{UserID: admin.ID, Channel: "api"}
	f := &campaignFixture{st: st, pool: pool, reps: map[string]string{}, mails: &outbox{}}
	for _, l := range []string{"owner", "r1", "r2", "r3"} {
		u, err := st.CreateUser(ctx, sys, model.User{Login: l, Name: strings.ToUpper(l)}, "")
		if err != nil {
			t.Fatal(err)
		}
		f.reps[l] = u.ID
	}
	f.owner = store.Actor{UserID: f.reps["owner"], Channel: "api"}
	b, err := st.CreateBook(ctx, aa, "Zákazníci", "")
	if err != nil {
		t.Fatal(err)
	}
	for l, role := range map[string]model.Role{"owner": "manager", "r1": "viewer", "r2": "editor"} {
		id := f.reps[l]
		if _, err := st.PutGrant(ctx, aa, model.Grant{BookID: b.ID, UserID: &id, Role: role}); err != nil {
			t.Fatal(err)
		}
	}
	p, err := st.CreatePurpose(ctx, aa, model.Purpose{Key: "events", Name: "Akce", Wording: "Zvěte mě na akce."})
	if err != nil {
		t.Fatal(err)
	}
	ctx2 := context.Background()
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO contacts (book_id, kind, display_name, tags) SELECT $1, 'person', 'Zákazník ' || lpad(i::text, 5, '0'), '{jaro}'
		   FROM generate_series(1, $2) i`, []any{b.ID, n}},
		{`INSERT INTO contact_points (contact_id, kind, value) SELECT id, 'email', 'z' || substr(display_name, 10) || '@example.com'
		   FROM contacts WHERE substr(display_name, 10)::int % 10 <> 0`, nil},
		{`INSERT INTO consents (contact_id, purpose_id, status, source, given_at) SELECT id, $1, 'active', 'staff', now() - interval '1 day'
		   FROM contacts WHERE substr(display_name, 10)::int % 3 = 0`, []any{p.ID}},
	} {
		if _, err := pool.Exec(ctx2, q.sql, q.args...); err != nil {
			t.Fatal(err)
		}
	}
	in := store.CampaignInput{Name: ptr("Jaro"), TaskTitle: ptr("Zavolat"), Filter: &model.CampaignFilter{Tags: []string{"jaro"}},
		RepIDs: &[]string{f.reps["r1"], f.reps["r2"], f.reps["r3"]}}
	if invite {
		ev := ""
		if err := pool.QueryRow(ctx, `INSERT INTO events (name, venue, starts_at) VALUES ('Den otevřených dveří', 'Brno', now() + interval '30 days')
			RETURNING id`).Scan(&ev); err != nil {
			t.Fatal(err)
		}
		in.EventID, in.SendInvitations = &ev, ptr(true)
		in.PurposeID = &p.ID
		in.Filter = &model.CampaignFilter{} // everyone; the mails go to the consented only
	}
	c, err := st.CreateCampaign(ctx, f.owner, in)
	if err != nil {
		t.Fatal(err)
	}
	if c, err = st.LaunchCampaign(ctx, f.owner, c.ID); err != nil {
		t.Fatal(err)
	}
	f.campaign = c
	f.acts = &activities.Campaign{Store: st, Mailer: f.mails, PublicURL: "https://kontakt.example.org/", BatchSize: 100,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	return f
}

func ptr[T any](v T) *T { return &v }

func (f *campaignFixture) count(t *testing.T, sql string) int {
	t.Helper()
	var n int
	if err := f.pool.QueryRow(context.Background(), sql, f.campaign.ID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestCampaignLaunchCrashBetweenBatches: the second batch commits half of its tasks and
// then "crashes" (fails once); its retry completes it without a duplicate. The progress
// query shows open tasks per rep; cancel closes them and ends the workflow.
func TestCampaignLaunchCrashBetweenBatches(t *testing.T) {
	f := newCampaignFixture(t, 250, false)
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterActivity(f.acts)
	var crashed atomic.Bool
	env.OnActivity(f.acts.CreateTaskBatch, mock.Anything, f.campaign.ID, mock.Anything).Return(
		func(ctx context.Context, id string, from int) (activities.CampaignBatchResult, error) {
			if from == 101 && !crashed.Swap(true) {
				if _, err := f.st.CreateCampaignTaskBatch(ctx, id, from, 50); err != nil {
					return activities.CampaignBatchResult{}, err
				}
				return activities.CampaignBatchResult{}, errors.New("worker killed after committing half the batch")
			}
			return f.acts.CreateTaskBatch(ctx, id, from)
		})
	var progress model.CampaignProgress
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(workflows.CampaignProgressQuery)
		if err != nil {
			t.Error(err)
			return
		}
		if err := v.Get(&progress); err != nil {
			t.Error(err)
		}
	}, 90*time.Minute)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(workflows.SignalCancelCampaign, nil) }, 3*time.Hour)
	env.ExecuteWorkflow(workflows.CampaignLaunch, workflows.CampaignLaunchInput{CampaignID: f.campaign.ID})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if !crashed.Load() {
		t.Fatal("the crash was not injected")
	}
	if n, d := f.count(t, `SELECT count(*) FROM tasks WHERE campaign_id = $1`), f.count(t, `SELECT count(DISTINCT contact_id) FROM tasks WHERE campaign_id = $1`); n != 250 || d != 250 {
		t.Errorf("%d tasks for %d contacts, want 250", n, d)
	}
	if progress.Status != model.CampaignActive || progress.Open != 250 || len(progress.PerRep) != 2 {
		t.Errorf("progress during the campaign: %+v", progress)
	}
	for _, r := range progress.PerRep {
		if r.RepID == nil || *r.RepID == f.reps["r3"] || r.Open != 125 {
			t.Errorf("per rep: %+v (r3, who sees nothing, must get none; r1 and r2 half each)", r)
		}
	}
	var final model.CampaignProgress
	if err := env.GetWorkflowResult(&final); err != nil {
		t.Fatal(err)
	}
	if final.Status != model.CampaignCancelled || final.Open != 0 || final.Cancelled != 250 {
		t.Errorf("after cancel: %+v", final)
	}
}

// TestCampaignLaunchDone: once every task is done, the next check marks the campaign done
// and the workflow ends.
func TestCampaignLaunchDone(t *testing.T) {
	f := newCampaignFixture(t, 30, false)
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterActivity(f.acts)
	env.RegisterDelayedCallback(func() {
		if _, err := f.pool.Exec(context.Background(), `UPDATE tasks SET status = 'done', outcome = 'zájem', completed_at = now()
			WHERE campaign_id = $1`, f.campaign.ID); err != nil {
			t.Error(err)
		}
	}, 30*time.Minute)
	env.ExecuteWorkflow(workflows.CampaignLaunch, workflows.CampaignLaunchInput{CampaignID: f.campaign.ID})
	var final model.CampaignProgress
	if err := env.GetWorkflowResult(&final); err != nil {
		t.Fatal(err)
	}
	if final.Status != model.CampaignDone || final.Done != 30 {
		t.Errorf("final %+v", final)
	}
	r, err := f.st.CampaignResults(context.Background(), f.owner, f.campaign.ID)
	if err != nil || len(r.Outcomes) != 1 || r.Outcomes[0] != (model.OutcomeCount{Outcome: "zájem", Count: 30}) {
		t.Errorf("results %+v, %v", r, err)
	}
}

// TestCampaignInvitationsOnce: invitations go only to targets with the purpose's consent
// and an address, each once, although SMTP refuses the first attempt and a batch is run
// again; a mail whose claim a crash left without a record is not sent again.
func TestCampaignInvitationsOnce(t *testing.T) {
	f := newCampaignFixture(t, 120, true)
	f.mails.failFirst = errors.New("421 try again later")
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterActivity(f.acts)
	var reran atomic.Bool
	env.OnActivity(f.acts.SendInvitationBatch, mock.Anything, f.campaign.ID, mock.Anything).Return(
		func(ctx context.Context, id string, from int) (activities.CampaignBatchResult, error) {
			r, err := f.acts.SendInvitationBatch(ctx, id, from)
			if err == nil && from == 1 && !reran.Swap(true) {
				return r, errors.New("worker killed after the batch") // the retry must send nothing more
			}
			return r, err
		})
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(workflows.SignalCancelCampaign, nil) }, 2*time.Hour)
	env.ExecuteWorkflow(workflows.CampaignLaunch, workflows.CampaignLaunchInput{CampaignID: f.campaign.ID})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	// 1..120: consented are multiples of 3 (40), less those without an address (multiples of 30: 4).
	want := 36
	sent := f.mails.messages()
	seen := map[string]bool{}
	for _, m := range sent {
		if seen[m.To] {
			t.Errorf("mailed %s twice", m.To)
		}
		seen[m.To] = true
		if !strings.Contains(m.Text, "https://kontakt.example.org/public/rsvp/") {
			t.Errorf("no RSVP link in %q", m.Text)
		}
	}
	if len(sent) != want {
		t.Errorf("%d mails, want %d", len(sent), want)
	}
	if n := f.count(t, `SELECT count(*) FROM event_invitations WHERE campaign_id = $1 AND mailed_at IS NOT NULL AND token_hash IS NOT NULL`); n != want {
		t.Errorf("%d invitations recorded as mailed, want %d", n, want)
	}
	if n := f.count(t, `SELECT count(*) FROM event_invitations i WHERE campaign_id = $1 AND NOT EXISTS (SELECT 1 FROM consents k
		WHERE k.contact_id = i.contact_id AND k.status = 'active')`); n != 0 {
		t.Errorf("%d invitations without consent", n)
	}
	// A claim left by a crash before SMTP answered is never mailed again.
	var event, contact string
	if err := f.pool.QueryRow(context.Background(), `UPDATE event_invitations SET mailed_at = NULL
		WHERE (event_id, contact_id) IN (SELECT event_id, contact_id FROM event_invitations WHERE campaign_id = $1 LIMIT 1)
		RETURNING event_id, contact_id`, f.campaign.ID).Scan(&event, &contact); err != nil {
		t.Fatal(err)
	}
	if _, err := f.pool.Exec(context.Background(), `UPDATE campaigns SET status = 'active' WHERE id = $1`, f.campaign.ID); err != nil {
		t.Fatal(err)
	}
	if r, err := f.acts.SendInvitationBatch(context.Background(), f.campaign.ID, 1); err != nil || r.Mailed != 0 {
		t.Errorf("rerun after an unknown claim: %+v, %v", r, err)
	}
	p, err := f.st.CampaignProgress(context.Background(), f.campaign.ID)
	if err != nil || p.MailUnknown != 1 || p.Mailed != want-1 {
		t.Errorf("progress %+v, %v", p, err)
	}
}
