-- `ticketsim purge`: what it removed from Freshdesk, so a rerun skips it and an
-- operator can see what went. One row per remote object.
CREATE TABLE purged (
    kind       TEXT NOT NULL CHECK (kind IN ('ticket', 'contact')),
    remote_id  INTEGER NOT NULL,
    -- 'deleted' (this purge deleted it), 'gone' (already deleted or unknown to Freshdesk)
    outcome    TEXT NOT NULL CHECK (outcome IN ('deleted', 'gone')),
    purged_at  INTEGER NOT NULL,
    PRIMARY KEY (kind, remote_id)
);
