-- The gift stock ledger is append-only, like the card stock ledger (function from the ledger's guards).
CREATE TRIGGER loyalty_giftstockmovement_append_only BEFORE UPDATE OR DELETE ON loyalty_giftstockmovement
FOR EACH ROW EXECUTE FUNCTION membercard_refuse_change();
