package store

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// intentWrite is LaunchIntent's write for service svc (its row into
// *row), failing after it queued its row when fail is set.
func intentWrite(svc string, row *HistoryRow, fail error) *pendingWrite {
	fn := launchIntent(svc, 1, "tok-"+svc, "fake", row)
	return &pendingWrite{ctx: context.Background(), svc: svc, what: "launch intent", wake: make(chan bool, 1),
		fn: func(ctx context.Context, tx *txn, now string) error {
			if err := fn(ctx, tx, now); err != nil {
				return err
			}
			return fail
		}}
}

// doneWrite is LaunchDone's write of intent id (its row into *row).
func doneWrite(id int64, instance string, row *HistoryRow) *pendingWrite {
	return &pendingWrite{ctx: context.Background(), what: "launch done", wake: make(chan bool, 1),
		fn: launchDone(id, instance, []byte(instance), row)}
}

// TestHistoryBatch commits batches of launch intents and completions,
// some failing (the write itself, or the insert of its row): the rows of
// the others are in instance_history with the ids their writes were told
// (after every id given before, as AUTOINCREMENT would), the intents are
// kept for LaunchDone, and a failed write leaves no row. A write that
// reads the history in the same batch (MarkInstance) sees the rows queued
// before it.
func TestHistoryBatch(t *testing.T) {
	tests := []struct {
		name  string
		svcs  []string
		fail  map[string]bool // intents that fail after queueing their row
		boom  bool            // the intent of service "boom" cannot be inserted
		want  []string        // services of the intent rows, in id order
		ghost bool            // one intent for a service the record lacks
	}{
		{name: "all succeed", svcs: []string{"a", "b", "c"}, want: []string{"a", "b", "c"}},
		{name: "a write fails", svcs: []string{"a", "b", "c"}, fail: map[string]bool{"b": true}, want: []string{"a", "c"}},
		{name: "a row fails", svcs: []string{"a", "boom", "c"}, boom: true, want: []string{"a", "c"}},
		{name: "an unknown service", svcs: []string{"a", "b"}, ghost: true, want: []string{"a", "b"}},
		{name: "200 rows", svcs: numbered(200), want: numbered(200)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			db, _ := newRun(t)
			ss := []Service{{Name: "first", Level: 1}, {Name: "boom", Level: 1, Position: 1}}
			for i, s := range tt.svcs {
				if s != "boom" {
					ss = append(ss, Service{Name: s, Level: 1, Position: i + 2})
				}
			}
			if err := db.PutPlan(ctx, []Level{{Number: 1, Key: "level1"}}, ss); err != nil {
				t.Fatal(err)
			}
			// An intent before, and an id given and gone: never given again.
			first, err := db.LaunchIntent(ctx, "first", 1, "tok-first", "fake")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.sql.ExecContext(ctx, `UPDATE sqlite_sequence SET seq = seq + 1 WHERE name = 'instance_history'`); err != nil {
				t.Fatal(err)
			}
			if tt.boom {
				refuseBoom(t, db, "instance_history", "NEW.client_token = 'tok-boom'")
			}
			rows := make([]HistoryRow, len(tt.svcs))
			var batch []*pendingWrite
			for i, s := range tt.svcs {
				batch = append(batch, intentWrite(s, &rows[i], failWith(tt.fail, s)))
			}
			var ghost HistoryRow
			if tt.ghost {
				batch = append(batch, intentWrite("ghost", &ghost, nil))
			}
			// The completion of the intent before, in the same batch.
			var firstDone HistoryRow
			batch = append(batch, doneWrite(first.ID, "i-first", &firstDone))
			db.commitBatch(batch)

			told := map[string]HistoryRow{}
			for i, ok := range batchSucceeded(t, tt.svcs, batch, tt.fail, tt.boom) {
				if ok {
					told[tt.svcs[i]] = rows[i]
				}
			}
			if tt.ghost && !errors.Is(batch[len(tt.svcs)].err, ErrNoService) {
				t.Errorf("intent of an unknown service: err = %v, want ErrNoService", batch[len(tt.svcs)].err)
			}
			if err := batch[len(batch)-1].err; err != nil {
				t.Errorf("launch done of the intent before: %v", err)
			}

			hs, err := db.InstanceHistory(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want := []HistoryRow{{ID: first.ID, Service: "first", Attempt: 1, ClientToken: "tok-first", Driver: "fake",
				InstanceID: "i-first", Handle: []byte("i-first"), State: HistoryLaunched}}
			for i, s := range tt.want {
				want = append(want, HistoryRow{ID: first.ID + 2 + int64(i), Service: s, Attempt: 1,
					ClientToken: "tok-" + s, Driver: "fake", State: HistoryIntent})
			}
			times := cmpopts.IgnoreFields(HistoryRow{}, "Requested", "Launched")
			if diff := cmp.Diff(want, hs, times); diff != "" {
				t.Errorf("instance history (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(want[0], firstDone, times); diff != "" {
				t.Errorf("LaunchDone's row (-want +got):\n%s", diff)
			}
			gotTold := map[string]HistoryRow{}
			for _, h := range hs[1:] {
				gotTold[h.Service] = h
			}
			if diff := cmp.Diff(gotTold, told, times); diff != "" {
				t.Errorf("rows the intents were told (-record +told):\n%s", diff)
			}

			// Every kept intent completes without reading its row, and a
			// MarkInstance in the same batch reads the completion.
			batch = batch[:0]
			done := make([]HistoryRow, len(hs)-1)
			for i, h := range hs[1:] {
				if _, ok := db.intents.get(h.ID); !ok {
					t.Errorf("intent %d of %s is not kept", h.ID, h.Service)
				}
				batch = append(batch, doneWrite(h.ID, "i-"+h.Service, &done[i]))
			}
			var marked []HistoryRow
			if len(hs) > 1 {
				last := hs[len(hs)-1]
				batch = append(batch, &pendingWrite{ctx: ctx, what: "mark", wake: make(chan bool, 1),
					fn: func(ctx context.Context, tx *txn, now string) error {
						if err := tx.flushHistory(ctx); err != nil {
							return err
						}
						var err error
						marked, err = queryHistory(ctx, tx, `WHERE h.instance_id = ?`, "i-"+last.Service)
						return err
					}})
			}
			db.commitBatch(batch)
			for _, w := range batch {
				if w.err != nil {
					t.Errorf("%s: %v", w.what, w.err)
				}
			}
			if len(hs) > 1 && (len(marked) != 1 || marked[0].State != HistoryLaunched) {
				t.Errorf("a read in the batch after the completions: %+v, want the launched row", marked)
			}
			for i, h := range hs[1:] {
				if done[i].ID != h.ID || done[i].InstanceID != "i-"+h.Service || done[i].State != HistoryLaunched {
					t.Errorf("LaunchDone of %d: %+v", h.ID, done[i])
				}
				if _, ok := db.intents.get(h.ID); ok {
					t.Errorf("intent %d is still kept after LaunchDone", h.ID)
				}
			}
		})
	}
}

func TestHistoryChunks(t *testing.T) {
	for _, n := range []int{0, 1, 3, 128, 129, 300} {
		var got []int
		total := 0
		err := chunks(n, func(k, from int) error {
			if from != total {
				return fmt.Errorf("chunk from %d, want %d", from, total)
			}
			got = append(got, 1<<k)
			total += 1 << k
			return nil
		})
		if err != nil || total != n {
			t.Errorf("chunks(%d): %v, %d rows in %v", n, err, total, got)
		}
	}
}
