package store

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kontakt/kontakt/model"
)

// Intake is one web-form submission, already validated: a normalised email and purposes the
// form offers.
type Intake struct {
	FormID     string
	Email      string
	Name       string
	PurposeIDs []string
	Language   string
	IP         string
	UserAgent  string
	PageURL    string
	// Limits, when given, must all pass for the submission to be recorded (RecordIntake).
	Limits []RateRule
}

// IntakeResult says which verification request holds the submission. Resend is true when
// the email already had a pending request on this form: no new request was made, and the
// caller should ask its workflow to resend the mail.
type IntakeResult struct {
	RequestID string
	Resend    bool
}

// MarkVerificationStarted records that the request's workflow was started.
func (s *Store) MarkVerificationStarted(ctx context.Context, requestID string) error {
	_, err := s.pool.Exec(ctx, `UPDATE consent_requests SET workflow_started_at = coalesce(workflow_started_at, now()) WHERE id = $1`, requestID)
	return wrap(err)
}

// UnstartedVerifications returns up to limit requests whose workflow was never recorded as
// started, oldest first: the outbox the reconciler works through.
func (s *Store) UnstartedVerifications(ctx context.Context, limit int) ([]string, error) {
	return s.ids(ctx, `SELECT id FROM consent_requests WHERE workflow_started_at IS NULL
		ORDER BY created_at LIMIT $1`, limit)
}

// MarkConfirmSignalled records that the request's workflow was told of its confirmation.
func (s *Store) MarkConfirmSignalled(ctx context.Context, requestID string) error {
	_, err := s.pool.Exec(ctx, `UPDATE consent_requests SET confirm_signalled_at = coalesce(confirm_signalled_at, now()) WHERE id = $1`, requestID)
	return wrap(err)
}

// UnsignalledConfirmations returns up to limit confirmed requests whose workflow was not
// recorded as told, oldest first: the signal outbox.
func (s *Store) UnsignalledConfirmations(ctx context.Context, limit int) ([]string, error) {
	return s.ids(ctx, `SELECT id FROM consent_requests WHERE status = 'confirmed' AND confirm_signalled_at IS NULL
		ORDER BY confirmed_at LIMIT $1`, limit)
}

// ids runs a query of one id column.
func (s *Store) ids(ctx context.Context, sql string, args ...any) ([]string, error) {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, wrap(err)
	}
	return collect(rows, scanID)
}

// VerificationPlan is what the verification workflow needs to know about its request.
type VerificationPlan struct {
	RequestID      string
	ContactID      string
	ContactCreated bool
	Status         string
	ExpiresAt      time.Time
	PurposeKeys    []string
}

