package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// ErrExists is returned by Create when the run already has a record.
var ErrExists = errors.New("run already exists")

// ErrNoRun is returned when a run has no record file.
var ErrNoRun = errors.New("no such run")

// ErrReadOnly is returned by the writing methods of a DB opened read-only.
var ErrReadOnly = errors.New("record opened read-only")

// busyTimeoutMS is how long SQLite waits for another connection's write lock.
const busyTimeoutMS = 5000

// DB is an open run record. Its methods are safe for concurrent use. A DB
// opened by Create or Open holds the run's lock until Close.
type DB struct {
	sql      *sql.DB
	run      string
	dir      string
	path     string
	readOnly bool
	schema   int    // the record's schema version: SchemaVersion(), or older read-only (oldestReadable)
	incarn   string // the run's incarnation, read at open
	secret   string // the run's secret, read at open (see RunSecret)
	lock     *lock
	ckpt     *checkpointer // nil when read-only or SQLite checkpoints itself
	commit   committer
	stmts    stmtCache
	drv      drvStmts // the arguments of the writer's statements at the driver level (txn.execArgs)
	ids      serviceIDs
	intents  intentRows
	scratch  scratch // the committing leader's buffers (commitWrites)
}

// Open opens the existing record of run for writing: it takes the run's lock
// (ErrLocked names the holder) and upgrades the schema if needed. It fails
// with ErrNoRun when there is no record, and with ErrNewerSchema when a newer
// cloudinitd wrote it.
func Open(ctx context.Context, dir, run string) (*DB, error) {
	if err := ValidateName(run); err != nil {
		return nil, err
	}
	if err := exists(ctx, dir, run); err != nil {
		return nil, err
	}
	lk, err := acquireLock(LockPath(dir, run), lockCommand())
	if err != nil {
		return nil, fmt.Errorf("open run %s: %w", run, err)
	}
	db, err := open(ctx, dir, run, false)
	if err != nil {
		lk.release()
		return nil, err
	}
	db.lock = lk
	if db.incarn == "" {
		if err := db.giveIncarnation(ctx); err != nil {
			db.Close()
			return nil, err
		}
	}
	if db.secret == "" {
		if err := db.giveSecret(ctx); err != nil {
			db.Close()
			return nil, err
		}
	}
	return db, nil
}

// OpenReadOnly opens the existing record of run for reading, without the
// lock: status displays and listings may run beside a writer. Writing
// methods return ErrReadOnly.
func OpenReadOnly(ctx context.Context, dir, run string) (*DB, error) {
	if err := ValidateName(run); err != nil {
		return nil, err
	}
	if err := exists(ctx, dir, run); err != nil {
		return nil, err
	}
	return open(ctx, dir, run, true)
}

// exists checks that run has a record in dir and that the file is one of
// ours (see inspect), without changing it.
func exists(ctx context.Context, dir, run string) error {
	file := Path(dir, run)
	_, err := os.Stat(file)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%w %q: %s does not exist", ErrNoRun, run, file)
	}
	if err != nil {
		return fmt.Errorf("open run %s: %w", run, err)
	}
	if err := inspect(ctx, file); err != nil {
		return fmt.Errorf("open run %s: %w", run, err)
	}
	return nil
}

// dsn builds the modernc.org/sqlite data source name for file.
func dsn(file string, readOnly bool) (string, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return "", err
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeoutMS))
	q.Add("_pragma", "foreign_keys(1)")
	if readOnly {
		q.Add("mode", "ro")
	} else {
		q.Add("mode", "rw") // never create: Create makes the file with mode 0600
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(NORMAL)")
		// Statement journals in memory: a statement that writes many
		// rows (a batch's multi-row INSERTs and UPDATEs) keeps the pages
		// it changes so that it can be undone alone, which in a file
		// cost a pwrite per page on the single writer's path.
		q.Add("_pragma", "temp_store(MEMORY)")
		q.Add("_txlock", "immediate")
		// The checkpointer copies the WAL back, off the writer's path.
		q.Add("_pragma", "wal_autocheckpoint(0)")
	}
	u := url.URL{Scheme: "file", Path: abs, RawQuery: q.Encode()}
	return u.String(), nil
}

