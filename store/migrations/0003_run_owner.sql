-- The process that owns the run while it lives: 'cloudinitd run' boots a
-- run, runs a command and takes the run down. If that process is killed
-- (SIGKILL), the next 'cloudinitd run' or 'cloudinitd clean --stale' in
-- the same record directory sees that the owner is gone and takes the run
-- down. owner_start tells a reused pid from the owner: the host's boot id
-- and the process's start time in clock ticks since boot. '' and 0: no
-- owner (a run made by 'boot', or one 'run' handed over with
-- --keep-on-failure).
ALTER TABLE run ADD COLUMN owner_command TEXT NOT NULL DEFAULT '';
ALTER TABLE run ADD COLUMN owner_host TEXT NOT NULL DEFAULT '';
ALTER TABLE run ADD COLUMN owner_pid INTEGER NOT NULL DEFAULT 0;
ALTER TABLE run ADD COLUMN owner_start TEXT NOT NULL DEFAULT '';
