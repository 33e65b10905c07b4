-- Leases: a claimed step is `running` until `lease_until`; after that the running
-- daemon takes it back (made due again, reconciled before anything is re-sent).
-- Every outcome is written only if the step still holds the lease it was
-- claimed with (`state = 'running' AND lease_until = ?`).
ALTER TABLE steps ADD COLUMN lease_until INTEGER;
-- Claims cost O(batch): steps of tickets in flight (seq > 0) and new tickets
-- (seq = 0) are each walked in due order by their own partial index, so no
-- claim sorts the backlog.
CREATE INDEX steps_open_inflight ON steps(due_at) WHERE state IN ('pending', 'retry') AND seq > 0;
CREATE INDEX steps_open_new ON steps(due_at) WHERE state IN ('pending', 'retry') AND seq = 0;
-- Expired leases and the earliest expiry, without a scan.
CREATE INDEX steps_lease ON steps(lease_until) WHERE state = 'running';
-- step_object_is_known looks a Freshdesk object id up.
CREATE INDEX steps_fd_object ON steps(fd_object_id) WHERE fd_object_id IS NOT NULL;
