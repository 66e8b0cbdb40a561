-- PostgreSQL's text refuses U+0000; json keeps it (as \u0000), as the
-- conversations' documents always have. A reply's words (what staff paste),
-- the platform's error, id and delivery status, and an event's author (a
-- library's own message sent elsewhere records the handle it came from) come
-- from outside: kept as JSON strings, so whatever a TinyDB store keeps, this
-- one keeps, and one odd character never stops a batch or a send.
-- (`SELECT text #>> '{}' FROM outbox` reads one as text where it has no NUL.)

ALTER TABLE outbox
    ALTER COLUMN text TYPE json USING to_json(text),
    ALTER COLUMN last_error TYPE json USING to_json(last_error),
    ALTER COLUMN remote_id TYPE json USING to_json(remote_id),
    ALTER COLUMN delivery TYPE json USING to_json(delivery);

ALTER TABLE events ALTER COLUMN staff TYPE json USING to_json(staff);
