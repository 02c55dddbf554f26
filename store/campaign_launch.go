package store

import (
	"context"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kontakt/kontakt/model"
)

// Launching a campaign (the CampaignLaunch workflow, campaign-launch/<id>): LaunchCampaign
// commits the request (status launching, the outbox lane UnstartedCampaignLaunches), the
// workflow snapshots the targets once (SnapshotCampaignTargets), creates the tasks in
// batches that a rerun never duplicates (CreateCampaignTaskBatch, on the unique index
// tasks_campaign_contact), marks the campaign active, and optionally invites the targets
// with the campaign purpose's consent to its event (CampaignInvitees and the mail claim).
// These steps run as the system, with the owner's visibility where targets are chosen.

// LaunchCampaign starts a draft campaign: it becomes launching, and the CampaignLaunch
// workflow started after the commit (or by the reconciler) does the rest. Its owner and
// admins may; a campaign no longer a draft is a *ConflictError.
func (s *Store) LaunchCampaign(ctx context.Context, actor Actor, id string) (model.Campaign, error) {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		c, err := requireCampaign(ctx, tx, actor, id, true)
		if err != nil {
			return err
		}
		if c.Status != model.CampaignDraft {
			return &ConflictError{Field: "status", Msg: "the campaign was launched already"}
		}
		if c.AssignMode == model.AssignRoundRobin && len(c.RepIDs) == 0 {
			return &model.FieldError{Field: "rep_ids", Msg: "round_robin needs at least one rep"}
		}
		owner := actor.UserID
		if c.OwnerID != nil {
			owner = *c.OwnerID
		}
		if err := checkCampaign(ctx, tx, owner, c); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE campaigns SET status = 'launching', launched_at = now(), updated_at = now()
			WHERE id = $1`, id); err != nil {
			return err
		}
		return audit(ctx, tx, actor, "campaign.launch", nil, &id, nil)
	})
	if err != nil {
		return model.Campaign{}, wrap(err)
	}
	return s.GetCampaign(ctx, actor, id)
}

// UnstartedCampaignLaunches lists launched campaigns whose workflow was not recorded as
// started (the outbox lane of campaign launches).
func (s *Store) UnstartedCampaignLaunches(ctx context.Context, limit int) ([]string, error) {
	return s.ids(ctx, `SELECT id FROM campaigns WHERE status = 'launching' AND workflow_started_at IS NULL
		ORDER BY launched_at LIMIT $1`, limit)
}

// MarkCampaignLaunchStarted records that the campaign's workflow was started.
func (s *Store) MarkCampaignLaunchStarted(ctx context.Context, id string) error {
	_, err := s.pool.Exec(ctx, `UPDATE campaigns SET workflow_started_at = coalesce(workflow_started_at, now()) WHERE id = $1`, id)
	return wrap(err)
}

// CancelCampaign cancels a campaign that is not over: its open tasks are cancelled in the
// same transaction, so the cancellation holds even before its workflow hears of it (the
// workflow's cancel step does the same again, harmlessly, and ends). Its owner and admins
// may; a campaign already done or cancelled is a *ConflictError.
func (s *Store) CancelCampaign(ctx context.Context, actor Actor, id string) (model.Campaign, error) {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		c, err := requireCampaign(ctx, tx, actor, id, true)
		if err != nil {
			return err
		}
		if c.Status == model.CampaignDone || c.Status == model.CampaignCancelled {
			return &ConflictError{Field: "status", Msg: "the campaign is over already"}
		}
		n, err := cancelCampaign(ctx, tx, id)
		if err != nil {
			return err
		}
		return audit(ctx, tx, actor, "campaign.cancel", nil, &id, map[string]any{"tasks_cancelled": n})
	})
	if err != nil {
		return model.Campaign{}, wrap(err)
	}
	return s.GetCampaign(ctx, actor, id)
}

// cancelCampaign marks a campaign that is not over cancelled and cancels its open tasks;
// it returns how many tasks it cancelled (0 when the campaign was over already).
func cancelCampaign(ctx context.Context, tx pgx.Tx, id string) (int, error) {
	tag, err := tx.Exec(ctx, `UPDATE campaigns SET status = 'cancelled', cancelled_at = coalesce(cancelled_at, now()),
		completed_at = coalesce(completed_at, now()), updated_at = now()
		WHERE id = $1 AND status IN ('draft', 'launching', 'active', 'cancelled')`, id)
	if err != nil || tag.RowsAffected() == 0 {
		return 0, err
	}
	tag, err = tx.Exec(ctx, `UPDATE tasks SET status = 'cancelled', updated_at = now()
		WHERE campaign_id = $1 AND status = 'open'`, id)
	return int(tag.RowsAffected()), err
}

// CancelCampaignTasks is the workflow's cancel step: unless the campaign is done, it is
// cancelled (if the API has not done so) and its open tasks are closed as cancelled. It
// returns the campaign's status after it; an unknown campaign is ErrNotFound.
func (s *Store) CancelCampaignTasks(ctx context.Context, id string) (string, error) {
	var status string
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT status FROM campaigns WHERE id = $1 FOR UPDATE`, id).Scan(&status); err != nil {
			return err
		}
		if status == string(model.CampaignDone) {
			return nil
		}
		n, err := cancelCampaign(ctx, tx, id)
		if err != nil {
			return err
		}
		status = string(model.CampaignCancelled)
		if n > 0 {
			return audit(ctx, tx, Actor{Channel: "system"}, "campaign.cancel_tasks", nil, &id, map[string]any{"tasks_cancelled": n})
		}
		return nil
	})
	return status, wrap(err)
}

