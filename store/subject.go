package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kontakt/kontakt/model"
)

// Subject access and revocation by the person (GDPR Art. 15 and 7(3)): a person asks by
// e-mail address which consents are held, or revokes some; the request is committed before
// the answer, and the SubjectAccess workflow acts on it through the methods below. Contacts
// are found organisation-wide by an e-mail contact point, lowercased.

// Kinds of subject request (subject_requests.kind).
const (
	// SubjectKindAccess: list the consents held for an address, by mail.
	SubjectKindAccess = "access"
	// SubjectKindRevoke: revoke the consents for some purposes held for an address.
	SubjectKindRevoke = "revoke"
	// SubjectKindRevokeLink: consents already revoked on the page behind a subject-access
	// link; the request carries only the confirmation mail.
	SubjectKindRevokeLink = "revoke_link"
)

// ErrMailSent reports that a subject request's mail already went out: a retried activity
// must not send a second.
var ErrMailSent = errors.New("store: mail already sent")

// SubjectPost is a validated subject request from a form's public endpoint.
type SubjectPost struct {
	FormID string
	Kind   string // SubjectKindAccess or SubjectKindRevoke
	Email  string
	// PurposeIDs are the purposes to revoke (SubjectKindRevoke).
	PurposeIDs []string
	IP         string
	UserAgent  string
	PageURL    string
}

// RecordSubjectRequest commits a person's request, with its audit entry, in one statement
// before the caller answers (ARCHITECTURE.md, invariant 3). It reads nothing about contacts:
// the same statement runs whatever the address, so neither the answer nor its timing can
// tell whether the address is known (invariant 2).
func (s *Store) RecordSubjectRequest(ctx context.Context, in SubjectPost) (string, error) {
	if in.Kind != SubjectKindAccess && in.Kind != SubjectKindRevoke {
		return "", errors.New("store: subject request of unknown kind " + in.Kind)
	}
	if in.PurposeIDs == nil {
		in.PurposeIDs = []string{}
	}
	var id string
	err := s.pool.QueryRow(ctx, `WITH r AS (
			INSERT INTO subject_requests (form_id, kind, email, purpose_ids, ip, user_agent, page_url)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id),
		a AS (INSERT INTO audit_log (action, channel, object_id, detail)
			SELECT 'subject.request', 'web', r.id, jsonb_build_object('kind', $2::text) FROM r)
		SELECT id FROM r`,
		in.FormID, in.Kind, in.Email, in.PurposeIDs, in.IP, in.UserAgent, in.PageURL).Scan(&id)
	return id, wrap(err)
}

// MarkSubjectRequestStarted records that the request's workflow was started.
func (s *Store) MarkSubjectRequestStarted(ctx context.Context, requestID string) error {
	_, err := s.pool.Exec(ctx, `UPDATE subject_requests SET workflow_started_at = coalesce(workflow_started_at, now())
		WHERE id = $1`, requestID)
	return wrap(err)
}

// UnstartedSubjectRequests returns up to limit subject requests whose workflow was never
// recorded as started, oldest first: their outbox lane.
func (s *Store) UnstartedSubjectRequests(ctx context.Context, limit int) ([]string, error) {
	return s.ids(ctx, `SELECT id FROM subject_requests WHERE workflow_started_at IS NULL
		ORDER BY created_at LIMIT $1`, limit)
}

// SubjectPlan is what the SubjectAccess workflow needs to know about a request: ids, counts
// and the form's settings, never the address.
type SubjectPlan struct {
	Kind string
	Done bool
	// ContactIDs are the contacts (of any book) with the request's address as an e-mail
	// contact point; empty for SubjectKindRevokeLink.
	ContactIDs []string
	// Consents counts the consents of those contacts, whatever their status.
	Consents       int
	NoConsentMail  bool
	RevocationMail bool
}

// contactsByEmail selects the contacts with e-mail contact point $1 (lowercase match, on
// the contact_points_email index); none for an empty address.
const contactsByEmail = `SELECT DISTINCT p.contact_id FROM contact_points p
	WHERE p.kind = 'email' AND lower(p.value) = lower($1) AND $1 <> ''`

