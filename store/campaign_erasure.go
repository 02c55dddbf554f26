package store

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// redactCampaigns replaces, in the name and task title of the campaigns that targeted the
// contact, every mention of the person with a marker (as for meetings): a campaign belongs
// to its other targets too, so it stays, without the person (and so do the task titles it
// gave them). The targets, tasks and
// invitations of the contact go with it by cascade.
func redactCampaigns(ctx context.Context, tx pgx.Tx, contactID string, emails []string) error {
	rows, err := tx.Query(ctx, `SELECT cp.id::text, cp.name, cp.task_title FROM campaigns cp
		WHERE cp.id IN (SELECT t.campaign_id FROM campaign_targets t WHERE t.contact_id = $1
		                UNION SELECT tk.campaign_id FROM tasks tk WHERE tk.contact_id = $1 AND tk.campaign_id IS NOT NULL)
		FOR UPDATE OF cp`, contactID)
	if err != nil {
		return err
	}
	type campaign struct{ id, name, title string }
	cs, err := collect(rows, func(r pgx.Row) (campaign, error) {
		var c campaign
		return c, r.Scan(&c.id, &c.name, &c.title)
	})
	if err != nil || len(cs) == 0 {
		return err
	}
	re, err := personPattern(ctx, tx, contactID, emails)
	if err != nil || re == nil {
		return err
	}
	for _, c := range cs {
		name, title := re.ReplaceAllString(c.name, erasedMarker), re.ReplaceAllString(c.title, erasedMarker)
		if name == c.name && title == c.title {
			continue
		}
		if _, err := tx.Exec(ctx, `UPDATE campaigns SET name = $2, task_title = $3, updated_at = now() WHERE id = $1`,
			c.id, name, title); err != nil {
			return err
		}
		// The other targets' tasks carry the title too.
		if _, err := tx.Exec(ctx, `UPDATE tasks SET title = $3, updated_at = now() WHERE campaign_id = $1 AND title = $2`,
			c.id, c.title, title); err != nil {
			return err
		}
	}
	return nil
}
