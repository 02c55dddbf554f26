-- The GDPR lifecycle: books that require a consent, consent expiry and renewal, subject
-- access and revocation by the person, consents signed in person with their scans, and the
-- right to be forgotten with its tombstones.

-- == Consent requirement and expiry ==

-- A book may require an active consent for a purpose: its contacts without one are hidden
-- on every channel (store/policy.go).
ALTER TABLE address_books ADD COLUMN required_purpose_id uuid REFERENCES purposes;

-- reminder_days: mail the person this many days before a consent expires, with a renewal
-- link (double opt-in again); 0 sends no reminder.
ALTER TABLE purposes ADD COLUMN reminder_days int NOT NULL DEFAULT 0 CHECK (reminder_days BETWEEN 0 AND 365);

-- lifecycle_told_at is the updated_at of the consent that its ConsentLifecycle workflow was
-- last told of; a consent whose updated_at differs is in the lifecycle outbox. reminded_at
-- is when the expiry reminder of the current validity went out.
ALTER TABLE consents ADD COLUMN lifecycle_told_at timestamptz;
ALTER TABLE consents ADD COLUMN reminded_at timestamptz;
CREATE INDEX consents_lifecycle_untold ON consents (updated_at)
    WHERE lifecycle_told_at IS DISTINCT FROM updated_at AND (status = 'active' OR lifecycle_told_at IS NOT NULL);
CREATE INDEX consents_active_until ON consents (valid_until) WHERE status = 'active';

-- A renewal request is the double opt-in a reminder starts for an existing consent.
ALTER TABLE consent_requests ADD COLUMN kind text NOT NULL DEFAULT 'intake' CHECK (kind IN ('intake', 'renewal'));

-- A consent that starts or stops holding changes what users see of a contact in a book that
-- requires its purpose: the change feed tells that book's collections (invariant 4).
CREATE FUNCTION consents_feed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    book uuid;
BEGIN
    SELECT c.book_id INTO book FROM contacts c JOIN address_books b ON b.id = c.book_id
     WHERE c.id = NEW.contact_id AND b.required_purpose_id = NEW.purpose_id;
    IF book IS NOT NULL THEN
        PERFORM book_feed_lock(book);
        INSERT INTO book_changes (book_id, contact_id) VALUES (book, NEW.contact_id);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER consents_feed_insert AFTER INSERT ON consents
    FOR EACH ROW EXECUTE FUNCTION consents_feed();
CREATE TRIGGER consents_feed_update AFTER UPDATE ON consents
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.valid_until IS DISTINCT FROM NEW.valid_until)
    EXECUTE FUNCTION consents_feed();

-- Setting or clearing a book's requirement changes what is visible of each of its contacts.
CREATE FUNCTION books_requirement_feed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM book_feed_lock(NEW.id);
    INSERT INTO book_changes (book_id, contact_id) SELECT NEW.id, c.id FROM contacts c WHERE c.book_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER books_requirement_feed AFTER UPDATE ON address_books
    FOR EACH ROW WHEN (OLD.required_purpose_id IS DISTINCT FROM NEW.required_purpose_id)
    EXECUTE FUNCTION books_requirement_feed();

-- == Subject access and revocation by the person ==

-- Per form: whether an address with no consent gets a "no consent registered" mail (else
-- nothing), and whether a revocation is confirmed by mail.
ALTER TABLE forms ADD COLUMN no_consent_mail boolean NOT NULL DEFAULT false;
ALTER TABLE forms ADD COLUMN revocation_mail boolean NOT NULL DEFAULT true;

