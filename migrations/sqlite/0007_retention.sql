-- Retention: when an event's body and headers were purged (the row, and so dedup, stays), and
-- the events still holding a body, oldest first, for the purge job to find without a scan.
ALTER TABLE events ADD COLUMN body_purged_at INTEGER;
CREATE INDEX events_unpurged ON events(received_at) WHERE body IS NOT NULL;
