package store

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestEventsRoundTrip(t *testing.T) {
	ctx := context.Background()
	db, _ := newRun(t)
	at := time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)
	in := []Event{
		{Time: at, Level: "WARN", Service: "web", Event: "validate", Detail: "nimbus 2.7"},
		{Time: at, Event: "command", Detail: "boot"},
	}
	for _, e := range in {
		if _, err := db.AppendEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.Events(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []Event{
		{Seq: 1, Time: at, Level: "WARN", Service: "web", Event: "validate", Detail: "nimbus 2.7"},
		{Seq: 2, Time: at, Level: "INFO", Event: "command", Detail: "boot"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Events (-want +got):\n%s", diff)
	}
	tail, err := db.Events(ctx, 1)
	if err != nil || len(tail) != 1 || tail[0].Seq != 2 {
		t.Errorf("Events(1) = %+v, %v", tail, err)
	}
}

// TestEventSeqConcurrent appends events from many goroutines, with state
// changes mixed in, and checks that the journal holds each once with
// strictly increasing sequence numbers in append order per writer.
func TestEventSeqConcurrent(t *testing.T) {
	ctx := context.Background()
	db, _ := newRun(t)
	twoLevels(t, db)
	const writers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	seqs := make([][]int64, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				seq, err := db.AppendEvent(ctx, Event{Event: "tick", Detail: fmt.Sprintf("%d/%d", w, i)})
				if err != nil {
					errs <- err
					return
				}
				seqs[w] = append(seqs[w], seq)
				if i%5 == 0 {
					if err := db.SetState(ctx, "web", StateRunning, ""); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for w, s := range seqs {
		if !slices.IsSorted(s) || len(slices.Compact(slices.Clone(s))) != len(s) {
			t.Errorf("writer %d got non-increasing seqs %v", w, s)
		}
	}
	es, err := db.Events(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	wantN := writers*each + writers*(each/5)
	if len(es) != wantN {
		t.Fatalf("journal holds %d events, want %d", len(es), wantN)
	}
	for i := 1; i < len(es); i++ {
		if es[i].Seq <= es[i-1].Seq {
			t.Fatalf("seq %d after %d", es[i].Seq, es[i-1].Seq)
		}
	}
	var all []int64
	for _, s := range seqs {
		all = append(all, s...)
	}
	var ticks []int64
	for _, e := range es {
		if e.Event == "tick" {
			ticks = append(ticks, e.Seq)
		}
	}
	if diff := cmp.Diff(ticks, all, cmpopts.SortSlices(func(a, b int64) bool { return a < b })); diff != "" {
		t.Errorf("returned seqs differ from journal (-journal +returned):\n%s", diff)
	}
}