// PrepareVerification matches the request's email to a contact in the form's book, or
// creates one, and records a pending consent per purpose (an active consent stays active).
// It is idempotent: a second call returns the same plan.
func (s *Store) PrepareVerification(ctx context.Context, requestID string) (VerificationPlan, error) {
	var p VerificationPlan
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var contactID *string
		var email, name, formID, bookID, ip, ua, page string
		var purposeIDs []string
		var createdAt time.Time
		err := tx.QueryRow(ctx, `SELECT r.id, r.status, r.expires_at, r.contact_id, r.contact_created, r.email, r.name,
				r.form_id, f.book_id, r.purpose_ids, r.ip, r.user_agent, r.page_url, r.created_at
			FROM consent_requests r JOIN forms f ON f.id = r.form_id WHERE r.id = $1 FOR UPDATE OF r`, requestID).
			Scan(&p.RequestID, &p.Status, &p.ExpiresAt, &contactID, &p.ContactCreated, &email, &name, &formID, &bookID,
				&purposeIDs, &ip, &ua, &page, &createdAt)
		if err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT coalesce(array_agg(p.key ORDER BY array_position(f.purpose_ids, p.id)), '{}')
			FROM purposes p, forms f WHERE f.id = $2 AND p.id = ANY($1::uuid[])`, purposeIDs, formID).Scan(&p.PurposeKeys); err != nil {
			return err
		}
		if p.Status != "pending" {
			if contactID != nil {
				p.ContactID = *contactID
			}
			return nil
		}
		if contactID == nil {
			id, created, err := matchOrCreateContact(ctx, tx, bookID, email, name, s.defaultRegion)
			if err != nil {
				return err
			}
			p.ContactID, p.ContactCreated = id, created
			if _, err := tx.Exec(ctx, `UPDATE consent_requests SET contact_id = $2, contact_created = $3, updated_at = now()
				WHERE id = $1`, requestID, id, created); err != nil {
				return err
			}
		} else {
			p.ContactID = *contactID
		}
		// A pending consent per purpose, with the evidence of the submission; an active
		// consent is not downgraded by a new request.
		rows, err := tx.Query(ctx, `INSERT INTO consents (contact_id, purpose_id, status, source, given_at, request_id, evidence)
			SELECT $1, p.id, 'pending', 'web_form', $3, $2,
			       jsonb_build_object('ip', $4::text, 'user_agent', $5::text, 'page_url', $6::text, 'form_id', $7::text,
			                          'wording_version', p.wording_version, 'wording_sha256', encode(sha256(convert_to(p.wording, 'UTF8')), 'hex'))
			FROM purposes p WHERE p.id = ANY($8::uuid[])
			ON CONFLICT (contact_id, purpose_id) DO UPDATE
			   SET status = 'pending', source = 'web_form', given_at = EXCLUDED.given_at, request_id = EXCLUDED.request_id,
			       evidence = EXCLUDED.evidence, confirmed_at = NULL, valid_until = NULL, updated_at = now()
			 WHERE consents.status <> 'active' AND consents.request_id IS DISTINCT FROM EXCLUDED.request_id
			RETURNING id, evidence`, p.ContactID, requestID, createdAt, ip, ua, page, formID, purposeIDs)
		if err != nil {
			return err
		}
		type ev struct {
			id       string
			evidence map[string]any
		}
		var evs []ev
		for rows.Next() {
			var e ev
			if err := rows.Scan(&e.id, &e.evidence); err != nil {
				rows.Close()
				return err
			}
			evs = append(evs, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, e := range evs {
			if err := consentEvent(ctx, tx, e.id, "pending", "submitted on web form", Actor{Channel: "web"}, nil, e.evidence); err != nil {
				return err
			}
		}
		return nil
	})
	return p, wrap(err)
}

// matchOrCreateContact finds the contact with email in book, or creates a person with it.
func matchOrCreateContact(ctx context.Context, tx pgx.Tx, bookID, email, name, region string) (string, bool, error) {
	var id string
	err := tx.QueryRow(ctx, `SELECT c.id FROM contacts c JOIN contact_points p ON p.contact_id = c.id
		WHERE c.book_id = $1 AND p.kind = 'email' AND lower(p.value) = lower($2)
		ORDER BY c.created_at LIMIT 1`, bookID, email).Scan(&id)
	if err == nil {
		return id, false, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return "", false, err
	}
	c := model.Contact{BookID: bookID, Kind: "person", Type: "other", Emails: []model.Email{{Value: email, Preferred: true}}}
	fields := strings.Fields(name)
	switch {
	case len(fields) == 0:
		c.FamilyName = strings.SplitN(email, "@", 2)[0]
	case len(fields) == 1:
		c.FamilyName = fields[0]
	default:
		c.GivenName = strings.Join(fields[:len(fields)-1], " ")
		c.FamilyName = fields[len(fields)-1]
	}
	if err := c.Normalize(region, nil); err != nil {
		return "", false, err
	}
	if err := tx.QueryRow(ctx, `INSERT INTO contacts (book_id, kind, contact_type, given_name, family_name, display_name)
		VALUES ($1, 'person', 'other', $2, $3, $4) RETURNING id`, bookID, c.GivenName, c.FamilyName, c.DisplayName).Scan(&id); err != nil {
		return "", false, err
	}
	if err := writePoints(ctx, tx, id, c); err != nil {
		return "", false, err
	}
	return id, true, audit(ctx, tx, Actor{Channel: "web"}, "contact.create", []string{id}, nil, map[string]any{"source": "web_form"})
}

// consentEvent appends to a consent's history.
func consentEvent(ctx context.Context, q querier, consentID, status, reason string, actor Actor, validUntil *time.Time, evidence map[string]any) error {
	var actorID *string
	if actor.UserID != "" {
		actorID = &actor.UserID
	}
	if evidence == nil {
		evidence = map[string]any{}
	}
	channel := string(actor.Channel)
	if channel == "" {
		channel = "system"
	}
	_, err := q.Exec(ctx, `INSERT INTO consent_events (consent_id, status, reason, actor_id, channel, valid_until, evidence)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, consentID, status, reason, actorID, channel, validUntil, evidence)
	return err
}

// requestPurposes selects the purposes of request $1 in the order its form offers them.
const requestPurposes = `SELECT ` + purposeColumns + ` FROM purposes WHERE id = ANY(
		(SELECT purpose_ids FROM consent_requests WHERE id = $1)::uuid[])
	ORDER BY array_position((SELECT f.purpose_ids FROM forms f JOIN consent_requests r ON r.form_id = f.id WHERE r.id = $1), id)`

