package store

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/kontakt/kontakt/model"
)

// Collaboration records: what a contact involved in a project delivered and how well.
// Who sees one is collaborationVisible (policy.go); the members of its project add them;
// their author, the project's lead and organisation admins change and delete them.

const collaborationSelect = `SELECT r.id, r.project_id, p.name, r.contact_id, r.delivered, to_char(r.period_from, 'YYYY-MM-DD'),
	to_char(r.period_to, 'YYYY-MM-DD'), r.quality, r.timeliness, r.communication, r.comment, r.created_by, r.created_at, r.updated_at
	FROM collaboration_records r JOIN contacts c ON c.id = r.contact_id JOIN projects p ON p.id = r.project_id`

func scanCollaboration(row pgx.Row) (model.CollaborationRecord, error) {
	var r model.CollaborationRecord
	err := row.Scan(&r.ID, &r.ProjectID, &r.ProjectName, &r.ContactID, &r.Delivered, &r.PeriodFrom, &r.PeriodTo,
		&r.Quality, &r.Timeliness, &r.Communication, &r.Comment, &r.CreatedBy, &r.CreatedAt, &r.UpdatedAt)
	return r, wrap(err)
}

// CreateCollaboration records what a contact delivered on a project. Whoever may read the
// project (its members and organisation admins) may, for a contact involved in it that they
// see; any other contact is a field error, as an unknown one is.
func (s *Store) CreateCollaboration(ctx context.Context, actor Actor, in model.CollaborationRecord) (model.CollaborationRecord, error) {
	if err := in.Normalize(); err != nil {
		return in, err
	}
	var id string
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := requireProject(ctx, tx, actor, in.ProjectID, false); err != nil {
			return err
		}
		var ok bool
		if ValidID(in.ContactID) {
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM contacts c JOIN project_contacts pc ON pc.contact_id = c.id
				WHERE pc.project_id = $2 AND c.id = $3 AND `+contactVisible+`)`, actor.UserID, in.ProjectID, in.ContactID).Scan(&ok); err != nil {
				return err
			}
		}
		if !ok {
			return &model.FieldError{Field: "contact_id", Msg: "no such contact involved in this project"}
		}
		if err := tx.QueryRow(ctx, `INSERT INTO collaboration_records (project_id, contact_id, delivered, period_from, period_to,
				quality, timeliness, communication, comment, created_by)
			VALUES ($1, $2, $3, $4::date, $5::date, $6, $7, $8, $9, $10) RETURNING id`,
			in.ProjectID, in.ContactID, in.Delivered, in.PeriodFrom, in.PeriodTo, in.Quality, in.Timeliness, in.Communication,
			in.Comment, actor.UserID).Scan(&id); err != nil {
			return err
		}
		return audit(ctx, tx, actor, "collaboration.create", []string{in.ContactID}, &id, map[string]any{"project_id": in.ProjectID})
	})
	if err != nil {
		return model.CollaborationRecord{}, wrap(err)
	}
	return getCollaboration(ctx, s.pool, actor, id)
}

// GetCollaboration returns a record the actor may see and records the read.
func (s *Store) GetCollaboration(ctx context.Context, actor Actor, id string) (model.CollaborationRecord, error) {
	r, err := getCollaboration(ctx, s.pool, actor, id)
	if err != nil {
		return r, err
	}
	return r, audit(ctx, s.pool, actor, "collaboration.read", []string{r.ContactID}, &id, nil)
}

func getCollaboration(ctx context.Context, q querier, actor Actor, id string) (model.CollaborationRecord, error) {
	if !ValidID(id) {
		return model.CollaborationRecord{}, ErrNotFound
	}
	return scanCollaboration(q.QueryRow(ctx, collaborationSelect+` WHERE r.id = $2 AND `+collaborationVisible, actor.UserID, id))
}

// ListProjectCollaboration returns the records of a project the actor reads that they may
// see, newest first, and records the read.
func (s *Store) ListProjectCollaboration(ctx context.Context, actor Actor, projectID string) ([]model.CollaborationRecord, error) {
	if _, err := requireProject(ctx, s.pool, actor, projectID, false); err != nil {
		return nil, err
	}
	return s.listCollaboration(ctx, actor, "r.project_id = $2", projectID, &projectID)
}

// ListContactCollaboration returns the records on a contact the actor sees that they may
// see, newest first, and records the read.
func (s *Store) ListContactCollaboration(ctx context.Context, actor Actor, contactID string) ([]model.CollaborationRecord, error) {
	if _, err := getContact(ctx, s.pool, actor, contactID); err != nil {
		return nil, err
	}
	return s.listCollaboration(ctx, actor, "r.contact_id = $2", contactID, nil)
}

func (s *Store) listCollaboration(ctx context.Context, actor Actor, cond, arg string, object *string) ([]model.CollaborationRecord, error) {
	rows, err := s.pool.Query(ctx, collaborationSelect+` WHERE `+cond+` AND `+collaborationVisible+`
		ORDER BY r.created_at DESC, r.id`, actor.UserID, arg)
	if err != nil {
		return nil, wrap(err)
	}
	rs, err := collect(rows, scanCollaboration)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(rs))
	seen := map[string]bool{}
	for _, r := range rs {
		if !seen[r.ContactID] {
			seen[r.ContactID] = true
			ids = append(ids, r.ContactID)
		}
	}
	return rs, audit(ctx, s.pool, actor, "collaboration.list", ids, object, map[string]any{"count": len(rs)})
}

// UpdateCollaboration changes a record; its author, its project's lead and organisation
// admins may, among those who see it (ErrNotFound for the rest, ErrForbidden for other
// readers). The project and the contact stay.
func (s *Store) UpdateCollaboration(ctx context.Context, actor Actor, id string, p model.CollaborationPatch) (model.CollaborationRecord, error) {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		r, err := collaborationForWrite(ctx, tx, actor, id)
		if err != nil {
			return err
		}
		p.Apply(&r)
		if err := r.Normalize(); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE collaboration_records SET delivered = $2, period_from = $3::date, period_to = $4::date,
				quality = $5, timeliness = $6, communication = $7, comment = $8, updated_at = now() WHERE id = $1`,
			id, r.Delivered, r.PeriodFrom, r.PeriodTo, r.Quality, r.Timeliness, r.Communication, r.Comment); err != nil {
			return err
		}
		return audit(ctx, tx, actor, "collaboration.update", []string{r.ContactID}, &id, nil)
	})
	if err != nil {
		return model.CollaborationRecord{}, wrap(err)
	}
	return getCollaboration(ctx, s.pool, actor, id)
}

