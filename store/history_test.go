package store

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestInstanceHistory(t *testing.T) {
	ctx := context.Background()
	db, dir := newRun(t)
	twoLevels(t, db)

	// Every write returns the rows it wrote: the last one of each id must
	// be what InstanceHistory reads back.
	written := map[int64]HistoryRow{}
	keep := func(rows ...HistoryRow) {
		for _, r := range rows {
			written[r.ID] = r
		}
	}
	// Intent recorded, then the process "crashes" before the launch returns.
	r1, err := db.LaunchIntent(ctx, "web", 1, "tok-1", "ec2")
	if err != nil {
		t.Fatal(err)
	}
	keep(r1)
	id1 := r1.ID
	s, _ := db.Service(ctx, "web")
	if s.State != StateLaunching || s.Attempt != 1 || s.InstanceID != "" {
		t.Errorf("after intent: state %s attempt %d id %q", s.State, s.Attempt, s.InstanceID)
	}
	db.Close()

	// A new process finds the intent and completes it.
	db, err = Open(ctx, dir, "r1")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	hs, err := db.InstanceHistory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(hs) != 1 || hs[0].State != HistoryIntent || hs[0].ClientToken != "tok-1" || hs[0].InstanceID != "" || hs[0].Requested.IsZero() {
		t.Fatalf("history after crash = %+v", hs)
	}
	must := func(rows []HistoryRow, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		keep(rows...)
	}
	one := func(r HistoryRow, err error) ([]HistoryRow, error) { return []HistoryRow{r}, err }
	must(one(db.LaunchDone(ctx, id1, "i-1", []byte{0, 1, 2})))
	r2, err := db.LaunchIntent(ctx, "web", 2, "tok-2", "ec2")
	must(one(r2, err))
	id2 := r2.ID
	must(one(db.LaunchFailed(ctx, id2, "capacity")))
	r3, err := db.LaunchIntent(ctx, "db", 1, "tok-3", "fake")
	must(one(r3, err))
	id3 := r3.ID
	must(one(db.LaunchDone(ctx, id3, "i-3", nil)))
	must(db.MarkInstance(ctx, "i-1", HistoryTerminated))
	must(db.MarkInstance(ctx, "i-3", "running"))

	hs, err = db.InstanceHistory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []HistoryRow{
		{ID: id1, Service: "web", Attempt: 1, ClientToken: "tok-1", Driver: "ec2", InstanceID: "i-1", Handle: []byte{0, 1, 2}, State: HistoryTerminated},
		{ID: id2, Service: "web", Attempt: 2, ClientToken: "tok-2", Driver: "ec2", State: HistoryFailed, Detail: "capacity"},
		{ID: id3, Service: "db", Attempt: 1, ClientToken: "tok-3", Driver: "fake", InstanceID: "i-3", State: "running"},
	}
	if diff := cmp.Diff(want, hs, cmpopts.IgnoreFields(HistoryRow{}, "Requested", "Launched", "Terminated")); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
	if hs[0].Launched.IsZero() || hs[0].Terminated.IsZero() || !hs[1].Launched.IsZero() || !hs[2].Terminated.IsZero() {
		t.Errorf("history times: %+v", hs)
	}
	for _, h := range hs {
		if diff := cmp.Diff(h, written[h.ID]); diff != "" {
			t.Errorf("row %d as its last write returned it differs from the record (-record +returned):\n%s", h.ID, diff)
		}
	}

	s, err = db.Service(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	// The failed second attempt recorded attempt 2 and launching; the
	// current instance is still the first one.
	if s.InstanceID != "i-1" || s.Driver != "ec2" || string(s.Handle) != "\x00\x01\x02" || s.Attempt != 2 {
		t.Errorf("web after history = %+v", s)
	}

	for _, tc := range []struct {
		name string
		err  error
		want error
	}{
		{"done of unknown intent", func() error { _, err := db.LaunchDone(ctx, 999, "i-x", nil); return err }(), ErrNoIntent},
		{"failed of unknown intent", func() error { _, err := db.LaunchFailed(ctx, 999, ""); return err }(), ErrNoIntent},
		{"mark unknown instance", func() error { _, err := db.MarkInstance(ctx, "i-none", "running"); return err }(), ErrNoIntent},
		{"intent for unknown service", func() error { _, err := db.LaunchIntent(ctx, "ghost", 1, "t", "d"); return err }(), ErrNoService},
	} {
		if !errors.Is(tc.err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, tc.err, tc.want)
		}
	}
}
