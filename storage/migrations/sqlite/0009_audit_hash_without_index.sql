-- Sejabot schema version 9: the audit log's hash column loses its UNIQUE index.
--
-- Nothing looks an entry up by its hash. The chain's integrity rests on the hashes themselves
-- (`sejabot audit verify` recomputes every one) and on the triggers below, which refuse any
-- change, any deletion and any entry that does not continue the chain. The unique index
-- only cost time: each hash is random, so every appended entry (one per vote) wrote to a
-- random page of a growing index. SQLite cannot drop a column's UNIQUE, so the table is
-- rebuilt with the same rows, index on subject and triggers (PostgreSQL: DROP CONSTRAINT).

CREATE TABLE audit_log_rebuilt (
    seq INTEGER PRIMARY KEY CHECK (seq >= 1),  -- 1, 2, 3, ... without gaps
    recorded_at TEXT NOT NULL,  -- UTC, fixed width as every timestamp
    kind TEXT NOT NULL CHECK (kind <> ''),
    subject TEXT NOT NULL CHECK (subject <> ''),  -- e.g. motion:12/round:1
    actor TEXT NOT NULL CHECK (actor <> ''),  -- person:7 or system
    details TEXT NOT NULL,  -- canonical JSON of a few flat facts, never a secret
    prev_hash TEXT NOT NULL CHECK (length(prev_hash) = 64),
    hash TEXT NOT NULL CHECK (length(hash) = 64)
);

INSERT INTO audit_log_rebuilt (seq, recorded_at, kind, subject, actor, details, prev_hash, hash)
SELECT seq, recorded_at, kind, subject, actor, details, prev_hash, hash FROM audit_log ORDER BY seq;

DROP TABLE audit_log;  -- with its triggers and index; nothing refers to it
ALTER TABLE audit_log_rebuilt RENAME TO audit_log;
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
