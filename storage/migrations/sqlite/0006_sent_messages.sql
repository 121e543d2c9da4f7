-- Sejabot schema version 6: the messages with choices the bot sent, and the choices they offer.
--
-- A button press (Telegram) or a poll answer (Matrix) is taken only when it answers a message the
-- bot itself sent into that very chat and names a choice that message offered. So a button on
-- a forwarded copy, a poll of another room and a payload made up by a modified client are
-- refused before any feature sees them. Only messages that offer choices are recorded: nothing
-- else can be answered. Portable SQL as in 0001_initial.sql.

CREATE TABLE sent_messages (
    platform TEXT NOT NULL CHECK (platform IN ('telegram', 'matrix')),
    chat_id TEXT NOT NULL,  -- Telegram chat id as text, Matrix room ID
    message_id TEXT NOT NULL,  -- Telegram message id as text, Matrix event ID of the poll
    sent_at TEXT NOT NULL,
    PRIMARY KEY (platform, chat_id, message_id)
);
CREATE INDEX sent_messages_age ON sent_messages (sent_at);

-- Every payload the message ever offered. An edit that changes or removes the buttons, and a
-- Matrix poll that was ended, withdraw them: a withdrawn payload pressed again is a replay,
-- a payload never offered is forged.
CREATE TABLE sent_message_choices (
    platform TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    payload TEXT NOT NULL CHECK (payload <> ''),
    withdrawn BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (platform, chat_id, message_id, payload),
    FOREIGN KEY (platform, chat_id, message_id)
        REFERENCES sent_messages (platform, chat_id, message_id) ON DELETE CASCADE
);
