-- Sejabot schema version 2: correspondence sessions (dopisna seja).
--
-- The session, its motions, materials, delivery confirmations, vote rounds and votes live in the
-- tables of version 1. These tables keep what only a correspondence session needs: the outbox
-- that sends invitations exactly once per member, the message references the bot edits later,
-- the clerk's guided creation in progress, the stored outcome of each motion with the numbers
-- behind it, and which reminders went out. Portable SQL as in 0001_initial.sql.

-- One row per correspondence session beyond the draft: each moment is claimed once, so a
-- restart or a second caller never repeats it.
CREATE TABLE correspondence_sessions (
    session_id INTEGER PRIMARY KEY REFERENCES sessions (id),
    source TEXT NOT NULL CHECK (source IN ('chat', 'cli')),
    created_by INTEGER REFERENCES persons (id),  -- the clerk in the chat; NULL from the CLI
    ready_at TEXT NOT NULL,  -- stored as ready to send: the bot's outbox picks it up
    opened_at TEXT,  -- members listed and vote rounds opened
    sending_reported_at TEXT,  -- the clerk was told to whom the invitations went
    quorum_reported_at TEXT,  -- the clerk was told the quorum is reached
    closed_at TEXT,  -- outcomes stored
    results_sent_at TEXT  -- members and clerks were told the result
);

-- The members a session's invitation goes to, listed when it opens (art. 21(2): the invitation
-- was sent to all members; their number is the base of the quorum). ``claimed_at`` is a
-- sender's lease, so two senders never send the same invitation.
CREATE TABLE correspondence_invitations (
    session_id INTEGER NOT NULL REFERENCES sessions (id),
    person_id INTEGER NOT NULL REFERENCES persons (id),
    listed_at TEXT NOT NULL,
    claimed_at TEXT,
    attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    sent_at TEXT,
    chats INTEGER NOT NULL DEFAULT 0 CHECK (chats >= 0),  -- chats that received it
    PRIMARY KEY (session_id, person_id),
    CHECK (sent_at IS NULL OR chats > 0)
);
CREATE INDEX correspondence_invitations_unsent ON correspondence_invitations (session_id, sent_at);

-- Messages the bot edits later: a member's invitation and voting messages (their buttons are
-- spent once used or once the session closes) and each clerk's live tally, one per chat.
CREATE TABLE correspondence_messages (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions (id),
    person_id INTEGER NOT NULL REFERENCES persons (id),
    purpose TEXT NOT NULL CHECK (purpose IN ('invitation', 'vote', 'tally')),
    motion_id INTEGER,
    platform TEXT NOT NULL CHECK (platform IN ('telegram', 'matrix')),
    chat_id TEXT NOT NULL CHECK (chat_id <> ''),
    message_id TEXT NOT NULL CHECK (message_id <> ''),
    sent_at TEXT NOT NULL,
    UNIQUE (platform, chat_id, message_id),
    CHECK ((purpose = 'vote') = (motion_id IS NOT NULL)),
    FOREIGN KEY (motion_id, session_id) REFERENCES motions (id, session_id)
);
CREATE INDEX correspondence_messages_session ON correspondence_messages (session_id, purpose);

-- A clerk's guided creation in the chat, one at a time per clerk. The session being built is a
-- draft row of ``sessions`` with its motions and materials; this row says which step comes next.
CREATE TABLE correspondence_drafts (
    person_id INTEGER PRIMARY KEY REFERENCES persons (id),
    platform TEXT NOT NULL CHECK (platform IN ('telegram', 'matrix')),
    chat_id TEXT NOT NULL CHECK (chat_id <> ''),
    step TEXT NOT NULL CHECK (step IN ('body', 'title', 'resolution', 'category', 'more',
        'materials', 'deadline', 'confirm')),
    body_id INTEGER REFERENCES bodies (id),
    session_id INTEGER REFERENCES sessions (id),
    pending_resolution TEXT NOT NULL DEFAULT '',  -- typed, waiting for its category
    started_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CHECK (step = 'body' OR body_id IS NOT NULL),
    CHECK (step IN ('body', 'title') OR session_id IS NOT NULL),
    CHECK (step <> 'category' OR pending_resolution <> '')
);

-- The outcome of each motion as computed at the deadline, with the rule and its numbers as they
-- were then, so the minutes can be produced again later even if the rule set file changes.
CREATE TABLE correspondence_outcomes (
    motion_id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions (id),
    round INTEGER NOT NULL,
    decided_at TEXT NOT NULL,
    rule_set TEXT NOT NULL CHECK (rule_set <> ''),
    quorate BOOLEAN NOT NULL CHECK (quorate IN (FALSE, TRUE)),
    adopted BOOLEAN NOT NULL CHECK (adopted IN (FALSE, TRUE)),
    referred BOOLEAN NOT NULL CHECK (referred IN (FALSE, TRUE)),
    reason TEXT NOT NULL CHECK (reason IN ('adopted', 'not_quorate', 'not_enough_votes',
        'voted_against', 'no_votes_in_favour')),
    member_count INTEGER NOT NULL CHECK (member_count >= 1),
    confirmed INTEGER NOT NULL CHECK (confirmed >= 0),
    voted INTEGER NOT NULL CHECK (voted >= 0),
    za INTEGER NOT NULL CHECK (za >= 0),
    proti INTEGER NOT NULL CHECK (proti >= 0),
    vzdrzan INTEGER NOT NULL CHECK (vzdrzan >= 0),
    quorum_needed INTEGER NOT NULL,
    quorum_base INTEGER NOT NULL,
    quorum_basis TEXT NOT NULL CHECK (quorum_basis IN ('votes_cast', 'members_present',
        'all_members')),
    quorum_fraction TEXT NOT NULL,  -- e.g. '1/2'
    quorum_comparison TEXT NOT NULL CHECK (quorum_comparison IN ('more_than', 'at_least')),
    quorum_label TEXT NOT NULL DEFAULT '',
    adoption_rule TEXT NOT NULL CHECK (adoption_rule IN ('no_votes_against', 'majority')),
    adoption_needed INTEGER NOT NULL,
    adoption_got INTEGER NOT NULL,
    adoption_base INTEGER NOT NULL,
    adoption_basis TEXT CHECK (adoption_basis IS NULL OR adoption_basis IN ('votes_cast',
        'members_present', 'all_members')),
    adoption_fraction TEXT,
    adoption_comparison TEXT CHECK (adoption_comparison IS NULL OR adoption_comparison IN
        ('more_than', 'at_least')),
    adoption_label TEXT NOT NULL DEFAULT '',
    CHECK (voted = za + proti + vzdrzan),
    CHECK ((adoption_rule = 'majority') = (adoption_basis IS NOT NULL)),
    FOREIGN KEY (motion_id, session_id) REFERENCES motions (id, session_id),
    FOREIGN KEY (motion_id, round) REFERENCES vote_rounds (motion_id, round)
);
CREATE INDEX correspondence_outcomes_session ON correspondence_outcomes (session_id);

-- Reminders before the deadline, one row per session and lead time once handled: a reminder
-- goes out at most once, also across restarts. 'skipped' marks one overtaken by a later one
-- while the bot was down.
CREATE TABLE correspondence_reminders (
    session_id INTEGER NOT NULL REFERENCES sessions (id),
    lead_minutes INTEGER NOT NULL CHECK (lead_minutes > 0),
    due_at TEXT NOT NULL,
    handled_at TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('sent', 'skipped')),
    recipients INTEGER NOT NULL DEFAULT 0 CHECK (recipients >= 0),
    PRIMARY KEY (session_id, lead_minutes)
);
