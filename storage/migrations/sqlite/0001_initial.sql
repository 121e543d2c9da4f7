-- Sejabot schema version 1: the whole domain.
--
-- Portable SQL, so that PostgreSQL can follow with few changes:
--   * ids are INTEGER PRIMARY KEY (an alias of SQLite's rowid); PostgreSQL would declare
--     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY.
--   * timestamps are TEXT, fixed-width ISO-8601 UTC with an explicit +00:00 offset, so that
--     comparing the strings compares the instants (PostgreSQL: the same TEXT, or timestamptz).
--   * BOOLEAN columns hold 0/1 in SQLite and true/false in PostgreSQL; CHECKs compare with
--     TRUE/FALSE, which both understand.
--   * enumerations are TEXT with CHECK constraints listing the values of bot/domain/models.py.
--   * BLOB is BYTEA in PostgreSQL.
--   * WITHOUT ROWID (secret voting tables only) is SQLite syntax and is simply dropped for
--     PostgreSQL; see storage/README.md for why those tables use it.

CREATE TABLE bodies (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE CHECK (slug <> ''),
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('council', 'committee', 'commission', 'presidency')),
    rule_set TEXT NOT NULL CHECK (rule_set <> '')
);

-- Respondent organisations of association surveys, e.g. municipalities.
CREATE TABLE organisations (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL CHECK (name <> ''),
    name_key TEXT NOT NULL UNIQUE  -- casefolded, whitespace collapsed; computed by the code
);

CREATE TABLE persons (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    surname TEXT NOT NULL,
    email TEXT NOT NULL DEFAULT '',
    -- casefolded address; NULL when there is none, so several people may lack one
    email_key TEXT UNIQUE CHECK (email_key IS NULL OR email_key <> ''),
    phone TEXT NOT NULL DEFAULT '',
    telegram_username TEXT NOT NULL DEFAULT '',
    matrix_id TEXT NOT NULL DEFAULT '',
    language TEXT NOT NULL DEFAULT 'sl'
);

CREATE TABLE memberships (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES persons (id),
    body_id INTEGER NOT NULL REFERENCES bodies (id),
    role TEXT NOT NULL
        CHECK (role IN ('member', 'chair', 'clerk', 'secretariat', 'respondent')),
    organisation_id INTEGER REFERENCES organisations (id),
    active BOOLEAN NOT NULL DEFAULT TRUE CHECK (active IN (FALSE, TRUE)),
    UNIQUE (person_id, body_id),
    -- a respondent always answers on behalf of an organisation
    CHECK (role <> 'respondent' OR organisation_id IS NOT NULL)
);
CREATE INDEX memberships_body ON memberships (body_id);

CREATE TABLE linked_accounts (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES persons (id),
    platform TEXT NOT NULL CHECK (platform IN ('telegram', 'matrix', 'cli')),
    external_id TEXT NOT NULL CHECK (external_id <> ''),
    linked_at TEXT NOT NULL,
    UNIQUE (platform, external_id)
);
CREATE INDEX linked_accounts_person ON linked_accounts (person_id);

-- Only a hash of each code is kept: a copy of the database does not let anyone link an account.
CREATE TABLE invitation_codes (
    id INTEGER PRIMARY KEY,
    code_hash TEXT NOT NULL UNIQUE CHECK (code_hash <> ''),
    person_id INTEGER NOT NULL REFERENCES persons (id),
    organisation_id INTEGER REFERENCES organisations (id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);
CREATE INDEX invitation_codes_person ON invitation_codes (person_id);

CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    body_id INTEGER NOT NULL REFERENCES bodies (id),
    kind TEXT NOT NULL
        CHECK (kind IN ('regular', 'extraordinary', 'correspondence', 'ceremonial')),
    title TEXT NOT NULL,
    mode TEXT NOT NULL CHECK (mode IN ('in_person', 'remote', 'hybrid')),
    number TEXT NOT NULL DEFAULT '',
    starts_at TEXT,
    deadline TEXT,
    location TEXT NOT NULL DEFAULT '',
    video_link TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('draft', 'convened', 'open', 'closed')),
    created_at TEXT NOT NULL,
    -- art. 21: the call of a correspondence session states until when it runs
    CHECK (kind <> 'correspondence' OR status = 'draft' OR deadline IS NOT NULL)
);
CREATE INDEX sessions_body ON sessions (body_id);

