package store

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/kontakt/kontakt/model"
)

// Meetings of a project: attached information with its own audience (meetingVisible in
// policy.go). Whoever may read the project creates them; their creator, the project's lead
// and organisation admins change and delete them, among those who see them. A meeting shows
// only the participating contacts its reader sees.

const meetingSelect = `SELECT mt.id, mt.project_id, p.name, mt.at, mt.title, mt.agenda, mt.minutes, mt.audience,
	mt.created_by, mt.created_at, mt.updated_at FROM meetings mt JOIN projects p ON p.id = mt.project_id`

func scanMeeting(row pgx.Row) (model.Meeting, error) {
	m := model.Meeting{Participants: []string{}, Granted: []string{}, Contacts: []model.MeetingContact{}}
	err := row.Scan(&m.ID, &m.ProjectID, &m.ProjectName, &m.At, &m.Title, &m.Agenda, &m.Minutes, &m.Audience,
		&m.CreatedBy, &m.CreatedAt, &m.UpdatedAt)
	return m, wrap(err)
}

// CreateMeeting records a meeting of a project the actor reads. Participants and granted
// users must be enabled users; the participating contacts must be contacts the actor sees
// (involved in the project or not); any other is a field error, as an unknown one is.
func (s *Store) CreateMeeting(ctx context.Context, actor Actor, projectID string, in model.MeetingInput) (model.Meeting, error) {
	if err := in.Normalize(); err != nil {
		return model.Meeting{}, err
	}
	var id string
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := requireProject(ctx, tx, actor, projectID, false); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO meetings (project_id, at, title, agenda, minutes, audience, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			projectID, in.At, in.Title, in.Agenda, in.Minutes, in.Audience, actor.UserID).Scan(&id); err != nil {
			return err
		}
		if err := writeMeetingUsers(ctx, tx, id, in.Participants, in.Granted); err != nil {
			return err
		}
		if err := writeMeetingContacts(ctx, tx, actor, id, in.ContactIDs); err != nil {
			return err
		}
		return audit(ctx, tx, actor, "meeting.create", in.ContactIDs, &id, map[string]any{"project_id": projectID, "audience": in.Audience})
	})
	if err != nil {
		return model.Meeting{}, wrap(err)
	}
	m, err := getMeeting(ctx, s.pool, actor, id)
	if err != nil {
		return m, err
	}
	return m, loadMeetings(ctx, s.pool, actor, []*model.Meeting{&m})
}

// writeMeetingUsers replaces the users of a meeting: each must be an enabled user.
func writeMeetingUsers(ctx context.Context, tx pgx.Tx, id string, participants, granted []string) error {
	if _, err := tx.Exec(ctx, `DELETE FROM meeting_users WHERE meeting_id = $1`, id); err != nil {
		return err
	}
	for _, f := range []struct {
		field, kind string
		ids         []string
	}{{"participants", "participant", participants}, {"granted", "granted", granted}} {
		tag, err := tx.Exec(ctx, `INSERT INTO meeting_users (meeting_id, user_id, kind)
			SELECT $1, u.id, $3 FROM users u WHERE u.id = ANY($2::uuid[]) AND NOT u.disabled`, id, f.ids, f.kind)
		if err != nil {
			return err
		}
		if int(tag.RowsAffected()) != len(f.ids) {
			return &model.FieldError{Field: f.field, Msg: "names a user who does not exist or is disabled"}
		}
	}
	return nil
}

// writeMeetingContacts replaces the participating contacts of a meeting that the actor
// sees with ids, each of which they must see; the contacts they do not see stay.
func writeMeetingContacts(ctx context.Context, tx pgx.Tx, actor Actor, id string, ids []string) error {
	if _, err := tx.Exec(ctx, `DELETE FROM meeting_contacts mc USING contacts c
		WHERE mc.meeting_id = $2 AND c.id = mc.contact_id AND `+contactVisible, actor.UserID, id); err != nil {
		return err
	}
	tag, err := tx.Exec(ctx, `INSERT INTO meeting_contacts (meeting_id, contact_id)
		SELECT $2, c.id FROM contacts c WHERE c.id = ANY($3::uuid[]) AND `+contactVisible+` ON CONFLICT DO NOTHING`,
		actor.UserID, id, ids)
	if err != nil {
		return err
	}
	if int(tag.RowsAffected()) != len(ids) {
		return &model.FieldError{Field: "contact_ids", Msg: "names a contact that does not exist"}
	}
	return nil
}

