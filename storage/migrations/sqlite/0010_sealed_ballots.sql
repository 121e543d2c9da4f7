-- Sejabot schema version 10: secret ballots sealed while their round is open; signed audit
-- entries (docs/SECURITY.md).
--
-- SQLite writes each new cell of a page at the top of the page's free area, so the byte order
-- of a table's cells is the order in which they were inserted, WITHOUT ROWID or not. A ballot
-- written when it was cast could therefore be paired with the participation entries of the
-- audit log, which are in the same order. From now on a cast ballot is stored only sealed
-- (AES-256-GCM under a key derived from SEJABOT_SECRET_KEY, which is never in the database,
-- a fresh nonce per ballot, the same size for every ballot of a round). When the round closes,
-- the sealed ballots are opened, shuffled and written to secret_ballots or election_ballots in
-- one transaction, and the sealed copies are deleted (secure_delete overwrites them).

CREATE TABLE sealed_ballots (
    vote TEXT NOT NULL CHECK (vote IN ('motion', 'election')),
    target_id INTEGER NOT NULL,  -- the motion or the election
    round INTEGER NOT NULL,
    sealed BLOB NOT NULL  -- nonce || ciphertext || tag; nothing else about the ballot is kept
);
CREATE INDEX sealed_ballots_round ON sealed_ballots (vote, target_id, round);

-- HMAC-SHA256 of the entry's hash under a key derived from SEJABOT_SECRET_KEY: an entry added
-- with a plain INSERT and a recomputed hash has no valid MAC. NULL for entries written before.
ALTER TABLE audit_log ADD COLUMN mac TEXT CHECK (mac IS NULL OR length(mac) = 64);

-- Ballots stored by earlier versions are written again in random order, so their cells no
-- longer follow the order in which they were cast (secure_delete, set on every connection,
-- overwrites the old cells).
CREATE TEMP TABLE secret_ballots_before AS SELECT * FROM secret_ballots;
DELETE FROM secret_ballots;
INSERT INTO secret_ballots (receipt, motion_id, round, choice)
SELECT receipt, motion_id, round, choice FROM secret_ballots_before ORDER BY random();
DROP TABLE secret_ballots_before;

-- The marks are rebuilt with the primary key's columns first: SQLite 3.40's integrity check
-- misreads a WITHOUT ROWID table whose key columns are not leading ("NULL value in
-- election_ballot_marks.election_id"), which made every backup after an election fail.
CREATE TEMP TABLE election_ballot_marks_before AS SELECT * FROM election_ballot_marks;
DROP TABLE election_ballot_marks;
CREATE TEMP TABLE election_ballots_before AS SELECT * FROM election_ballots;
DELETE FROM election_ballots;
INSERT INTO election_ballots (receipt, election_id, round, valid)
SELECT receipt, election_id, round, valid FROM election_ballots_before ORDER BY random();
DROP TABLE election_ballots_before;

CREATE TABLE election_ballot_marks (
    receipt TEXT NOT NULL,
    candidate_id INTEGER NOT NULL,
    election_id INTEGER NOT NULL,
    PRIMARY KEY (receipt, candidate_id),
    FOREIGN KEY (receipt, election_id) REFERENCES election_ballots (receipt, election_id),
    FOREIGN KEY (candidate_id, election_id) REFERENCES candidates (id, election_id)
) WITHOUT ROWID;
INSERT INTO election_ballot_marks (receipt, candidate_id, election_id)
SELECT receipt, candidate_id, election_id FROM election_ballot_marks_before ORDER BY random();
DROP TABLE election_ballot_marks_before;
