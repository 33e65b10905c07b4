-- ticketsim initial schema. Times are unix milliseconds written by ticketsim,
-- never by SQLite's own clock.

-- facts about the database itself, e.g. mode = 'demo' for demo databases
CREATE TABLE meta (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);

CREATE TABLE slots (
    id            INTEGER PRIMARY KEY,
    -- the cron time this slot stands for; UNIQUE so a slot never starts twice
    scheduled_at  INTEGER NOT NULL UNIQUE,
    state         TEXT NOT NULL CHECK (state IN ('started', 'skipped')),
    inserted_at   INTEGER NOT NULL,
    note          TEXT
);

CREATE TABLE lifecycles (
    id                INTEGER PRIMARY KEY,
    slot_id           INTEGER NOT NULL REFERENCES slots(id),
    state             TEXT NOT NULL CHECK (state IN ('scheduled', 'open', 'agent_replied',
                          'customer_replied', 'resolved', 'closed', 'failed', 'cancelled')),
    seed              INTEGER NOT NULL,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    -- the plan, fixed before the first request is made
    contact_id        INTEGER,
    contact_name      TEXT,
    contact_email     TEXT,
    agent_id          INTEGER,
    agent_name        TEXT,
    category          TEXT,
    scenario          TEXT,
    subject           TEXT,
    ticket_type       TEXT,
    priority          INTEGER,
    tags              TEXT,
    -- set just before POST /tickets: a crash after it means "look before re-sending"
    create_intent_at  INTEGER,
    ticket_id         INTEGER UNIQUE,
    ticket_created_at INTEGER,
    last_error        TEXT
);
CREATE INDEX lifecycles_state ON lifecycles(state);

CREATE TABLE steps (
    id            INTEGER PRIMARY KEY,
    lifecycle_id  INTEGER NOT NULL REFERENCES lifecycles(id) ON DELETE CASCADE,
    seq           INTEGER NOT NULL,
    stage         TEXT NOT NULL CHECK (stage IN ('create', 'agent_reply', 'customer_reply',
                      'resolve', 'close')),
    offset_ms     INTEGER NOT NULL,
    due_at        INTEGER NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('pending', 'running', 'retry', 'done',
                      'failed', 'cancelled')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT,
    started_at    INTEGER,
    finished_at   INTEGER,
    UNIQUE (lifecycle_id, seq)
);
CREATE INDEX steps_due ON steps(state, due_at);

CREATE TABLE messages (
    id                  INTEGER PRIMARY KEY,
    lifecycle_id        INTEGER NOT NULL REFERENCES lifecycles(id) ON DELETE CASCADE,
    stage               TEXT NOT NULL CHECK (stage IN ('create', 'agent_reply',
                            'customer_reply', 'resolve')),
    author_kind         TEXT NOT NULL CHECK (author_kind IN ('customer', 'agent')),
    author_id           INTEGER NOT NULL,
    body                TEXT NOT NULL,
    -- set just before the POST that sends it
    intent_at           INTEGER,
    -- Freshdesk's conversation id (NULL for the ticket description)
    fd_conversation_id  INTEGER,
    sent_at             INTEGER,
    UNIQUE (lifecycle_id, stage)
);
