package store

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// journalWrite is a write that journals one row with detail d, its seq
// into *seq, and then fails with fail (if not nil).
func journalWrite(d string, seq *int64, fail error) *pendingWrite {
	return &pendingWrite{ctx: context.Background(), what: d, wake: make(chan bool, 1),
		fn: func(_ context.Context, tx *txn, now string) error {
			tx.journal(Event{Event: "tick", Detail: d}, now, seq)
			return fail
		}}
}

// TestJournalBatch commits batches of writes that journal one row each,
// some failing (the write itself, or the insert of its row): the others'
// rows are in the journal, numbered in the batch's order after every
// number given before, with the numbers their writes were told; a failed
// write leaves no row.
func TestJournalBatch(t *testing.T) {
	tests := []struct {
		name    string
		details []string
		fail    map[string]bool // writes that fail after journaling
		boom    bool            // rows with detail "boom" cannot be inserted
		want    []string        // details in the journal, in order
	}{
		{name: "all succeed", details: []string{"a", "b", "c", "d", "e"}, want: []string{"a", "b", "c", "d", "e"}},
		{name: "a write fails", details: []string{"a", "b", "c"}, fail: map[string]bool{"b": true}, want: []string{"a", "c"}},
		{name: "a row fails", details: []string{"a", "boom", "c"}, boom: true, want: []string{"a", "c"}},
		{name: "200 rows", details: numbered(200), want: numbered(200)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			db, _ := newRun(t)
			// Two rows before: one left, one deleted (its number is never
			// given again, as with AUTOINCREMENT).
			for _, d := range []string{"first", "gone"} {
				if _, err := db.AppendEvent(ctx, Event{Event: "tick", Detail: d}); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := db.sql.ExecContext(ctx, `DELETE FROM event WHERE detail = 'gone'`); err != nil {
				t.Fatal(err)
			}
			if tt.boom {
				refuseBoom(t, db, "event", "NEW.detail = 'boom'")
			}
			seqs := make([]int64, len(tt.details))
			var batch []*pendingWrite
			for i, d := range tt.details {
				batch = append(batch, journalWrite(d, &seqs[i], failWith(tt.fail, d)))
			}
			db.commitBatch(batch)

			told := map[string]int64{}
			for i, ok := range batchSucceeded(t, tt.details, batch, tt.fail, tt.boom) {
				if ok {
					told[tt.details[i]] = seqs[i]
				}
			}
			es, err := db.Events(ctx, 1)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			gotSeq := map[string]int64{}
			for _, e := range es {
				got = append(got, e.Detail)
				gotSeq[e.Detail] = e.Seq
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("journal after the first row (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(gotSeq, told); diff != "" {
				t.Errorf("sequence numbers (-journal +told):\n%s", diff)
			}
			for i, e := range es {
				if want := int64(3 + i); e.Seq != want {
					t.Errorf("row %q: seq %d, want %d", e.Detail, e.Seq, want)
				}
			}
		})
	}
}

func numbered(n int) []string {
	s := make([]string, n)
	for i := range s {
		s[i] = fmt.Sprintf("e%03d", i)
	}
	return s
}

// TestInsertEventsNumbers: rows numbered one after the other are inserted
// by the statement that binds the first number alone, others by the one
// that binds each; either way every row has its number and its values.
func TestInsertEventsNumbers(t *testing.T) {
	ctx := context.Background()
	db, dir := newRun(t)
	var rows []pendingEvent
	want := map[int64]string{}
	for _, n := range []int64{10, 11, 12, 13, 20, 22, 23, 24, 25, 26, 27, 30} {
		d := fmt.Sprint("row ", n)
		r := newPendingEvent(Event{Event: "tick", Detail: d, Level: []string{"INFO", "DEBUG"}[n%2]}, "2026-12-06T17:00:00.000000000Z")
		r.num = n
		rows = append(rows, r)
		want[n] = d
	}
	// 10-13: one statement of 4 rows in a run; then 20, 22-27, 30: one
	// statement of 8 rows with gaps.
	err := db.write(ctx, "", "insert", func(ctx context.Context, tx *txn, _ string) error {
		if err := tx.insertEvents(ctx, rows[:4]); err != nil {
			return err
		}
		return tx.insertEvents(ctx, rows[4:])
	})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	err = conn.Raw(func(dc any) error {
		for _, q := range []string{eventRuns[2], eventInserts[3]} {
			if _, ok := dc.(*writerConn).stmts[q]; !ok {
				t.Errorf("statement not run: %.80s...", q)
			}
		}
		return nil
	})
	conn.Close()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, committed(t, dir)); diff != "" {
		t.Errorf("journal (-want +got):\n%s", diff)
	}
	es, err := db.Events(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if wantLevel := []string{"INFO", "DEBUG"}[e.Seq%2]; e.Level != wantLevel || e.Event != "tick" || e.Time.IsZero() {
			t.Errorf("row %d: level %q, event %q, time %v; want %q, tick", e.Seq, e.Level, e.Event, e.Time, wantLevel)
		}
	}
}