CREATE TABLE motions (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions (id),
    position INTEGER NOT NULL,
    title TEXT NOT NULL,
    resolution TEXT NOT NULL,
    category TEXT NOT NULL CHECK (category IN ('general', 'budget', 'final_account',
        'taxes_and_levies', 'financial_obligation', 'rules_of_procedure', 'appointment')),
    vote_kind TEXT NOT NULL CHECK (vote_kind IN ('public', 'roll_call', 'secret')),
    majority TEXT NOT NULL DEFAULT '',
    UNIQUE (id, session_id)  -- target of materials' check that a motion is of the same session
);
CREATE INDEX motions_session ON motions (session_id, position);

CREATE TABLE materials (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions (id),
    motion_id INTEGER,
    filename TEXT NOT NULL CHECK (filename <> ''),
    media_type TEXT NOT NULL CHECK (media_type <> ''),
    sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
    size INTEGER NOT NULL CHECK (size >= 0),
    content BLOB NOT NULL,
    CHECK (size = length(content)),
    FOREIGN KEY (motion_id, session_id) REFERENCES motions (id, session_id)
);
CREATE INDEX materials_session ON materials (session_id);

CREATE TABLE delivery_confirmations (
    session_id INTEGER NOT NULL REFERENCES sessions (id),
    person_id INTEGER NOT NULL REFERENCES persons (id),
    confirmed_at TEXT NOT NULL,
    platform TEXT NOT NULL CHECK (platform IN ('telegram', 'matrix', 'cli', 'hall')),
    PRIMARY KEY (session_id, person_id)
);

-- Presence per checkpoint: 0 is the start, later ones precede votes and follow breaks (art. 38).
CREATE TABLE attendance (
    session_id INTEGER NOT NULL REFERENCES sessions (id),
    checkpoint INTEGER NOT NULL CHECK (checkpoint >= 0),
    person_id INTEGER NOT NULL REFERENCES persons (id),
    status TEXT NOT NULL CHECK (status IN ('present', 'absent', 'excused')),
    reason TEXT NOT NULL DEFAULT '',
    recorded_at TEXT NOT NULL,
    platform TEXT NOT NULL CHECK (platform IN ('telegram', 'matrix', 'cli', 'hall')),
    PRIMARY KEY (session_id, checkpoint, person_id)
);

-- Each vote on a motion is a round; a repeated vote (art. 40(5), 44) is the next round.
CREATE TABLE vote_rounds (
    motion_id INTEGER NOT NULL REFERENCES motions (id),
    round INTEGER NOT NULL CHECK (round >= 1),
    vote_kind TEXT NOT NULL CHECK (vote_kind IN ('public', 'roll_call', 'secret')),
    opened_at TEXT NOT NULL,
    closes_at TEXT,
    closed_at TEXT,
    PRIMARY KEY (motion_id, round)
);

-- Public and roll-call votes name the voter (art. 41).
CREATE TABLE votes (
    motion_id INTEGER NOT NULL,
    round INTEGER NOT NULL,
    person_id INTEGER NOT NULL REFERENCES persons (id),
    choice TEXT NOT NULL CHECK (choice IN ('za', 'proti', 'vzdrzan')),
    cast_at TEXT NOT NULL,
    platform TEXT NOT NULL CHECK (platform IN ('telegram', 'matrix', 'cli', 'hall')),
    PRIMARY KEY (motion_id, round, person_id),
    FOREIGN KEY (motion_id, round) REFERENCES vote_rounds (motion_id, round)
);

-- Secret votes (art. 42-43) live in two tables with nothing in common but the round:
-- who took part, and the ballots. No person, time or insertion order is kept with a ballot.
CREATE TABLE secret_participation (
    motion_id INTEGER NOT NULL,
    round INTEGER NOT NULL,
    person_id INTEGER NOT NULL REFERENCES persons (id),
    PRIMARY KEY (motion_id, round, person_id),
    FOREIGN KEY (motion_id, round) REFERENCES vote_rounds (motion_id, round)
) WITHOUT ROWID;

CREATE TABLE secret_ballots (
    receipt TEXT PRIMARY KEY CHECK (receipt <> ''),  -- random; the voter's proof of counting
    motion_id INTEGER NOT NULL,
    round INTEGER NOT NULL,
    choice TEXT NOT NULL CHECK (choice IN ('za', 'proti', 'vzdrzan')),
    FOREIGN KEY (motion_id, round) REFERENCES vote_rounds (motion_id, round)
) WITHOUT ROWID;
CREATE INDEX secret_ballots_round ON secret_ballots (motion_id, round);

