-- The index of instance_history by instance id holds only the rows that
-- have one. A launch wrote three entries of it: its intent's NULL, then,
-- when the instance id came, the NULL's removal and the id's insertion;
-- only the last is ever looked up (WHERE instance_id = ?, which implies
-- instance_id IS NOT NULL, so the partial index serves the same queries).
DROP INDEX instance_history_instance;
CREATE INDEX instance_history_instance ON instance_history (instance_id) WHERE instance_id IS NOT NULL;
