package main

// The campaign suite: the CampaignLaunch workflow over 10k target contacts, on a private
// PostgreSQL with fsync on, an in-process Temporal (SQLite file, as `kontakt dev` runs it)
// and the real worker. Per batch size it creates a campaign over the same contacts, commits
// its launch as the API does, starts the workflow and waits until the campaign is active:
// the launch time is from the commit to active, the task rate is tasks per second of the
// batches (from the snapshot to active).

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	devtemporal "github.com/kontakt/kontakt/devstack/temporal"
	"github.com/kontakt/kontakt/migrations"
	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
	"github.com/kontakt/kontakt/worker"
	"github.com/kontakt/kontakt/workflows"
)

const (
	campaignDB     = "kontakt_campaign"
	campaignTarget = 1000.0 // tasks per second the issue asks for
)

type campaignOptions struct {
	contacts int
	reps     int
	batches  []int
}

type campaignRun struct {
	batch                 int
	tasks                 int
	snapshot, launch      time.Duration
	tasksPerSecond, ratio float64
}

func runCampaign(ctx context.Context, o options) error {
	co := o.campaign
	dir, cleanup, err := workDir(o)
	if err != nil {
		return err
	}
	defer cleanup()
	pg, stopPG, err := startCluster(ctx, dir, false, campaignDB)
	if err != nil {
		return err
	}
	defer stopPG()
	pool, err := pgxpool.New(ctx, pg.URL(campaignDB))
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer pool.Close()
	if _, err := migrations.Up(ctx, pool); err != nil {
		return err
	}
	var fsync string
	if err := pool.QueryRow(ctx, `SHOW fsync`).Scan(&fsync); err != nil || fsync != "on" {
		return fmt.Errorf("fsync is %q on the campaign cluster (%v); the figure needs it on", fsync, err)
	}
	st := store.New(pool, "CZ")
	owner, reps, err := seedCampaign(ctx, st, pool, co)
	if err != nil {
		return err
	}

	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	dbFile := filepath.Join(dir, "temporal-"+devtemporal.ServerVersion+".db")
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(dbFile + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	logf("starting temporal %s", devtemporal.ServerVersion)
	ts, err := devtemporal.Start(ctx, devtemporal.Options{DBFile: dbFile, UIPort: -1, Logger: log})
	if err != nil {
		return err
	}
	defer func() {
		if err := ts.Stop(); err != nil {
			logf("stop temporal: %v", err)
		}
	}()
	tc, err := client.NewLazyClient(client.Options{HostPort: ts.Address(), Namespace: ts.Namespace(), Logger: sdklog.NewStructuredLogger(log)})
	if err != nil {
		return fmt.Errorf("temporal client: %w", err)
	}
	defer tc.Close()

	var runs []campaignRun
	for _, batch := range co.batches {
		r, err := launchOnce(ctx, st, pool, tc, owner, reps, batch)
		if err != nil {
			return err
		}
		logf("batch %d: %d tasks, launch %s, %.0f tasks/s", batch, r.tasks, r.launch.Round(time.Millisecond), r.tasksPerSecond)
		runs = append(runs, r)
	}
	printCampaign(os.Stdout, co, runs)
	return nil
}

// seedCampaign makes the owner (manager of the book), the reps (viewers) and the contacts
// in one statement each.
func seedCampaign(ctx context.Context, st *store.Store, pool *pgxpool.Pool, co campaignOptions) (store.Actor, []string, error) {
	sys := store.Actor{Channel: "system"}
	admin, err := st.CreateUser(ctx, sys, model.User{Login: "admin", Name: "Admin", IsAdmin: true}, "")
	if err != nil {
		return store.Actor{}, nil, err
	}
	aa := store.Actor{UserID: admin.ID, Channel: "system"}
	book, err := st.CreateBook(ctx, aa, "Zákazníci", "")
	if err != nil {
		return store.Actor{}, nil, err
	}
	var owner store.Actor
	var reps []string
	for i := range co.reps + 1 {
		login, role := fmt.Sprintf("rep%d", i), model.RoleViewer
		if i == 0 {
			login, role = "manager", model.RoleManager
		}
		u, err := st.CreateUser(ctx, sys, model.User{Login: login, Name: login}, "")
		if err != nil {
			return owner, nil, err
		}
		if _, err := st.PutGrant(ctx, aa, model.Grant{BookID: book.ID, UserID: &u.ID, Role: role}); err != nil {
			return owner, nil, err
		}
		if i == 0 {
			owner = store.Actor{UserID: u.ID, Channel: "api"}
		} else {
			reps = append(reps, u.ID)
		}
	}
	logf("seeding %d contacts", co.contacts)
	_, err = pool.Exec(ctx, `INSERT INTO contacts (book_id, kind, display_name, tags)
		SELECT $1, 'person', 'Zákazník ' || lpad(i::text, 6, '0'), '{kampan}' FROM generate_series(1, $2) i`, book.ID, co.contacts)
	if err == nil {
		_, err = pool.Exec(ctx, `ANALYZE`)
	}
	return owner, reps, err
}

// launchOnce launches a new campaign over every contact with a worker whose batches hold
// batch targets, and waits until it is active.
func launchOnce(ctx context.Context, st *store.Store, pool *pgxpool.Pool, tc client.Client, owner store.Actor, reps []string, batch int) (campaignRun, error) {
	r := campaignRun{batch: batch}
	deps := worker.NewDeps(st, tc, nil, "", slog.New(slog.NewTextHandler(io.Discard, nil)))
	deps.Campaign.BatchSize = batch
	w := worker.New(tc, deps)
	if err := w.Start(); err != nil {
		return r, err
	}
	defer w.Stop()
	c, err := st.CreateCampaign(ctx, owner, store.CampaignInput{Name: ptr(fmt.Sprintf("Bench %d", batch)), TaskTitle: ptr("Zavolat"),
		Filter: &model.CampaignFilter{Tags: []string{"kampan"}}, RepIDs: &reps})
	if err != nil {
		return r, err
	}
	start := time.Now()
	if _, err := st.LaunchCampaign(ctx, owner, c.ID); err != nil {
		return r, err
	}
	if err := workflows.StartCampaignLaunch(ctx, tc, c.ID); err != nil {
		return r, err
	}
	var snapshotted *time.Time
	for {
		var status string
		if err := pool.QueryRow(ctx, `SELECT status, snapshotted_at FROM campaigns WHERE id = $1`, c.ID).Scan(&status, &snapshotted); err != nil {
			return r, err
		}
		if status == string(model.CampaignActive) {
			break
		}
		if time.Since(start) > 10*time.Minute {
			return r, fmt.Errorf("campaign %s still %s after 10 minutes", c.ID, status)
		}
		time.Sleep(5 * time.Millisecond)
	}
	r.launch = time.Since(start)
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM tasks WHERE campaign_id = $1`, c.ID).Scan(&r.tasks); err != nil {
		return r, err
	}
	if snapshotted != nil {
		r.snapshot = snapshotted.Sub(start)
	}
	r.tasksPerSecond = float64(r.tasks) / (r.launch - r.snapshot).Seconds()
	r.ratio = r.tasksPerSecond / campaignTarget
	// End the workflow (it would watch the campaign for hours).
	if _, err := st.CancelCampaign(ctx, owner, c.ID); err != nil {
		return r, err
	}
	if err := (workflows.Campaigns{Client: tc}).CancelLaunch(ctx, c.ID); err != nil {
		return r, err
	}
	return r, tc.GetWorkflow(ctx, workflows.CampaignLaunchID(c.ID), "").Get(ctx, nil)
}

func ptr[T any](v T) *T { return &v }

func printCampaign(w io.Writer, co campaignOptions, runs []campaignRun) {
	fmt.Fprintf(w, "Campaign launch: %d target contacts, %d reps (round robin, each checked with the one policy), fsync on, in-process Temporal (SQLite)\n\n", co.contacts, co.reps)
	fmt.Fprintln(w, "| batch | tasks | snapshot | total launch | tasks/s (batches) | vs. target 1,000/s |")
	fmt.Fprintln(w, "| ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, r := range runs {
		fmt.Fprintf(w, "| %d | %d | %s | %s | %.0f | %.1f× |\n", r.batch, r.tasks, r.snapshot.Round(time.Millisecond),
			r.launch.Round(time.Millisecond), r.tasksPerSecond, r.ratio)
	}
}
