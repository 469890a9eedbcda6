-- A random secret made when the record is created (32 bytes, hex): the
-- built-in attribute run_secret, from which the elastic daemons derive
-- their tokens. It is kept here only: the record is 0600, and cloudinitd
-- masks the value in everything it prints or writes. Records made before
-- it have '' and get one the first time they are opened for writing.
ALTER TABLE run ADD COLUMN secret TEXT NOT NULL DEFAULT '';