// GetMeeting returns a meeting the actor may see and records the read.
func (s *Store) GetMeeting(ctx context.Context, actor Actor, id string) (model.Meeting, error) {
	m, err := getMeeting(ctx, s.pool, actor, id)
	if err != nil {
		return m, err
	}
	if err := loadMeetings(ctx, s.pool, actor, []*model.Meeting{&m}); err != nil {
		return m, err
	}
	return m, audit(ctx, s.pool, actor, "meeting.read", meetingContactIDs([]model.Meeting{m}), &id, nil)
}

func getMeeting(ctx context.Context, q querier, actor Actor, id string) (model.Meeting, error) {
	if !ValidID(id) {
		return model.Meeting{}, ErrNotFound
	}
	return scanMeeting(q.QueryRow(ctx, meetingSelect+` WHERE mt.id = $2 AND `+meetingVisible, actor.UserID, id))
}

// ListProjectMeetings returns the meetings of a project the actor reads that they may see,
// latest first, and records the read.
func (s *Store) ListProjectMeetings(ctx context.Context, actor Actor, projectID string) ([]model.Meeting, error) {
	if _, err := requireProject(ctx, s.pool, actor, projectID, false); err != nil {
		return nil, err
	}
	return s.listMeetings(ctx, actor, meetingSelect+` WHERE mt.project_id = $2 AND `+meetingVisible, projectID, &projectID)
}

// ListContactMeetings returns the meetings a contact the actor sees took part in that the
// actor may see, latest first, and records the read.
func (s *Store) ListContactMeetings(ctx context.Context, actor Actor, contactID string) ([]model.Meeting, error) {
	if _, err := getContact(ctx, s.pool, actor, contactID); err != nil {
		return nil, err
	}
	return s.listMeetings(ctx, actor, meetingSelect+` JOIN meeting_contacts mc ON mc.meeting_id = mt.id
		JOIN contacts c ON c.id = mc.contact_id WHERE c.id = $2 AND `+contactMeetingVisible, contactID, nil)
}

func (s *Store) listMeetings(ctx context.Context, actor Actor, sql, arg string, object *string) ([]model.Meeting, error) {
	rows, err := s.pool.Query(ctx, sql+` ORDER BY mt.at DESC, mt.id LIMIT 1000`, actor.UserID, arg)
	if err != nil {
		return nil, wrap(err)
	}
	ms, err := collect(rows, scanMeeting)
	if err != nil {
		return nil, err
	}
	ptrs := make([]*model.Meeting, len(ms))
	for i := range ms {
		ptrs[i] = &ms[i]
	}
	if err := loadMeetings(ctx, s.pool, actor, ptrs); err != nil {
		return nil, err
	}
	return ms, audit(ctx, s.pool, actor, "meeting.list", meetingContactIDs(ms), object, map[string]any{"count": len(ms)})
}

// loadMeetings fills the users of ms and the participating contacts the actor sees.
func loadMeetings(ctx context.Context, q querier, actor Actor, ms []*model.Meeting) error {
	if len(ms) == 0 {
		return nil
	}
	ids := make([]string, len(ms))
	byID := make(map[string]*model.Meeting, len(ms))
	for i, m := range ms {
		ids[i] = m.ID
		byID[m.ID] = m
	}
	rows, err := q.Query(ctx, `SELECT meeting_id, user_id, kind FROM meeting_users WHERE meeting_id = ANY($1)
		ORDER BY meeting_id, user_id`, ids)
	if err != nil {
		return wrap(err)
	}
	var mid, uid, kind string
	if _, err := pgx.ForEachRow(rows, []any{&mid, &uid, &kind}, func() error {
		m := byID[mid]
		if kind == "granted" {
			m.Granted = append(m.Granted, uid)
		} else {
			m.Participants = append(m.Participants, uid)
		}
		return nil
	}); err != nil {
		return wrap(err)
	}
	rows, err = q.Query(ctx, `SELECT mc.meeting_id, c.id, c.display_name FROM meeting_contacts mc JOIN contacts c ON c.id = mc.contact_id
		WHERE mc.meeting_id = ANY($2) AND `+contactVisible+` ORDER BY c.sort_key, c.id`, actor.UserID, ids)
	if err != nil {
		return wrap(err)
	}
	var mc model.MeetingContact
	_, err = pgx.ForEachRow(rows, []any{&mid, &mc.ContactID, &mc.DisplayName}, func() error {
		byID[mid].Contacts = append(byID[mid].Contacts, mc)
		return nil
	})
	return wrap(err)
}

// meetingContactIDs lists the contacts shown in ms, once each.
func meetingContactIDs(ms []model.Meeting) []string {
	ids := []string{}
	seen := map[string]bool{}
	for _, m := range ms {
		for _, c := range m.Contacts {
			if !seen[c.ContactID] {
				seen[c.ContactID] = true
				ids = append(ids, c.ContactID)
			}
		}
	}
	return ids
}

