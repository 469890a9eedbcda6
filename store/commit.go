package store

import (
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"sync"
	"time"
)

// committer turns concurrent writes into shared transactions (group
// commit). A write is queued; when no transaction is under way its writer
// becomes the leader and commits every queued write in one transaction,
// each in its own savepoint, so that one failing write does not undo the
// others. Every writer returns only after the transaction holding its
// write has committed (or with the error that kept it out): a write is as
// durable when its method returns as it was with one transaction per
// write. Many services booting at once then cost one commit per batch
// instead of one per state change.
type committer struct {
	mu      sync.Mutex
	queue   []*pendingWrite
	leading bool // a leader is committing a batch
	journal journalQueue
	// writes keeps the pendingWrites of returned writes, their wake
	// channels with them: a write and its channel were the single
	// writer's callers' largest allocation (9 MB of a 10,000-service
	// boot's 191 MB, -memprofile).
	writes sync.Pool
}

// newWrite returns a pendingWrite for a write of fn, its wake channel
// empty.
func (c *committer) newWrite(ctx context.Context, svc, what string, fn func(ctx context.Context, tx *txn, now string) error) *pendingWrite {
	w, _ := c.writes.Get().(*pendingWrite)
	if w == nil {
		w = &pendingWrite{wake: make(chan bool, 1)}
	}
	w.ctx, w.svc, w.what, w.fn = ctx, svc, what, fn
	return w
}

// done returns w's error and keeps w for the next write. Nothing refers
// to w any more: its batch's leader is past it, and its wake channel was
// emptied (a writer returns only after it received its wake, a leader
// never gets one sent after it took the lead).
func (c *committer) done(w *pendingWrite) error {
	err := w.err
	*w = pendingWrite{wake: w.wake}
	c.writes.Put(w)
	return err
}

// pendingWrite is one queued write.
type pendingWrite struct {
	ctx  context.Context
	svc  string // the service written, if any (name)
	what string // what the write does (name)
	fn   func(ctx context.Context, tx *txn, now string) error
	err  error
	// wake receives true when the writer must lead the next batch (it is
	// still queued), false when its write is done (err set).
	wake chan bool
}

// name is what the write's errors begin with: `service "web": set state
// ready`, or what alone when it is about no one service. It is formatted
// only for an error: a write's name formatted every time cost the single
// writer's callers more than 1 % of a 10,000-service boot.
func (w *pendingWrite) name() string {
	if w.svc == "" {
		return w.what
	}
	return fmt.Sprintf("service %q: %s", w.svc, w.what)
}

// write runs fn in a transaction, possibly shared with other concurrent
// writes (see committer), and bumps run.updated_at with it; svc and what
// name it in its errors (pendingWrite.name). fn must use
// only the ctx and tx it is given: that ctx carries the caller's values but
// no cancellation, since an interrupted statement would roll back the
// whole shared transaction. An error of fn rolls back fn's own changes
// only. A write whose ctx is done before its turn is not run.
func (db *DB) write(ctx context.Context, svc, what string, fn func(ctx context.Context, tx *txn, now string) error) error {
	if err := db.writable(); err != nil {
		return err
	}
	c := &db.commit
	w := c.newWrite(ctx, svc, what, fn)
	c.mu.Lock()
	c.queue = append(c.queue, w)
	lead := !c.leading
	c.leading = true
	c.mu.Unlock()
	if !lead && !<-w.wake {
		return c.done(w)
	}
	// Lead: commit everything queued so far (w included), then hand the
	// lead to the first writer queued meanwhile. The leader first lets
	// the goroutines ready to run go first: those about to write join
	// its batch. Without it, while the pipelines kept both cores busy, 9
	// of 10 transactions of a 10,000-service boot held a single write
	// (4,200 commits; 610 with it), and each commit costs its own
	// statements and WAL pages.
	runtime.Gosched()
	c.mu.Lock()
	batch := c.queue
	c.queue = nil
	c.mu.Unlock()
	db.commitBatch(batch)
	for _, o := range batch {
		if o != w {
			o.wake <- false
		}
	}
	db.handOff()
	return c.done(w)
}

