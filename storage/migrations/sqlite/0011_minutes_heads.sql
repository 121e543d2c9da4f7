-- Sejabot schema version 11: the head of the audit trail each session's minutes were first
-- made with (docs/AUDIT.md).
--
-- The minutes print the head of the audit trail; a later regeneration must print the same
-- head, not the newest one, and say whether the trail still contains it unchanged. The row is
-- written once, by the first generation (for a correspondence session: its closing), and
-- ``mac`` (HMAC-SHA256 under the server's audit key, as in audit_log) shows whether it was
-- written by the server. ``sejabot audit verify`` checks every row against the trail.

CREATE TABLE minutes_heads (
    session_id INTEGER PRIMARY KEY REFERENCES sessions (id),
    seq INTEGER NOT NULL CHECK (seq >= 0),
    hash TEXT NOT NULL CHECK (length(hash) = 64),
    made_at TEXT NOT NULL,
    mac TEXT CHECK (mac IS NULL OR length(mac) = 64)
);