// PlanSubjectRequest reads a request and finds the contacts its address belongs to.
func (s *Store) PlanSubjectRequest(ctx context.Context, requestID string) (SubjectPlan, error) {
	var p SubjectPlan
	var email string
	err := s.pool.QueryRow(ctx, `SELECT r.kind, r.status = 'done', r.email, f.no_consent_mail, f.revocation_mail
		FROM subject_requests r JOIN forms f ON f.id = r.form_id WHERE r.id = $1`, requestID).
		Scan(&p.Kind, &p.Done, &email, &p.NoConsentMail, &p.RevocationMail)
	if err != nil {
		return p, wrap(err)
	}
	if p.Done || p.Kind == SubjectKindRevokeLink {
		p.ContactIDs = []string{}
		return p, nil
	}
	if p.ContactIDs, err = s.ids(ctx, contactsByEmail+` ORDER BY 1`, email); err != nil {
		return p, err
	}
	err = s.pool.QueryRow(ctx, `SELECT count(*) FROM consents WHERE contact_id = ANY($1::uuid[])`, p.ContactIDs).Scan(&p.Consents)
	return p, wrap(err)
}

// SubjectConsent is one consent as the person sees it in a mail or on the revoke page.
type SubjectConsent struct {
	ID                 string
	PurposeKey         string
	PurposeName        string
	PurposeDescription string
	Status             model.ConsentStatus
	Source             model.ConsentSource
	GivenAt            time.Time
	ConfirmedAt        *time.Time
	ValidUntil         *time.Time
}

// subjectConsents selects the consents of the contacts $1 (uuid[]) as SubjectConsent.
const subjectConsents = `SELECT c.id, p.key, p.name, p.description, c.status, c.source, c.given_at, c.confirmed_at, c.valid_until
	FROM consents c JOIN purposes p ON p.id = c.purpose_id WHERE c.contact_id = ANY($1::uuid[])
	ORDER BY p.key, c.given_at, c.id`

func scanSubjectConsent(r pgx.Row) (SubjectConsent, error) {
	var c SubjectConsent
	err := r.Scan(&c.ID, &c.PurposeKey, &c.PurposeName, &c.PurposeDescription, &c.Status, &c.Source, &c.GivenAt,
		&c.ConfirmedAt, &c.ValidUntil)
	return c, wrap(err)
}

// SubjectMail is what a subject-request mail says, and to whom.
type SubjectMail struct {
	To           string
	Language     string
	Organisation string
	Consents     []SubjectConsent
	// ExpiresAt is when the subject-access link stops working (access mails only).
	ExpiresAt time.Time
}

// lockSubjectRequest locks a pending request for its mail: ErrNotFound when it is gone or
// done, ErrMailSent when its mail already went out.
func lockSubjectRequest(ctx context.Context, tx pgx.Tx, requestID string) (kind, email string, d SubjectMail, err error) {
	var sent *time.Time
	var status string
	err = tx.QueryRow(ctx, `SELECT r.kind, r.status, r.email, r.mail_sent_at, f.language, f.organisation
		FROM subject_requests r JOIN forms f ON f.id = r.form_id WHERE r.id = $1 FOR UPDATE OF r`, requestID).
		Scan(&kind, &status, &email, &sent, &d.Language, &d.Organisation)
	switch {
	case err != nil:
		return "", "", d, err
	case status == "done":
		return "", "", d, ErrNotFound
	case sent != nil:
		return "", "", d, ErrMailSent
	}
	return kind, email, d, nil
}

