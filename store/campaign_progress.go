package store

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/kontakt/kontakt/model"
)

// CampaignProgress reads where a campaign stands: its tasks per rep (open, done,
// cancelled; RepID nil counts the targets no rep could see), its invitations, counts only.
// The workflow's progress query shows it as last read; an unknown campaign is ErrNotFound.
func (s *Store) CampaignProgress(ctx context.Context, id string) (model.CampaignProgress, error) {
	return campaignProgress(ctx, s.pool, id)
}

func campaignProgress(ctx context.Context, q querier, id string) (model.CampaignProgress, error) {
	p := model.CampaignProgress{PerRep: []model.RepProgress{}}
	var targets *int
	err := q.QueryRow(ctx, `SELECT cp.status, cp.target_count,
			(SELECT count(*) FROM campaign_targets t WHERE t.campaign_id = cp.id AND t.task_id IS NULL AND cp.status <> 'launching'),
			coalesce(count(*) FILTER (WHERE i.campaign_id IS NOT NULL), 0),
			count(i.mailed_at), count(*) FILTER (WHERE i.mail_claimed_at IS NOT NULL AND i.mailed_at IS NULL),
			count(*) FILTER (WHERE i.status = 'accepted'), count(*) FILTER (WHERE i.status = 'declined'),
			count(*) FILTER (WHERE i.status = 'attended')
		FROM campaigns cp LEFT JOIN event_invitations i ON i.campaign_id = cp.id
		WHERE cp.id = $1 GROUP BY cp.id`, id).Scan(&p.Status, &targets, &p.Unassigned,
		&p.Invited, &p.Mailed, &p.MailUnknown, &p.Accepted, &p.Declined, &p.Attended)
	if err != nil {
		return p, wrap(err)
	}
	if targets != nil {
		p.Targets = *targets
	}
	if p.Invited > 0 || p.Status == model.CampaignActive {
		// Targets of an inviting campaign without the consent or an address.
		if err := q.QueryRow(ctx, `SELECT count(*) FROM campaign_targets t JOIN campaigns cp ON cp.id = t.campaign_id
			WHERE t.campaign_id = $1 AND cp.send_invitations
			  AND NOT EXISTS (SELECT 1 FROM event_invitations i WHERE i.event_id = cp.event_id AND i.contact_id = t.contact_id)`,
			id).Scan(&p.NoConsentOrEmail); err != nil {
			return p, wrap(err)
		}
	}
	rows, err := q.Query(ctx, `SELECT assignee_id::text,
			count(*) FILTER (WHERE status = 'open'), count(*) FILTER (WHERE status = 'done'), count(*) FILTER (WHERE status = 'cancelled')
		FROM tasks WHERE campaign_id = $1 GROUP BY assignee_id ORDER BY assignee_id NULLS LAST`, id)
	if err != nil {
		return p, wrap(err)
	}
	for rows.Next() {
		var r model.RepProgress
		if err := rows.Scan(&r.RepID, &r.Open, &r.Done, &r.Cancelled); err != nil {
			rows.Close()
			return p, wrap(err)
		}
		p.Open, p.Done, p.Cancelled = p.Open+r.Open, p.Done+r.Done, p.Cancelled+r.Cancelled
		p.PerRep = append(p.PerRep, r)
	}
	return p, wrap(rows.Err())
}

// CampaignResults returns a campaign's results to a reader of it: its progress, the
// outcomes recorded on its done tasks, and the contacts that accepted its invitation. Only
// tasks and invitations of contacts the reader sees (contactVisible) give outcomes and ids.
func (s *Store) CampaignResults(ctx context.Context, actor Actor, id string) (model.CampaignResults, error) {
	var r model.CampaignResults
	if _, err := s.GetCampaign(ctx, actor, id); err != nil {
		return r, err
	}
	p, err := campaignProgress(ctx, s.pool, id)
	if err != nil {
		return r, err
	}
	r.CampaignProgress = p
	rows, err := s.pool.Query(ctx, `SELECT tk.outcome, count(*) FROM tasks tk JOIN contacts c ON c.id = tk.contact_id
		WHERE tk.campaign_id = $2 AND tk.status = 'done' AND `+contactVisible+`
		GROUP BY tk.outcome ORDER BY count(*) DESC, tk.outcome`, actor.UserID, id)
	if err != nil {
		return r, wrap(err)
	}
	r.Outcomes, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (model.OutcomeCount, error) {
		var o model.OutcomeCount
		return o, row.Scan(&o.Outcome, &o.Count)
	})
	if err != nil {
		return r, wrap(err)
	}
	rows, err = s.pool.Query(ctx, `SELECT c.id::text FROM event_invitations i JOIN contacts c ON c.id = i.contact_id
		WHERE i.campaign_id = $2 AND i.status IN ('accepted', 'attended') AND `+contactVisible+`
		ORDER BY c.sort_key, c.id`, actor.UserID, id)
	if err != nil {
		return r, wrap(err)
	}
	r.AcceptedContacts, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if r.AcceptedContacts == nil {
		r.AcceptedContacts = []string{}
	}
	return r, wrap(err)
}
