package store

import (
	"context"
	"errors"
	"fmt"
	"os"
)

// Delete closes the record and removes its files while still holding the
// lock, so that no other process opens the run in between (terminate).
func (db *DB) Delete() error {
	if db.readOnly {
		return ErrReadOnly
	}
	err := errors.Join(db.ckpt.close(), db.sql.Close())
	rerr := removeFiles(db.path)
	lerr := db.lock.release()
	db.lock = nil
	return errors.Join(err, rerr, lerr)
}

// Remove deletes the record of run: the database, its -wal, -shm and
// -journal files, and the lock file. It takes the lock first, so it fails
// with ErrLocked while another process works on the run.
func Remove(dir, run string) error {
	if err := ValidateName(run); err != nil {
		return err
	}
	if err := exists(context.Background(), dir, run); err != nil {
		return err
	}
	lk, err := acquireLock(LockPath(dir, run), lockCommand())
	if err != nil {
		return fmt.Errorf("remove run %s: %w", run, err)
	}
	rerr := removeFiles(Path(dir, run))
	return errors.Join(rerr, lk.release())
}

func removeFiles(file string) error {
	var errs []error
	for _, f := range []string{file + "-wal", file + "-shm", file + "-journal", file} {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("remove %s: %w", file, err)
	}
	return nil
}
