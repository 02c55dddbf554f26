package store

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/kontakt/kontakt/model"
)

// Previewing a campaign's filter before it is saved (the web app's campaign form, issue #8):
// the same targeting as a saved campaign (campaignTarget: the owner's visibility, the
// filter, the purpose's consent), evaluated on a filter that is not stored yet.

// CampaignPreviewContact is one of the first targets of a previewed filter.
type CampaignPreviewContact struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// CampaignFilterPreview is how many contacts a filter targets now and, by name, the first
// of them.
type CampaignFilterPreview struct {
	Targets int                      `json:"targets"`
	First   []CampaignPreviewContact `json:"first"`
}

// PreviewCampaignFilter counts the contacts that a campaign with filter f and purpose
// purposeID ("" for none) would target now, and names the first limit of them by sort
// order. campaignID "" previews a new campaign of the actor, who must be allowed to create
// one (a book manager or an organisation admin; ErrForbidden otherwise); otherwise the
// actor must manage that draft campaign (ErrNotFound when they may not read it,
// ErrForbidden when they may only read it) and the targets are its owner's, as at launch.
// Only the owner or an admin gets here, and either sees every target; the names are still
// filtered by the actor's own visibility, and the read of them is audited.
func (s *Store) PreviewCampaignFilter(ctx context.Context, actor Actor, campaignID string, f model.CampaignFilter, purposeID string, limit int) (CampaignFilterPreview, error) {
	in := CampaignInput{Filter: &f}
	if purposeID != "" {
		in.PurposeID = &purposeID
	}
	if err := in.validate(); err != nil {
		return CampaignFilterPreview{}, err
	}
	f = f.Normalised()
	var purpose *string
	if purposeID != "" {
		purpose = &purposeID
	}
	limit = min(max(limit, 0), 50)
	out := CampaignFilterPreview{First: []CampaignPreviewContact{}}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		owner := actor.UserID
		if campaignID == "" {
			var manager bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM user_book_roles($1) r WHERE r.role = 'manager')`,
				actor.UserID).Scan(&manager); err != nil {
				return err
			}
			if !manager {
				return ErrForbidden
			}
		} else {
			c, err := requireCampaign(ctx, tx, actor, campaignID, true)
			if err != nil {
				return err
			}
			if c.OwnerID == nil {
				return nil
			}
			owner = *c.OwnerID
		}
		const from = ` FROM (SELECT $2::jsonb AS filter, $3::uuid AS purpose_id) cp JOIN contacts c ON true WHERE ` + campaignTarget
		if err := tx.QueryRow(ctx, `SELECT count(*)`+from, owner, f, purpose).Scan(&out.Targets); err != nil {
			return err
		}
		if limit == 0 || out.Targets == 0 {
			return nil
		}
		rows, err := tx.Query(ctx, `SELECT c.id`+from+` ORDER BY c.sort_key, c.id LIMIT $4`, owner, f, purpose, limit)
		if err != nil {
			return err
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `SELECT c.id, c.display_name FROM contacts c
			WHERE c.id = ANY($2::uuid[]) AND `+contactVisible+` ORDER BY c.sort_key, c.id`, actor.UserID, ids)
		if err != nil {
			return err
		}
		if out.First, err = pgx.CollectRows(rows, pgx.RowToStructByPos[CampaignPreviewContact]); err != nil {
			return err
		}
		shown := make([]string, len(out.First))
		for i, c := range out.First {
			shown[i] = c.ID
		}
		return audit(ctx, tx, actor, "campaign.preview", shown, nilIfEmpty(campaignID), nil)
	})
	if err != nil {
		return CampaignFilterPreview{}, wrap(err)
	}
	return out, nil
}

func nilIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
