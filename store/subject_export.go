package store

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/kontakt/kontakt/model"
)

// The access and portability export (GDPR Art. 15/20): everything held about one person.

// checkSubjectExporter decides who may export a contact: users holding model.PermGDPR, for
// any contact; managers of the contact's book (admins are managers of every book), also
// while the contact is hidden for lacking the consent its book requires, since a person's
// rights do not lapse with their consent. Someone else who sees the contact gets
// ErrForbidden; everyone else ErrNotFound.
func checkSubjectExporter(ctx context.Context, q querier, actor Actor, contactID string) (bookID string, err error) {
	if !ValidID(contactID) {
		return "", ErrNotFound
	}
	var visible, manager, gdpr bool
	err = q.QueryRow(ctx, `SELECT c.book_id, `+contactVisible+`, coalesce(`+roleOn("c.book_id")+` = 'manager', false),
			EXISTS (SELECT 1 FROM users u WHERE u.id = $1 AND NOT u.disabled AND $3 = ANY(u.permissions))
		FROM contacts c WHERE c.id = $2`, actor.UserID, contactID, model.PermGDPR).Scan(&bookID, &visible, &manager, &gdpr)
	switch {
	case err != nil:
		return "", wrap(err)
	case gdpr || manager:
		return bookID, nil
	case visible:
		return "", ErrForbidden
	}
	return "", ErrNotFound
}

