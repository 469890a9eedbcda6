package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"
)

// Create makes a new record for run in dir, which is created 0700 if
// missing, and takes the run's lock. r.Name is set to run; r.Status defaults
// to RunNew. It fails with ErrExists when the record file already exists.
//
// The record is built under a temporary name and renamed into place once
// it holds its schema and run row, so a Create killed half-way never
// leaves a file at the record path (a file there that is not a complete
// record is someone else's, see inspect).
func Create(ctx context.Context, dir, run string, r Run) (*DB, error) {
	if err := ValidateName(run); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create run %s: %w", run, err)
	}
	file := Path(dir, run)
	if _, err := os.Lstat(file); err == nil {
		return nil, fmt.Errorf("%w: %s", ErrExists, file)
	}
	lk, err := acquireLock(LockPath(dir, run), lockCommand())
	if err != nil {
		return nil, fmt.Errorf("create run %s: %w", run, err)
	}
	if r.Status == "" {
		r.Status = RunNew
	}
	r.Name, r.Incarnation = run, randomHex(4)
	// Under the lock no other cloudinitd makes this run: the temporary name
	// is fixed, and a leftover of a killed Create is simply replaced.
	tmp := filepath.Join(dir, "."+filepath.Base(file)+".new")
	err = build(ctx, tmp, r, randomHex(secretBytes))
	if err == nil {
		if _, lerr := os.Lstat(file); lerr == nil {
			err = fmt.Errorf("%w: %s", ErrExists, file)
		} else {
			err = os.Rename(tmp, file)
		}
	}
	if rerr := removeFiles(tmp); err == nil && rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
		err = rerr
	}
	if err != nil {
		lk.release()
		if errors.Is(err, ErrExists) {
			return nil, err
		}
		return nil, fmt.Errorf("create run %s: %w", run, err)
	}
	db, err := open(ctx, dir, run, false)
	if err != nil {
		removeFiles(file) // the record holds nothing yet; the name stays free
		lk.release()
		return nil, err
	}
	db.lock = lk
	return db, nil
}

// pageSize is the page size of a new record, in bytes: SQLite's default is
// 4096. A WAL frame is one page written with two pwrites (its header, then
// the page), and a page read from the WAL or the file is one pread, so at
// 8 KiB a 10,000-service boot makes half the system calls for the same
// bytes: 23,409 pwrites and 7,997 preads at 4 KiB against 12,289 and 2,745,
// 56 MiB written either way (docs/performance.md). 16 KiB pages halve them
// again but write 99 MiB: a commit rewrites whole pages, and the boot's
// commits each change a few rows of many pages.
const pageSize = 8192

// build writes a complete new record for r at file: mode 0600, the newest
// schema and the run row (with the run's secret), in WAL mode, closed so
// that the one file holds everything, synced, once build returns.
func build(ctx context.Context, file string, r Run, secret string) error {
	if err := removeFiles(file); err != nil {
		return err
	}
	// Create the file ourselves so that it is 0600 from the start; SQLite
	// gives the -wal and -shm files the mode of the database file.
	f, err := os.OpenFile(file, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	f.Close()
	abs, err := filepath.Abs(file)
	if err != nil {
		return err
	}
	q := url.Values{}
	q.Add("mode", "rw")
	q.Add("_pragma", "journal_mode(DELETE)")
	// Before the first table: the page size is fixed when the file gets
	// its first page (an existing record keeps the size it was made with).
	q.Add("_pragma", fmt.Sprintf("page_size(%d)", pageSize))
	q.Add("_pragma", "foreign_keys(1)")
	// No fsync per transaction (the schema, the run row: twelve of them):
	// the file has its temporary name until build returns, and a crash
	// before then leaves nothing anyone reads (Create replaces it). The
	// complete file is synced once, below, before Create renames it into
	// place, so that a record at the record path is whole, as before.
	q.Add("_pragma", "synchronous(OFF)")
	u := url.URL{Scheme: "file", Path: abs, RawQuery: q.Encode()}
	sdb, err := sql.Open("sqlite", u.String())
	if err != nil {
		return err
	}
	defer sdb.Close()
	sdb.SetMaxOpenConns(1)
	if _, err := migrate(ctx, sdb, file, false); err != nil {
		return err
	}
	now := stamp(time.Now())
	if _, err := sdb.ExecContext(ctx,
		`INSERT INTO run (id, name, topconf, created_at, updated_at, status, tool_version, incarnation, secret) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.Name, r.TopConf, now, now, string(r.Status), r.ToolVersion, r.Incarnation, secret); err != nil {
		return err
	}
	// The record's journal mode, set here without a sync of its own
	// rather than by open's switch (three fsyncs). Closing checkpoints
	// and removes the WAL: the one file holds everything.
	if _, err := sdb.ExecContext(ctx, `PRAGMA journal_mode = WAL`); err != nil {
		return err
	}
	if err := sdb.Close(); err != nil {
		return err
	}
	return syncFile(file)
}

// syncFile flushes file's contents to the disk.
func syncFile(file string) error {
	f, err := os.OpenFile(file, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	return errors.Join(f.Sync(), f.Close())
}