func open(ctx context.Context, dir, run string, readOnly bool) (*DB, error) {
	file := Path(dir, run)
	name, err := dsn(file, readOnly)
	if err != nil {
		return nil, fmt.Errorf("open run %s: %w", run, err)
	}
	var sdb *sql.DB
	if readOnly {
		sdb, err = sql.Open("sqlite", name)
	} else {
		// The writer's connections keep its statements (writerConn).
		var c *writerConnector
		if c, err = newWriterConnector(name); err == nil {
			sdb = sql.OpenDB(c)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("open run %s: %w", run, err)
	}
	if !readOnly {
		// One connection serialises this handle's writers in Go rather than
		// in SQLite's busy handler; WAL keeps readers in other processes
		// unblocked.
		sdb.SetMaxOpenConns(1)
	}
	var schema int
	err = sdb.PingContext(ctx)
	if err == nil {
		schema, err = migrate(ctx, sdb, file, readOnly)
	}
	if readOnly && needsRecovery(err) {
		// A writer was killed and left a hot journal or a WAL index to
		// rebuild, which a read-only connection cannot do. A plain
		// read-write connection lets SQLite recover the record (what any
		// next open does anyway); the handle stays read-only for us: no
		// lock, no migration, writing methods fail with ErrReadOnly.
		sdb.Close()
		if sdb, err = recoveringOpen(ctx, file); err == nil {
			schema, err = migrate(ctx, sdb, file, true)
		}
	}
	if err != nil {
		if sdb != nil {
			sdb.Close()
		}
		return nil, fmt.Errorf("open run %s: %s: %w", run, file, err)
	}
	db := &DB{sql: sdb, run: run, dir: dir, path: file, readOnly: readOnly, schema: schema}
	err = sdb.QueryRowContext(ctx, `SELECT incarnation, secret FROM run WHERE id = 1`).Scan(&db.incarn, &db.secret)
	if err != nil {
		sdb.Close()
		return nil, fmt.Errorf("open run %s: %w", run, err)
	}
	if !readOnly {
		if err := db.startCheckpointing(ctx); err != nil {
			sdb.Close()
			return nil, fmt.Errorf("open run %s: %w", run, err)
		}
	}
	return db, nil
}

// needsRecovery reports whether err is SQLite's SQLITE_READONLY class,
// which a read-only connection returns when the record needs a hot
// journal rolled back or its WAL index rebuilt after a crashed writer.
func needsRecovery(err error) bool {
	var c interface{ Code() int }
	return errors.As(err, &c) && c.Code()&0xff == 8 // SQLITE_READONLY
}

// recoveringOpen opens file read-write without changing its journal mode,
// so that SQLite recovers it on the first read.
func recoveringOpen(ctx context.Context, file string) (*sql.DB, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, err
	}
	q := url.Values{}
	q.Add("mode", "rw")
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeoutMS))
	q.Add("_pragma", "foreign_keys(1)")
	sdb, err := sql.Open("sqlite", (&url.URL{Scheme: "file", Path: abs, RawQuery: q.Encode()}).String())
	if err != nil {
		return nil, err
	}
	if err := sdb.PingContext(ctx); err != nil {
		sdb.Close()
		return nil, err
	}
	return sdb, nil
}

// Name returns the run name.
func (db *DB) Name() string { return db.run }

// Incarnation returns the random id Create gave this record. A record made
// before incarnations existed gets one when Open first opens it for
// writing (read-only, it has ""). Two records of the same name (one after
// the other, or in two record directories) have different incarnations.
func (db *DB) Incarnation() string { return db.incarn }

// RunSecret returns the run's secret: 64 random hex digits made with the
// record (a record made before secrets existed gets one when Open first
// opens it for writing; read-only, it may have ""). It is the built-in
// attribute run_secret. It is kept only in the record (mode 0600) and is
// never part of Run, so that nothing rendering the run row can show it;
// whoever hands it out masks it (plan.IsSecret("run_secret") holds).
func (db *DB) RunSecret() string { return db.secret }

// ReadOnly reports whether the record was opened by OpenReadOnly: its
// writing methods fail with ErrReadOnly and it holds no lock.
func (db *DB) ReadOnly() bool { return db.readOnly }

// File returns the path of the record file.
func (db *DB) File() string { return db.path }

// Close closes the record and releases the run's lock. Closing twice is
// harmless.
func (db *DB) Close() error {
	cerr := db.ckpt.close() // first: the writer's connection checkpoints last
	err := errors.Join(cerr, db.sql.Close())
	lerr := db.lock.release()
	db.lock = nil
	return errors.Join(err, lerr)
}

// writable returns ErrReadOnly for a read-only DB.
func (db *DB) writable() error {
	if db.readOnly {
		return fmt.Errorf("run %s: %w", db.run, ErrReadOnly)
	}
	return nil
}
