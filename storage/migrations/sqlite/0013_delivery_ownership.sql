-- Sejabot schema version 13: one sender per session, why a member was not reached, and the
-- clerk's delivery report edited in place (issue 15).
--
-- ``sending_owner`` is claimed in the transaction that decides to send a session's invitations:
-- the clerk's "Pošlji vabila" and the periodic scan cannot both send one session (a claim older
-- than ``sending_claimed_at`` plus a lease, or left by a stopped process, lapses). A member the
-- platform refused (Telegram 400/403) keeps the platform's own reason in ``refusal``; the last
-- passing failure (the network, a server error) is kept in ``failure`` for the report.
ALTER TABLE correspondence_sessions ADD COLUMN sending_owner TEXT;
ALTER TABLE correspondence_sessions ADD COLUMN sending_claimed_at TEXT;
ALTER TABLE correspondence_invitations ADD COLUMN refusal TEXT;
ALTER TABLE correspondence_invitations ADD COLUMN failure TEXT;

-- Each clerk's delivery report: one message per chat, edited until every member is settled.
CREATE TABLE correspondence_reports (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions (id),
    person_id INTEGER NOT NULL REFERENCES persons (id),
    platform TEXT NOT NULL CHECK (platform IN ('telegram', 'matrix')),
    chat_id TEXT NOT NULL CHECK (chat_id <> ''),
    message_id TEXT NOT NULL CHECK (message_id <> ''),
    sent_at TEXT NOT NULL,
    UNIQUE (platform, chat_id, message_id)
);
CREATE INDEX correspondence_reports_session ON correspondence_reports (session_id);
