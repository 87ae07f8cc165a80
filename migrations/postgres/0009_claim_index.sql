-- The delivery worker's claim ("this endpoint's due deliveries, oldest first, LIMIT n") could
-- not be read in order from deliveries_due (status comes before next_attempt_at there, and the
-- claim asks for two statuses), so PostgreSQL scanned and sorted every delivery on each claim:
-- 429 full scans, 21 million rows read, while 50,000 deliveries went out. This partial index
-- holds only claimable rows, in claim order, and the claim reads just the rows it takes.
CREATE INDEX deliveries_claimable ON deliveries(endpoint_id, next_attempt_at, id)
    WHERE status IN ('pending', 'retrying');
