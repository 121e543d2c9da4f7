-- Sejabot schema version 3: association surveys (povpraševanja) beyond the stored questionnaire.
--
-- Version 1 keeps the questionnaire (surveys), each organisation's standing response
-- (survey_responses) and its answers (survey_answers). These tables keep the rest: when a survey
-- was made ready, opened and closed, the organisations it went to, which contacts received the
-- invitation, the answers in progress per organisation (so any contact may continue, also after
-- a restart), the reminders and the secretariat's live-count messages. Portable SQL as in
-- 0001_initial.sql.

-- One row per survey: each moment is recorded once, so a restart never repeats it.
CREATE TABLE survey_runs (
    survey_id INTEGER PRIMARY KEY REFERENCES surveys (id),
    source TEXT NOT NULL CHECK (source IN ('chat', 'cli')),
    created_by INTEGER REFERENCES persons (id),  -- the secretariat member in the chat; NULL: CLI
    ready_at TEXT,  -- stored as ready to send: the running bot opens it
    opened_at TEXT,  -- recipients listed, invitations queued
    closed_at TEXT,  -- the deadline passed and the survey was closed
    closing_reported_at TEXT,  -- the secretariat received the final count and the report
    CHECK (opened_at IS NULL OR ready_at IS NOT NULL),
    CHECK (closed_at IS NULL OR opened_at IS NOT NULL)
);
CREATE INDEX survey_runs_ready ON survey_runs (ready_at, opened_at);

-- The organisations a survey was sent to, listed when it opens: the base of the count and of the
-- list of organisations that did not answer.
CREATE TABLE survey_recipients (
    survey_id INTEGER NOT NULL REFERENCES surveys (id),
    organisation_id INTEGER NOT NULL REFERENCES organisations (id),
    PRIMARY KEY (survey_id, organisation_id)
);

-- The invitation to each contact, sent once; a contact linked later receives it on the next scan.
CREATE TABLE survey_invitations (
    survey_id INTEGER NOT NULL,
    organisation_id INTEGER NOT NULL,
    person_id INTEGER NOT NULL REFERENCES persons (id),
    sent_at TEXT NOT NULL,
    chats INTEGER NOT NULL DEFAULT 0 CHECK (chats >= 0),  -- chats that received it
    PRIMARY KEY (survey_id, person_id),
    FOREIGN KEY (survey_id, organisation_id)
        REFERENCES survey_recipients (survey_id, organisation_id)
);

-- An organisation's answers in progress. ``current_question`` is the question on screen (NULL:
-- the summary awaits confirmation); ``awaiting_other`` means the text for "other, please
-- specify" of that question is expected. Typed answers of ``active_person_id`` go here.
CREATE TABLE survey_drafts (
    survey_id INTEGER NOT NULL,
    organisation_id INTEGER NOT NULL,
    current_question TEXT CHECK (current_question IS NULL OR current_question <> ''),
    awaiting_other BOOLEAN NOT NULL DEFAULT FALSE CHECK (awaiting_other IN (FALSE, TRUE)),
    active_person_id INTEGER REFERENCES persons (id),
    started_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES persons (id),  -- who answered last
    PRIMARY KEY (survey_id, organisation_id),
    FOREIGN KEY (survey_id, organisation_id)
        REFERENCES survey_recipients (survey_id, organisation_id)
);
CREATE INDEX survey_drafts_active ON survey_drafts (active_person_id);

-- The answers of a draft as rows (question key, value), like survey_answers.
CREATE TABLE survey_draft_answers (
    survey_id INTEGER NOT NULL,
    organisation_id INTEGER NOT NULL,
    position INTEGER NOT NULL CHECK (position >= 0),
    question_key TEXT NOT NULL CHECK (question_key <> ''),
    value TEXT NOT NULL,
    PRIMARY KEY (survey_id, organisation_id, position),
    FOREIGN KEY (survey_id, organisation_id)
        REFERENCES survey_drafts (survey_id, organisation_id) ON DELETE CASCADE
);

-- Reminders planned when the survey opens; ``done_at`` is set before sending, so a reminder goes
-- at most once, also across restarts. One missed during downtime is passed over (sent = FALSE)
-- when a later one is due too.
CREATE TABLE survey_reminders (
    survey_id INTEGER NOT NULL REFERENCES surveys (id),
    due_at TEXT NOT NULL,
    done_at TEXT,
    sent BOOLEAN NOT NULL DEFAULT FALSE CHECK (sent IN (FALSE, TRUE)),
    organisations INTEGER NOT NULL DEFAULT 0 CHECK (organisations >= 0),  -- reminded
    PRIMARY KEY (survey_id, due_at)
);

-- The secretariat's live-count messages, edited on every submission.
CREATE TABLE survey_count_messages (
    survey_id INTEGER NOT NULL REFERENCES surveys (id),
    person_id INTEGER NOT NULL REFERENCES persons (id),
    platform TEXT NOT NULL CHECK (platform IN ('telegram', 'matrix')),
    chat_id TEXT NOT NULL CHECK (chat_id <> ''),
    message_id TEXT NOT NULL CHECK (message_id <> ''),
    sent_at TEXT NOT NULL,
    PRIMARY KEY (survey_id, platform, chat_id, message_id)
);