// ConfirmationMailData is what the confirmation mail says. Kind is the request's kind:
// "intake", or "renewal" for the expiry reminder, whose mail says when the current consent
// ends (ValidUntil, the earliest end among the request's purposes).
type ConfirmationMailData struct {
	To           string
	Name         string
	Language     string
	Organisation string
	Purposes     []model.Purpose
	ExpiresAt    time.Time
	Kind         string
	ValidUntil   *time.Time
}

// ConfirmationMail stores a new confirmation token (by its SHA-256) for a pending request
// and returns what the mail needs. ErrNotFound when the request is no longer pending.
func (s *Store) ConfirmationMail(ctx context.Context, requestID string, tokenHash []byte) (ConfirmationMailData, error) {
	var d ConfirmationMailData
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT r.email, r.name, r.language, f.organisation, r.expires_at, r.kind,
				(SELECT min(c.valid_until) FROM consents c WHERE r.kind = 'renewal' AND c.contact_id = r.contact_id
				    AND c.purpose_id = ANY(r.purpose_ids) AND c.status = 'active')
			FROM consent_requests r JOIN forms f ON f.id = r.form_id
			WHERE r.id = $1 AND r.status = 'pending'`, requestID).
			Scan(&d.To, &d.Name, &d.Language, &d.Organisation, &d.ExpiresAt, &d.Kind, &d.ValidUntil); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, requestPurposes, requestID)
		if err != nil {
			return err
		}
		if d.Purposes, err = collect(rows, scanPurpose); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO confirmation_tokens (token_hash, request_id) VALUES ($1, $2)`, tokenHash, requestID)
		return err
	})
	return d, wrap(err)
}

// MarkConfirmationSent records that a confirmation mail went out.
func (s *Store) MarkConfirmationSent(ctx context.Context, requestID string) error {
	return wrap(s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE consent_requests SET mail_sent_at = now(), mails_sent = mails_sent + 1,
			resend_requested_at = NULL, updated_at = now() WHERE id = $1`, requestID); err != nil {
			return err
		}
		return audit(ctx, tx, Actor{Channel: "mail"}, "consent.confirmation.sent", nil, &requestID, nil)
	}))
}

// ConfirmPreview is what a confirmation page shows before the person confirms.
type ConfirmPreview struct {
	RequestID    string
	Status       string // pending, confirmed, expired, cancelled
	Used         bool   // this link was already used
	Expired      bool
	Language     string
	Organisation string
	Purposes     []model.Purpose
	ConfirmedURL string
}

// PreviewConfirmation looks up a confirmation token without using it.
func (s *Store) PreviewConfirmation(ctx context.Context, tokenHash []byte) (ConfirmPreview, error) {
	var p ConfirmPreview
	var usedAt *time.Time
	var expiresAt time.Time
	err := s.pool.QueryRow(ctx, `SELECT r.id, r.status, t.used_at, r.expires_at, r.language, f.organisation, f.confirmed_url
		FROM confirmation_tokens t JOIN consent_requests r ON r.id = t.request_id JOIN forms f ON f.id = r.form_id
		WHERE t.token_hash = $1`, tokenHash).Scan(&p.RequestID, &p.Status, &usedAt, &expiresAt, &p.Language, &p.Organisation, &p.ConfirmedURL)
	if err != nil {
		return p, wrap(err)
	}
	p.Used = usedAt != nil
	p.Expired = p.Status == "expired" || (p.Status == "pending" && time.Now().After(expiresAt))
	rows, err := s.pool.Query(ctx, requestPurposes, p.RequestID)
	if err != nil {
		return p, wrap(err)
	}
	p.Purposes, err = collect(rows, scanPurpose)
	return p, err
}

// ErrLinkExpired reports a confirmation link whose request expired or was cancelled.
var ErrLinkExpired = errors.New("store: confirmation link expired")

// Confirm uses a confirmation token: it records the confirmation time, address and user
// agent on its pending request, durably, before the caller answers. Confirming again is
// harmless (already is true). The consents become active when the workflow acts on it.
func (s *Store) Confirm(ctx context.Context, tokenHash []byte, ip, userAgent string) (requestID string, already bool, err error) {
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		var status string
		var expiresAt time.Time
		if err := tx.QueryRow(ctx, `SELECT r.id, r.status, r.expires_at FROM confirmation_tokens t
			JOIN consent_requests r ON r.id = t.request_id WHERE t.token_hash = $1 FOR UPDATE OF r`, tokenHash).
			Scan(&requestID, &status, &expiresAt); err != nil {
			return err
		}
		switch {
		case status == "confirmed":
			already = true
			return nil
		case status != "pending" || time.Now().After(expiresAt):
			return ErrLinkExpired
		}
		if _, err := tx.Exec(ctx, `UPDATE confirmation_tokens SET used_at = now() WHERE token_hash = $1`, tokenHash); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE consent_requests SET status = 'confirmed', confirmed_at = now(), confirm_ip = $2,
			confirm_user_agent = $3, updated_at = now() WHERE id = $1`, requestID, ip, userAgent); err != nil {
			return err
		}
		return audit(ctx, tx, Actor{Channel: "web"}, "consent.request.confirm", nil, &requestID, nil)
	})
	if errors.Is(err, ErrLinkExpired) {
		return requestID, false, err
	}
	return requestID, already, wrap(err)
}

