package store_test

import (
	"context"
	"errors"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
	"github.com/kontakt/kontakt/store/storetest"
)

func strp(s string) *string { return &s }

// campaignTargets returns the matrix keys of a campaign's snapshot.
func campaignTargets(t *testing.T, pool *pgxpool.Pool, m *storetest.Matrix, id string) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT contact_id::text FROM campaign_targets WHERE campaign_id = $1`, id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var keys []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, m.ContactKey(c))
	}
	sort.Strings(keys)
	return keys
}

// TestCampaignTargetsOwnerVisibility: a campaign targets what its owner sees of the matrix
// and nothing more, whoever launches it; a required purpose narrows to the consented.
func TestCampaignTargetsOwnerVisibility(t *testing.T) {
	ctx := context.Background()
	st, pool := newStore(t)
	m, err := storetest.SeedMatrix(ctx, st, "")
	if err != nil {
		t.Fatal(err)
	}
	admin := m.Actor("admin")
	purpose, err := st.CreatePurpose(ctx, admin, model.Purpose{Key: "events", Name: "Akce", Wording: "Zvěte mě."})
	if err != nil {
		t.Fatal(err)
	}
	consented := []string{"b1-person", "b3-person", "b4-person", "b2-org", "b4-org"}
	for _, k := range consented {
		if _, err := st.RecordConsent(ctx, admin, store.ConsentRecord{ContactID: m.Contacts[k].ID, PurposeID: purpose.ID,
			Source: model.SourceStaff, GivenAt: time.Now().Add(-time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	// An expired consent does not count.
	past := time.Now().Add(-time.Minute)
	if _, err := st.RecordConsent(ctx, admin, store.ConsentRecord{ContactID: m.Contacts["b3-org"].ID, PurposeID: purpose.ID,
		Source: model.SourceStaff, GivenAt: time.Now().AddDate(-1, 0, 0), ValidUntil: &past}); err != nil {
		t.Fatal(err)
	}

	for _, owner := range []string{"cyril", "admin"} {
		for _, withPurpose := range []bool{false, true} {
			in := store.CampaignInput{Name: strp("Jaro " + owner), TaskTitle: strp("Zavolat"), Filter: &model.CampaignFilter{Tags: []string{"matrix"}},
				RepIDs: &[]string{m.Users["cyril"].ID}}
			want := m.VisibleContacts(owner)
			if withPurpose {
				in.PurposeID = &purpose.ID
				want = slices.DeleteFunc(slices.Clone(want), func(k string) bool { return !slices.Contains(consented, k) })
			}
			c, err := st.CreateCampaign(ctx, m.Actor(owner), in)
			if err != nil {
				t.Fatal(err)
			}
			p, err := st.PreviewCampaign(ctx, m.Actor(owner), c.ID)
			if err != nil || p.Targets != len(want) {
				t.Errorf("%s purpose=%v: preview %v, %v; want %d", owner, withPurpose, p, err, len(want))
			}
			// Launched by an admin, the owner's visibility still decides.
			if _, err := st.LaunchCampaign(ctx, admin, c.ID); err != nil {
				t.Fatal(err)
			}
			snap, err := st.SnapshotCampaignTargets(ctx, c.ID)
			if err != nil || snap.Targets != len(want) {
				t.Errorf("%s purpose=%v: snapshot %+v, %v", owner, withPurpose, snap, err)
			}
			if got := campaignTargets(t, pool, m, c.ID); !slices.Equal(got, want) {
				t.Errorf("%s purpose=%v: targets %v, want %v", owner, withPurpose, got, want)
			}
			if owner == "cyril" {
				for _, k := range campaignTargets(t, pool, m, c.ID) {
					if k == "b2-org" || k == "b2-lapsed" || k == "b4-org" {
						t.Errorf("cyril's campaign targets %s, which cyril cannot see", k)
					}
				}
			}
		}
	}
}

// TestCampaignAccess: managers create, owners and admins manage, reps read, others see
// nothing; a launched campaign no longer changes.
func TestCampaignAccess(t *testing.T) {
	ctx := context.Background()
	st, _ := newStore(t)
	m, err := storetest.SeedMatrix(ctx, st, "")
	if err != nil {
		t.Fatal(err)
	}
	in := store.CampaignInput{Name: strp("Podzim"), TaskTitle: strp("Navštívit"), RepIDs: &[]string{m.Users["dana"].ID}}
	if _, err := st.CreateCampaign(ctx, m.Actor("alena"), in); !errors.Is(err, store.ErrForbidden) {
		t.Errorf("a viewer creates a campaign: %v", err)
	}
	bad := in
	bad.Filter = &model.CampaignFilter{BookIDs: []string{m.Books["B4"].ID}}
	var fe *model.FieldError
	if _, err := st.CreateCampaign(ctx, m.Actor("cyril"), bad); !errors.As(err, &fe) || fe.Field != "filter.book_ids" {
		t.Errorf("a filter on a book cyril cannot see: %v", err)
	}
	bad = in
	bad.SendInvitations = ptrTo(true)
	if _, err := st.CreateCampaign(ctx, m.Actor("cyril"), bad); !errors.As(err, &fe) || fe.Field != "send_invitations" {
		t.Errorf("invitations without a purpose: %v", err)
	}
	c, err := st.CreateCampaign(ctx, m.Actor("cyril"), in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.GetCampaign(ctx, m.Actor("dana"), c.ID); err != nil {
		t.Errorf("rep reads: %v", err)
	}
	if _, err := st.GetCampaign(ctx, m.Actor("emil"), c.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("stranger reads: %v", err)
	}
	if _, err := st.UpdateCampaign(ctx, m.Actor("dana"), c.ID, store.CampaignInput{Name: strp("x")}); !errors.Is(err, store.ErrForbidden) {
		t.Errorf("rep changes: %v", err)
	}
	if _, err := st.LaunchCampaign(ctx, m.Actor("emil"), c.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("stranger launches: %v", err)
	}
	if _, err := st.LaunchCampaign(ctx, m.Actor("cyril"), c.ID); err != nil {
		t.Fatal(err)
	}
	var ce *store.ConflictError
	if _, err := st.UpdateCampaign(ctx, m.Actor("cyril"), c.ID, store.CampaignInput{Name: strp("x")}); !errors.As(err, &ce) {
		t.Errorf("change after launch: %v", err)
	}
	if ids, err := st.UnstartedCampaignLaunches(ctx, 10); err != nil || !slices.Equal(ids, []string{c.ID}) {
		t.Errorf("outbox: %v, %v", ids, err)
	}
	if err := st.MarkCampaignLaunchStarted(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if ids, _ := st.UnstartedCampaignLaunches(ctx, 10); len(ids) != 0 {
		t.Errorf("outbox after mark: %v", ids)
	}
}

func ptrTo[T any](v T) *T { return &v }

// TestCampaignTaskBatchesIdempotent: batches assign each target to a rep who sees it, a
// half-committed batch rerun whole creates no duplicate, and cancelling closes open tasks.
func TestCampaignTaskBatchesIdempotent(t *testing.T) {
	ctx := context.Background()
	st, pool := newStore(t)
	m, err := storetest.SeedMatrix(ctx, st, "")
	if err != nil {
		t.Fatal(err)
	}
	reps := []string{"alena", "dana", "cyril"}
	var repIDs []string
	for _, r := range reps {
		repIDs = append(repIDs, m.Users[r].ID)
	}
	c, err := st.CreateCampaign(ctx, m.Actor("cyril"), store.CampaignInput{Name: strp("Obvolání"), TaskTitle: strp("Zavolat"),
		Filter: &model.CampaignFilter{Tags: []string{"matrix"}}, RepIDs: &repIDs})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.LaunchCampaign(ctx, m.Actor("cyril"), c.ID); err != nil {
		t.Fatal(err)
	}
	snap, err := st.SnapshotCampaignTargets(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	// A crash after half of the first batch committed, then everything again, twice.
	half, err := st.CreateCampaignTaskBatch(ctx, c.ID, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	created := half.Created
	for range 2 {
		for from := 1; from <= snap.Targets; from += 4 {
			b, err := st.CreateCampaignTaskBatch(ctx, c.ID, from, 4)
			if err != nil {
				t.Fatal(err)
			}
			created += b.Created
		}
	}
	var tasks, distinct int
	if err := pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT contact_id) FROM tasks WHERE campaign_id = $1`, c.ID).Scan(&tasks, &distinct); err != nil {
		t.Fatal(err)
	}
	if tasks != distinct {
		t.Errorf("%d tasks for %d contacts", tasks, distinct)
	}
	// Every task's assignee sees its contact; every target someone sees has a task.
	rows, err := pool.Query(ctx, `SELECT t.contact_id::text, t.rep_id::text FROM campaign_targets t WHERE t.campaign_id = $1`, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	type assignment struct{ contact, rep string }
	var as []assignment
	for rows.Next() {
		var a assignment
		var rep *string
		if err := rows.Scan(&a.contact, &rep); err != nil {
			t.Fatal(err)
		}
		if rep != nil {
			a.rep = *rep
		}
		as = append(as, a)
	}
	rows.Close()
	for _, a := range as {
		key := m.ContactKey(a.contact)
		if a.rep == "" {
			for _, r := range reps {
				if m.SeesContact(r, key) {
					t.Errorf("%s left unassigned though %s sees it", key, r)
				}
			}
			continue
		}
		login := ""
		for _, r := range reps {
			if m.Users[r].ID == a.rep {
				login = r
			}
		}
		if !m.SeesContact(login, key) {
			t.Errorf("%s assigned to %s, who cannot see it", key, login)
		}
	}
	if created != tasks {
		t.Errorf("the batches reported %d tasks created, the table holds %d", created, tasks)
	}
	if _, err := st.ActivateCampaign(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	p, err := st.CampaignProgress(ctx, c.ID)
	if err != nil || p.Open != tasks || p.Targets != snap.Targets {
		t.Errorf("progress %+v, %v; want %d open", p, err, tasks)
	}
	if _, err := st.CancelCampaign(ctx, m.Actor("cyril"), c.ID); err != nil {
		t.Fatal(err)
	}
	if b, err := st.CreateCampaignTaskBatch(ctx, c.ID, 1, 100); err != nil || b.Status != "cancelled" || b.Created != 0 {
		t.Errorf("batch after cancel: %+v, %v", b, err)
	}
	p, _ = st.CampaignProgress(ctx, c.ID)
	if p.Open != 0 || p.Cancelled != tasks || p.Status != model.CampaignCancelled {
		t.Errorf("after cancel %+v", p)
	}
}

// TestCampaignBookOwner: book_owner gives each target to a manager of its book by explicit
// grant who sees it (B3: cyril); books without one leave their targets unassigned.
func TestCampaignBookOwner(t *testing.T) {
	ctx := context.Background()
	st, pool := newStore(t)
	m, err := storetest.SeedMatrix(ctx, st, "")
	if err != nil {
		t.Fatal(err)
	}
	c, err := st.CreateCampaign(ctx, m.Actor("cyril"), store.CampaignInput{Name: strp("Vlastníci"), TaskTitle: strp("Zavolat"),
		AssignMode: strp(model.AssignBookOwner)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.LaunchCampaign(ctx, m.Actor("cyril"), c.ID); err != nil {
		t.Fatal(err)
	}
	snap, err := st.SnapshotCampaignTargets(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	b, err := st.CreateCampaignTaskBatch(ctx, c.ID, 1, snap.Targets)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := pool.Query(ctx, `SELECT contact_id::text, assignee_id::text FROM tasks WHERE campaign_id = $1`, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var contact, rep string
		if err := rows.Scan(&contact, &rep); err != nil {
			t.Fatal(err)
		}
		n++
		if key := m.ContactKey(contact); key[:2] != "b3" || rep != m.Users["cyril"].ID {
			t.Errorf("task for %s to %s", key, rep)
		}
	}
	if n != 2 || b.Unassigned != snap.Targets-2 {
		t.Errorf("%d tasks, %d unassigned of %d", n, b.Unassigned, snap.Targets)
	}
}

// TestCampaignTargetingMatrix: every matrix user who may create a campaign (an admin, or a
// manager of some book) targets exactly what they see; the others may not create one.
func TestCampaignTargetingMatrix(t *testing.T) {
	ctx := context.Background()
	st, _ := newStore(t)
	m, err := storetest.SeedMatrix(ctx, st, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, login := range m.Logins() {
		manager := false
		for b := range m.Books {
			manager = manager || m.Manages(login, b)
		}
		c, err := st.CreateCampaign(ctx, m.Actor(login), store.CampaignInput{Name: strp("Matice " + login), TaskTitle: strp("Zavolat"),
			RepIDs: &[]string{m.Users["alena"].ID}})
		if !manager {
			if !errors.Is(err, store.ErrForbidden) {
				t.Errorf("%s (manages nothing) creates a campaign: %v", login, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", login, err)
		}
		p, err := st.PreviewCampaign(ctx, m.Actor(login), c.ID)
		if want := len(m.VisibleContacts(login)); err != nil || p.Targets != want {
			t.Errorf("%s: preview %d, %v; sees %d", login, p.Targets, err, want)
		}
	}
}
