-- The first schema: conversations as rows, every message key pointing at its
-- conversation, one row of state per channel (cursor, poller lease, health).

CREATE TABLE conversations (
    id          bigserial PRIMARY KEY,         -- arrival order, never reused
    key         text NOT NULL UNIQUE,          -- the conversation key (retention may change it)
    channel     text NOT NULL,
    status      text NOT NULL,                 -- new | claimed | resolved
    holder      text,
    resolved_at timestamptz,                   -- the last resolve, while resolved
    archived    boolean NOT NULL DEFAULT false,-- resolved long enough ago to leave the desk
    seq         bigint NOT NULL,               -- the change that wrote this version
    doc         jsonb NOT NULL                 -- messages, events, resolutions, replies (the outbox)
);

CREATE SEQUENCE conversation_changes;

-- The desk reads what changed since it last looked, and only what is live.
CREATE INDEX conversations_seq ON conversations (seq);
CREATE INDEX conversations_live ON conversations (id) WHERE NOT archived;
-- Statistics, exports and retention read by resolve time, status and channel.
CREATE INDEX conversations_resolved_at ON conversations (resolved_at);
CREATE INDEX conversations_status ON conversations (status);
CREATE INDEX conversations_channel ON conversations (channel);

CREATE TABLE message_keys (
    key          text PRIMARY KEY,             -- platform:remote_id: dedup and lookups
    conversation bigint NOT NULL REFERENCES conversations (id) ON DELETE CASCADE
);
CREATE INDEX message_keys_conversation ON message_keys (conversation);

CREATE TABLE channels (
    name             text PRIMARY KEY,         -- a channel, or askdesk's own bookmark (with ':')
    cursor           text,
    lease_holder     text,
    lease_expires_at timestamptz,
    health           jsonb NOT NULL DEFAULT '{}'
);