// ActivateConsents turns the consents of a confirmed request active, valid for their
// purpose's validity from the confirmation, with the confirmation in their evidence, and
// returns the ids of those it activated; a request not (yet) confirmed activates none. A
// consent still active is renewed the same way (a renewal request, or the person confirming
// the form again): new validity, evidence and history entry, and a new reminder cycle.
func (s *Store) ActivateConsents(ctx context.Context, requestID string) ([]string, error) {
	var ids []string
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		// The consents of the request's contact and purposes that wait for a confirmation,
		// whichever request last touched them: a second form's request may have taken them
		// over, or expired them, while this one's link was still valid. An active consent
		// is renewed only by a later confirmation than the one it holds, and once (o is the
		// row as it was before this update).
		rows, err := tx.Query(ctx, `UPDATE consents c SET status = 'active', request_id = r.id, source = 'web_form',
				given_at = r.created_at, confirmed_at = r.confirmed_at,
				valid_until = r.confirmed_at + make_interval(months => p.validity_months),
				evidence = jsonb_build_object('ip', r.ip, 'user_agent', r.user_agent, 'page_url', r.page_url,
				                              'form_id', r.form_id, 'wording_version', p.wording_version,
				                              'wording_sha256', encode(sha256(convert_to(p.wording, 'UTF8')), 'hex'),
				                              'confirmed_at', r.confirmed_at, 'confirm_ip', r.confirm_ip,
				                              'confirm_user_agent', r.confirm_user_agent)
				           || CASE WHEN r.kind = 'renewal' THEN jsonb_build_object('renewal_of_request', o.request_id)
				                   ELSE '{}'::jsonb END,
				reminded_at = NULL, updated_at = now()
			FROM consent_requests r, purposes p, consents o
			WHERE r.id = $1 AND r.status = 'confirmed' AND c.contact_id = r.contact_id AND c.purpose_id = ANY(r.purpose_ids)
			  AND p.id = c.purpose_id AND o.id = c.id
			  AND (o.status IN ('pending', 'expired')
			       OR (o.status = 'active' AND o.request_id IS DISTINCT FROM r.id
			           AND (o.confirmed_at IS NULL OR o.confirmed_at < r.confirmed_at)))
			RETURNING c.id, c.valid_until, c.evidence, c.contact_id, o.status = 'active'`, requestID)
		if err != nil {
			return err
		}
		type act struct {
			id, contactID string
			until         time.Time
			evidence      map[string]any
			renewed       bool
		}
		var acts []act
		for rows.Next() {
			var a act
			if err := rows.Scan(&a.id, &a.until, &a.evidence, &a.contactID, &a.renewed); err != nil {
				rows.Close()
				return err
			}
			acts = append(acts, a)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		var contacts []string
		for _, a := range acts {
			reason := "confirmed by double opt-in"
			if a.renewed {
				reason = "renewed by double opt-in"
			}
			if err := consentEvent(ctx, tx, a.id, "active", reason, Actor{Channel: "web"}, &a.until, a.evidence); err != nil {
				return err
			}
			contacts = append(contacts, a.contactID)
			ids = append(ids, a.id)
		}
		if len(acts) == 0 {
			return nil
		}
		return audit(ctx, tx, Actor{Channel: "system"}, "consent.activate", dedupe(contacts), &requestID, map[string]any{"count": len(acts)})
	})
	return ids, wrap(err)
}

// ExpireResult says how an unconfirmed request ended: Confirmed when a confirmation was
// recorded after all (its signal was lost), Erased when the contact it created was removed.
type ExpireResult struct {
	Confirmed bool
	Erased    bool
}

