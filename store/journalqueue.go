package store

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// journalQueue numbers the journal's rows of a DB (a writing DB is the
// record's only writer: it holds the run's lock) and keeps the rows
// QueueEvent numbered that no transaction has taken yet. Every number is
// given here, under mu, and a transaction takes every row numbered before
// its own rows (flushEvents), so rows become visible in the order of their
// numbers: a reader never sees a number before a smaller one.
type journalQueue struct {
	mu    sync.Mutex
	last  int64 // the last number given, once known
	known bool  // last was read from the file (the first flush)
	rows  []pendingEvent
	// spares: arrays for rows once rows is taken (recycle)
	spares [][]pendingEvent
	lost   error // why rows QueueEvent queued were not committed (for its next call)
}

func (j *journalQueue) isKnown() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.known
}

// setKnown sets the last number given before this DB, as the file has it.
func (j *journalQueue) setKnown(last int64) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.last = max(j.last, last)
	j.known = true
}

// number gives rows the next numbers and returns the first; with pull it
// also hands over the queued rows, whose numbers are all smaller.
func (j *journalQueue) number(rows []pendingEvent, pull bool) (first int64, pulled []pendingEvent) {
	j.mu.Lock()
	defer j.mu.Unlock()
	first = j.last + 1
	for i := range rows {
		j.last++
		rows[i].num = j.last
	}
	if pull {
		pulled, j.rows = j.rows, nil
	}
	return first, pulled
}

// giveBack takes back the numbers first..last when none was given since,
// so that a write that failed leaves no gap.
func (j *journalQueue) giveBack(first, last int64) {
	if first == 0 || last < first {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.last == last {
		j.last = first - 1
	}
}

// requeue puts back a copy of rows a transaction took and did not commit,
// before the rows queued since (their numbers are smaller). The caller
// keeps rows: the queue never shares their array (a transaction clears
// what it took when it ends).
func (j *journalQueue) requeue(rows []pendingEvent) {
	if len(rows) == 0 {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.rows = slices.Concat(rows, j.rows)
}

// maxSpares is how many arrays of rows the queue keeps for reuse: the
// one a transaction took, and the one QueueEvent fills between the
// moment the next transaction takes its rows and its end.
const maxSpares = 2

// recycle keeps the array of rows a transaction took, cleared, for the
// rows QueueEvent queues next: the queue regrew from nothing after every
// transaction (140 MB allocated in a 100,000-service boot).
func (j *journalQueue) recycle(rows []pendingEvent) {
	if cap(rows) == 0 {
		return
	}
	clear(rows)
	j.mu.Lock()
	defer j.mu.Unlock()
	if len(j.spares) < maxSpares {
		j.spares = append(j.spares, rows[:0])
	}
}

// flushQueued inserts the rows QueueEvent numbered so far, in a savepoint
// of their own (the transaction of a batch run with savepoints, after its
// writes): rows that cannot be inserted are dropped, the next QueueEvent
// reports it, and the batch's writes commit without them.
func (t *txn) flushQueued(ctx context.Context) error {
	_, pulled := t.journalQ.number(nil, true)
	if len(pulled) == 0 {
		return nil
	}
	if _, err := t.ExecContext(ctx, `SAVEPOINT q`); err != nil {
		t.journalQ.requeue(pulled)
		return err
	}
	if err := t.insertEvents(ctx, pulled); err != nil {
		t.journalQ.lose(fmt.Errorf("journal: %w", err))
		if _, rerr := t.ExecContext(ctx, `ROLLBACK TO q`); rerr != nil {
			return rerr
		}
	} else {
		t.pulled = append(t.pulled, pulled...)
	}
	_, err := t.ExecContext(ctx, `RELEASE q`)
	return err
}

// lose drops the queued rows (a transaction of them failed) and keeps err
// for the next QueueEvent.
func (j *journalQueue) lose(err error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	clear(j.rows)
	j.rows = nil
	j.lost = err
}

func (j *journalQueue) pending() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.rows) > 0
}

// QueueEvent appends e to the journal as AppendEvent does and returns its
// sequence number, but without waiting for a commit when a batch of
// writes is under way: e is numbered at once, and the batch under way or
// the next one commits its row (the leader of those batches commits the
// rows queued meanwhile before it returns, when no other write follows).
// With no batch under way it is AppendEvent: the row is committed when
// QueueEvent returns. The row is then not yet durable when QueueEvent
// returns: a crash within a commit's time may lose it, and its number may
// be given again by a later process. It is for events of no consequence to
// recovery (a step beginning, which the engine reports while its state
// changes are recorded with AppendEvent's guarantee). A row that could not
// be committed is reported by the next call, which then queues nothing.
func (db *DB) QueueEvent(ctx context.Context, e Event) (int64, error) {
	if err := db.writable(); err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("queue event: %w", err)
	}
	c, j := &db.commit, &db.commit.journal
	c.mu.Lock()
	if !c.leading || !j.isKnown() {
		c.mu.Unlock()
		return db.AppendEvent(ctx, e)
	}
	now := "" // e's own time, when it has one
	if e.Time.IsZero() {
		now = stamp(time.Now())
	}
	r := newPendingEvent(e, now)
	j.mu.Lock()
	lost := j.lost
	j.lost = nil
	if lost == nil {
		j.last++
		r.num = j.last
		if j.rows == nil && len(j.spares) > 0 {
			n := len(j.spares) - 1
			j.rows, j.spares[n] = j.spares[n], nil
			j.spares = j.spares[:n]
		}
		j.rows = append(j.rows, r)
	}
	j.mu.Unlock()
	c.mu.Unlock()
	if lost != nil {
		return 0, fmt.Errorf("queue event: rows queued before were not committed: %w", lost)
	}
	return r.num, nil
}

// handOff ends a leader's turn: the first write queued meanwhile leads the
// next batch; with none, the leader commits the rows QueueEvent queued
// meanwhile (QueueEvent queues only while a leader is at work, so none is
// left behind). A transaction of rows alone that fails drops them: the
// next QueueEvent reports it.
func (db *DB) handOff() {
	c, j := &db.commit, &db.commit.journal
	for {
		c.mu.Lock()
		if len(c.queue) > 0 {
			c.queue[0].wake <- true
			c.mu.Unlock()
			return
		}
		if !j.pending() {
			c.leading = false
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		ctx := context.Background()
		missed := map[string]bool{}
		_, err := db.commitWrites(ctx, nil, stamp(time.Now()), false, missed)
		db.stmts.prepare(ctx, db.sql, missed)
		if err != nil {
			j.lose(err)
		}
	}
}
