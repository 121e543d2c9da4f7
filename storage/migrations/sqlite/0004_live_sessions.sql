-- Sejabot schema version 4: live remote and hybrid sessions (Rules of Procedure art. 16-20, 26,
-- 38-45, 88-90). The video call stays in Zoom, Teams or Webex; these tables keep what the bot
-- does as the session's voting desk. Sessions, motions, attendance, vote rounds, votes, secret
-- ballots and elections are the tables of version 1; what follows adds only what a live session
-- needs besides them. Portable SQL as in 0001 (see storage/README.md).

-- A live session beyond its row in sessions: the calendar end, urgency and its milestones.
CREATE TABLE live_sessions (
    session_id INTEGER PRIMARY KEY REFERENCES sessions (id),
    ends_at TEXT,  -- the expected end, for the calendar file
    -- art. 20(5): an extraordinary session may be convened at shorter notice when urgent
    urgent BOOLEAN NOT NULL DEFAULT FALSE CHECK (urgent IN (FALSE, TRUE)),
    urgency_reason TEXT NOT NULL DEFAULT '',
    convened_by INTEGER REFERENCES persons (id),
    convened_at TEXT,
    opened_at TEXT,
    closed_at TEXT,
    CHECK (urgent = FALSE OR urgency_reason <> '')
);

-- The invitation outbox and the answers to it (art. 16, 18, 20). A row per person invited:
-- members answer whether they will attend; the chair and the clerk get a copy. The members'
-- rows are the session's roll. A sender claims a row (``claimed_at``, a lease) before sending
-- and sets ``sent_at`` right after, so two senders never serve one person twice and a crash
-- while sending resumes with the people not yet served once the lease has run out.
CREATE TABLE live_invitations (
    session_id INTEGER NOT NULL REFERENCES sessions (id),
    person_id INTEGER NOT NULL REFERENCES persons (id),
    role TEXT NOT NULL CHECK (role IN ('member', 'chair', 'clerk')),
    claimed_at TEXT,
    sent_at TEXT,
    answer TEXT CHECK (answer IS NULL OR answer IN ('attend', 'decline')),
    reason TEXT NOT NULL DEFAULT '',  -- why a member cannot come (art. 16(2))
    answered_at TEXT,
    -- the member declined and the bot is waiting for the reason as the next text message
    awaiting_reason BOOLEAN NOT NULL DEFAULT FALSE CHECK (awaiting_reason IN (FALSE, TRUE)),
    reminded_for TEXT,  -- due time of the latest reminder this person was sent
    PRIMARY KEY (session_id, person_id),
    CHECK (role = 'member' OR answer IS NULL)
);

-- When reminders go to members who have not answered.
CREATE TABLE live_reminders (
    session_id INTEGER NOT NULL REFERENCES sessions (id),
    due_at TEXT NOT NULL,
    PRIMARY KEY (session_id, due_at)
);

-- Presence checks (art. 38(2)): at the start (0), before votes and after breaks. The attendance
-- table of version 1 holds each member's presence per checkpoint.
CREATE TABLE live_checkpoints (
    session_id INTEGER NOT NULL REFERENCES sessions (id),
    checkpoint INTEGER NOT NULL CHECK (checkpoint >= 0),
    reason TEXT NOT NULL CHECK (reason IN ('start', 'vote', 'break', 'request')),
    opened_at TEXT NOT NULL,
    PRIMARY KEY (session_id, checkpoint)
);

-- Agenda items that are practice votes (poskusno glasovanje): never counted, never minuted.
CREATE TABLE live_practice_motions (
    motion_id INTEGER PRIMARY KEY REFERENCES motions (id)
);

-- What the bot keeps about each vote round of a live session besides vote_rounds: the presence
-- check it belongs to (NULL for a practice round, open to the whole roll), the objection a
-- repeated round answers (art. 44) and how the round was closed.
CREATE TABLE live_rounds (
    motion_id INTEGER NOT NULL,
    round INTEGER NOT NULL,
    session_id INTEGER NOT NULL REFERENCES sessions (id),
    checkpoint INTEGER,
    repeat_reason TEXT NOT NULL DEFAULT '',
    closed_by TEXT CHECK (closed_by IS NULL OR closed_by IN ('chair', 'timer')),
    PRIMARY KEY (motion_id, round),
    FOREIGN KEY (motion_id, round) REFERENCES vote_rounds (motion_id, round),
    FOREIGN KEY (session_id, checkpoint) REFERENCES live_checkpoints (session_id, checkpoint)
);

