package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// committed returns the details of the journal's rows as another process
// reads the file (a read-only handle), by sequence number.
func committed(t *testing.T, dir string) map[int64]string {
	t.Helper()
	ro, err := OpenReadOnly(context.Background(), dir, "r1")
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	es, err := ro.Events(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	got := map[int64]string{}
	for _, e := range es {
		got[e.Seq] = e.Detail
	}
	return got
}

// holdBatch starts a write that journals "held" and waits, inside the
// batch's transaction, until release is closed; then it fails with fail.
// It returns once the write runs, and a channel with the write's error.
func holdBatch(t *testing.T, db *DB, fail error) (release chan struct{}, done chan error) {
	t.Helper()
	running, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	var once sync.Once
	go func() {
		done <- db.write(context.Background(), "", "held", func(_ context.Context, tx *txn, now string) error {
			tx.journal(Event{Event: "tick", Detail: "held"}, now, nil)
			once.Do(func() { close(running) }) // a batch run again with savepoints runs it twice
			<-release
			return fail
		})
	}()
	<-running
	return release, done
}

// TestQueueEvent: with no batch under way QueueEvent commits before it
// returns; while one is under way it returns at once with the next
// numbers, and the rows are in the file, under those numbers and before
// the batch's own, when the batch's writer returns — also when the batch
// fails and its leader commits them alone.
func TestQueueEvent(t *testing.T) {
	errWrite := errors.New("write failed")
	for _, fail := range []error{nil, errWrite} {
		t.Run(fmt.Sprint("batch error ", fail), func(t *testing.T) {
			ctx := context.Background()
			db, dir := newRun(t)
			seq, err := db.QueueEvent(ctx, Event{Event: "tick", Detail: "alone"})
			if err != nil || seq != 1 {
				t.Fatalf("QueueEvent = %d, %v; want 1", seq, err)
			}
			if diff := cmp.Diff(map[int64]string{1: "alone"}, committed(t, dir)); diff != "" {
				t.Fatalf("no batch under way: journal in the file (-want +got):\n%s", diff)
			}

			release, done := holdBatch(t, db, fail)
			want := map[int64]string{1: "alone"}
			for i := range 3 {
				d := fmt.Sprintf("queued %d", i)
				seq, err := db.QueueEvent(ctx, Event{Event: "step", Detail: d, Level: "DEBUG"})
				if err != nil || seq != int64(2+i) {
					t.Fatalf("QueueEvent(%s) = %d, %v; want %d", d, seq, err, 2+i)
				}
				want[seq] = d
			}
			if diff := cmp.Diff(map[int64]string{1: "alone"}, committed(t, dir)); diff != "" {
				t.Errorf("batch under way: journal in the file (-want +got):\n%s", diff)
			}
			close(release)
			if err := <-done; !errors.Is(err, fail) {
				t.Fatalf("held write: %v, want %v", err, fail)
			}
			if fail == nil {
				want[5] = "held"
			}
			if diff := cmp.Diff(want, committed(t, dir)); diff != "" {
				t.Errorf("after the batch: journal in the file (-want +got):\n%s", diff)
			}
			// Numbers go on after every number given.
			seq, err = db.AppendEvent(ctx, Event{Event: "tick", Detail: "after"})
			if wantSeq := int64(len(want) + 1); err != nil || seq != wantSeq {
				t.Errorf("AppendEvent after = %d, %v; want %d", seq, err, wantSeq)
			}
		})
	}
}

// TestQueueEventRowLost: a queued row that cannot be inserted is dropped
// without failing the writes committed with it, and the next QueueEvent
// says so.
func TestQueueEventRowLost(t *testing.T) {
	ctx := context.Background()
	db, dir := newRun(t)
	if _, err := db.AppendEvent(ctx, Event{Event: "tick", Detail: "first"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.sql.ExecContext(ctx, `CREATE TEMP TRIGGER boom BEFORE INSERT ON event
		WHEN NEW.detail = 'boom' BEGIN SELECT RAISE(ABORT, 'boom refused'); END`); err != nil {
		t.Fatal(err)
	}
	release, done := holdBatch(t, db, nil)
	if _, err := db.QueueEvent(ctx, Event{Event: "step", Detail: "boom"}); err != nil {
		t.Fatal(err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("the batch's write failed with the queued row: %v", err)
	}
	got := committed(t, dir)
	if diff := cmp.Diff([]string{"first", "held"}, []string{got[1], got[3]}); diff != "" || len(got) != 2 {
		t.Errorf("journal (-want +got):\n%s\n%v", diff, got)
	}
	release, done = holdBatch(t, db, nil)
	_, err := db.QueueEvent(ctx, Event{Event: "step", Detail: "next"})
	close(release)
	if err == nil || !strings.Contains(err.Error(), "boom refused") {
		t.Errorf("next QueueEvent: %v, want the lost row's error", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestQueueEventConcurrent mixes QueueEvent with state writes from many
// goroutines while another process reads the journal: every row is in the
// file under the number its caller was told, each goroutine's numbers
// increase in its order, and a reader never sees a number before a
// smaller one is committed (no hole, at any time).
func TestQueueEventConcurrent(t *testing.T) {
	ctx := context.Background()
	db, dir := newRun(t)
	twoLevels(t, db)
	ro, err := OpenReadOnly(ctx, dir, "r1")
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	stop := make(chan struct{})
	var holes []string
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			var n, top int64
			if err := ro.sql.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(MAX(seq), 0) FROM event`).Scan(&n, &top); err != nil {
				holes = append(holes, err.Error())
				return
			}
			if n != top {
				holes = append(holes, fmt.Sprintf("%d rows up to %d", n, top))
			}
		}
	})
	svcs := []string{"web", "db", "cache", "app"}
	told := make([]map[int64]string, 16)
	var g sync.WaitGroup
	errs := make(chan error, len(told))
	for i := range told {
		told[i] = map[int64]string{}
		g.Go(func() {
			svc := svcs[i%len(svcs)]
			last := int64(0)
			for k := range 40 {
				d := fmt.Sprintf("g%d-%d", i, k)
				var seq int64
				var err error
				if k%3 == 2 {
					err = db.SetState(ctx, svc, StateBooting, d)
				} else {
					seq, err = db.QueueEvent(ctx, Event{Event: "step", Service: svc, Detail: d, Level: "DEBUG"})
				}
				if err != nil {
					errs <- err
					return
				}
				if seq != 0 {
					if seq <= last {
						errs <- fmt.Errorf("%s: seq %d after %d", d, seq, last)
					}
					last = seq
					told[i][seq] = d
				}
			}
		})
	}
	g.Wait()
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(holes) > 0 {
		t.Errorf("a reader saw holes in the journal: %v", holes[:min(5, len(holes))])
	}
	got := committed(t, dir)
	for i, m := range told {
		for seq, d := range m {
			if got[seq] != d {
				t.Errorf("goroutine %d: row %d is %q, want %q", i, seq, got[seq], d)
			}
		}
	}
	if want := 16 * 40; len(got) != want {
		t.Errorf("%d rows, want %d", len(got), want)
	}
}

// TestQueueEventRequeued: rows a transaction took from QueueEvent's queue
// and did not commit (its last statement failed) are committed by the
// next transaction, as they were queued, under the numbers their callers
// were told.
func TestQueueEventRequeued(t *testing.T) {
	ctx := context.Background()
	db, dir := newRun(t)
	if _, err := db.AppendEvent(ctx, Event{Event: "tick", Detail: "first"}); err != nil {
		t.Fatal(err)
	}
	// The held batch's transaction fails at its last statement, after it
	// took the queued rows; the next one (without "held") commits.
	if _, err := db.sql.ExecContext(ctx, `CREATE TEMP TRIGGER refuse BEFORE UPDATE ON run
		WHEN EXISTS (SELECT 1 FROM main.event WHERE detail = 'held') BEGIN SELECT RAISE(ABORT, 'run refused'); END`); err != nil {
		t.Fatal(err)
	}
	release, done := holdBatch(t, db, nil)
	want := map[int64]string{1: "first"}
	for i := range 3 {
		d := fmt.Sprintf("queued %d", i)
		seq, err := db.QueueEvent(ctx, Event{Event: "step", Detail: d, Level: "DEBUG"})
		if err != nil {
			t.Fatal(err)
		}
		want[seq] = d
	}
	close(release)
	if err := <-done; err == nil || !strings.Contains(err.Error(), "run refused") {
		t.Fatalf("held write: %v, want the trigger's error", err)
	}
	if diff := cmp.Diff(want, committed(t, dir)); diff != "" {
		t.Errorf("journal in the file (-want +got):\n%s", diff)
	}
	if _, err := db.QueueEvent(ctx, Event{Event: "step", Detail: "next"}); err != nil {
		t.Errorf("next QueueEvent: %v", err)
	}
}
