-- The card stock ledger is append-only, like the money ledger (see membercard/core/guards.py).
CREATE TRIGGER inventory_stockmovement_no_update BEFORE UPDATE ON inventory_stockmovement
BEGIN SELECT RAISE(ABORT, 'inventory_stockmovement is append-only'); END;
--;;
CREATE TRIGGER inventory_stockmovement_no_delete BEFORE DELETE ON inventory_stockmovement
WHEN NOT membercard_purge_allowed()
BEGIN SELECT RAISE(ABORT, 'inventory_stockmovement is append-only'); END;
