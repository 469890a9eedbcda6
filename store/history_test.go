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

	// Intent recorded, then the process "crashes" before the launch returns.
	id1, err := db.LaunchIntent(ctx, "web", 1, "tok-1", "ec2")
	if err != nil {
		t.Fatal(err)
	}
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
	if err := db.LaunchDone(ctx, id1, "i-1", []byte{0, 1, 2}); err != nil {
		t.Fatal(err)
	}
	id2, err := db.LaunchIntent(ctx, "web", 2, "tok-2", "ec2")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.LaunchFailed(ctx, id2, "capacity"); err != nil {
		t.Fatal(err)
	}
	id3, _ := db.LaunchIntent(ctx, "db", 1, "tok-3", "fake")
	if err := db.LaunchDone(ctx, id3, "i-3", nil); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkInstance(ctx, "i-1", HistoryTerminated); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkInstance(ctx, "i-3", "running"); err != nil {
		t.Fatal(err)
	}

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
		{"done of unknown intent", db.LaunchDone(ctx, 999, "i-x", nil), ErrNoIntent},
		{"failed of unknown intent", db.LaunchFailed(ctx, 999, ""), ErrNoIntent},
		{"mark unknown instance", db.MarkInstance(ctx, "i-none", "running"), ErrNoIntent},
		{"intent for unknown service", func() error { _, err := db.LaunchIntent(ctx, "ghost", 1, "t", "d"); return err }(), ErrNoService},
	} {
		if !errors.Is(tc.err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, tc.err, tc.want)
		}
	}
}
