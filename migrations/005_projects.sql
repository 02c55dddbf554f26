-- Projects and collaboration: projects with members and involved contacts, through which
-- members see those contacts for the project's life; collaboration records with quality
-- ratings; meeting records with their own audience; project sync to devices; closure.

CREATE TABLE projects (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name                text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind                text NOT NULL DEFAULT 'project' CHECK (kind IN ('project', 'delivery', 'engagement')),
    description         text NOT NULL DEFAULT '',
    lead_id             uuid REFERENCES users ON DELETE SET NULL,
    -- planned and active projects share their contacts with members; closing is the grace
    -- period of the ProjectClosure workflow (still shared); closed shares nothing.
    status              text NOT NULL DEFAULT 'active' CHECK (status IN ('planned', 'active', 'closing', 'closed')),
    starts_on           date,
    ends_on             date,
    sync_profile        text[] NOT NULL DEFAULT '{name,org,title,email.work,tel.work}',
    closed_at           timestamptz,
    -- closure_requested_at marks a closure the ProjectClosure workflow has to carry out
    -- (the outbox); closure_started_at that its workflow was started.
    closure_requested_at timestamptz,
    closure_started_at  timestamptz,
    closure_grace       interval NOT NULL DEFAULT '0',
    closure_stragglers  uuid[],
    created_by          uuid REFERENCES users ON DELETE SET NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on)
);
CREATE INDEX projects_closure_unstarted ON projects (closure_requested_at)
    WHERE closure_requested_at IS NOT NULL AND closure_started_at IS NULL;

-- project_members: users working on a project; sync_mode, when set, gives the member the
-- project's CardDAV collection (read-only: project contacts are edited in their books).
CREATE TABLE project_members (
    project_id  uuid NOT NULL REFERENCES projects ON DELETE CASCADE,
    user_id     uuid NOT NULL REFERENCES users ON DELETE CASCADE,
    sync_mode   text CHECK (sync_mode IN ('read')),
    added_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, user_id)
);
CREATE INDEX project_members_user ON project_members (user_id);

-- project_contacts: the contacts involved in a project, with their role and period.
CREATE TABLE project_contacts (
    project_id  uuid NOT NULL REFERENCES projects ON DELETE CASCADE,
    contact_id  uuid NOT NULL REFERENCES contacts ON DELETE CASCADE,
    role        text NOT NULL DEFAULT '' CHECK (length(role) <= 200),
    from_date   date,
    to_date     date,
    added_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, contact_id),
    CHECK (to_date IS NULL OR from_date IS NULL OR to_date >= from_date)
);
CREATE INDEX project_contacts_contact ON project_contacts (contact_id);

-- shared_contacts: the contacts user uid sees through the projects they are a member of
-- while those projects share (planned, active, closing). Part of the one visibility policy.
CREATE FUNCTION project_shared_contacts(uid uuid) RETURNS TABLE (contact_id uuid)
LANGUAGE sql STABLE AS $$
    SELECT pc.contact_id
      FROM project_members m
      JOIN projects p ON p.id = m.project_id AND p.status IN ('planned', 'active', 'closing')
      JOIN project_contacts pc ON pc.project_id = m.project_id
     WHERE m.user_id = uid
       AND EXISTS (SELECT 1 FROM users u WHERE u.id = uid AND NOT u.disabled)
$$;

-- Collaboration records: what an involved contact delivered on a project, and how well.
CREATE TABLE collaboration_records (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    project_id     uuid NOT NULL REFERENCES projects ON DELETE CASCADE,
    contact_id     uuid NOT NULL REFERENCES contacts ON DELETE CASCADE,
    delivered      text NOT NULL CHECK (length(delivered) BETWEEN 1 AND 2000),
    period_from    date,
    period_to      date,
    quality        int CHECK (quality BETWEEN 1 AND 5),
    timeliness     int CHECK (timeliness BETWEEN 1 AND 5),
    communication  int CHECK (communication BETWEEN 1 AND 5),
    comment        text NOT NULL DEFAULT '' CHECK (length(comment) <= 5000),
    created_by     uuid REFERENCES users ON DELETE SET NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CHECK (period_to IS NULL OR period_from IS NULL OR period_to >= period_from)
);
CREATE INDEX collaboration_records_contact ON collaboration_records (contact_id, created_at);
CREATE INDEX collaboration_records_project ON collaboration_records (project_id);