// commitBatch runs the writes of batch in one transaction and sets each
// one's err. The transaction is not bound to any writer's context: a
// canceled writer leaves the batch, not the batch's transaction. The writes
// run one after the other without savepoints; when one fails, the
// transaction is rolled back and the others run again in a new one, each
// in a savepoint this time, so a failing write never undoes another.
func (db *DB) commitBatch(batch []*pendingWrite) {
	ctx := context.Background()
	now := stamp(time.Now())
	missed := map[string]bool{}
	defer func() { db.stmts.prepare(ctx, db.sql, missed) }()
	run := make([]*pendingWrite, 0, len(batch))
	for _, w := range batch {
		if err := w.ctx.Err(); err != nil {
			w.err = fmt.Errorf("%s: %w", w.name(), err)
		} else {
			run = append(run, w)
		}
	}
	if len(run) == 0 {
		return
	}
	failed, err := db.commitWrites(ctx, run, now, false, missed)
	if err == nil && failed {
		rest := run[:0:0]
		for _, w := range run {
			if w.err == nil {
				rest = append(rest, w)
			}
		}
		if len(rest) > 0 {
			_, err = db.commitWrites(ctx, rest, now, true, missed)
		}
	}
	if err != nil {
		for _, w := range run {
			if w.err == nil {
				w.err = fmt.Errorf("%s: %w", w.name(), err)
			}
		}
	}
}

// commitWrites runs ws in one transaction and commits it. Without
// savepoints the first failing write (its err set) rolls everything back
// and failed is true; with savepoints only its own changes are undone. The
// error is the transaction's own (begin, commit...), for every write.
func (db *DB) commitWrites(ctx context.Context, ws []*pendingWrite, now string, savepoints bool, missed map[string]bool) (failed bool, err error) {
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return false, err
	}
	defer conn.Close() // after the Rollback below: it waits for the transaction's end
	sqlTx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer sqlTx.Rollback()
	tx := &txn{tx: sqlTx, conn: conn, drv: &db.drv, cache: &db.stmts, bound: map[string]*sql.Stmt{}, missed: missed,
		ids: &db.ids, seen: map[string]int64{}, scratch: db.scratch, intents: &db.intents,
		journalQ: &db.commit.journal}
	committed := false
	defer func() {
		tx.drop(intentMark{}) // a transaction that failed leaves its writes queued
		if !committed {
			// Its journal numbers are given back (when none was given
			// since) and the rows of QueueEvent it took queued again.
			tx.journalQ.giveBack(tx.seqFirst, tx.seqLast)
			tx.journalQ.requeue(tx.pulled)
		}
		tx.journalQ.recycle(tx.pulled)
		db.scratch = tx.scratch
	}()
	ok := 0
	for _, w := range ws {
		wctx := context.WithoutCancel(w.ctx)
		if !savepoints {
			if err := w.fn(wctx, tx, now); err != nil {
				w.err = fmt.Errorf("%s: %w", w.name(), err)
				return true, nil // rolled back by the deferred Rollback
			}
			ok++
			continue
		}
		if _, err := tx.ExecContext(ctx, `SAVEPOINT w`); err != nil {
			return false, err
		}
		// With savepoints each write writes what it queued itself, so
		// that a row that cannot be written fails its write alone.
		queued := tx.mark()
		err := w.fn(wctx, tx, now)
		if err == nil {
			err = tx.flush(ctx, now)
		}
		if err != nil {
			tx.drop(queued)
			w.err = fmt.Errorf("%s: %w", w.name(), err)
			failed = true
			if _, rerr := tx.ExecContext(ctx, `ROLLBACK TO w`); rerr != nil {
				return true, rerr
			}
		} else {
			ok++
		}
		if _, err := tx.ExecContext(ctx, `RELEASE w`); err != nil {
			return failed, err
		}
	}
	if ok == 0 && len(ws) > 0 {
		return failed, nil
	}
	// The last flush also takes the journal rows QueueEvent numbered
	// meanwhile (none of them is left numbered before a committed row).
	tx.pull = true
	if !savepoints {
		// The batch's service changes and journal rows, together. Which
		// write's row failed is unknown: the batch runs again with
		// savepoints. (No write: QueueEvent's rows alone, handOff.)
		if err := tx.flush(ctx, now); err != nil {
			if len(ws) == 0 {
				return false, err
			}
			return true, nil
		}
	} else if err := tx.flushQueued(ctx); err != nil {
		return failed, err
	}
	tx.arg(now)
	if err := tx.execRows(ctx, `UPDATE run SET updated_at = ? WHERE id = 1`); err != nil {
		return failed, err
	}
	if err := sqlTx.Commit(); err != nil {
		return failed, err
	}
	committed = true
	db.ckpt.kicked()
	db.ids.keep(tx.planIDs, true)
	db.ids.keep(tx.seen, tx.seenAll)
	db.intents.apply(tx.intentsAdded, tx.intentsDone)
	return failed, nil
}
