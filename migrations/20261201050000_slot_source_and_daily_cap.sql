-- Slots come from the cron or from `ticketsim spawn`. Only cron slots count for
-- the missed-slot policy (a spawned slot must not hide a missed cron time). A
-- spawned slot may ask for a playbook, used when its lifecycle is planned.
ALTER TABLE slots ADD COLUMN source TEXT NOT NULL DEFAULT 'cron'
    CHECK (source IN ('cron', 'spawn'));
ALTER TABLE slots ADD COLUMN playbook TEXT;
-- TICKETSIM_MAX_TICKETS_PER_DAY counts the slots started in a UTC day (by the
-- time they were started, inserted_at) without a scan.
CREATE INDEX slots_started_at ON slots(inserted_at) WHERE state = 'started';
