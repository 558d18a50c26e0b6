-- The gift stock ledger is append-only, like the card stock ledger (see membercard/core/guards.py).
-- A line of two dashes and two semicolons ends a statement.
CREATE TRIGGER loyalty_giftstockmovement_no_update BEFORE UPDATE ON loyalty_giftstockmovement
BEGIN SELECT RAISE(ABORT, 'loyalty_giftstockmovement is append-only'); END;
--;;
CREATE TRIGGER loyalty_giftstockmovement_no_delete BEFORE DELETE ON loyalty_giftstockmovement
WHEN NOT membercard_purge_allowed()
BEGIN SELECT RAISE(ABORT, 'loyalty_giftstockmovement is append-only'); END;
