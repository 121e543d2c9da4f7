-- Sejabot schema version 14: exactly-once sending of reminders, results and survey messages
-- (issue 15).
--
-- A batch (``send_batches``) is one decision to send something to a list of people: a
-- correspondence reminder, a session's results, a survey's invitations or one of its reminders.
-- It is stored with its recipients in the transaction that decides to send, so a stop or a crash
-- before they are all served leaves the rest to the next pass instead of losing them. One pass
-- owns a batch at a time (``owner``, renewed with every recipient it starts; a claim older than
-- a lease lapses). Each message is recorded in ``send_batch_messages`` as soon as the platform
-- accepted it, so a pass that resumes after an interruption sends a person only what their
-- chats do not hold yet: only a crash between the acceptance and the record repeats a message.
CREATE TABLE send_batches (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind <> ''),
    scope TEXT NOT NULL CHECK (scope <> ''),
    detail TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    owner TEXT,
    claimed_at TEXT,
    finished_at TEXT,
    UNIQUE (kind, scope)
);
CREATE INDEX send_batches_unfinished ON send_batches (kind) WHERE finished_at IS NULL;

CREATE TABLE send_batch_recipients (
    batch_id INTEGER NOT NULL REFERENCES send_batches (id),
    person_id INTEGER NOT NULL REFERENCES persons (id),
    detail TEXT NOT NULL DEFAULT '{}',
    added_at TEXT NOT NULL,
    chats INTEGER NOT NULL DEFAULT 0,
    done_at TEXT,
    PRIMARY KEY (batch_id, person_id)
);

CREATE TABLE send_batch_messages (
    batch_id INTEGER NOT NULL REFERENCES send_batches (id),
    person_id INTEGER NOT NULL REFERENCES persons (id),
    part TEXT NOT NULL CHECK (part <> ''),
    platform TEXT NOT NULL CHECK (platform IN ('telegram', 'matrix')),
    chat_id TEXT NOT NULL CHECK (chat_id <> ''),
    message_id TEXT NOT NULL CHECK (message_id <> ''),
    sent_at TEXT NOT NULL,
    PRIMARY KEY (batch_id, person_id, part, platform, chat_id)
);