-- subject_requests: a person asked, by e-mail address, what consents are held (access) or to
-- revoke some (revoke). Committed before the answer; the SubjectAccess workflow
-- subject-request/<id> acts on it, and the address is blanked once it has.
CREATE TABLE subject_requests (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    form_id             uuid NOT NULL REFERENCES forms,
    kind                text NOT NULL CHECK (kind IN ('access', 'revoke')),
    email               text NOT NULL,
    purpose_ids         uuid[] NOT NULL DEFAULT '{}',
    ip                  text NOT NULL DEFAULT '',
    user_agent          text NOT NULL DEFAULT '',
    status              text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done')),
    workflow_started_at timestamptz,
    done_at             timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX subject_requests_unstarted ON subject_requests (created_at) WHERE workflow_started_at IS NULL;

-- subject_tokens: the links in subject-access mails, stored as SHA-256. They name contacts
-- by id only, so that a forgotten contact leaves nothing here.
CREATE TABLE subject_tokens (
    token_hash   bytea PRIMARY KEY,
    request_id   uuid REFERENCES subject_requests ON DELETE SET NULL,
    form_id      uuid NOT NULL REFERENCES forms,
    contact_ids  uuid[] NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL
);
CREATE INDEX subject_tokens_expires ON subject_tokens (expires_at);

-- == Consents signed in person ==

-- permissions a user holds beyond book roles: 'scans' downloads scanned consent forms,
-- 'gdpr' forgets people and exports what is held about them in any book.
ALTER TABLE users ADD COLUMN permissions text[] NOT NULL DEFAULT '{}'
    CHECK (permissions <@ ARRAY['scans', 'gdpr']::text[]);

-- consent_scans: the scanned signed form of a consent collected at a branch. Never attached
-- to a mail or an export; downloads are audited.
CREATE TABLE consent_scans (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    consent_id    uuid NOT NULL REFERENCES consents ON DELETE CASCADE,
    content_type  text NOT NULL CHECK (content_type IN ('application/pdf', 'image/jpeg', 'image/png')),
    size          int NOT NULL,
    sha256        bytea NOT NULL,
    data          bytea NOT NULL,
    uploaded_by   uuid REFERENCES users ON DELETE SET NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX consent_scans_consent ON consent_scans (consent_id);

-- == Right to be forgotten ==

-- erasures: a request to forget a contact and, once done, its tombstone. The contact row
-- and everything that held personal data go; this row keeps only ids, times, who and the
-- legal basis. devices are those the sync ledger said held the contact when it was erased;
-- stragglers those that had not synced past the removal by the deadline.
CREATE TABLE erasures (
    contact_id          uuid PRIMARY KEY,
    book_id             uuid NOT NULL,
    channel             text NOT NULL CHECK (channel IN ('staff', 'subject')),
    legal_basis         text NOT NULL CHECK (legal_basis IN ('art17_request', 'consent_withdrawn',
                            'no_longer_necessary', 'objection', 'unlawful', 'legal_obligation')),
    requested_by        uuid REFERENCES users ON DELETE SET NULL,
    requested_at        timestamptz NOT NULL DEFAULT now(),
    status              text NOT NULL DEFAULT 'requested' CHECK (status IN ('requested', 'erased', 'done')),
    workflow_started_at timestamptz,
    erased_at           timestamptz,
    devices             uuid[] NOT NULL DEFAULT '{}',
    stragglers          uuid[],
    completed_at        timestamptz
);
CREATE INDEX erasures_unstarted ON erasures (requested_at) WHERE workflow_started_at IS NULL;

-- == subject access (additions) ==

-- A third kind: consents the person revoked on the page behind a subject-access link. The
-- revocation is already done when the row is written; the request carries only its
-- confirmation mail through the SubjectAccess workflow.
ALTER TABLE subject_requests DROP CONSTRAINT subject_requests_kind_check;
ALTER TABLE subject_requests ADD CONSTRAINT subject_requests_kind_check
    CHECK (kind IN ('access', 'revoke', 'revoke_link'));
-- page_url: where a revocation form was posted from (evidence). consent_ids: the consents
-- this request revoked, so a retried workflow mails about exactly those. mail_sent_at: the
-- request's one mail went out, so a retried activity does not send a second.
ALTER TABLE subject_requests ADD COLUMN page_url text NOT NULL DEFAULT '';
ALTER TABLE subject_requests ADD COLUMN consent_ids uuid[] NOT NULL DEFAULT '{}';
ALTER TABLE subject_requests ADD COLUMN mail_sent_at timestamptz;
-- email_sha256 is the SHA-256 of the lowercased address a subject-access link was mailed
-- to: never the address itself. A revocation on the link's page is confirmed to the contact
-- point of the token's contacts with this hash; a request keeps it only until it is done.
ALTER TABLE subject_tokens ADD COLUMN email_sha256 bytea;
ALTER TABLE subject_requests ADD COLUMN email_sha256 bytea;