// SubjectExport returns everything held about a contact (model.SubjectExport) as one
// consistent snapshot, and records the export in the audit log (contact.subject_export, on
// the export channel, with format, e.g. "json" or "html"). Consent and subject requests
// are those linked to the contact, and those on forms of its book that carry one of its
// e-mail addresses; a person's records in other books are exported from those contacts.
func (s *Store) SubjectExport(ctx context.Context, actor Actor, contactID, format string) (model.SubjectExport, error) {
	var x model.SubjectExport
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead}, func(tx pgx.Tx) error {
		bookID, err := checkSubjectExporter(ctx, tx, actor, contactID)
		if err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT now(), u.id, u.name, b.id, b.name FROM users u, address_books b
			WHERE u.id = $1 AND b.id = $2`, actor.UserID, bookID).
			Scan(&x.GeneratedAt, &x.GeneratedBy.ID, &x.GeneratedBy.Name, &x.Book.ID, &x.Book.Name); err != nil {
			return err
		}
		if x.Contact, _, err = scanContact(tx.QueryRow(ctx, `SELECT `+contactColumns+` FROM contacts c WHERE c.id = $1`, contactID)); err != nil {
			return err
		}
		cs := []model.Contact{x.Contact}
		if err := s.loadDetails(ctx, tx, actor, cs); err != nil {
			return err
		}
		x.Contact = cs[0]
		steps := []func(context.Context, pgx.Tx, *model.SubjectExport) error{
			exportRelations, exportFields, exportNotes, exportConsents, exportConsentRequests,
			exportSubjectRequests, exportAccess, exportDevices,
		}
		for _, step := range steps {
			if err := step(ctx, tx, &x); err != nil {
				return err
			}
		}
		return audit(ctx, tx, Actor{UserID: actor.UserID, Channel: "export"}, "contact.subject_export",
			[]string{contactID}, nil, map[string]any{"format": format})
	})
	return x, wrap(err)
}

// exportRelations replaces the relations loadDetails filtered by the reader's view with all
// of them: they are the person's data whoever may see the other side.
func exportRelations(ctx context.Context, tx pgx.Tx, x *model.SubjectExport) error {
	rows, err := tx.Query(ctx, `SELECT r.id, r.person_id, r.organisation_id, r.role,
			to_char(r.valid_from, 'YYYY-MM-DD'), to_char(r.valid_to, 'YYYY-MM-DD'), o.display_name
		FROM relations r JOIN contacts o ON o.id = CASE WHEN r.person_id = $1 THEN r.organisation_id ELSE r.person_id END
		WHERE $1 IN (r.person_id, r.organisation_id) ORDER BY o.sort_key, r.id`, x.Contact.ID)
	if err != nil {
		return err
	}
	x.Contact.Relations, err = collect(rows, func(r pgx.Row) (model.Relation, error) {
		var rel model.Relation
		err := r.Scan(&rel.ID, &rel.PersonID, &rel.OrganisationID, &rel.Role, &rel.ValidFrom, &rel.ValidTo, &rel.OtherName)
		return rel, err
	})
	return err
}

func exportFields(ctx context.Context, tx pgx.Tx, x *model.SubjectExport) error {
	var err error
	x.CustomFields, err = fieldDefs(ctx, tx, x.Book.ID)
	return err
}

// exportNotes lists every attached item, whatever its audience: the person's data.
func exportNotes(ctx context.Context, tx pgx.Tx, x *model.SubjectExport) error {
	rows, err := tx.Query(ctx, `SELECT n.*, coalesce(u.name, '') FROM (`+noteSelect+` WHERE i.contact_id = $1) n
		LEFT JOIN users u ON u.id = n.created_by ORDER BY n.created_at, n.id`, x.Contact.ID)
	if err != nil {
		return err
	}
	x.Notes, err = collect(rows, func(r pgx.Row) (model.ExportNote, error) {
		var n model.ExportNote
		err := r.Scan(&n.ID, &n.ContactID, &n.Body, &n.Audience, &n.CreatedBy, &n.CreatedAt, &n.UpdatedAt, &n.Users, &n.Groups, &n.AuthorName)
		return n, err
	})
	return err
}

func exportConsents(ctx context.Context, tx pgx.Tx, x *model.SubjectExport) error {
	var err error
	x.Consents, err = loadConsents(ctx, tx, `c.contact_id = $1`, x.Contact.ID)
	return err
}

// contactEmails selects the lowercased e-mail addresses of contact $1.
const contactEmails = `SELECT lower(p.value) FROM contact_points p WHERE p.contact_id = $1 AND p.kind = 'email'`

// purposeKeys turns the uuid[] expression ids into the purposes' keys.
func purposeKeys(ids string) string {
	return `coalesce(ARRAY(SELECT p.key FROM purposes p WHERE p.id = ANY(` + ids + `) ORDER BY p.key), '{}')`
}

func exportConsentRequests(ctx context.Context, tx pgx.Tx, x *model.SubjectExport) error {
	rows, err := tx.Query(ctx, `SELECT r.id, r.form_id, f.name, r.kind, r.email, r.name, `+purposeKeys("r.purpose_ids")+`,
			r.language, r.ip, r.user_agent, r.page_url, r.status, r.created_at, r.expires_at, r.confirmed_at, r.confirm_ip,
			r.confirm_user_agent, r.mails_sent, r.mail_sent_at
		FROM consent_requests r JOIN forms f ON f.id = r.form_id
		WHERE r.contact_id = $1
		   OR (r.contact_id IS NULL AND f.book_id = $2 AND r.email <> '' AND lower(r.email) IN (`+contactEmails+`))
		ORDER BY r.created_at, r.id`, x.Contact.ID, x.Book.ID)
	if err != nil {
		return err
	}
	x.ConsentRequests, err = collect(rows, func(r pgx.Row) (model.ExportConsentRequest, error) {
		var c model.ExportConsentRequest
		err := r.Scan(&c.ID, &c.FormID, &c.FormName, &c.Kind, &c.Email, &c.Name, &c.Purposes, &c.Language, &c.IP, &c.UserAgent,
			&c.PageURL, &c.Status, &c.CreatedAt, &c.ExpiresAt, &c.ConfirmedAt, &c.ConfirmIP, &c.ConfirmUserAgent, &c.MailsSent, &c.LastMailAt)
		return c, err
	})
	return err
}

func exportSubjectRequests(ctx context.Context, tx pgx.Tx, x *model.SubjectExport) error {
	rows, err := tx.Query(ctx, `SELECT s.id, s.form_id, s.kind, s.email, `+purposeKeys("s.purpose_ids")+`, s.ip, s.user_agent,
			s.status, s.created_at, s.done_at
		FROM subject_requests s JOIN forms f ON f.id = s.form_id
		WHERE s.id IN (SELECT t.request_id FROM subject_tokens t WHERE $1 = ANY(t.contact_ids))
		   OR (f.book_id = $2 AND s.email <> '' AND lower(s.email) IN (`+contactEmails+`))
		ORDER BY s.created_at, s.id`, x.Contact.ID, x.Book.ID)
	if err != nil {
		return err
	}
	x.SubjectRequests, err = collect(rows, func(r pgx.Row) (model.ExportSubjectRequest, error) {
		var s model.ExportSubjectRequest
		err := r.Scan(&s.ID, &s.FormID, &s.Kind, &s.Email, &s.Purposes, &s.IP, &s.UserAgent, &s.Status, &s.CreatedAt, &s.DoneAt)
		return s, err
	})
	return err
}

// exportAccess lists the audit entries that name the contact, oldest first.
func exportAccess(ctx context.Context, tx pgx.Tx, x *model.SubjectExport) error {
	rows, err := tx.Query(ctx, `SELECT a.at, a.actor_id, coalesce(u.name, ''), a.action, a.channel
		FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
		WHERE a.contact_ids @> ARRAY[$1::uuid] ORDER BY a.id`, x.Contact.ID)
	if err != nil {
		return err
	}
	x.Access, err = collect(rows, func(r pgx.Row) (model.ExportAccess, error) {
		var a model.ExportAccess
		err := r.Scan(&a.At, &a.ActorID, &a.ActorName, &a.Action, &a.Channel)
		return a, err
	})
	return err
}

// exportDevices lists the devices the sync ledger says hold a copy, most recently served
// first (revoked devices too, until the retention sweep deletes them).
func exportDevices(ctx context.Context, tx pgx.Tx, x *model.SubjectExport) error {
	rows, err := tx.Query(ctx, `SELECT d.id, d.name, d.user_id, u.name, h.version, h.served_at, d.last_sync_at, d.revoked_at
		FROM device_contacts h JOIN devices d ON d.id = h.device_id JOIN users u ON u.id = d.user_id
		WHERE h.contact_id = $1 ORDER BY h.served_at DESC, d.id`, x.Contact.ID)
	if err != nil {
		return err
	}
	x.Devices, err = collect(rows, func(r pgx.Row) (model.ExportDevice, error) {
		var d model.ExportDevice
		err := r.Scan(&d.DeviceID, &d.DeviceName, &d.UserID, &d.UserName, &d.Version, &d.ServedAt, &d.LastSyncAt, &d.RevokedAt)
		return d, err
	})
	return err
}
