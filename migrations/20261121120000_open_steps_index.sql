-- The dispatcher asks "which open step is due first?" on every idle round; a
-- partial index over open steps in due order answers it without scanning every
-- pending lifecycle.
CREATE INDEX steps_open_due ON steps(due_at) WHERE state IN ('pending', 'retry');