// ExpireVerification ends a request that was not confirmed in time: its pending consents
// expire (history kept), and a contact the request created that has nothing else (no other
// consent, note, relation or edit) is erased.
func (s *Store) ExpireVerification(ctx context.Context, requestID string) (ExpireResult, error) {
	var res ExpireResult
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		status, contactID, created, err := lockRequest(ctx, tx, requestID)
		if err != nil {
			return err
		}
		switch status {
		case "confirmed":
			res.Confirmed = true
			return nil
		case "expired", "cancelled":
			return nil
		}
		res.Erased, err = endUnconfirmed(ctx, tx, requestID, contactID, created, "expired", "expired", "not confirmed in time")
		return err
	})
	return res, wrap(err)
}

// CancelVerification ends a pending request without activation: its pending consents are
// revoked before confirmation, and a contact only the request created is erased.
func (s *Store) CancelVerification(ctx context.Context, requestID string) error {
	return wrap(s.inTx(ctx, func(tx pgx.Tx) error {
		status, contactID, created, err := lockRequest(ctx, tx, requestID)
		if err != nil || status != "pending" {
			return err
		}
		_, err = endUnconfirmed(ctx, tx, requestID, contactID, created, "cancelled", "revoked", "revoked before confirmation")
		return err
	}))
}

// lockRequest locks a request and returns its status and the contact it matched or created.
func lockRequest(ctx context.Context, tx pgx.Tx, requestID string) (status string, contactID *string, created bool, err error) {
	err = tx.QueryRow(ctx, `SELECT status, contact_id, contact_created FROM consent_requests WHERE id = $1 FOR UPDATE`, requestID).
		Scan(&status, &contactID, &created)
	return status, contactID, created, err
}

// endUnconfirmed closes a pending request as status, ends its pending consents as
// consentStatus with reason, and erases the contact the request created when nothing else
// (another consent or request, a note, a relation, an edit) stands behind it, with what the
// request held about the person.
func endUnconfirmed(ctx context.Context, tx pgx.Tx, requestID string, contactID *string, created bool, status, consentStatus, reason string) (bool, error) {
	if _, err := tx.Exec(ctx, `UPDATE consent_requests SET status = $2, updated_at = now() WHERE id = $1`, requestID, status); err != nil {
		return false, err
	}
	if err := endPendingConsents(ctx, tx, requestID, consentStatus, reason); err != nil {
		return false, err
	}
	action := "consent.request." + map[string]string{"expired": "expire", "cancelled": "cancel"}[status]
	if contactID == nil || !created {
		return false, audit(ctx, tx, Actor{Channel: "system"}, action, nil, &requestID, nil)
	}
	var other bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM consents WHERE contact_id = $1 AND (request_id IS DISTINCT FROM $2 OR status = 'active'))
		OR EXISTS (SELECT 1 FROM attached_items WHERE contact_id = $1)
		OR EXISTS (SELECT 1 FROM relations WHERE person_id = $1 OR organisation_id = $1)
		OR EXISTS (SELECT 1 FROM consent_requests WHERE contact_id = $1 AND id <> $2 AND status IN ('pending', 'confirmed'))
		OR EXISTS (SELECT 1 FROM contacts WHERE id = $1 AND version > 1)`, *contactID, requestID).Scan(&other); err != nil {
		return false, err
	}
	if other {
		return false, audit(ctx, tx, Actor{Channel: "system"}, action, []string{*contactID}, &requestID, nil)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM contacts WHERE id = $1`, *contactID); err != nil {
		return false, err
	}
	if _, err := tx.Exec(ctx, `UPDATE consent_requests SET email = '', name = '', ip = '', user_agent = '', page_url = ''
		WHERE id = $1`, requestID); err != nil {
		return false, err
	}
	return true, audit(ctx, tx, Actor{Channel: "system"}, "contact.erase", []string{*contactID}, &requestID,
		map[string]any{"reason": "double opt-in " + status})
}

func endPendingConsents(ctx context.Context, tx pgx.Tx, requestID, status, reason string) error {
	rows, err := tx.Query(ctx, `UPDATE consents SET status = $2, updated_at = now()
		WHERE request_id = $1 AND status = 'pending' RETURNING id`, requestID, status)
	if err != nil {
		return err
	}
	ids, err := collect(rows, func(r pgx.Row) (string, error) {
		var id string
		return id, r.Scan(&id)
	})
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := consentEvent(ctx, tx, id, status, reason, Actor{Channel: "system"}, nil, nil); err != nil {
			return err
		}
	}
	return nil
}