// CampaignSnapshot is what snapshotting a campaign's targets found: its status and how many
// targets it has.
type CampaignSnapshot struct {
	Status          string
	Targets         int
	SendInvitations bool
}

// SnapshotCampaignTargets takes the campaign's targets once, with its owner's visibility
// (campaignTarget), numbered 1..n by name in one statement; a second call (a retry or a
// rerun) takes nothing and reports the first snapshot. Only a launching campaign is
// snapshotted; any other reports its status and target count as they are.
func (s *Store) SnapshotCampaignTargets(ctx context.Context, id string) (CampaignSnapshot, error) {
	var out CampaignSnapshot
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var owner *string
		var snapshotted *time.Time
		var count *int
		if err := tx.QueryRow(ctx, `SELECT status, owner_id::text, snapshotted_at, target_count, send_invitations
			FROM campaigns WHERE id = $1 FOR UPDATE`, id).Scan(&out.Status, &owner, &snapshotted, &count, &out.SendInvitations); err != nil {
			return err
		}
		if snapshotted != nil || out.Status != string(model.CampaignLaunching) {
			if count != nil {
				out.Targets = *count
			}
			return nil
		}
		if owner != nil {
			tag, err := tx.Exec(ctx, `INSERT INTO campaign_targets (campaign_id, contact_id, position)
				SELECT cp.id, c.id, row_number() OVER (ORDER BY c.sort_key, c.id)
				  FROM campaigns cp JOIN contacts c ON true
				 WHERE cp.id = $2 AND `+campaignTarget+`
				ON CONFLICT DO NOTHING`, *owner, id)
			if err != nil {
				return err
			}
			out.Targets = int(tag.RowsAffected())
		}
		_, err := tx.Exec(ctx, `UPDATE campaigns SET snapshotted_at = now(), target_count = $2, updated_at = now() WHERE id = $1`,
			id, out.Targets)
		return err
	})
	return out, wrap(err)
}

// CampaignBatch is what one batch of task creation did.
type CampaignBatch struct {
	// Status is the campaign's status; a cancelled campaign gets no more tasks.
	Status     string
	Created    int // tasks created by this call (0 on a rerun of a committed batch)
	Unassigned int // targets of the batch no rep may see: no task
}

type batchTarget struct {
	contactID, bookID string
	position          int
}

