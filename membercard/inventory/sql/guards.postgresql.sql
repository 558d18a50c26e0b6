-- The card stock ledger is append-only, like the money ledger (function from the ledger's guards).
CREATE TRIGGER inventory_stockmovement_append_only BEFORE UPDATE OR DELETE ON inventory_stockmovement
FOR EACH ROW EXECUTE FUNCTION membercard_refuse_change();