-- Meetings of a project. A meeting is attached information with its own audience: its
-- participants (users), the project's members (audience 'project', the default) and users
-- granted explicitly; whoever else sees a participating contact does not learn it exists.
CREATE TABLE meetings (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    project_id  uuid NOT NULL REFERENCES projects ON DELETE CASCADE,
    at          timestamptz NOT NULL,
    title       text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    agenda      text NOT NULL DEFAULT '' CHECK (length(agenda) <= 20000),
    minutes     text NOT NULL DEFAULT '' CHECK (length(minutes) <= 100000),
    audience    text NOT NULL DEFAULT 'project' CHECK (audience IN ('project', 'restricted')),
    created_by  uuid REFERENCES users ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX meetings_project ON meetings (project_id, at);

CREATE TABLE meeting_users (
    meeting_id  uuid NOT NULL REFERENCES meetings ON DELETE CASCADE,
    user_id     uuid NOT NULL REFERENCES users ON DELETE CASCADE,
    -- participant: took part; granted: may read it without having taken part.
    kind        text NOT NULL DEFAULT 'participant' CHECK (kind IN ('participant', 'granted')),
    PRIMARY KEY (meeting_id, user_id)
);
CREATE INDEX meeting_users_user ON meeting_users (user_id);

CREATE TABLE meeting_contacts (
    meeting_id  uuid NOT NULL REFERENCES meetings ON DELETE CASCADE,
    contact_id  uuid NOT NULL REFERENCES contacts ON DELETE CASCADE,
    PRIMARY KEY (meeting_id, contact_id)
);
CREATE INDEX meeting_contacts_contact ON meeting_contacts (contact_id);

-- The change feed of project collections. A project's CardDAV collection uses the same feed
-- as books: book_changes rows whose book_id is the project's id (ids of books and projects
-- are both random UUIDs and never collide), under the same per-collection lock.
COMMENT ON COLUMN book_changes.book_id IS 'the collection: an address book or a project';

-- A contact changed in its book is changed in every project collection that holds it. (A
-- deleted contact leaves its projects by cascade, which project_contacts_feed reports.)
CREATE FUNCTION contacts_project_feed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    p uuid;
BEGIN
    FOR p IN SELECT pc.project_id FROM project_contacts pc WHERE pc.contact_id = NEW.id ORDER BY pc.project_id
    LOOP
        PERFORM book_feed_lock(p);
        INSERT INTO book_changes (book_id, contact_id) VALUES (p, NEW.id);
    END LOOP;
    RETURN NULL;
END $$;
CREATE TRIGGER contacts_project_feed AFTER UPDATE ON contacts
    FOR EACH ROW WHEN (OLD.version IS DISTINCT FROM NEW.version)
    EXECUTE FUNCTION contacts_project_feed();

-- Feed locks are taken book first, then projects. A deletion's cascade to project_contacts
-- runs before the contacts_feed trigger (triggers fire in name order, and the cascade's
-- come first), so the book is locked before the row goes.
CREATE FUNCTION contacts_lock_feed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM book_feed_lock(OLD.book_id);
    RETURN OLD;
END $$;
CREATE TRIGGER contacts_lock_feed BEFORE DELETE ON contacts
    FOR EACH ROW EXECUTE FUNCTION contacts_lock_feed();

-- Involving or releasing a contact changes the project's collection.
CREATE FUNCTION project_contacts_feed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    r := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    PERFORM book_feed_lock(r.project_id);
    INSERT INTO book_changes (book_id, contact_id) VALUES (r.project_id, r.contact_id);
    RETURN NULL;
