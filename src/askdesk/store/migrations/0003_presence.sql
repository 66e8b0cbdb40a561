-- Which staff have a desk open: each open desk says so every few seconds.
-- Not in channels or conversations: a heartbeat is no change to the desk
-- and sends no change notice.

CREATE TABLE IF NOT EXISTS presence (
    holder  text PRIMARY KEY,                  -- the desk's process (host:pid)
    staff   text NOT NULL,
    seen_at timestamptz NOT NULL
);
