-- Kontakt core schema: users and groups, address books with grants, contacts with their
-- contact points, relations and custom fields, attached information with audiences,
-- sessions and API tokens, the append-only audit log, and the one visibility policy.

CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- kontakt_fold lowercases and strips diacritics; IMMUTABLE (pinned to the unaccent
-- dictionary) so it can be used in indexes and generated columns.
CREATE FUNCTION kontakt_fold(t text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
RETURN lower(public.unaccent('public.unaccent'::regdictionary, t));

CREATE TABLE users (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    login         text NOT NULL CHECK (login ~ '^[a-z0-9][a-z0-9._-]{1,63}$'),
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    email         text NOT NULL DEFAULT '',
    password_hash text NOT NULL DEFAULT '',
    is_admin      boolean NOT NULL DEFAULT false,
    disabled      boolean NOT NULL DEFAULT false,
    locale        text NOT NULL DEFAULT 'en' CHECK (locale IN ('en', 'cs')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_login_key ON users (login);

CREATE TABLE groups (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX groups_name_key ON groups (lower(name));

CREATE TABLE group_members (
    group_id uuid NOT NULL REFERENCES groups ON DELETE CASCADE,
    user_id  uuid NOT NULL REFERENCES users ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id);

CREATE TABLE sessions (
    token_hash   bytea PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id      uuid NOT NULL REFERENCES users ON DELETE CASCADE,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    token_hash   bytea NOT NULL UNIQUE,
    prefix       text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz,
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- login_failures backs the login rate limit; rows older than the window are swept.
CREATE TABLE login_failures (
    id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key   text NOT NULL,
    at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_key_at ON login_failures (key, at);

CREATE TABLE address_books (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX address_books_name_key ON address_books (lower(name));

CREATE TABLE book_grants (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    book_id    uuid NOT NULL REFERENCES address_books ON DELETE CASCADE,
    user_id    uuid REFERENCES users ON DELETE CASCADE,
    group_id   uuid REFERENCES groups ON DELETE CASCADE,
    role       text NOT NULL CHECK (role IN ('viewer', 'editor', 'manager')),
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((user_id IS NULL) <> (group_id IS NULL))
);
CREATE UNIQUE INDEX book_grants_user ON book_grants (book_id, user_id) WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX book_grants_group ON book_grants (book_id, group_id) WHERE group_id IS NOT NULL;
CREATE INDEX book_grants_user_id ON book_grants (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX book_grants_group_id ON book_grants (group_id) WHERE group_id IS NOT NULL;

CREATE TABLE custom_field_defs (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    book_id    uuid NOT NULL REFERENCES address_books ON DELETE CASCADE,
    key        text NOT NULL CHECK (key ~ '^[a-z][a-z0-9_]{0,39}$'),
    label      text NOT NULL,
    type       text NOT NULL CHECK (type IN ('text', 'number', 'date', 'choice')),
    choices    text[] NOT NULL DEFAULT '{}',
    required   boolean NOT NULL DEFAULT false,
    position   int NOT NULL DEFAULT 0,
    UNIQUE (book_id, key)
);

CREATE TABLE contacts (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    book_id         uuid NOT NULL REFERENCES address_books,
    kind            text NOT NULL CHECK (kind IN ('person', 'organisation')),
    contact_type    text NOT NULL DEFAULT 'other'
                    CHECK (contact_type IN ('supplier', 'partner', 'employee', 'member', 'customer', 'other')),
    prefix          text NOT NULL DEFAULT '',
    given_name      text NOT NULL DEFAULT '',
    additional_name text NOT NULL DEFAULT '',
    family_name     text NOT NULL DEFAULT '',
    suffix          text NOT NULL DEFAULT '',
    org_name        text NOT NULL DEFAULT '',
    display_name    text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 300),
    job_title       text NOT NULL DEFAULT '',
    birthday        date,
    tags            text[] NOT NULL DEFAULT '{}',
    custom          jsonb NOT NULL DEFAULT '{}',
    -- search_text is the folded text of names, contact points and tags, kept by the store.
    search_text     text NOT NULL DEFAULT '',
    sort_key        text GENERATED ALWAYS AS (kontakt_fold(display_name)) STORED,
    version         bigint NOT NULL DEFAULT 1,
    created_by      uuid REFERENCES users ON DELETE SET NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contacts_book_sort ON contacts (book_id, sort_key, id);
CREATE INDEX contacts_sort ON contacts (sort_key, id);
CREATE INDEX contacts_tags ON contacts USING gin (tags);
CREATE INDEX contacts_search_trgm ON contacts USING gin (search_text gin_trgm_ops);

CREATE TABLE contact_points (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    contact_id  uuid NOT NULL REFERENCES contacts ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('email', 'phone', 'url', 'social', 'address')),
    label       text NOT NULL DEFAULT '',
    value       text NOT NULL DEFAULT '',
    network     text NOT NULL DEFAULT '',
    url         text NOT NULL DEFAULT '',
    street      text NOT NULL DEFAULT '',
    locality    text NOT NULL DEFAULT '',
    region      text NOT NULL DEFAULT '',
    postal_code text NOT NULL DEFAULT '',
    country     text NOT NULL DEFAULT '',
    preferred   boolean NOT NULL DEFAULT false,
    position    int NOT NULL DEFAULT 0
);
CREATE INDEX contact_points_contact ON contact_points (contact_id, kind, position);
CREATE INDEX contact_points_email ON contact_points (lower(value)) WHERE kind = 'email';

-- relations link a person to an organisation with a role and a validity period.
CREATE TABLE relations (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    person_id       uuid NOT NULL REFERENCES contacts ON DELETE CASCADE,
    organisation_id uuid NOT NULL REFERENCES contacts ON DELETE CASCADE,
    role            text NOT NULL DEFAULT '',
    valid_from      date,
    valid_to        date,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (person_id <> organisation_id),
    CHECK (valid_to IS NULL OR valid_from IS NULL OR valid_to >= valid_from)
);
CREATE INDEX relations_person ON relations (person_id);
CREATE INDEX relations_organisation ON relations (organisation_id);

-- attached_items is information attached to a contact (notes now; meetings, activities and
-- collaboration records later) with its own audience.
CREATE TABLE attached_items (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    contact_id uuid NOT NULL REFERENCES contacts ON DELETE CASCADE,
    kind       text NOT NULL DEFAULT 'note' CHECK (kind IN ('note')),
    body       text NOT NULL CHECK (length(body) BETWEEN 1 AND 20000),
    audience   text NOT NULL DEFAULT 'contact' CHECK (audience IN ('contact', 'restricted')),
    created_by uuid REFERENCES users ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX attached_items_contact ON attached_items (contact_id, created_at);

CREATE TABLE attached_item_audience (
    item_id  uuid NOT NULL REFERENCES attached_items ON DELETE CASCADE,
    user_id  uuid REFERENCES users ON DELETE CASCADE,
    group_id uuid REFERENCES groups ON DELETE CASCADE,
    CHECK ((user_id IS NULL) <> (group_id IS NULL))
);
CREATE UNIQUE INDEX attached_item_audience_user ON attached_item_audience (item_id, user_id) WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX attached_item_audience_group ON attached_item_audience (item_id, group_id) WHERE group_id IS NOT NULL;

-- audit_log is append-only: updates and deletes are refused by a trigger.
CREATE TABLE audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor_id    uuid,
    action      text NOT NULL,
    channel     text NOT NULL CHECK (channel IN ('api', 'carddav', 'export', 'mail', 'system', 'web')),
    contact_ids uuid[] NOT NULL DEFAULT '{}',
    object_id   uuid,
    detail      jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_contacts ON audit_log USING gin (contact_ids);
CREATE INDEX audit_log_actor ON audit_log (actor_id, id);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END $$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- Building blocks of the one visibility policy (ARCHITECTURE.md, invariant 1), which
-- store/policy.go composes into the predicates every read path uses. They are plain SQL
-- table functions so the planner inlines them into each query.

-- user_book_roles: every role user uid holds on a book, directly or through a group.
-- Organisation admins manage every book; a disabled user holds none.
CREATE FUNCTION user_book_roles(uid uuid) RETURNS TABLE (book_id uuid, role text)
LANGUAGE sql STABLE AS $$
    SELECT g.book_id, g.role
      FROM book_grants g
     WHERE (g.user_id = uid
            OR g.group_id IN (SELECT m.group_id FROM group_members m WHERE m.user_id = uid))
       AND EXISTS (SELECT 1 FROM users u WHERE u.id = uid AND NOT u.disabled)
    UNION ALL
    SELECT b.id, 'manager'
      FROM address_books b
     WHERE EXISTS (SELECT 1 FROM users u WHERE u.id = uid AND u.is_admin AND NOT u.disabled)
$$;

-- visible_books: the books whose contacts user uid may see (any role).
CREATE FUNCTION visible_books(uid uuid) RETURNS TABLE (book_id uuid)
LANGUAGE sql STABLE AS $$
    SELECT r.book_id FROM user_book_roles(uid) r
$$;
