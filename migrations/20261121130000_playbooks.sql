-- Playbooks: a lifecycle's steps are any sequence of step kinds, each with its
-- parameters, and a message belongs to the step that sends it (not to a fixed
-- stage). SQLite cannot alter a CHECK constraint, so `steps` and `messages` are
-- rebuilt and their rows copied. The column name `stage` is kept: it now holds
-- the step's kind.

CREATE TABLE steps_v2 (
    id            INTEGER PRIMARY KEY,
    lifecycle_id  INTEGER NOT NULL REFERENCES lifecycles(id) ON DELETE CASCADE,
    seq           INTEGER NOT NULL,
    stage         TEXT NOT NULL CHECK (stage IN ('create', 'agent_reply', 'customer_reply',
                      'resolve', 'close', 'private_note', 'status', 'priority', 'reassign',
                      'tags', 'time_entry')),
    -- JSON object of the step's parameters (domain::StepParams); NULL for none
    params        TEXT,
    offset_ms     INTEGER NOT NULL,
    due_at        INTEGER NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('pending', 'running', 'retry', 'done',
                      'failed', 'cancelled')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT,
    started_at    INTEGER,
    finished_at   INTEGER,
    -- set just before a POST that is not a message (a time entry): a crash after
    -- it means "look before re-sending"
    intent_at     INTEGER,
    -- the Freshdesk id of what that POST created
    fd_object_id  INTEGER,
    UNIQUE (lifecycle_id, seq)
);
INSERT INTO steps_v2 (id, lifecycle_id, seq, stage, params, offset_ms, due_at, state,
                      attempts, last_error, started_at, finished_at)
    SELECT id, lifecycle_id, seq, stage, NULL, offset_ms, due_at, state,
           attempts, last_error, started_at, finished_at
    FROM steps;
DROP TABLE steps;
ALTER TABLE steps_v2 RENAME TO steps;
CREATE INDEX steps_due ON steps(state, due_at);
-- as in 20261121120000_open_steps_index.sql (dropped with the old table)
CREATE INDEX steps_open_due ON steps(due_at) WHERE state IN ('pending', 'retry');

CREATE TABLE messages_v2 (
    id                  INTEGER PRIMARY KEY,
    lifecycle_id        INTEGER NOT NULL REFERENCES lifecycles(id) ON DELETE CASCADE,
    -- the step that sends it (steps.seq); the description belongs to step 0
    step_seq            INTEGER NOT NULL,
    -- the kind of that step
    stage               TEXT NOT NULL CHECK (stage IN ('create', 'agent_reply',
                            'customer_reply', 'resolve', 'private_note')),
    author_kind         TEXT NOT NULL CHECK (author_kind IN ('customer', 'agent')),
    author_id           INTEGER NOT NULL,
    body                TEXT NOT NULL,
    -- 1 for a private note (agents only)
    private             INTEGER NOT NULL DEFAULT 0 CHECK (private IN (0, 1)),
    intent_at           INTEGER,
    fd_conversation_id  INTEGER,
    sent_at             INTEGER,
    UNIQUE (lifecycle_id, step_seq)
);
-- Before playbooks every lifecycle had the same steps: create 0, agent_reply 1,
-- customer_reply 2, resolve 3.
INSERT INTO messages_v2 (id, lifecycle_id, step_seq, stage, author_kind, author_id, body,
                         private, intent_at, fd_conversation_id, sent_at)
    SELECT m.id, m.lifecycle_id,
           COALESCE((SELECT s.seq FROM steps s
                     WHERE s.lifecycle_id = m.lifecycle_id AND s.stage = m.stage),
                    CASE m.stage WHEN 'create' THEN 0 WHEN 'agent_reply' THEN 1
                                 WHEN 'customer_reply' THEN 2 ELSE 3 END),
           m.stage, m.author_kind, m.author_id, m.body, 0, m.intent_at,
           m.fd_conversation_id, m.sent_at
    FROM messages m;
DROP TABLE messages;
ALTER TABLE messages_v2 RENAME TO messages;
CREATE INDEX messages_conversation ON messages(fd_conversation_id);

-- The playbook and the customer's tone, fixed with the rest of the plan.
ALTER TABLE lifecycles ADD COLUMN playbook TEXT;
ALTER TABLE lifecycles ADD COLUMN tone TEXT;
UPDATE lifecycles SET playbook = 'classic' WHERE contact_id IS NOT NULL;

-- The steps after creation are now written with the plan (they depend on the
-- playbook). Lifecycles not planned yet have sent nothing: keep only their
-- creation step, and the plan will add the rest.
DELETE FROM steps
WHERE seq > 0 AND lifecycle_id IN (SELECT id FROM lifecycles WHERE contact_id IS NULL);
