-- A random id made when the record is created. Client tokens of launches
-- include it, so a run that reuses the name of an earlier, terminated run
-- never gets that run's instances back from a cloud's idempotency check.
-- Records made before it have '' and keep their old tokens.
ALTER TABLE run ADD COLUMN incarnation TEXT NOT NULL DEFAULT '';
