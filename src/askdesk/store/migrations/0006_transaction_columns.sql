-- Each transaction's values as columns, so `stats` counts, groups and takes
-- medians in SQL (askdesk.store.pg_tally) and Python receives only the
-- figures. `fields` keeps the whole transaction for exports.
--
-- The columns are filled by askdesk's own rules, not here: every
-- conversation is marked as not yet worked out (transaction_rules 0), and
-- `askdesk migrate` (or, at the latest, the first `stats`) recomputes them.

ALTER TABLE transactions
    ADD COLUMN IF NOT EXISTS channel          text,
    ADD COLUMN IF NOT EXISTS kind             text,
    ADD COLUMN IF NOT EXISTS question_type    text,
    ADD COLUMN IF NOT EXISTS outcome          text,
    ADD COLUMN IF NOT EXISTS read_level       integer,
    ADD COLUMN IF NOT EXISTS staff            text,
    ADD COLUMN IF NOT EXISTS started_at       timestamptz,
    ADD COLUMN IF NOT EXISTS first_response_s bigint,
    ADD COLUMN IF NOT EXISTS resolve_s        bigint,
    ADD COLUMN IF NOT EXISTS flagged          boolean,
    ADD COLUMN IF NOT EXISTS reference        boolean,  -- Transaction.reference, as askdesk decided it
    ADD COLUMN IF NOT EXISTS time_spent_min   integer,
    ADD COLUMN IF NOT EXISTS answers          jsonb;    -- the library's own [[stats.fields]]

UPDATE conversations SET transaction_rules = 0 WHERE transaction_rules > 0;
