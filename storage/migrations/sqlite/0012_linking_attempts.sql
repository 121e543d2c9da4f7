-- Sejabot schema version 12: wrong linking codes, remembered for an hour, so that guessing is
-- limited per chat account and per chat (handlers/linking.py). Nothing of the code itself is
-- kept, neither its text nor its hash. Housekeeping forgets entries older than a day.

CREATE TABLE linking_attempts (
    platform TEXT NOT NULL CHECK (platform IN ('telegram', 'matrix')),
    account TEXT NOT NULL,  -- the platform's account id of the sender
    chat TEXT NOT NULL,  -- the chat it came from
    attempted_at TEXT NOT NULL
);
CREATE INDEX linking_attempts_account ON linking_attempts (platform, account, attempted_at);
CREATE INDEX linking_attempts_chat ON linking_attempts (platform, chat, attempted_at);