-- The members present when a round closed: the base of its result, frozen so that a late
-- presence confirmation cannot change a result already announced. For a secret round these are
-- the ballots distributed (art. 43); who voted stays in secret_participation.
CREATE TABLE live_round_presence (
    motion_id INTEGER NOT NULL,
    round INTEGER NOT NULL,
    person_id INTEGER NOT NULL REFERENCES persons (id),
    PRIMARY KEY (motion_id, round, person_id),
    FOREIGN KEY (motion_id, round) REFERENCES live_rounds (motion_id, round)
) WITHOUT ROWID;

-- Elections on the agenda (art. 88-90): their place among the items, and the election whose
-- unfilled posts a new nomination fills (art. 90(3)).
CREATE TABLE live_elections (
    election_id INTEGER PRIMARY KEY REFERENCES elections (id),
    position INTEGER NOT NULL,
    replaces_election_id INTEGER REFERENCES elections (id)
);

-- Each round of an election: first round or second round (art. 90(1)); a round without enough
-- ballots taken (art. 88(3)) is held again at the same stage.
CREATE TABLE live_election_rounds (
    election_id INTEGER NOT NULL,
    round INTEGER NOT NULL,
    session_id INTEGER NOT NULL REFERENCES sessions (id),
    checkpoint INTEGER NOT NULL,
    stage INTEGER NOT NULL CHECK (stage IN (1, 2)),
    closed_by TEXT CHECK (closed_by IS NULL OR closed_by IN ('chair', 'timer')),
    PRIMARY KEY (election_id, round),
    FOREIGN KEY (election_id, round) REFERENCES election_rounds (election_id, round),
    FOREIGN KEY (session_id, checkpoint) REFERENCES live_checkpoints (session_id, checkpoint)
);

-- The ballot of each election round: candidates in the order printed (art. 89(1), 90(2)).
CREATE TABLE live_election_ballot_order (
    election_id INTEGER NOT NULL,
    round INTEGER NOT NULL,
    position INTEGER NOT NULL CHECK (position >= 1),
    candidate_id INTEGER NOT NULL,
    PRIMARY KEY (election_id, round, position),
    UNIQUE (election_id, round, candidate_id),
    FOREIGN KEY (election_id, round) REFERENCES live_election_rounds (election_id, round),
    FOREIGN KEY (candidate_id, election_id) REFERENCES candidates (id, election_id)
);

CREATE TABLE live_election_round_presence (
    election_id INTEGER NOT NULL,
    round INTEGER NOT NULL,
    person_id INTEGER NOT NULL REFERENCES persons (id),
    PRIMARY KEY (election_id, round, person_id),
    FOREIGN KEY (election_id, round) REFERENCES live_election_rounds (election_id, round)
) WITHOUT ROWID;

-- Messages the bot keeps up to date: the chair's live quorum panel, the clerk's hall list.
CREATE TABLE live_panels (
    session_id INTEGER NOT NULL REFERENCES sessions (id),
    kind TEXT NOT NULL CHECK (kind IN ('quorum', 'hall')),
    person_id INTEGER NOT NULL REFERENCES persons (id),  -- whose chat; their language
    platform TEXT NOT NULL CHECK (platform IN ('telegram', 'matrix')),
    chat_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    PRIMARY KEY (session_id, kind, platform, chat_id)
);

-- A clerk convening a session step by step in the chat: the draft session and the next step.
CREATE TABLE live_drafts (
    person_id INTEGER PRIMARY KEY REFERENCES persons (id),
    session_id INTEGER NOT NULL REFERENCES sessions (id),
    step TEXT NOT NULL CHECK (step <> ''),
    motion_id INTEGER REFERENCES motions (id),  -- the agenda item being written
    pending_title TEXT NOT NULL DEFAULT '',  -- an election's title until its candidates come
    pending_posts INTEGER NOT NULL DEFAULT 1 CHECK (pending_posts >= 1)
);
