-- A conversation's events and replies (the outbox) in tables of their own,
-- moved out of `conversations.doc`, which keeps the rest of the conversation
-- (messages, resolutions, flag). One source of truth: an event or a reply is
-- stored once, in its table, and a conversation is put together on read
-- (askdesk.store.pg_parts). So retention's rewrite, which replaces these
-- rows, leaves no second copy of a patron's or staff's words; and a change
-- writes only what it changed: the events it appended, the replies it touched.

CREATE TABLE IF NOT EXISTS events (
    conversation bigint NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    ordinal      integer NOT NULL,            -- the conversation's first event is 0
    at           timestamptz NOT NULL,
    staff        text NOT NULL,
    kind         text NOT NULL,               -- Event.action: claim, note, reply, resolve, …
    details      json NOT NULL,               -- json: the keys read back in the order written
    PRIMARY KEY (conversation, ordinal)
);

-- One row per reply, from the moment staff queue it until long after it was sent.
CREATE TABLE IF NOT EXISTS outbox (
    conversation    bigint NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    reply_id        text NOT NULL,
    ordinal         integer NOT NULL,         -- its place among the conversation's replies
    state           text NOT NULL,            -- pending | sending | sent | failed | uncertain | cancelled
    attempts        integer NOT NULL,
    next_attempt_at timestamptz,              -- due when pending and this is null or past
    private         boolean NOT NULL,         -- the route: the channel's private one (a DM)
    text            text NOT NULL,
    staff           text NOT NULL,
    created_at      timestamptz NOT NULL,
    templates       json NOT NULL,
    last_error      text,
    sending_since   timestamptz,
    sending_by      text,                     -- the askdesk process sending it
    remote_id       text,                     -- the platform's id once sent
    sent_at         timestamptz,
    delivery        text,                     -- the platform's latest word on its way (SMS)
    PRIMARY KEY (conversation, reply_id)
);
-- The replies not settled yet, on every machine, by when they are due: a
-- small index (sent and cancelled replies are left out), one indexed query.
CREATE INDEX IF NOT EXISTS outbox_open ON outbox (next_attempt_at)
    WHERE state IN ('pending', 'sending', 'failed', 'uncertain');

-- Move what the conversations hold. json (not jsonb) functions, so each
-- event's details keep their text and key order.
INSERT INTO events (conversation, ordinal, at, staff, kind, details)
SELECT c.id, e.n - 1, (e.v->>'at')::timestamptz, e.v->>'staff', e.v->>'action',
       coalesce(e.v->'details', '{}'::json)
FROM conversations c, json_array_elements(c.doc->'events') WITH ORDINALITY AS e (v, n)
WHERE json_typeof(c.doc->'events') = 'array'
ON CONFLICT DO NOTHING;

INSERT INTO outbox (conversation, reply_id, ordinal, state, attempts, next_attempt_at, private,
                    text, staff, created_at, templates, last_error, sending_since, sending_by,
                    remote_id, sent_at, delivery)
SELECT c.id, r.v->>'id', r.n - 1, r.v->>'status', coalesce((r.v->>'attempts')::integer, 0),
       (r.v->>'next_attempt_at')::timestamptz, coalesce((r.v->>'private')::boolean, false),
       r.v->>'text', r.v->>'staff', (r.v->>'created_at')::timestamptz,
       coalesce(r.v->'templates', '[]'::json), r.v->>'last_error',
       (r.v->>'sending_since')::timestamptz, r.v->>'sending_by', r.v->>'remote_id',
       (r.v->>'sent_at')::timestamptz, r.v->>'delivery'
FROM conversations c, json_array_elements(c.doc->'replies') WITH ORDINALITY AS r (v, n)
WHERE json_typeof(c.doc->'replies') = 'array'
ON CONFLICT DO NOTHING;

-- And drop them from the documents, keeping the other keys as written.
UPDATE conversations c SET doc = (
    SELECT json_object_agg(f.key, f.value ORDER BY f.n)
    FROM json_each(c.doc) WITH ORDINALITY AS f (key, value, n)
    WHERE f.key NOT IN ('events', 'replies')
)
WHERE c.doc->'events' IS NOT NULL OR c.doc->'replies' IS NOT NULL;
