-- Sejabot schema version 5: the audit trail, an append-only hash chain (docs/AUDIT.md).
--
-- Each row records one fact (an invitation code issued, a delivery confirmed, a vote cast, a
-- round opened or closed, a session's status, an outcome) in the same transaction as the fact
-- itself. hash = SHA-256 of the canonical encoding of (seq, recorded_at, kind, subject, actor,
-- details, prev_hash), computed by bot/domain/audit_chain.py; prev_hash is the hash of the row
-- before, 64 zeros for the first. Secret votes appear only as participation, never the choice
-- or the receipt; ballots are not logged at all.
--
-- Append-only at the SQL level: the triggers below refuse UPDATE and DELETE, and an INSERT that
-- does not continue the chain (next number, linked to the newest hash). They keep mistakes and
-- casual edits out; someone who drops them can still edit the file, and `sejabot audit verify`
-- finds what they changed, removed or inserted.
--
-- PostgreSQL would do the same with a PL/pgSQL function and row triggers, plus privileges:
--   CREATE FUNCTION audit_log_refuse() RETURNS trigger LANGUAGE plpgsql AS
--     $$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$;
--   CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
--     FOR EACH ROW EXECUTE FUNCTION audit_log_refuse();
--   CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
--     FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse();
--   REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM sejabot;
-- and a BEFORE INSERT row trigger comparing NEW.seq and NEW.prev_hash with the newest row.
-- seq stays a plain BIGINT PRIMARY KEY there: the code numbers the rows, not a sequence, so
-- the numbers have no gaps.

CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY CHECK (seq >= 1),  -- 1, 2, 3, ... without gaps
    recorded_at TEXT NOT NULL,  -- UTC, fixed width as every timestamp
    kind TEXT NOT NULL CHECK (kind <> ''),
    subject TEXT NOT NULL CHECK (subject <> ''),  -- e.g. motion:12/round:1
    actor TEXT NOT NULL CHECK (actor <> ''),  -- person:7 or system
    details TEXT NOT NULL,  -- canonical JSON of a few flat facts, never a secret
    prev_hash TEXT NOT NULL CHECK (length(prev_hash) = 64),
    hash TEXT NOT NULL UNIQUE CHECK (length(hash) = 64)
);
CREATE INDEX audit_log_subject ON audit_log (subject);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: rows cannot be changed');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: rows cannot be deleted');
END;

CREATE TRIGGER audit_log_append_only BEFORE INSERT ON audit_log
WHEN NEW.seq IS NOT (SELECT COALESCE(MAX(seq), 0) + 1 FROM audit_log)
    OR NEW.prev_hash IS NOT COALESCE(
        (SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1),
        '0000000000000000000000000000000000000000000000000000000000000000'
    )
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: a new row must continue the chain');
END;