END $$;
CREATE TRIGGER project_contacts_feed AFTER INSERT OR DELETE ON project_contacts
    FOR EACH ROW EXECUTE FUNCTION project_contacts_feed();

-- Closing or reopening a project changes what its members see of every involved contact in
-- the project's collection; a book's collection holds only what its user sees through the
-- book grant, so the books' feeds need no rows. A new sync profile changes every vCard.
CREATE FUNCTION projects_status_feed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM book_feed_lock(NEW.id);
    INSERT INTO book_changes (book_id, contact_id)
        SELECT NEW.id, pc.contact_id FROM project_contacts pc WHERE pc.project_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER projects_status_feed AFTER UPDATE ON projects
    FOR EACH ROW WHEN ((OLD.status = 'closed') IS DISTINCT FROM (NEW.status = 'closed')
                       OR OLD.sync_profile IS DISTINCT FROM NEW.sync_profile)
    EXECUTE FUNCTION projects_status_feed();

-- feed_contact reports a change of what users see of one contact to its book's collection
-- and to every project collection holding it, locking book then projects.
CREATE FUNCTION feed_contact(contact uuid, book uuid) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    p uuid;
BEGIN
    PERFORM book_feed_lock(book);
    INSERT INTO book_changes (book_id, contact_id) VALUES (book, contact);
    FOR p IN SELECT pc.project_id FROM project_contacts pc WHERE pc.contact_id = contact ORDER BY pc.project_id
    LOOP
        PERFORM book_feed_lock(p);
        INSERT INTO book_changes (book_id, contact_id) VALUES (p, contact);
    END LOOP;
END $$;

-- A consent that starts or stops holding changes the contact's visibility in its book's
-- collections and in the projects' collections (004 reported the book only).
CREATE OR REPLACE FUNCTION consents_feed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    book uuid;
BEGIN
    SELECT c.book_id INTO book FROM contacts c JOIN address_books b ON b.id = c.book_id
     WHERE c.id = NEW.contact_id AND b.required_purpose_id = NEW.purpose_id;
    IF book IS NOT NULL THEN
        PERFORM feed_contact(NEW.contact_id, book);
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION books_requirement_feed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    p uuid;
BEGIN
    PERFORM book_feed_lock(NEW.id);
    INSERT INTO book_changes (book_id, contact_id) SELECT NEW.id, c.id FROM contacts c WHERE c.book_id = NEW.id;
    FOR p IN SELECT DISTINCT pc.project_id FROM project_contacts pc JOIN contacts c ON c.id = pc.contact_id
              WHERE c.book_id = NEW.id ORDER BY pc.project_id
    LOOP
        PERFORM book_feed_lock(p);
        INSERT INTO book_changes (book_id, contact_id)
            SELECT p, pc.contact_id FROM project_contacts pc JOIN contacts c ON c.id = pc.contact_id
             WHERE pc.project_id = p AND c.book_id = NEW.id;
    END LOOP;
    RETURN NULL;
END $$;

-- == project sync and closure (additions) ==

-- The sync ledger keeps one row per device, collection and contact: a contact a device got
-- both through a book and through a project is held twice, in two folders, and each copy
-- leaves the device with its own collection (003 kept one row per device and contact, so the
-- collection synced last took the row over and the other copy was forgotten).
ALTER TABLE device_contacts DROP CONSTRAINT device_contacts_pkey;
ALTER TABLE device_contacts ADD PRIMARY KEY (device_id, book_id, contact_id);
-- The ProjectClosure workflow asks which devices still hold a project's contacts.
CREATE INDEX device_contacts_book ON device_contacts (book_id);

-- project_closure_notices: which member was told of which closure (closed_at tells one
-- closure of a project from the next after a reopening), so that a retried or repeated
-- notification mails nobody twice.
CREATE TABLE project_closure_notices (
    project_id  uuid NOT NULL REFERENCES projects ON DELETE CASCADE,
    user_id     uuid NOT NULL REFERENCES users ON DELETE CASCADE,
    closed_at   timestamptz NOT NULL,
    sent_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, user_id, closed_at)
);
