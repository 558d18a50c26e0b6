-- The seal chain of business days is append-only on SQLite (see membercard/core/guards.py).
-- A line of two dashes and two semicolons ends a statement.
CREATE TRIGGER days_sealevent_no_update BEFORE UPDATE ON days_sealevent
BEGIN SELECT RAISE(ABORT, 'days_sealevent is append-only'); END;
--;;
CREATE TRIGGER days_sealevent_no_delete BEFORE DELETE ON days_sealevent
WHEN NOT membercard_purge_allowed()
BEGIN SELECT RAISE(ABORT, 'days_sealevent is append-only'); END;