// CreateCampaignTaskBatch creates the tasks of the targets at positions from..from+size-1
// that have none yet, each for a rep who sees the contact: round_robin gives it to the rep
// with the fewest tasks of the campaign so far among those who see it (ties: starting at
// rep (position-1) mod n in the campaign's order, which makes plain turns when every rep
// sees every target); book_owner takes the first, by name,
// of the book's managers by explicit grant (narrowed to the campaign's reps if it names any)
// who sees it. A target no candidate sees stays unassigned, without a task. The tasks go in
// with one INSERT ... SELECT and ON CONFLICT on tasks_campaign_contact, so a batch rerun
// after a crash, whole or half committed, never duplicates a task. A campaign no longer
// launching or active gets no tasks.
func (s *Store) CreateCampaignTaskBatch(ctx context.Context, id string, from, size int) (CampaignBatch, error) {
	var out CampaignBatch
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var mode string
		var reps []string
		// FOR SHARE: a cancellation (FOR UPDATE) waits for the batch, or the batch for it.
		if err := tx.QueryRow(ctx, `SELECT status, assign_mode, rep_ids::text[] FROM campaigns WHERE id = $1 FOR SHARE`,
			id).Scan(&out.Status, &mode, &reps); err != nil {
			return err
		}
		if out.Status != string(model.CampaignLaunching) && out.Status != string(model.CampaignActive) {
			return nil
		}
		rows, err := tx.Query(ctx, `SELECT t.contact_id::text, c.book_id::text, t.position
			FROM campaign_targets t JOIN contacts c ON c.id = t.contact_id
			WHERE t.campaign_id = $1 AND t.position >= $2 AND t.position < $3 AND t.task_id IS NULL
			ORDER BY t.position`, id, from, from+size)
		if err != nil {
			return err
		}
		var targets []batchTarget
		for rows.Next() {
			var t batchTarget
			if err := rows.Scan(&t.contactID, &t.bookID, &t.position); err != nil {
				rows.Close()
				return err
			}
			targets = append(targets, t)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if len(targets) == 0 {
			return nil
		}
		contactIDs := make([]string, len(targets))
		for i, t := range targets {
			contactIDs[i] = t.contactID
		}
		candidates := reps
		var owners map[string][]string // book → managers by name
		if mode == model.AssignBookOwner {
			if owners, err = bookOwners(ctx, tx, targets, reps); err != nil {
				return err
			}
			candidates = nil
			for _, us := range owners {
				for _, u := range us {
					if !slices.Contains(candidates, u) {
						candidates = append(candidates, u)
					}
				}
			}
		}
		sees, err := repVisibility(ctx, tx, candidates, contactIDs)
		if err != nil {
			return err
		}
		// Tasks per rep so far: round_robin evens them out among the reps who see a contact.
		load := map[string]int{}
		if mode != model.AssignBookOwner {
			lrows, err := tx.Query(ctx, `SELECT assignee_id::text, count(*) FROM tasks WHERE campaign_id = $1 AND assignee_id IS NOT NULL
				GROUP BY assignee_id`, id)
			if err != nil {
				return err
			}
			for lrows.Next() {
				var r string
				var n int
				if err := lrows.Scan(&r, &n); err != nil {
					lrows.Close()
					return err
				}
				load[r] = n
			}
			if err := lrows.Err(); err != nil {
				return err
			}
		}
		assigned := make([]*string, len(targets))
		for i, t := range targets {
			if mode == model.AssignBookOwner {
				for _, r := range owners[t.bookID] {
					if sees[r][t.contactID] {
						assigned[i] = &r
						break
					}
				}
			} else if n := len(reps); n > 0 {
				start := (t.position - 1) % n
				for _, r := range append(slices.Clone(reps[start:]), reps[:start]...) {
					if sees[r][t.contactID] && (assigned[i] == nil || load[r] < load[*assigned[i]]) {
						assigned[i] = &r
					}
				}
				if assigned[i] != nil {
					load[*assigned[i]]++
				}
			}
			if assigned[i] == nil {
				out.Unassigned++
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE campaign_targets t SET rep_id = x.rep
			FROM unnest($2::uuid[], $3::uuid[]) x(contact, rep)
			WHERE t.campaign_id = $1 AND t.contact_id = x.contact`, id, contactIDs, assigned); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO tasks (title, task_type, assignee_id, created_by, due_on, contact_id, campaign_id, event_id)
			SELECT cp.task_title, cp.task_type, x.rep, cp.owner_id, cp.task_due_on, x.contact, cp.id, cp.event_id
			  FROM unnest($2::uuid[], $3::uuid[]) x(contact, rep) JOIN campaigns cp ON cp.id = $1
			 WHERE x.rep IS NOT NULL
			ON CONFLICT (campaign_id, contact_id) WHERE campaign_id IS NOT NULL DO NOTHING`, id, contactIDs, assigned)
		if err != nil {
			return err
		}
		out.Created = int(tag.RowsAffected())
		_, err = tx.Exec(ctx, `UPDATE campaign_targets t SET task_id = tk.id FROM tasks tk
			WHERE t.campaign_id = $1 AND t.contact_id = ANY ($2::uuid[]) AND t.task_id IS NULL
			  AND tk.campaign_id = $1 AND tk.contact_id = t.contact_id`, id, contactIDs)
		return err
	})
	return out, wrap(err)
}

