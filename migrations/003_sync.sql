-- CardDAV sync under control: sync grants per user and book, per-device app passwords,
-- field minimisation per book, the change feed sync-collection reads, and the ledger of
-- what each device was last given.

-- sync_profile lists what leaves the server in a vCard (model.SyncFields); the default is
-- minimal: name, organisation, title, work e-mail and work phone.
ALTER TABLE address_books
    ADD COLUMN sync_profile text[] NOT NULL DEFAULT '{name,org,title,email.work,tel.work}';

-- sync_grants: a user may sync a book to devices, read-only or read-write, optionally
-- until a date. Without one the book is not offered over CardDAV, whatever the user's role.
CREATE TABLE sync_grants (
    user_id     uuid NOT NULL REFERENCES users ON DELETE CASCADE,
    book_id     uuid NOT NULL REFERENCES address_books ON DELETE CASCADE,
    mode        text NOT NULL CHECK (mode IN ('read', 'read_write')),
    until       timestamptz,
    created_by  uuid REFERENCES users ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, book_id)
);
CREATE INDEX sync_grants_book ON sync_grants (book_id);

-- devices: app passwords; CardDAV accepts only these, never a login password.
CREATE TABLE devices (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id       uuid NOT NULL REFERENCES users ON DELETE CASCADE,
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    secret_hash   bytea NOT NULL UNIQUE,
    prefix        text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz,
    last_sync_at  timestamptz,
    revoked_at    timestamptz
);
CREATE INDEX devices_user ON devices (user_id);

-- book_changes is the change feed (ARCHITECTURE.md, invariant 4): one row per change to a
-- contact of a book (created, edited, deleted, moved in or out, and later consent lapse,
-- erasure, project end). A sync token is a position in it; sync-collection reads the rows
-- after the token and decides each contact's visibility through the policy at that moment.
CREATE TABLE book_changes (
    seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    book_id     uuid NOT NULL,
    contact_id  uuid NOT NULL,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX book_changes_book_seq ON book_changes (book_id, seq);

-- A trigger feeds it, so that no write path can forget to. A sync token is a seq, so seqs
-- of one book must become visible in order: each writer takes the book's feed lock before
-- it draws a seq and keeps it until it commits (book_feed_lock), so no later seq of the book
-- can commit before an earlier one. An edit bumps the contact's version, so updates that
-- leave it (the store refreshing the search text) are not changes a device could see.
CREATE FUNCTION book_feed_lock(book uuid) RETURNS void LANGUAGE sql AS $$
    SELECT pg_advisory_xact_lock(hashtextextended('book_changes/' || book::text, 0))
$$;

CREATE FUNCTION contacts_feed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Lock both books of a move in one order, so that two opposite moves cannot deadlock.
    IF TG_OP = 'UPDATE' AND NEW.book_id <> OLD.book_id THEN
        PERFORM book_feed_lock(least(OLD.book_id, NEW.book_id));
        PERFORM book_feed_lock(greatest(OLD.book_id, NEW.book_id));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM book_feed_lock(OLD.book_id);
    ELSE
        PERFORM book_feed_lock(NEW.book_id);
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO book_changes (book_id, contact_id) VALUES (OLD.book_id, OLD.id);
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.book_id <> OLD.book_id) THEN
        INSERT INTO book_changes (book_id, contact_id) VALUES (NEW.book_id, NEW.id);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER contacts_feed_insert_delete AFTER INSERT OR DELETE ON contacts
    FOR EACH ROW EXECUTE FUNCTION contacts_feed();
CREATE TRIGGER contacts_feed_update AFTER UPDATE ON contacts
    FOR EACH ROW WHEN (OLD.version IS DISTINCT FROM NEW.version OR OLD.book_id IS DISTINCT FROM NEW.book_id)
    EXECUTE FUNCTION contacts_feed();

-- device_contacts is the sync ledger: what each device was last given, at which version.
CREATE TABLE device_contacts (
    device_id   uuid NOT NULL REFERENCES devices ON DELETE CASCADE,
    contact_id  uuid NOT NULL,
    book_id     uuid NOT NULL,
    version     bigint NOT NULL,
    served_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (device_id, contact_id)
);
CREATE INDEX device_contacts_contact ON device_contacts (contact_id);

-- A person's vCard shows the organisations it is related to (ORG), so a relation added or
-- removed, and an organisation renamed, are edits of the persons concerned: their version
-- moves (new ETags) and the feed tells their books.
CREATE FUNCTION relations_touch_person() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE contacts SET version = version + 1, updated_at = now()
     WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.person_id ELSE NEW.person_id END;
    RETURN NULL;
END $$;
CREATE TRIGGER relations_touch_person AFTER INSERT OR DELETE ON relations
    FOR EACH ROW EXECUTE FUNCTION relations_touch_person();

CREATE FUNCTION organisation_renamed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE contacts SET version = version + 1, updated_at = now()
     WHERE id IN (SELECT r.person_id FROM relations r WHERE r.organisation_id = NEW.id);
    RETURN NULL;
END $$;
CREATE TRIGGER organisation_renamed AFTER UPDATE ON contacts
    FOR EACH ROW WHEN (NEW.kind = 'organisation' AND OLD.display_name IS DISTINCT FROM NEW.display_name)
    EXECUTE FUNCTION organisation_renamed();
