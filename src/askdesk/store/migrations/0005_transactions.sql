-- Each conversation's transactions (askdesk.model.transactions), kept beside
-- it and rewritten in the same transaction as every write of the conversation,
-- so statistics and exports read them by resolve time without loading
-- conversations. `askdesk migrate` fills them for the rows already stored.

CREATE TABLE IF NOT EXISTS transactions (
    conversation bigint NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    ordinal      integer NOT NULL,            -- the conversation's first transaction is 0
    resolved_at  timestamptz NOT NULL,
    fields       json NOT NULL,               -- every field of the Transaction, by name
    PRIMARY KEY (conversation, ordinal)
);
CREATE INDEX IF NOT EXISTS transactions_resolved_at ON transactions (resolved_at);

-- The version of the transaction rules (TRANSACTION_RULES) a conversation's
-- rows were computed under; 0: not yet. Rows from other rules are recomputed.
ALTER TABLE conversations ADD COLUMN IF NOT EXISTS transaction_rules integer NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS conversations_transaction_rules ON conversations (transaction_rules);

-- The conversation's first event: one that began after a moment cannot have
-- been waiting then, so the backlog of a past range reads only a few rows.
ALTER TABLE conversations ADD COLUMN IF NOT EXISTS opened_at timestamptz;
