package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"path/filepath"
	"sync"
	"time"
)

// checkpointPause is the least time between two background checkpoints:
// about as often as SQLite's own automatic checkpoint came in a
// 10,000-service boot (every 1,000 WAL pages), with the writer rarely
// waiting on one in between.
const checkpointPause = 100 * time.Millisecond

// checkpointer copies the WAL back into the record file on a connection of
// its own, so that the writer never waits for it. With SQLite's automatic
// checkpoint the commit that crossed 1,000 WAL pages ran the checkpoint
// itself, two fsyncs included, while every other write of the process
// queued behind it (41 fsyncs, 0.17-0.22 s of a 10,000-service boot's
// wall). The writer's connection has wal_autocheckpoint(0); each commit
// kicks the checkpointer, which runs a PASSIVE checkpoint (it never blocks
// a writer or a reader, and copies what it can) at most every
// checkpointPause. Durability is SQLite's in WAL mode with
// synchronous(NORMAL), as before: a commit is in the WAL when the write
// returns; where its pages are copied later does not change that. Close
// stops it first, so the writer's connection closes last and does the
// final checkpoint, removing the WAL, as it always did.
type checkpointer struct {
	sql  *sql.DB
	kick chan struct{}
	stop chan struct{}
	wg   sync.WaitGroup
	once sync.Once
}

// startCheckpointer opens the checkpoint connection on file and starts
// its goroutine. A failure to open it is not the record's: the caller
// keeps SQLite's automatic checkpoint instead.
func startCheckpointer(ctx context.Context, file string) (*checkpointer, error) {
	name, err := checkpointDSN(file)
	if err != nil {
		return nil, err
	}
	sdb, err := sql.Open("sqlite", name)
	if err != nil {
		return nil, err
	}
	sdb.SetMaxOpenConns(1)
	if err := sdb.PingContext(ctx); err != nil {
		sdb.Close()
		return nil, err
	}
	c := &checkpointer{sql: sdb, kick: make(chan struct{}, 1), stop: make(chan struct{})}
	c.wg.Add(1)
	go c.loop()
	return c, nil
}

// startCheckpointing starts db's checkpointer. When its connection cannot
// be opened (not the record's fault), SQLite checkpoints in the commit that
// crosses 1,000 WAL pages, as it did before.
func (db *DB) startCheckpointing(ctx context.Context) error {
	c, err := startCheckpointer(ctx, db.path)
	if err != nil {
		_, err = db.sql.ExecContext(ctx, `PRAGMA wal_autocheckpoint(1000)`)
		return err
	}
	db.ckpt = c
	return nil
}

// kicked tells the checkpointer that a commit added to the WAL. It never
// blocks. A nil checkpointer (read-only, or SQLite's own) ignores it.
func (c *checkpointer) kicked() {
	if c == nil {
		return
	}
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

func (c *checkpointer) loop() {
	defer c.wg.Done()
	for {
		select {
		case <-c.stop:
			return
		case <-c.kick:
		}
		// An error (SQLITE_BUSY while another process checkpoints, say)
		// leaves the pages in the WAL: the next kick, or the close,
		// copies them.
		_, _ = c.sql.Exec(`PRAGMA wal_checkpoint(PASSIVE)`)
		select {
		case <-c.stop:
			return
		case <-time.After(checkpointPause):
		}
	}
}

// close stops the goroutine and closes the connection. Closing twice is
// harmless.
func (c *checkpointer) close() error {
	if c == nil {
		return nil
	}
	var err error
	c.once.Do(func() {
		close(c.stop)
		c.wg.Wait()
		err = c.sql.Close()
	})
	return err
}

// checkpointDSN is the data source name of the checkpointer's connection:
// read-write, the record's journal mode as it is (WAL).
func checkpointDSN(file string) (string, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return "", err
	}
	q := url.Values{}
	q.Add("mode", "rw")
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeoutMS))
	u := url.URL{Scheme: "file", Path: abs, RawQuery: q.Encode()}
	return u.String(), nil
}
