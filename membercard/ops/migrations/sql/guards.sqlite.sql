-- The audit log is append-only on SQLite (see membercard/core/guards.py).
-- A line of two dashes and two semicolons ends a statement.
-- UPDATE is refused, except Django setting staff_id to NULL when a staff member is deleted
-- (the row keeps the username). SQLite cannot compare whole rows: every other column is
-- listed here, and tests/ops/test_audit_guards.py fails if a new column is left out.
CREATE TRIGGER ops_auditevent_no_update BEFORE UPDATE ON ops_auditevent
WHEN NEW.staff_id IS NOT NULL
  OR NEW.id IS NOT OLD.id OR NEW.created_at IS NOT OLD.created_at
  OR NEW.username IS NOT OLD.username OR NEW.role IS NOT OLD.role
  OR NEW.location_code IS NOT OLD.location_code OR NEW.address IS NOT OLD.address
  OR NEW.kind IS NOT OLD.kind OR NEW.what IS NOT OLD.what OR NEW.method IS NOT OLD.method
  OR NEW.path IS NOT OLD.path OR NEW.status IS NOT OLD.status
  OR NEW.reference IS NOT OLD.reference OR NEW.details IS NOT OLD.details
BEGIN SELECT RAISE(ABORT, 'ops_auditevent is append-only'); END;
--;;
CREATE TRIGGER ops_auditevent_no_delete BEFORE DELETE ON ops_auditevent
WHEN NOT membercard_purge_allowed()
BEGIN SELECT RAISE(ABORT, 'ops_auditevent is append-only'); END;