// DeleteCollaboration removes a record, under the same rule as UpdateCollaboration.
func (s *Store) DeleteCollaboration(ctx context.Context, actor Actor, id string) error {
	return wrap(s.inTx(ctx, func(tx pgx.Tx) error {
		r, err := collaborationForWrite(ctx, tx, actor, id)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM collaboration_records WHERE id = $1`, id); err != nil {
			return err
		}
		return audit(ctx, tx, actor, "collaboration.delete", []string{r.ContactID}, &id, map[string]any{"project_id": r.ProjectID})
	}))
}

// collaborationForWrite locks a record the actor sees and checks that they are its
// author, its project's lead or an organisation admin.
func collaborationForWrite(ctx context.Context, tx pgx.Tx, actor Actor, id string) (model.CollaborationRecord, error) {
	if !ValidID(id) {
		return model.CollaborationRecord{}, ErrNotFound
	}
	if _, err := tx.Exec(ctx, `SELECT 1 FROM collaboration_records WHERE id = $1 FOR UPDATE`, id); err != nil {
		return model.CollaborationRecord{}, err
	}
	r, err := getCollaboration(ctx, tx, actor, id)
	if err != nil {
		return r, err
	}
	return r, mayChangeProjectRecord(ctx, tx, actor, r.ProjectID, r.CreatedBy)
}

// summaryProjects is how many projects a contact's collaboration summary lists.
const summaryProjects = 5

// ratingColumns aggregates the three criteria of the collaboration_records aliased r.
const ratingColumns = `round(avg(r.quality), 2)::float8, count(r.quality), round(avg(r.timeliness), 2)::float8, count(r.timeliness),
	round(avg(r.communication), 2)::float8, count(r.communication)`

func ratingTargets(rt *model.Ratings) []any {
	return []any{&rt.Quality.Average, &rt.Quality.Count, &rt.Timeliness.Average, &rt.Timeliness.Count,
		&rt.Communication.Average, &rt.Communication.Count}
}

// lastDay is the last day a record covers: its period's end, else its start, else the day
// it was recorded.
const lastDay = `coalesce(r.period_to, r.period_from, r.created_at::date)`

// CollaborationSummary summarises a contact the actor sees from what they may see of it:
// the records (count and average per criterion), the meetings it took part in, and its
// last projects by the records. It records the read.
func (s *Store) CollaborationSummary(ctx context.Context, actor Actor, contactID string) (model.CollaborationSummary, error) {
	sum := model.CollaborationSummary{ContactID: contactID, Projects: []model.ProjectCollaboration{}}
	if _, err := getContact(ctx, s.pool, actor, contactID); err != nil {
		return sum, err
	}
	err := s.pool.QueryRow(ctx, `SELECT count(*), `+ratingColumns+`
		FROM collaboration_records r JOIN contacts c ON c.id = r.contact_id
		WHERE r.contact_id = $2 AND `+collaborationVisible, actor.UserID, contactID).
		Scan(append([]any{&sum.Records}, ratingTargets(&sum.Ratings)...)...)
	if err != nil {
		return sum, wrap(err)
	}
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM meetings mt JOIN meeting_contacts mc ON mc.meeting_id = mt.id
		JOIN contacts c ON c.id = mc.contact_id WHERE c.id = $2 AND `+contactMeetingVisible, actor.UserID, contactID).Scan(&sum.Meetings); err != nil {
		return sum, wrap(err)
	}
	rows, err := s.pool.Query(ctx, `SELECT p.id, p.name, p.kind, p.status, count(*), max(`+lastDay+`)::text, `+ratingColumns+`
		FROM collaboration_records r JOIN contacts c ON c.id = r.contact_id JOIN projects p ON p.id = r.project_id
		WHERE r.contact_id = $2 AND `+collaborationVisible+`
		GROUP BY p.id ORDER BY max(`+lastDay+`) DESC, p.id LIMIT $3`, actor.UserID, contactID, summaryProjects)
	if err != nil {
		return sum, wrap(err)
	}
	if sum.Projects, err = collect(rows, func(row pgx.Row) (model.ProjectCollaboration, error) {
		var pc model.ProjectCollaboration
		err := row.Scan(append([]any{&pc.ProjectID, &pc.Name, &pc.Kind, &pc.Status, &pc.Records, &pc.Last}, ratingTargets(&pc.Ratings)...)...)
		return pc, wrap(err)
	}); err != nil {
		return sum, err
	}
	return sum, audit(ctx, s.pool, actor, "collaboration.summary", []string{contactID}, nil,
		map[string]any{"records": sum.Records, "meetings": sum.Meetings})
}

// SupplierQuality is the supplier quality report: one row per organisation the actor sees
// that has collaboration records they may see, on the organisation itself or on persons
// related to it; a person's record counts for an organisation when the relation's
// validity overlaps the record's period (open ends are open; a record without a period
// covers the day it was recorded). Only records the actor may see count, each once per
// organisation. Rows come by name. The export is audited with every contact it draws on.
func (s *Store) SupplierQuality(ctx context.Context, actor Actor) ([]model.SupplierQuality, error) {
	rows, err := s.pool.Query(ctx, `WITH vr AS (
			SELECT r.*, c.kind AS contact_kind FROM collaboration_records r JOIN contacts c ON c.id = r.contact_id
			 WHERE `+collaborationVisible+`
		), links AS (
			SELECT vr.contact_id AS org_id, vr.id AS rec, true AS own FROM vr WHERE vr.contact_kind = 'organisation'
			UNION
			SELECT rel.organisation_id, vr.id, false FROM vr JOIN relations rel ON rel.person_id = vr.contact_id
			 WHERE vr.contact_kind = 'person'
			   AND (rel.valid_from IS NULL OR coalesce(vr.period_to, vr.period_from, vr.created_at::date) >= rel.valid_from)
			   AND (rel.valid_to IS NULL OR coalesce(vr.period_from, vr.period_to, vr.created_at::date) <= rel.valid_to)
		)
		SELECT c.id, c.display_name, c.contact_type, count(*), count(*) FILTER (WHERE l.own), count(*) FILTER (WHERE NOT l.own),
			count(DISTINCT r.project_id), max(`+lastDay+`)::text, `+ratingColumns+`, array_agg(DISTINCT r.contact_id::text)
		  FROM links l JOIN vr r ON r.id = l.rec JOIN contacts c ON c.id = l.org_id
		 WHERE `+contactVisible+`
		 GROUP BY c.id ORDER BY c.sort_key, c.id`, actor.UserID)
	if err != nil {
		return nil, wrap(err)
	}
	out, err := collect(rows, func(row pgx.Row) (model.SupplierQuality, error) {
		var q model.SupplierQuality
		err := row.Scan(append(append([]any{&q.OrganisationID, &q.Name, &q.Type, &q.Records, &q.OwnRecords, &q.PersonRecords,
			&q.Projects, &q.Last}, ratingTargets(&q.Ratings)...), &q.ContactIDs)...)
		return q, wrap(err)
	})
	if err != nil {
		return nil, err
	}
	var ids []string
	seen := map[string]bool{}
	for _, q := range out {
		for _, id := range append([]string{q.OrganisationID}, q.ContactIDs...) {
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	if err := audit(ctx, s.pool, actor, "report.supplier_quality", ids, nil, map[string]any{"rows": len(out)}); err != nil {
		return nil, err
	}
	return out, nil
}
