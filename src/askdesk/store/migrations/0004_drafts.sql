-- Staff's unsent replies, kept with esc in the composer until sent or discarded:
-- one per conversation and staff member. Not part of the conversation (no event).
CREATE TABLE IF NOT EXISTS drafts (
    key   text NOT NULL,                    -- the conversation's key
    staff text NOT NULL,
    text  text NOT NULL,
    PRIMARY KEY (key, staff)
);
