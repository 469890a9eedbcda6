package store

import (
	"context"
	"fmt"
	"strings"
)

// eventInserts[k] is the INSERT of 2^k event rows, k = 0..7 (at most 128
// rows of 7 parameters, far below SQLite's limit of 32766): a batch's rows
// are inserted by 128-row statements and at most one of each smaller size,
// all of them kept prepared by the statement cache.
var eventInserts = func() (qs [8]string) {
	for k := range qs {
		var b strings.Builder
		b.WriteString(`INSERT INTO event (seq, time, level, service, event, state, detail) VALUES `)
		for i := range 1 << k {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(?, ?, ?, ?, ?, ?, ?)")
		}
		qs[k] = b.String()
	}
	return qs
}()

// pendingEvent is a journal row queued by a write in its transaction.
type pendingEvent struct {
	time, level, event     string
	service, state, detail any
	seq                    *int64 // receives the row's sequence number; may be nil
}

// journal queues e as a row of the journal. The transaction inserts its
// queued rows together (flushEvents) before it commits: a batch of writes
// that journal one row each costs a few multi-row INSERTs instead of one
// statement per row, which was a third of the single writer's statements
// during a boot. The rows get their sequence numbers, in the order they
// were queued, when they are inserted; seq (if not nil) receives the
// row's. A zero Time means now; an empty Level means INFO.
func (t *txn) journal(e Event, now string, seq *int64) {
	tm := now
	if !e.Time.IsZero() {
		tm = stamp(e.Time)
	}
	if e.Level == "" {
		e.Level = "INFO"
	}
	t.events = append(t.events, pendingEvent{time: tm, level: e.Level, event: e.Event,
		service: null(e.Service), state: null(string(e.State)), detail: null(e.Detail), seq: seq})
}

// dropEvents forgets the rows queued since the transaction held n of them
// (a write that failed).
func (t *txn) dropEvents(n int) {
	clear(t.events[n:])
	t.events = t.events[:n]
}

// flushEvents inserts the queued rows with the next sequence numbers of
// the journal. On an error nothing is numbered: the caller rolls back
// what was inserted (the transaction or the write's savepoint).
func (t *txn) flushEvents(ctx context.Context) error {
	if len(t.events) == 0 {
		return nil
	}
	if !t.seqRead {
		// The journal's AUTOINCREMENT never reuses a number, even one
		// whose row is gone: continue after both the largest row and
		// the largest number ever given.
		err := t.QueryRowContext(ctx, `SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'event'), 0),
			COALESCE((SELECT MAX(seq) FROM event), 0))`).Scan(&t.lastSeq)
		if err != nil {
			return fmt.Errorf("journal: %w", err)
		}
		t.seqRead = true
	}
	next := t.lastSeq + 1
	rest := t.events
	for len(rest) > 0 {
		k := 0
		for k < len(eventInserts)-1 && 2<<k <= len(rest) {
			k++
		}
		chunk := rest[:1<<k]
		t.args = t.args[:0]
		for i, e := range chunk {
			t.args = append(t.args, next+int64(i), e.time, e.level, e.service, e.event, e.state, e.detail)
		}
		_, err := t.ExecContext(ctx, eventInserts[k], t.args...)
		clear(t.args)
		if err != nil {
			return fmt.Errorf("journal: %w", err)
		}
		next += int64(len(chunk))
		rest = rest[len(chunk):]
	}
	for i, e := range t.events {
		if e.seq != nil {
			*e.seq = t.lastSeq + 1 + int64(i)
		}
	}
	t.lastSeq = next - 1
	t.dropEvents(0)
	return nil
}