// SubjectAccessMail prepares the mail answering an access request: it stores a new link
// token (its SHA-256 only, valid for ttl) naming the contacts by id, among contactIDs those
// that still have the request's address, and returns the consents to list. A token of an
// earlier attempt whose mail never went out is replaced. ErrMailSent when the mail already
// went out; ErrNotFound when the request is done or nothing is left to list.
func (s *Store) SubjectAccessMail(ctx context.Context, requestID string, contactIDs []string, tokenHash []byte, ttl time.Duration) (SubjectMail, error) {
	var d SubjectMail
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		kind, email, m, err := lockSubjectRequest(ctx, tx, requestID)
		if err != nil {
			return err
		}
		if kind != SubjectKindAccess || email == "" {
			return ErrNotFound
		}
		d = m
		d.To = email
		var contacts []string
		if err := tx.QueryRow(ctx, `SELECT coalesce(array_agg(x.contact_id ORDER BY x.contact_id), '{}')
			FROM (`+contactsByEmail+`) x WHERE x.contact_id = ANY($2::uuid[])`, email, contactIDs).Scan(&contacts); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, subjectConsents, contacts)
		if err != nil {
			return err
		}
		if d.Consents, err = collect(rows, scanSubjectConsent); err != nil {
			return err
		}
		if len(d.Consents) == 0 {
			return ErrNotFound
		}
		if _, err := tx.Exec(ctx, `DELETE FROM subject_tokens WHERE request_id = $1`, requestID); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `INSERT INTO subject_tokens (token_hash, request_id, form_id, contact_ids, expires_at, email_sha256)
			SELECT $1, r.id, r.form_id, $3, now() + $4::interval, sha256(convert_to(lower(r.email), 'UTF8'))
			FROM subject_requests r WHERE r.id = $2 RETURNING expires_at`,
			tokenHash, requestID, contacts, ttl.String()).Scan(&d.ExpiresAt)
	})
	return d, wrap(err)
}

// SubjectNoConsentMail returns whom to tell that no consent is registered for the address
// of an access request. ErrMailSent when that mail already went out.
func (s *Store) SubjectNoConsentMail(ctx context.Context, requestID string) (SubjectMail, error) {
	var d SubjectMail
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		kind, email, m, err := lockSubjectRequest(ctx, tx, requestID)
		if err != nil {
			return err
		}
		if kind != SubjectKindAccess || email == "" {
			return ErrNotFound
		}
		d = m
		d.To = email
		d.Consents = []SubjectConsent{}
		return nil
	})
	return d, wrap(err)
}

// MarkSubjectMailSent records that the request's mail went out.
func (s *Store) MarkSubjectMailSent(ctx context.Context, requestID string) error {
	return wrap(s.inTx(ctx, func(tx pgx.Tx) error {
		var kind string
		if err := tx.QueryRow(ctx, `UPDATE subject_requests SET mail_sent_at = coalesce(mail_sent_at, now())
			WHERE id = $1 RETURNING kind`, requestID).Scan(&kind); err != nil {
			return err
		}
		return audit(ctx, tx, Actor{Channel: "mail"}, "subject.mail.sent", nil, &requestID, map[string]any{"kind": kind})
	}))
}

// revocationEvidence is what a revocation by the person records in the consent's history.
type revocationEvidence struct {
	ip, userAgent, pageURL, formID string
	requestID                      *string
}

func (e revocationEvidence) json() map[string]any {
	m := map[string]any{"ip": e.ip, "user_agent": e.userAgent, "form_id": e.formID}
	if e.pageURL != "" {
		m["page_url"] = e.pageURL
	}
	if e.requestID != nil {
		m["subject_request_id"] = *e.requestID
	}
	return m
}

// revokeConsents revokes the active consents that cond (SQL on the consents row aliased c,
// with args from $1) selects, appends each to its history with the evidence, and audits.
// updated_at moves, so the lifecycle outbox tells each consent's ConsentLifecycle workflow;
// the consents trigger feeds CardDAV where a book requires the purpose.
func revokeConsents(ctx context.Context, tx pgx.Tx, cond string, args []any, reason string, ev revocationEvidence, via string) ([]string, error) {
	rows, err := tx.Query(ctx, `UPDATE consents c SET status = 'revoked', updated_at = now()
		WHERE c.status = 'active' AND `+cond+` RETURNING c.id, c.contact_id`, args...)
	if err != nil {
		return nil, err
	}
	type revoked struct{ id, contactID string }
	done, err := collect(rows, func(r pgx.Row) (revoked, error) {
		var v revoked
		return v, r.Scan(&v.id, &v.contactID)
	})
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(done))
	contacts := make([]string, len(done))
	for i, v := range done {
		if err := consentEvent(ctx, tx, v.id, "revoked", reason, Actor{Channel: "web"}, nil, ev.json()); err != nil {
			return nil, err
		}
		ids[i], contacts[i] = v.id, v.contactID
	}
	if len(ids) == 0 {
		return ids, nil
	}
	return ids, audit(ctx, tx, Actor{Channel: "web"}, "consent.revoke", dedupe(contacts), ev.requestID,
		map[string]any{"count": len(ids), "via": via, "consent_ids": ids})
}

