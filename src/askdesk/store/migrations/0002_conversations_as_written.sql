-- A conversation reads back exactly as it was written. jsonb stores an
-- object's keys in its own order (shortest first), so an event's details came
-- back reordered and `store copy` to PostgreSQL and back changed what `show`
-- prints; json keeps the text as written. Nothing queries inside these
-- columns: the indexed columns beside them serve every query.

ALTER TABLE conversations ALTER COLUMN doc TYPE json USING doc::json;

ALTER TABLE channels ALTER COLUMN health DROP DEFAULT;
ALTER TABLE channels ALTER COLUMN health TYPE json USING health::json;
ALTER TABLE channels ALTER COLUMN health SET DEFAULT '{}';