-- Elections and appointments with candidates (art. 88-90) are held by secret ballot here;
-- an appointment voted on publicly is a motion of category 'appointment'.
CREATE TABLE elections (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions (id),
    title TEXT NOT NULL,
    posts INTEGER NOT NULL CHECK (posts >= 1),
    vote_kind TEXT NOT NULL CHECK (vote_kind = 'secret'),
    lot_seed TEXT NOT NULL DEFAULT ''
);
CREATE INDEX elections_session ON elections (session_id);

CREATE TABLE candidates (
    id INTEGER PRIMARY KEY,
    election_id INTEGER NOT NULL REFERENCES elections (id),
    name TEXT NOT NULL,
    surname TEXT NOT NULL,
    UNIQUE (id, election_id)  -- target of ballot marks' check that a candidate is of the election
);
CREATE INDEX candidates_election ON candidates (election_id);

CREATE TABLE election_rounds (
    election_id INTEGER NOT NULL REFERENCES elections (id),
    round INTEGER NOT NULL CHECK (round >= 1),
    opened_at TEXT NOT NULL,
    closes_at TEXT,
    closed_at TEXT,
    PRIMARY KEY (election_id, round)
);

CREATE TABLE election_participation (
    election_id INTEGER NOT NULL,
    round INTEGER NOT NULL,
    person_id INTEGER NOT NULL REFERENCES persons (id),
    PRIMARY KEY (election_id, round, person_id),
    FOREIGN KEY (election_id, round) REFERENCES election_rounds (election_id, round)
) WITHOUT ROWID;

CREATE TABLE election_ballots (
    receipt TEXT PRIMARY KEY CHECK (receipt <> ''),
    election_id INTEGER NOT NULL,
    round INTEGER NOT NULL,
    valid BOOLEAN NOT NULL CHECK (valid IN (FALSE, TRUE)),
    UNIQUE (receipt, election_id),
    FOREIGN KEY (election_id, round) REFERENCES election_rounds (election_id, round)
) WITHOUT ROWID;
CREATE INDEX election_ballots_round ON election_ballots (election_id, round);

-- The candidates marked on a ballot; a ballot with no marks is an empty (but cast) ballot.
CREATE TABLE election_ballot_marks (
    receipt TEXT NOT NULL,
    election_id INTEGER NOT NULL,
    candidate_id INTEGER NOT NULL,
    PRIMARY KEY (receipt, candidate_id),
    FOREIGN KEY (receipt, election_id) REFERENCES election_ballots (receipt, election_id),
    FOREIGN KEY (candidate_id, election_id) REFERENCES candidates (id, election_id)
) WITHOUT ROWID;

CREATE TABLE surveys (
    id INTEGER PRIMARY KEY,
    body_id INTEGER REFERENCES bodies (id),
    title TEXT NOT NULL,
    definition TEXT NOT NULL,  -- the YAML document as uploaded: a document, not relational data
    deadline TEXT,
    status TEXT NOT NULL CHECK (status IN ('draft', 'open', 'closed')),
    created_at TEXT NOT NULL
);

-- One answer per organisation; several contacts may answer for it and the latest stands.
CREATE TABLE survey_responses (
    id INTEGER PRIMARY KEY,
    survey_id INTEGER NOT NULL REFERENCES surveys (id),
    organisation_id INTEGER NOT NULL REFERENCES organisations (id),
    person_id INTEGER REFERENCES persons (id),
    submitted_at TEXT NOT NULL,
    UNIQUE (survey_id, organisation_id)
);

CREATE TABLE survey_answers (
    response_id INTEGER NOT NULL REFERENCES survey_responses (id) ON DELETE CASCADE,
    position INTEGER NOT NULL CHECK (position >= 0),
    question_key TEXT NOT NULL CHECK (question_key <> ''),
    value TEXT NOT NULL,
    PRIMARY KEY (response_id, position)
);

-- Chat platforms redeliver updates after a restart or timeout; each is handled once.
CREATE TABLE processed_updates (
    platform TEXT NOT NULL CHECK (platform IN ('telegram', 'matrix')),
    update_key TEXT NOT NULL,
    processed_at TEXT NOT NULL,
    PRIMARY KEY (platform, update_key)
);
CREATE INDEX processed_updates_age ON processed_updates (processed_at);