// RevokeForSubjectRequest applies a revoke request: the active consents, for the request's
// purposes, of every contact with its address are revoked with the evidence of the post. It
// returns how many consents the request has revoked in all, so a retry reports the same.
func (s *Store) RevokeForSubjectRequest(ctx context.Context, requestID string) (int, error) {
	n := 0
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var kind, status, email string
		var purposes, already []string
		var ev revocationEvidence
		ev.requestID = &requestID
		if err := tx.QueryRow(ctx, `SELECT kind, status, email, purpose_ids, consent_ids, ip, user_agent, page_url, form_id
			FROM subject_requests WHERE id = $1 FOR UPDATE`, requestID).
			Scan(&kind, &status, &email, &purposes, &already, &ev.ip, &ev.userAgent, &ev.pageURL, &ev.formID); err != nil {
			return err
		}
		n = len(already)
		if kind != SubjectKindRevoke || status == "done" || len(already) > 0 {
			return nil
		}
		ids, err := revokeConsents(ctx, tx, `c.purpose_id = ANY($1::uuid[]) AND c.contact_id IN (`+
			`SELECT p.contact_id FROM contact_points p WHERE p.kind = 'email' AND lower(p.value) = lower($2) AND $2 <> '')`,
			[]any{purposes, email}, "revoked by the person (revocation form)", ev, "form")
		if err != nil || len(ids) == 0 {
			return err
		}
		n = len(ids)
		_, err = tx.Exec(ctx, `UPDATE subject_requests SET consent_ids = $2 WHERE id = $1`, requestID, ids)
		return err
	})
	return n, wrap(err)
}

// SubjectRevocationMail prepares the mail confirming a revocation: the consents the request
// revoked, to the address that asked (revoke), or, for a revocation on a link's page, to the
// e-mail contact point of those consents' contacts that the link was mailed to (only its
// hash is kept). ErrNotFound when nothing was revoked or no such address is left;
// ErrMailSent when the mail already went out.
func (s *Store) SubjectRevocationMail(ctx context.Context, requestID string) (SubjectMail, error) {
	var d SubjectMail
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		kind, email, m, err := lockSubjectRequest(ctx, tx, requestID)
		if err != nil {
			return err
		}
		d = m
		rows, err := tx.Query(ctx, `SELECT c.id, p.key, p.name, p.description, c.status, c.source, c.given_at, c.confirmed_at, c.valid_until
			FROM consents c JOIN purposes p ON p.id = c.purpose_id
			WHERE c.id = ANY((SELECT consent_ids FROM subject_requests WHERE id = $1)::uuid[])
			ORDER BY p.key, c.given_at, c.id`, requestID)
		if err != nil {
			return err
		}
		if d.Consents, err = collect(rows, scanSubjectConsent); err != nil {
			return err
		}
		if len(d.Consents) == 0 {
			return ErrNotFound
		}
		switch kind {
		case SubjectKindRevoke:
			d.To = email
		case SubjectKindRevokeLink:
			err = tx.QueryRow(ctx, `SELECT p.value FROM subject_requests r, contact_points p
				WHERE r.id = $1 AND p.kind = 'email'
				  AND p.contact_id IN (SELECT c.contact_id FROM consents c WHERE c.id = ANY(r.consent_ids))
				  AND sha256(convert_to(lower(p.value), 'UTF8')) = r.email_sha256
				ORDER BY p.preferred DESC, p.position LIMIT 1`, requestID).Scan(&d.To)
			if err != nil {
				return err
			}
		}
		if d.To == "" {
			return ErrNotFound
		}
		return nil
	})
	return d, wrap(err)
}

