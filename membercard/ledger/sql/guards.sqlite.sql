-- Append-only ledger on SQLite. A line of two dashes and two semicolons ends a statement.
-- UPDATE is always refused. DELETE is refused unless membercard_purge_allowed()
-- answers 1: only a test suite emptying its throw-away database (membercard/core/guards.py).
CREATE TRIGGER ledger_operation_no_update BEFORE UPDATE ON ledger_operation
BEGIN SELECT RAISE(ABORT, 'ledger_operation is append-only'); END;
--;;
CREATE TRIGGER ledger_operation_no_delete BEFORE DELETE ON ledger_operation
WHEN NOT membercard_purge_allowed()
BEGIN SELECT RAISE(ABORT, 'ledger_operation is append-only'); END;
--;;
CREATE TRIGGER ledger_transfer_no_update BEFORE UPDATE ON ledger_transfer
BEGIN SELECT RAISE(ABORT, 'ledger_transfer is append-only'); END;
--;;
CREATE TRIGGER ledger_transfer_no_delete BEFORE DELETE ON ledger_transfer
WHEN NOT membercard_purge_allowed()
BEGIN SELECT RAISE(ABORT, 'ledger_transfer is append-only'); END;
--;;
CREATE TRIGGER ledger_chainlink_no_update BEFORE UPDATE ON ledger_chainlink
BEGIN SELECT RAISE(ABORT, 'ledger_chainlink is append-only'); END;
--;;
CREATE TRIGGER ledger_chainlink_no_delete BEFORE DELETE ON ledger_chainlink
WHEN NOT membercard_purge_allowed()
BEGIN SELECT RAISE(ABORT, 'ledger_chainlink is append-only'); END;
--;;
-- A transfer moves one unit: both accounts must be of the transfer's unit.
CREATE TRIGGER ledger_transfer_one_unit BEFORE INSERT ON ledger_transfer
WHEN (SELECT unit FROM ledger_account WHERE id = NEW.debit_account_id) IS NOT NEW.unit
  OR (SELECT unit FROM ledger_account WHERE id = NEW.credit_account_id) IS NOT NEW.unit
BEGIN SELECT RAISE(ABORT, 'ledger_transfer accounts must be of the transfer unit'); END;
--;;
-- An account never changes what it is.
CREATE TRIGGER ledger_account_identity_fixed BEFORE UPDATE ON ledger_account
WHEN NEW.code IS NOT OLD.code OR NEW.kind IS NOT OLD.kind OR NEW.unit IS NOT OLD.unit
  OR NEW.card_id IS NOT OLD.card_id OR NEW.location_id IS NOT OLD.location_id
  OR NEW.tender IS NOT OLD.tender
BEGIN SELECT RAISE(ABORT, 'ledger_account identity is fixed'); END;
