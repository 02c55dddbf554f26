-- CRM light: the activity log (attached information with its own audience), tasks whose
-- completion is the worklog entry, events with invitations and RSVPs, campaigns that create
-- tasks for reps, and audited exports for newsletter tools.

-- == Activities ==
-- An activity is attached information like a note (attached_items, with its audience and
-- the one policy's itemVisible): a call, meeting, e-mail (logged, not sent), visit or note,
-- with when, how long, the outcome and the users who took part.
ALTER TABLE attached_items DROP CONSTRAINT attached_items_kind_check;
ALTER TABLE attached_items ADD CONSTRAINT attached_items_kind_check CHECK (kind IN ('note', 'activity'));
ALTER TABLE attached_items
    ADD COLUMN activity_type text CHECK (activity_type IN ('call', 'meeting', 'email', 'visit', 'note')),
    ADD COLUMN occurred_at timestamptz,
    ADD COLUMN duration_minutes int CHECK (duration_minutes BETWEEN 0 AND 10080),
    ADD COLUMN outcome text NOT NULL DEFAULT '' CHECK (length(outcome) <= 2000),
    ADD CONSTRAINT attached_items_activity CHECK ((kind = 'activity') = (activity_type IS NOT NULL AND occurred_at IS NOT NULL));
CREATE INDEX attached_items_activities ON attached_items (contact_id, occurred_at DESC) WHERE kind = 'activity';

CREATE TABLE activity_participants (
    item_id  uuid NOT NULL REFERENCES attached_items ON DELETE CASCADE,
    user_id  uuid NOT NULL REFERENCES users ON DELETE CASCADE,
    PRIMARY KEY (item_id, user_id)
);
CREATE INDEX activity_participants_user ON activity_participants (user_id);

-- == Events ==
CREATE TABLE events (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind         text NOT NULL DEFAULT 'business' CHECK (kind IN ('business', 'experience', 'conference')),
    description  text NOT NULL DEFAULT '' CHECK (length(description) <= 20000),
    venue        text NOT NULL DEFAULT '' CHECK (length(venue) <= 500),
    starts_at    timestamptz NOT NULL,
    ends_at      timestamptz,
    resources    text NOT NULL DEFAULT '' CHECK (length(resources) <= 5000),
    budget_note  text NOT NULL DEFAULT '' CHECK (length(budget_note) <= 5000),
    owner_id     uuid REFERENCES users ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at IS NULL OR ends_at >= starts_at)
);

-- event_staff: users organising an event (they see it and its invitations).
CREATE TABLE event_staff (
    event_id  uuid NOT NULL REFERENCES events ON DELETE CASCADE,
    user_id   uuid NOT NULL REFERENCES users ON DELETE CASCADE,
    PRIMARY KEY (event_id, user_id)
);

-- event_invitations: a contact invited to an event and where their answer stands. The
-- RSVP link's token is stored as SHA-256 only.
CREATE TABLE event_invitations (
    event_id      uuid NOT NULL REFERENCES events ON DELETE CASCADE,
    contact_id    uuid NOT NULL REFERENCES contacts ON DELETE CASCADE,
    status        text NOT NULL DEFAULT 'invited' CHECK (status IN ('invited', 'accepted', 'declined', 'attended')),
    campaign_id   uuid,
    token_hash    bytea UNIQUE,
    invited_at    timestamptz NOT NULL DEFAULT now(),
    mailed_at     timestamptz,
    responded_at  timestamptz,
    PRIMARY KEY (event_id, contact_id)
);
CREATE INDEX event_invitations_contact ON event_invitations (contact_id);

CREATE TABLE event_documents (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    event_id      uuid NOT NULL REFERENCES events ON DELETE CASCADE,
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    content_type  text NOT NULL,
    size          int NOT NULL,
    sha256        bytea NOT NULL,
    data          bytea NOT NULL,
    uploaded_by   uuid REFERENCES users ON DELETE SET NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX event_documents_event ON event_documents (event_id);

-- == Campaigns ==
-- A campaign targets a saved filter evaluated with its owner's visibility; launching
-- snapshots the targets (campaign_targets), assigns each to a rep and creates the tasks in
-- idempotent batches (CampaignLaunch workflow, campaign-launch/<id>).
CREATE TABLE campaigns (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name                 text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    owner_id             uuid REFERENCES users ON DELETE SET NULL,
    -- filter: {"book_ids": [...], "tags": [...], "types": [...], "organisation_ids": [...]}
    filter               jsonb NOT NULL DEFAULT '{}',
    purpose_id           uuid REFERENCES purposes,
    event_id             uuid REFERENCES events ON DELETE SET NULL,
    task_type            text NOT NULL DEFAULT 'call' CHECK (task_type IN ('call', 'meeting', 'email', 'visit', 'todo')),
    task_title           text NOT NULL CHECK (length(task_title) BETWEEN 1 AND 300),
    task_due_on          date,
    assign_mode          text NOT NULL DEFAULT 'round_robin' CHECK (assign_mode IN ('round_robin', 'book_owner')),
    rep_ids              uuid[] NOT NULL DEFAULT '{}',
    send_invitations     boolean NOT NULL DEFAULT false,
    status               text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'launching', 'active', 'cancelled', 'done')),
    launched_at          timestamptz,
    workflow_started_at  timestamptz,
    cancelled_at         timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX campaigns_unstarted ON campaigns (launched_at) WHERE status = 'launching' AND workflow_started_at IS NULL;

