-- Append-only ledger on PostgreSQL. A line of two dashes and two semicolons ends a statement.
-- Row triggers refuse UPDATE and DELETE (TRUNCATE, a table owner's maintenance
-- command, is left to the database's own privileges).
CREATE OR REPLACE FUNCTION membercard_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END $$;
--;;
CREATE TRIGGER ledger_operation_append_only BEFORE UPDATE OR DELETE ON ledger_operation
FOR EACH ROW EXECUTE FUNCTION membercard_refuse_change();
--;;
CREATE TRIGGER ledger_transfer_append_only BEFORE UPDATE OR DELETE ON ledger_transfer
FOR EACH ROW EXECUTE FUNCTION membercard_refuse_change();
--;;
CREATE TRIGGER ledger_chainlink_append_only BEFORE UPDATE OR DELETE ON ledger_chainlink
FOR EACH ROW EXECUTE FUNCTION membercard_refuse_change();
--;;
CREATE OR REPLACE FUNCTION membercard_transfer_one_unit() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF (SELECT unit FROM ledger_account WHERE id = NEW.debit_account_id) IS DISTINCT FROM NEW.unit
     OR (SELECT unit FROM ledger_account WHERE id = NEW.credit_account_id) IS DISTINCT FROM NEW.unit THEN
    RAISE EXCEPTION 'ledger_transfer accounts must be of the transfer unit' USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
--;;
CREATE TRIGGER ledger_transfer_one_unit BEFORE INSERT ON ledger_transfer
FOR EACH ROW EXECUTE FUNCTION membercard_transfer_one_unit();
--;;
CREATE OR REPLACE FUNCTION membercard_account_identity_fixed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF (NEW.code, NEW.kind, NEW.unit, NEW.card_id, NEW.location_id, NEW.tender)
     IS DISTINCT FROM (OLD.code, OLD.kind, OLD.unit, OLD.card_id, OLD.location_id, OLD.tender) THEN
    RAISE EXCEPTION 'ledger_account identity is fixed' USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$;
--;;
CREATE TRIGGER ledger_account_identity_fixed BEFORE UPDATE ON ledger_account
FOR EACH ROW EXECUTE FUNCTION membercard_account_identity_fixed();
