package store

import (
	"context"
	"fmt"
	"strings"
)

// historyInserts[k] inserts 2^k intent rows of instance_history, k = 0..7,
// and historyDones[k] completes 2^k of them (LaunchDone): a batch's
// launches cost a few multi-row statements instead of one statement each
// (20,000 at 10,000 services, the costliest statements of the single
// writer per row), all kept prepared by the statement cache. The state
// each writes, the same for every row, is in the statement's text rather
// than bound for each row (a bind copies the text into C memory).
var historyInserts, historyDones = func() (ins, done [8]string) {
	for k := range ins {
		var b, d strings.Builder
		b.WriteString(`INSERT INTO instance_history (id, service_id, attempt, client_token, driver, requested_at, state) VALUES `)
		d.WriteString(`UPDATE instance_history SET instance_id = v.column2, handle = v.column3, launched_at = v.column4, state = '` +
			HistoryLaunched + `' FROM (VALUES `)
		for i := range 1 << k {
			if i > 0 {
				b.WriteString(", ")
				d.WriteString(", ")
			}
			b.WriteString("(?, ?, ?, ?, ?, ?, '" + HistoryIntent + "')")
			d.WriteString("(?, ?, ?, ?)")
		}
		d.WriteString(`) AS v WHERE instance_history.id = v.column1`)
		ins[k], done[k] = b.String(), d.String()
	}
	return ins, done
}()

// pendingIntent is an intent row queued by LaunchIntent; row receives
// its id when it is inserted.
type pendingIntent struct {
	sid int64
	row *HistoryRow
	now string
}

// pendingDone is the completion of an intent row queued by LaunchDone.
type pendingDone struct {
	id         int64
	instanceID string
	handle     any
	now        string
}

// queueIntent queues the intent row *row of service sid (ID not set): the
// transaction inserts it with the other queued rows (flushHistory), gives
// it the next id of the table, and keeps it as an intent of this DB
// (intentRows) once it commits.
func (t *txn) queueIntent(sid int64, row *HistoryRow, now string) {
	t.histAdds = append(t.histAdds, pendingIntent{sid: sid, row: row, now: now})
}

// queueDone queues the completion of intent row id by LaunchDone.
func (t *txn) queueDone(id int64, instanceID string, handle []byte, now string) {
	t.histDone = append(t.histDone, pendingDone{id: id, instanceID: instanceID, handle: nullBytes(handle), now: now})
}

// dropHistory forgets what was queued since the transaction held adds
// and done rows.
func (t *txn) dropHistory(adds, done int) {
	clear(t.histAdds[adds:])
	t.histAdds = t.histAdds[:adds]
	clear(t.histDone[done:])
	t.histDone = t.histDone[:done]
}

// flushHistory writes the queued intent rows, then the queued
// completions. A write that reads instance_history calls it first, so
// that it reads what the writes before it in the transaction wrote. On an
// error nothing is numbered: the caller rolls back what was written.
func (t *txn) flushHistory(ctx context.Context) error {
	if len(t.histAdds) > 0 {
		var last int64
		// AUTOINCREMENT's rule: after both the largest row and the
		// largest id ever given.
		err := t.QueryRowContext(ctx, `SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'instance_history'), 0),
			COALESCE((SELECT MAX(id) FROM instance_history), 0))`).Scan(&last)
		if err != nil {
			return fmt.Errorf("instance history: %w", err)
		}
		err = chunks(len(t.histAdds), func(k, from int) error {
			d := &t.drv.args
			for i, h := range t.histAdds[from : from+1<<k] {
				r := h.row
				d.add(last + 1 + int64(from+i))
				d.add(h.sid)
				d.add(r.Attempt)
				d.add(r.ClientToken)
				d.add(r.Driver)
				d.add(h.now)
			}
			return t.execRows(ctx, historyInserts[k])
		})
		if err != nil {
			return fmt.Errorf("instance history: %w", err)
		}
		for i, h := range t.histAdds {
			h.row.ID = last + 1 + int64(i)
			t.intentsAdded = append(t.intentsAdded, *h.row)
		}
	}
	if len(t.histDone) > 0 {
		err := chunks(len(t.histDone), func(k, from int) error {
			d := &t.drv.args
			for _, h := range t.histDone[from : from+1<<k] {
				d.add(h.id)
				d.add(h.instanceID)
				d.add(h.handle)
				d.add(h.now)
			}
			return t.execRows(ctx, historyDones[k])
		})
		if err != nil {
			return fmt.Errorf("instance history: %w", err)
		}
	}
	t.dropHistory(0, 0)
	return nil
}

// chunks calls fn for the statements that write n queued rows: 128 rows
// each, then at most one of each smaller power of two, in order (k: 2^k
// rows, from the first row's index).
func chunks(n int, fn func(k, from int) error) error {
	from := 0
	for from < n {
		k := 0
		for k < 7 && 2<<k <= n-from {
			k++
		}
		if err := fn(k, from); err != nil {
			return err
		}
		from += 1 << k
	}
	return nil
}