CREATE TABLE campaign_targets (
    campaign_id  uuid NOT NULL REFERENCES campaigns ON DELETE CASCADE,
    contact_id   uuid NOT NULL REFERENCES contacts ON DELETE CASCADE,
    position     int NOT NULL,
    rep_id       uuid REFERENCES users ON DELETE SET NULL,
    task_id      uuid,
    PRIMARY KEY (campaign_id, contact_id)
);
CREATE INDEX campaign_targets_position ON campaign_targets (campaign_id, position);

-- == Tasks ==
-- A task for an assignee, about a contact, project, campaign or event. Completing it records
-- outcome and time spent: that is the worklog entry, and for a call or meeting it also
-- creates the activity (activity_id).
CREATE TABLE tasks (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    title          text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    description    text NOT NULL DEFAULT '' CHECK (length(description) <= 10000),
    task_type      text NOT NULL DEFAULT 'todo' CHECK (task_type IN ('call', 'meeting', 'email', 'visit', 'todo')),
    assignee_id    uuid REFERENCES users ON DELETE SET NULL,
    created_by     uuid REFERENCES users ON DELETE SET NULL,
    due_on         date,
    contact_id     uuid REFERENCES contacts ON DELETE CASCADE,
    project_id     uuid REFERENCES projects ON DELETE SET NULL,
    campaign_id    uuid REFERENCES campaigns ON DELETE SET NULL,
    event_id       uuid REFERENCES events ON DELETE SET NULL,
    status         text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'cancelled')),
    outcome        text NOT NULL DEFAULT '' CHECK (length(outcome) <= 2000),
    minutes_spent  int CHECK (minutes_spent BETWEEN 0 AND 10080),
    completed_at   timestamptz,
    activity_id    uuid REFERENCES attached_items ON DELETE SET NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tasks_assignee ON tasks (assignee_id, status, due_on);
CREATE INDEX tasks_contact ON tasks (contact_id);
CREATE INDEX tasks_campaign ON tasks (campaign_id, status);
CREATE INDEX tasks_completed ON tasks (completed_at) WHERE status = 'done';
-- One task per campaign target: a re-run after a crash never duplicates one.
CREATE UNIQUE INDEX tasks_campaign_contact ON tasks (campaign_id, contact_id) WHERE campaign_id IS NOT NULL;

-- == Exports for newsletter tools ==
-- An export's file is kept until its download link expires; the audit keeps who, filter,
-- purpose, count and the file's SHA-256.
CREATE TABLE exports (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    created_by    uuid REFERENCES users ON DELETE SET NULL,
    filter        jsonb NOT NULL DEFAULT '{}',
    purpose_id    uuid NOT NULL REFERENCES purposes,
    format        text NOT NULL CHECK (format IN ('listmonk', 'mailchimp')),
    count         int NOT NULL,
    sha256        bytea NOT NULL,
    data          bytea,
    token_hash    bytea UNIQUE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    downloaded_at timestamptz
);
CREATE INDEX exports_expires ON exports (expires_at);

-- == Campaigns (additions) ==
-- snapshotted_at marks the one snapshot of a launch's targets (SnapshotTargets inserts them
-- only while it is NULL); target_count is how many it took. invitation_language is the
-- language of the invitation mails. completed_at is when the campaign ended (done or
-- cancelled).
ALTER TABLE campaigns
    ADD COLUMN snapshotted_at timestamptz,
    ADD COLUMN target_count int,
    ADD COLUMN invitation_language text NOT NULL DEFAULT 'cs' CHECK (invitation_language IN ('cs', 'en')),
    ADD COLUMN completed_at timestamptz,
    ADD CONSTRAINT campaigns_invitations_need_purpose CHECK (NOT send_invitations OR (purpose_id IS NOT NULL AND event_id IS NOT NULL));
CREATE INDEX campaigns_owner ON campaigns (owner_id);
-- mail_claimed_at is set, with the RSVP token's hash, just before an invitation mail is
-- handed to SMTP, and mailed_at once SMTP accepted it. A row claimed but never mailed is a
-- mail whose fate a crash left unknown: it is reported, never sent again (at most once).
ALTER TABLE event_invitations ADD COLUMN mail_claimed_at timestamptz;
CREATE INDEX event_invitations_campaign ON event_invitations (campaign_id) WHERE campaign_id IS NOT NULL;
-- == Exports and imports (additions) ==
-- A user lists their own exports, newest first.
CREATE INDEX exports_created_by ON exports (created_by, created_at DESC);
