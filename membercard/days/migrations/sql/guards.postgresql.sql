-- The seal chain of business days is append-only on PostgreSQL. A line of two dashes and
-- two semicolons ends a statement.
CREATE OR REPLACE FUNCTION days_sealevent_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END $$;
--;;
CREATE TRIGGER days_sealevent_append_only BEFORE UPDATE OR DELETE ON days_sealevent
FOR EACH ROW EXECUTE FUNCTION days_sealevent_refuse_change();
