-- Training mode: the customer reacts to real agents' replies.

-- The lifecycle's training sheet (JSON, content::Sheet): the clue map and the
-- customer's answers, filled in when the lifecycle is planned. NULL unless
-- the lifecycle follows the `trainee` playbook.
ALTER TABLE lifecycles ADD COLUMN training TEXT;

-- Events in (webhooks, polling), recorded before they are acknowledged and
-- deduplicated by their natural key: `ticket:conversation:event:fingerprint`.
CREATE TABLE training_inbox (
    id            INTEGER PRIMARY KEY,
    event_key     TEXT NOT NULL UNIQUE,
    ticket_id     INTEGER NOT NULL,
    event         TEXT NOT NULL,
    source        TEXT NOT NULL CHECK (source IN ('webhook', 'poll')),
    -- the ticket's status when the event was sent, if the event said
    status        INTEGER,
    received_at   INTEGER NOT NULL,
    processed_at  INTEGER,
    note          TEXT
);
CREATE INDEX training_inbox_pending ON training_inbox(id) WHERE processed_at IS NULL;

-- One row per trainee ticket: where the training stands (JSON), when the
-- customer chases next, and the grade once closed.
CREATE TABLE training_tickets (
    lifecycle_id   INTEGER PRIMARY KEY REFERENCES lifecycles(id) ON DELETE CASCADE,
    ticket_id      INTEGER NOT NULL UNIQUE,
    scenario       TEXT NOT NULL,
    state          TEXT NOT NULL,
    chase_due_at   INTEGER,
    closed_at      INTEGER,
    grade          TEXT
);
CREATE INDEX training_tickets_chase ON training_tickets(chase_due_at)
    WHERE chase_due_at IS NOT NULL AND closed_at IS NULL;

-- Every agent reply the customer reacted to, by Freshdesk conversation id:
-- the reason a reply seen by both webhook and polling is answered once.
CREATE TABLE training_replies (
    conversation_id  INTEGER PRIMARY KEY,
    lifecycle_id     INTEGER NOT NULL REFERENCES lifecycles(id) ON DELETE CASCADE,
    agent_id         INTEGER,
    reaction         TEXT NOT NULL,
    step_seq         INTEGER,
    seen_at          INTEGER NOT NULL
);