// bookOwners returns, per book of the targets, the enabled users holding the manager role
// on it by an explicit grant (to them or a group of theirs), by name then id, narrowed to
// reps when it is not empty. Organisation admins manage every book without a grant and are
// owners only through one.
func bookOwners(ctx context.Context, tx pgx.Tx, targets []batchTarget, reps []string) (map[string][]string, error) {
	var books []string
	for _, t := range targets {
		if !slices.Contains(books, t.bookID) {
			books = append(books, t.bookID)
		}
	}
	rows, err := tx.Query(ctx, `SELECT DISTINCT g.book_id::text, u.name, u.id::text
		FROM book_grants g JOIN users u ON NOT u.disabled AND (u.id = g.user_id
		     OR u.id IN (SELECT m.user_id FROM group_members m WHERE m.group_id = g.group_id))
		WHERE g.role = 'manager' AND g.book_id = ANY ($1::uuid[])
		  AND (cardinality($2::uuid[]) = 0 OR u.id = ANY ($2::uuid[]))
		ORDER BY 1, 2, 3`, books, reps)
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for rows.Next() {
		var book, name, user string
		if err := rows.Scan(&book, &name, &user); err != nil {
			rows.Close()
			return nil, err
		}
		out[book] = append(out[book], user)
	}
	return out, rows.Err()
}

// repVisibility returns, per user, which of the contacts they see (contactVisible with
// each user as $1): a rep is never assigned a contact they cannot see.
func repVisibility(ctx context.Context, tx pgx.Tx, users, contactIDs []string) (map[string]map[string]bool, error) {
	out := map[string]map[string]bool{}
	for _, u := range users {
		rows, err := tx.Query(ctx, `SELECT c.id::text FROM contacts c WHERE c.id = ANY ($2::uuid[]) AND `+contactVisible, u, contactIDs)
		if err != nil {
			return nil, err
		}
		seen, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return nil, err
		}
		out[u] = map[string]bool{}
		for _, c := range seen {
			out[u][c] = true
		}
	}
	return out, nil
}

// ActivateCampaign marks a launching campaign active once its tasks exist, and returns its
// status (a cancelled campaign stays cancelled).
func (s *Store) ActivateCampaign(ctx context.Context, id string) (string, error) {
	var status string
	err := s.pool.QueryRow(ctx, `UPDATE campaigns SET status = CASE WHEN status = 'launching' THEN 'active' ELSE status END,
		updated_at = now() WHERE id = $1 RETURNING status`, id).Scan(&status)
	return status, wrap(err)
}

// FinishCampaignIfDone marks an active campaign done when it has tasks and none is open
// (every task done, or cancelled one by one), and returns its status. A campaign whose
// targets all stayed unassigned has no task and stays active until cancelled.
func (s *Store) FinishCampaignIfDone(ctx context.Context, id string) (string, error) {
	var status string
	err := s.pool.QueryRow(ctx, `UPDATE campaigns cp SET status = CASE
			WHEN cp.status = 'active' AND EXISTS (SELECT 1 FROM tasks t WHERE t.campaign_id = cp.id)
			 AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.campaign_id = cp.id AND t.status = 'open') THEN 'done'
			ELSE cp.status END,
		completed_at = CASE WHEN cp.status = 'active' AND EXISTS (SELECT 1 FROM tasks t WHERE t.campaign_id = cp.id)
			 AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.campaign_id = cp.id AND t.status = 'open') THEN now()
			ELSE cp.completed_at END
		WHERE cp.id = $1 RETURNING cp.status`, id).Scan(&status)
	return status, wrap(err)
}
