package store

import (
	"context"
	"fmt"
	"strings"
)

// eventInserts[k] is the INSERT of 2^k event rows, k = 0..7 (at most 128
// rows of 7 parameters, far below SQLite's limit of 32766): a batch's rows
// are inserted by 128-row statements and at most one of each smaller size,
// all of them kept prepared by the statement cache. eventRuns[k] inserts
// 2^k rows numbered one after the other (most chunks: a transaction's own
// rows are, and QueueEvent's rows but where a transaction numbered its
// own between them): the first number is bound once, ?1, and row i is
// numbered ?1 + i, one bind a row fewer.
var eventInserts, eventRuns = func() (qs, runs [8]string) {
	for k := range qs {
		var b, r strings.Builder
		b.WriteString(`INSERT INTO event (seq, time, level, service, event, state, detail) VALUES `)
		r.WriteString(`INSERT INTO event (seq, time, level, service, event, state, detail) VALUES `)
		for i := range 1 << k {
			if i > 0 {
				b.WriteString(", ")
				r.WriteString(", ")
			}
			b.WriteString("(?, ?, ?, ?, ?, ?, ?)")
			if i == 0 {
				r.WriteString("(?1, ?, ?, ?, ?, ?, ?)")
			} else {
				fmt.Fprintf(&r, "(?1 + %d, ?, ?, ?, ?, ?, ?)", i)
			}
		}
		qs[k], runs[k] = b.String(), r.String()
	}
	return qs, runs
}()

// pendingEvent is a journal row not inserted yet: queued by a write in its
// transaction (txn.journal), or numbered by QueueEvent.
type pendingEvent struct {
	num                    int64 // its sequence number, once given
	time, level, event     string
	service, state, detail any
	seq                    *int64 // receives the row's sequence number; may be nil
}

// newPendingEvent is the row of e, now when e has no time.
func newPendingEvent(e Event, now string) pendingEvent {
	tm := now
	if !e.Time.IsZero() {
		tm = stamp(e.Time)
	}
	if e.Level == "" {
		e.Level = "INFO"
	}
	return pendingEvent{time: tm, level: e.Level, event: e.Event,
		service: null(e.Service), state: null(string(e.State)), detail: null(e.Detail)}
}

// journal queues e as a row of the journal. The transaction inserts its
// queued rows together (flushEvents) before it commits: a batch of writes
// that journal one row each costs a few multi-row INSERTs instead of one
// statement per row, which was a third of the single writer's statements
// during a boot. The rows get their sequence numbers, in the order they
// were queued, when they are inserted; seq (if not nil) receives the
// row's. A zero Time means now; an empty Level means INFO.
func (t *txn) journal(e Event, now string, seq *int64) {
	r := newPendingEvent(e, now)
	r.seq = seq
	t.events = append(t.events, r)
}

// dropEvents forgets the rows queued since the transaction held n of them
// (a write that failed).
func (t *txn) dropEvents(n int) {
	clear(t.events[n:])
	t.events = t.events[:n]
}

// flushEvents numbers the queued rows with the journal's next numbers and
// inserts them; the transaction's last flush (t.pull) also takes the rows
// QueueEvent numbered meanwhile (journalQueue), which are inserted first,
// their numbers being smaller. On an error nothing stays numbered (when
// no row was numbered since) nor taken: the caller rolls back what was
// inserted (the transaction or the write's savepoint).
func (t *txn) flushEvents(ctx context.Context) error {
	if len(t.events) == 0 && !t.pull {
		return nil
	}
	j := t.journalQ
	if !j.isKnown() {
		// The journal's AUTOINCREMENT never reuses a number, even one
		// whose row is gone: continue after both the largest row and
		// the largest number ever given.
		var last int64
		err := t.QueryRowContext(ctx, `SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'event'), 0),
			COALESCE((SELECT MAX(seq) FROM event), 0))`).Scan(&last)
		if err != nil {
			return fmt.Errorf("journal: %w", err)
		}
		j.setKnown(last)
	}
	first, pulled := j.number(t.events, t.pull)
	last := first + int64(len(t.events)) - 1
	err := t.insertEvents(ctx, pulled)
	if err == nil {
		err = t.insertEvents(ctx, t.events)
	}
	if err != nil {
		j.giveBack(first, last)
		j.requeue(pulled)
		return fmt.Errorf("journal: %w", err)
	}
	if len(t.events) > 0 {
		if t.seqFirst == 0 {
			t.seqFirst = first
		}
		t.seqLast = last
	}
	if t.pulled == nil {
		t.pulled = pulled // the queue's array, the transaction's now
	} else {
		t.pulled = append(t.pulled, pulled...)
	}
	for _, e := range t.events {
		if e.seq != nil {
			*e.seq = e.num
		}
	}
	t.dropEvents(0)
	return nil
}

// insertEvents inserts rows, numbered, in 128-row statements and at most
// one of each smaller size. A row's time, level and event that are the
// row before's share its argument value (an argument is an interface
// value: each text made one allocation per row, 3 of every journal row's
// 4).
func (t *txn) insertEvents(ctx context.Context, rows []pendingEvent) error {
	var tm, level, event boxed
	for len(rows) > 0 {
		k := 0
		for k < len(eventInserts)-1 && 2<<k <= len(rows) {
			k++
		}
		chunk := rows[:1<<k]
		d := &t.drv.args
		run := true // numbered one after the other
		for i, e := range chunk {
			if e.num != chunk[0].num+int64(i) {
				run = false
				break
			}
		}
		q := eventInserts[k]
		if run {
			q = eventRuns[k]
			d.add(chunk[0].num)
		}
		for _, e := range chunk {
			if !run {
				d.add(e.num)
			}
			d.add(tm.of(e.time))
			d.add(level.of(e.level))
			d.add(e.service)
			d.add(event.of(e.event))
			d.add(e.state)
			d.add(e.detail)
		}
		if err := t.execRows(ctx, q); err != nil {
			return err
		}
		rows = rows[len(chunk):]
	}
	return nil
}

// boxed is a text as an argument value, made again only when the text
// changes (insertEvents).
type boxed struct {
	s string
	v any
}

func (b *boxed) of(s string) any {
	if b.v == nil || s != b.s {
		b.s, b.v = s, s
	}
	return b.v
}
