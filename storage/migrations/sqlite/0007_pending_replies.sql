-- Sejabot schema version 7: replies kept with the event they answer until they are delivered.
--
-- A handler's replies (the "are you sure?" question, "Recorded: you voted ...") are stored in
-- the same transaction as the event's effects, and removed once sent. If the bot stops between
-- the commit and the sending, the next start sends them: a member whose vote was stored is
-- always told so. Edits are not kept (they only tidy buttons that are already withdrawn), nor
-- messages with files. Portable SQL as in 0001_initial.sql.

CREATE TABLE pending_replies (
    id INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,
    person_id INTEGER REFERENCES persons (id) ON DELETE CASCADE,  -- to every chat of a person
    chat_platform TEXT CHECK (chat_platform IN ('telegram', 'matrix')),  -- or to one chat
    chat_id TEXT,
    chat_is_direct BOOLEAN NOT NULL DEFAULT TRUE,
    html TEXT NOT NULL,
    poll_question TEXT NOT NULL DEFAULT '',
    CHECK ((person_id IS NULL) <> (chat_id IS NULL)),
    CHECK ((chat_id IS NULL) = (chat_platform IS NULL))
);

CREATE TABLE pending_reply_choices (
    reply_id INTEGER NOT NULL REFERENCES pending_replies (id) ON DELETE CASCADE,
    row_index INTEGER NOT NULL CHECK (row_index >= 0),
    column_index INTEGER NOT NULL CHECK (column_index >= 0),
    label TEXT NOT NULL,
    payload TEXT NOT NULL CHECK (payload <> ''),
    PRIMARY KEY (reply_id, row_index, column_index)
);

-- A member's own messages of a session are looked up at every vote.
CREATE INDEX correspondence_messages_member
    ON correspondence_messages (session_id, purpose, person_id);