// FinishSubjectRequest marks a request done and blanks what it held about the person (its
// address, its hash, the client's address and user agent): the evidence of a revocation
// lives on in the consents' history. Finishing again is harmless.
func (s *Store) FinishSubjectRequest(ctx context.Context, requestID string) error {
	return wrap(s.inTx(ctx, func(tx pgx.Tx) error {
		var was string
		if err := tx.QueryRow(ctx, `SELECT status FROM subject_requests WHERE id = $1 FOR UPDATE`, requestID).Scan(&was); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE subject_requests SET status = 'done', done_at = coalesce(done_at, now()),
			email = '', email_sha256 = NULL, ip = '', user_agent = '', page_url = '' WHERE id = $1`, requestID); err != nil {
			return err
		}
		if was == "done" {
			return nil
		}
		return audit(ctx, tx, Actor{Channel: "system"}, "subject.request.done", nil, &requestID, nil)
	}))
}

// SubjectView is what the page behind a subject-access link shows.
type SubjectView struct {
	Language     string
	Organisation string
	ExpiresAt    time.Time
	Consents     []SubjectConsent
}

// SubjectLink looks up a subject-access link by its token's SHA-256 and returns the
// consents of its contacts; the read is audited. Unknown and expired links are both
// ErrNotFound, so the page cannot tell them apart.
func (s *Store) SubjectLink(ctx context.Context, tokenHash []byte) (SubjectView, error) {
	var v SubjectView
	var contacts []string
	var requestID *string
	err := s.pool.QueryRow(ctx, `SELECT f.language, f.organisation, t.expires_at, t.contact_ids, t.request_id
		FROM subject_tokens t JOIN forms f ON f.id = t.form_id WHERE t.token_hash = $1 AND t.expires_at > now()`, tokenHash).
		Scan(&v.Language, &v.Organisation, &v.ExpiresAt, &contacts, &requestID)
	if err != nil {
		return v, wrap(err)
	}
	rows, err := s.pool.Query(ctx, subjectConsents, contacts)
	if err != nil {
		return v, wrap(err)
	}
	if v.Consents, err = collect(rows, scanSubjectConsent); err != nil {
		return v, err
	}
	return v, audit(ctx, s.pool, Actor{Channel: "web"}, "subject.link.view", contacts, requestID, nil)
}

// LinkRevocation reports what a revocation on a subject-access link's page did. RequestID
// names the request that carries its confirmation mail, "" when none is to be sent.
type LinkRevocation struct {
	Revoked   int
	RequestID string
}

// RevokeByLink revokes, among consentIDs, the active consents of the link's contacts, with
// the evidence of the page (client address, user agent, the link's request). Ids of other
// consents are ignored, so nothing about them is revealed. When something was revoked and the
// form confirms revocations by mail, a revoke_link request for that mail is committed in the
// same transaction (the caller starts its workflow). ErrNotFound for an unknown or expired
// link.
func (s *Store) RevokeByLink(ctx context.Context, tokenHash []byte, consentIDs []string, ip, userAgent string) (LinkRevocation, error) {
	var res LinkRevocation
	valid := []string{}
	for _, id := range consentIDs {
		if ValidID(id) {
			valid = append(valid, id)
		}
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var contacts []string
		var hash []byte
		var mailIt bool
		ev := revocationEvidence{ip: ip, userAgent: userAgent}
		if err := tx.QueryRow(ctx, `SELECT t.request_id, t.form_id, t.contact_ids, t.email_sha256, f.revocation_mail
			FROM subject_tokens t JOIN forms f ON f.id = t.form_id
			WHERE t.token_hash = $1 AND t.expires_at > now() FOR UPDATE OF t`, tokenHash).
			Scan(&ev.requestID, &ev.formID, &contacts, &hash, &mailIt); err != nil {
			return err
		}
		ids, err := revokeConsents(ctx, tx, `c.id = ANY($1::uuid[]) AND c.contact_id = ANY($2::uuid[])`,
			[]any{valid, contacts}, "revoked by the person (subject-access link)", ev, "link")
		if err != nil {
			return err
		}
		res.Revoked = len(ids)
		if len(ids) == 0 || !mailIt || hash == nil {
			return nil
		}
		return tx.QueryRow(ctx, `WITH r AS (
				INSERT INTO subject_requests (form_id, kind, email, consent_ids, ip, user_agent, email_sha256)
				VALUES ($1, 'revoke_link', '', $2, $3, $4, $5) RETURNING id),
			a AS (INSERT INTO audit_log (action, channel, object_id, detail)
				SELECT 'subject.request', 'web', r.id, '{"kind": "revoke_link"}' FROM r)
			SELECT id FROM r`, ev.formID, ids, ip, userAgent, hash).Scan(&res.RequestID)
	})
	return res, wrap(err)
}
