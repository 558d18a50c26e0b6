-- The audit log is append-only on PostgreSQL. A line of two dashes and two semicolons ends
-- a statement. UPDATE and DELETE are refused; the one update let through is Django setting
-- staff_id to NULL when a staff member is deleted (the row keeps the username).
CREATE OR REPLACE FUNCTION ops_auditevent_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.staff_id IS NULL
     AND (to_jsonb(NEW) - 'staff_id') = (to_jsonb(OLD) - 'staff_id') THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END $$;
--;;
CREATE TRIGGER ops_auditevent_append_only BEFORE UPDATE OR DELETE ON ops_auditevent
FOR EACH ROW EXECUTE FUNCTION ops_auditevent_refuse_change();
