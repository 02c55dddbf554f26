-- Consents per contact and purpose with an append-only history, web forms that collect
-- them, and the double opt-in requests those forms create (committed before the answer; the
-- verification workflow starts after, and a reconciler starts what Temporal missed).

-- One mechanism for every rate limit (logins, public forms): events per key in a window.
ALTER TABLE login_failures RENAME TO rate_events;
ALTER INDEX login_failures_key_at RENAME TO rate_events_key_at;

CREATE TABLE purposes (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    key              text NOT NULL UNIQUE CHECK (key ~ '^[a-z][a-z0-9_-]{0,39}$'),
    name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description      text NOT NULL DEFAULT '',
    -- wording is the exact text a person agrees to; its version and SHA-256 go into evidence.
    wording          text NOT NULL CHECK (length(wording) BETWEEN 1 AND 20000),
    wording_version  int NOT NULL DEFAULT 1,
    validity_months  int NOT NULL DEFAULT 24 CHECK (validity_months BETWEEN 1 AND 120),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE forms (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    key              text NOT NULL UNIQUE,
    name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    book_id          uuid NOT NULL REFERENCES address_books,
    purpose_ids      uuid[] NOT NULL CHECK (cardinality(purpose_ids) > 0),
    language         text NOT NULL DEFAULT 'cs' CHECK (language IN ('cs', 'en')),
    allowed_origins  text[] NOT NULL DEFAULT '{}',
    success_url      text NOT NULL DEFAULT '',
    confirmed_url    text NOT NULL DEFAULT '',
    hmac_secret      text NOT NULL DEFAULT '',
    honeypot_field   text NOT NULL DEFAULT '',
    confirm_hours    int NOT NULL DEFAULT 168 CHECK (confirm_hours BETWEEN 1 AND 2160),
    organisation     text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

-- consent_requests: one web-form submission to verify by double opt-in. It holds what the
-- person sent and the evidence of how; the workflow consent-verify/<id> acts on it.
CREATE TABLE consent_requests (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    form_id             uuid NOT NULL REFERENCES forms,
    email               text NOT NULL,
    name                text NOT NULL DEFAULT '',
    purpose_ids         uuid[] NOT NULL,
    language            text NOT NULL,
    ip                  text NOT NULL DEFAULT '',
    user_agent          text NOT NULL DEFAULT '',
    page_url            text NOT NULL DEFAULT '',
    status              text NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'confirmed', 'expired', 'cancelled')),
    contact_id          uuid REFERENCES contacts ON DELETE SET NULL,
    contact_created     boolean NOT NULL DEFAULT false,
    expires_at          timestamptz NOT NULL,
    confirmed_at        timestamptz,
    confirm_ip          text NOT NULL DEFAULT '',
    confirm_user_agent  text NOT NULL DEFAULT '',
    mail_sent_at        timestamptz,
    mails_sent          int NOT NULL DEFAULT 0,
    resend_requested_at timestamptz,
    workflow_started_at timestamptz,
    -- confirm_signalled_at: the workflow was told of the confirmation (outbox for signals).
    confirm_signalled_at timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX consent_requests_pending ON consent_requests (form_id, lower(email)) WHERE status = 'pending';
CREATE INDEX consent_requests_unstarted ON consent_requests (created_at) WHERE workflow_started_at IS NULL;
CREATE INDEX consent_requests_contact ON consent_requests (contact_id);
CREATE INDEX consent_requests_unsignalled ON consent_requests (confirmed_at)
    WHERE status = 'confirmed' AND confirm_signalled_at IS NULL;

-- confirmation_tokens: the single-use secrets in confirmation links, stored as SHA-256. A
-- resend adds a token; every token of a request works until one is used or it expires.
CREATE TABLE confirmation_tokens (
    token_hash  bytea PRIMARY KEY,
    request_id  uuid NOT NULL REFERENCES consent_requests ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    used_at     timestamptz
);
CREATE INDEX confirmation_tokens_request ON confirmation_tokens (request_id);

-- consents: the current state per contact and purpose. Every change also appends a row to
-- consent_events; nothing is deleted by a status change.
CREATE TABLE consents (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    contact_id       uuid NOT NULL REFERENCES contacts ON DELETE CASCADE,
    purpose_id       uuid NOT NULL REFERENCES purposes,
    status           text NOT NULL CHECK (status IN ('pending', 'active', 'revoked', 'expired')),
    source           text NOT NULL CHECK (source IN ('web_form', 'branch', 'import', 'staff')),
    given_at         timestamptz NOT NULL,
    confirmed_at     timestamptz,
    valid_until      timestamptz,
    request_id       uuid REFERENCES consent_requests ON DELETE SET NULL,
    -- evidence: ip, user_agent, page_url, form_id, wording_version, wording_sha256,
    -- confirmed_at, confirm_ip, confirm_user_agent (what applies to the source).
    evidence         jsonb NOT NULL DEFAULT '{}',
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (contact_id, purpose_id)
);
CREATE INDEX consents_active ON consents (purpose_id, contact_id) WHERE status = 'active';

CREATE TABLE consent_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    consent_id  uuid NOT NULL REFERENCES consents ON DELETE CASCADE,
    at          timestamptz NOT NULL DEFAULT now(),
    status      text NOT NULL,
    reason      text NOT NULL,
    actor_id    uuid,
    channel     text NOT NULL,
    valid_until timestamptz,
    evidence    jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX consent_events_consent ON consent_events (consent_id, id);

-- consent_events is append-only; rows go only with their consent when a person is erased.
CREATE FUNCTION consent_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'consent_events is append-only';
END $$;
CREATE TRIGGER consent_events_no_update BEFORE UPDATE ON consent_events
    FOR EACH ROW EXECUTE FUNCTION consent_events_append_only();