// UpdateMeeting changes a meeting; its creator, its project's lead and organisation admins
// may, among those who see it (ErrNotFound for the rest, ErrForbidden for other readers).
// contact_ids replaces only the participating contacts the writer sees. A change after
// which the writer would no longer see the meeting is refused: they would lose it.
func (s *Store) UpdateMeeting(ctx context.Context, actor Actor, id string, p model.MeetingPatch) (model.Meeting, error) {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		m, err := meetingForWrite(ctx, tx, actor, id)
		if err != nil {
			return err
		}
		if err := loadMeetings(ctx, tx, actor, []*model.Meeting{&m}); err != nil {
			return err
		}
		in := model.MeetingInput{At: &m.At, Title: m.Title, Agenda: m.Agenda, Minutes: m.Minutes, Audience: m.Audience,
			Participants: m.Participants, Granted: m.Granted}
		for _, c := range m.Contacts {
			in.ContactIDs = append(in.ContactIDs, c.ContactID)
		}
		p.Apply(&in)
		if err := in.Normalize(); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE meetings SET at = $2, title = $3, agenda = $4, minutes = $5, audience = $6, updated_at = now()
			WHERE id = $1`, id, in.At, in.Title, in.Agenda, in.Minutes, in.Audience); err != nil {
			return err
		}
		if p.Participants != nil || p.Granted != nil {
			if err := writeMeetingUsers(ctx, tx, id, in.Participants, in.Granted); err != nil {
				return err
			}
		}
		if p.ContactIDs != nil {
			if err := writeMeetingContacts(ctx, tx, actor, id, in.ContactIDs); err != nil {
				return err
			}
		}
		if _, err := getMeeting(ctx, tx, actor, id); err == ErrNotFound {
			return &model.FieldError{Field: "audience", Msg: "you would no longer see this meeting; take part in it or grant it to yourself"}
		} else if err != nil {
			return err
		}
		return audit(ctx, tx, actor, "meeting.update", in.ContactIDs, &id, map[string]any{"audience": in.Audience})
	})
	if err != nil {
		return model.Meeting{}, wrap(err)
	}
	m, err := getMeeting(ctx, s.pool, actor, id)
	if err != nil {
		return m, err
	}
	return m, loadMeetings(ctx, s.pool, actor, []*model.Meeting{&m})
}

// DeleteMeeting removes a meeting, under the same rule as UpdateMeeting.
func (s *Store) DeleteMeeting(ctx context.Context, actor Actor, id string) error {
	return wrap(s.inTx(ctx, func(tx pgx.Tx) error {
		m, err := meetingForWrite(ctx, tx, actor, id)
		if err != nil {
			return err
		}
		var contacts []string
		if err := tx.QueryRow(ctx, `SELECT ARRAY(SELECT contact_id::text FROM meeting_contacts WHERE meeting_id = $1 ORDER BY contact_id)`,
			id).Scan(&contacts); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM meetings WHERE id = $1`, id); err != nil {
			return err
		}
		return audit(ctx, tx, actor, "meeting.delete", contacts, &id, map[string]any{"project_id": m.ProjectID})
	}))
}

// meetingForWrite locks a meeting the actor sees and checks that they are its creator, its
// project's lead or an organisation admin.
func meetingForWrite(ctx context.Context, tx pgx.Tx, actor Actor, id string) (model.Meeting, error) {
	if !ValidID(id) {
		return model.Meeting{}, ErrNotFound
	}
	if _, err := tx.Exec(ctx, `SELECT 1 FROM meetings WHERE id = $1 FOR UPDATE`, id); err != nil {
		return model.Meeting{}, err
	}
	m, err := getMeeting(ctx, tx, actor, id)
	if err != nil {
		return m, err
	}
	return m, mayChangeProjectRecord(ctx, tx, actor, m.ProjectID, m.CreatedBy)
}

// mayChangeProjectRecord fails with ErrForbidden unless the actor may change a record of a
// project (a meeting, a collaboration record) written by createdBy: its author, the
// project's lead, or an organisation admin.
func mayChangeProjectRecord(ctx context.Context, q querier, actor Actor, projectID string, createdBy *string) error {
	var ok bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users u WHERE u.id = $1 AND NOT u.disabled AND (u.is_admin
			OR $3::uuid = u.id OR EXISTS (SELECT 1 FROM projects p WHERE p.id = $2 AND p.lead_id = u.id)))`,
		actor.UserID, projectID, createdBy).Scan(&ok); err != nil {
		return err
	}
	if !ok {
		return ErrForbidden
	}
	return nil
}
