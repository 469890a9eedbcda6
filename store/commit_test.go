package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestGroupCommitIsolatesFailures runs many writes at once (a state and a
// hostname per service), a third of them on services that do not exist: the others are all recorded (and
// journaled), the failing ones report ErrNoService and leave nothing.
func TestGroupCommitIsolatesFailures(t *testing.T) {
	db, _ := newRun(t)
	ctx := context.Background()
	ls := []Level{{Number: 1, Key: "level1", Position: 0}}
	var ss []Service
	for i := range 40 {
		ss = append(ss, Service{Name: fmt.Sprintf("s%02d", i), Level: 1, Position: i})
	}
	if err := db.PutPlan(ctx, ls, ss); err != nil {
		t.Fatal(err)
	}
	const n = 120
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("s%02d", i/3)
			switch i % 3 {
			case 0:
				errs[i] = db.SetState(ctx, name, StateRunning, "w")
			case 1:
				errs[i] = db.SetHostname(ctx, name, "h-"+name)
			default:
				errs[i] = db.SetState(ctx, "ghost-"+name, StateRunning, "w")
			}
		}()
	}
	wg.Wait()
	okStates := 0
	for i, err := range errs {
		if i%3 == 2 {
			if !errors.Is(err, ErrNoService) {
				t.Errorf("write %d on a missing service: err = %v, want ErrNoService", i, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("write %d: %v", i, err)
		}
		if i%3 == 0 {
			okStates++
		}
	}
	got, err := db.Services(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range got {
		if s.State != StateRunning || s.Hostname != "h-"+s.Name {
			t.Errorf("%s: state %s, hostname %q; want running, h-%s", s.Name, s.State, s.Hostname, s.Name)
		}
	}
	es, err := db.Events(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != okStates {
		t.Errorf("journal has %d events, want %d (one per recorded state change)", len(es), okStates)
	}
}

// TestWriteCanceledBeforeItsTurn: a write whose context is done is not run.
func TestWriteCanceledBeforeItsTurn(t *testing.T) {
	db, _ := newRun(t)
	twoLevels(t, db)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := db.SetState(ctx, "web", StateRunning, ""); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	s, err := db.Service(context.Background(), "web")
	if err != nil {
		t.Fatal(err)
	}
	if s.State != StateNew {
		t.Errorf("state %s, want new", s.State)
	}
}

// TestBags: the bulk read equals the per-service reads.
func TestBags(t *testing.T) {
	db, _ := newRun(t)
	twoLevels(t, db)
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	var written []Attr
	add := func(as []Attr, err error) {
		t.Helper()
		must(err)
		written = append(written, as...)
	}
	add(db.AppendAttrs(ctx, "web", OriginDeps, []Attr{{Key: "a", Value: "1"}, {Key: "b", Value: "${db.hostname}"}}))
	add(db.AppendAttrs(ctx, "db", OriginDeps, []Attr{{Key: "port", Value: "5432"}}))
	add(db.AppendAttrs(ctx, "web", OriginBootout, []Attr{{Key: "a", Value: "2"}}))
	got, err := db.Bags(ctx)
	must(err)
	want := map[string][]Attr{}
	for _, svc := range []string{"web", "db"} {
		as, err := db.Attrs(ctx, svc)
		must(err)
		want[svc] = as
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Bags (-want +got):\n%s", d)
	}
	if len(got["web"]) != 3 || got["web"][2].Origin != OriginBootout {
		t.Errorf("web bag = %+v", got["web"])
	}
	// AppendAttrs returned the rows as the record holds them.
	if d := cmp.Diff(append(append([]Attr{}, got["web"][:2]...), append(got["db"], got["web"][2])...), written); d != "" {
		t.Errorf("AppendAttrs returned (-record +returned):\n%s", d)
	}
}

// TestLaunchDoneClearsHostKey: a new instance is a new host.
func TestLaunchDoneClearsHostKey(t *testing.T) {
	db, _ := newRun(t)
	twoLevels(t, db)
	ctx := context.Background()
	if err := db.SetHostKey(ctx, "web", "ssh-ed25519 AAAA old"); err != nil {
		t.Fatal(err)
	}
	in, err := db.LaunchIntent(ctx, "web", 2, "tok-2", "fake")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.LaunchDone(ctx, in.ID, "i-2", nil); err != nil {
		t.Fatal(err)
	}
	s, err := db.Service(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	if s.HostKey != "" || s.InstanceID != "i-2" || s.State != StateLaunched {
		t.Errorf("after LaunchDone: host key %q, instance %q, state %s; want none, i-2, launched", s.HostKey, s.InstanceID, s.State)
	}
}

// TestLaunchDoneReturnsRecord: LaunchDone completes the intent's row as
// LaunchIntent wrote it (or as it read it, for an intent it did not
// record) instead of reading it again; what it returns is what the record
// holds, with and without a handle, for an intent recorded by this DB, by
// an earlier one (a resumed boot), and after LaunchFailed.
func TestLaunchDoneReturnsRecord(t *testing.T) {
	for _, tt := range []struct {
		name   string
		reopen bool // LaunchDone by a new DB
		failed bool // LaunchFailed first
	}{{name: "this db"}, {name: "reopened", reopen: true}, {name: "after failed", failed: true}} {
		t.Run(tt.name, func(t *testing.T) {
			db, dir := newRun(t)
			twoLevels(t, db)
			ctx := context.Background()
			for i, handle := range [][]byte{nil, {0, 1, 2}} {
				in, err := db.LaunchIntent(ctx, "web", i+1, fmt.Sprintf("tok-%d", i+1), "fake")
				if err != nil {
					t.Fatal(err)
				}
				if tt.reopen {
					if err := db.Close(); err != nil {
						t.Fatal(err)
					}
					if db, err = Open(ctx, dir, "r1"); err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { db.Close() })
				}
				if tt.failed {
					if _, err := db.LaunchFailed(ctx, in.ID, "capacity"); err != nil {
						t.Fatal(err)
					}
				}
				got, err := db.LaunchDone(ctx, in.ID, fmt.Sprintf("i-%d", i+1), handle)
				if err != nil {
					t.Fatal(err)
				}
				hs, err := db.InstanceHistory(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(hs[len(hs)-1], got); diff != "" {
					t.Errorf("handle %v: LaunchDone returned (-record +returned):\n%s", handle, diff)
				}
			}
		})
	}
}

// TestSetRunning records hostname and state in one write, journaled once.
func TestSetRunning(t *testing.T) {
	db, _ := newRun(t)
	twoLevels(t, db)
	ctx := context.Background()
	if err := db.SetRunning(ctx, "web", "10.0.0.5", "hostname 10.0.0.5"); err != nil {
		t.Fatal(err)
	}
	if err := db.SetRunning(ctx, "ghost", "h", ""); !errors.Is(err, ErrNoService) {
		t.Errorf("unknown service: err = %v, want ErrNoService", err)
	}
	s, err := db.Service(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	if s.State != StateRunning || s.Hostname != "10.0.0.5" {
		t.Errorf("web: state %s, hostname %q", s.State, s.Hostname)
	}
	es, err := db.Events(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range es {
		got = append(got, fmt.Sprintf("%s %s %s %s", e.Service, e.Event, e.State, e.Detail))
	}
	if d := cmp.Diff([]string{"web state running hostname 10.0.0.5"}, got); d != "" {
		t.Errorf("journal (-want +got):\n%s", d)
	}
}

// TestSetStateHostname records state and hostname (cleared by "") in one
// write, journaled once as SetState journals (ERROR for failed).
func TestSetStateHostname(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		state     State
		host      string
		wantLevel string
	}{
		{StateTerminated, "", "INFO"},
		{StateFailed, "h2", "ERROR"},
	} {
		t.Run(string(tc.state), func(t *testing.T) {
			db, _ := newRun(t)
			twoLevels(t, db)
			if err := db.SetRunning(ctx, "web", "10.0.0.5", ""); err != nil {
				t.Fatal(err)
			}
			if err := db.SetStateHostname(ctx, "web", tc.state, tc.host, "why"); err != nil {
				t.Fatal(err)
			}
			var host sql.NullString
			var state string
			if err := db.sql.QueryRowContext(ctx, `SELECT state, hostname FROM service WHERE name = 'web'`).Scan(&state, &host); err != nil {
				t.Fatal(err)
			}
			if state != string(tc.state) || host.String != tc.host || host.Valid != (tc.host != "") {
				t.Errorf("web: state %s, hostname %+v; want %s, %q (NULL if empty)", state, host, tc.state, tc.host)
			}
			es, err := db.Events(ctx, 0)
			if err != nil {
				t.Fatal(err)
			}
			last := es[len(es)-1]
			if got := fmt.Sprintf("%d %s %s %s %s", len(es), last.Level, last.Event, last.State, last.Detail); got != "2 "+tc.wantLevel+" state "+string(tc.state)+" why" {
				t.Errorf("journal: %s", got)
			}
		})
	}
	db, _ := newRun(t)
	twoLevels(t, db)
	if err := db.SetStateHostname(ctx, "ghost", StateTerminated, "", ""); !errors.Is(err, ErrNoService) {
		t.Errorf("unknown service: err = %v, want ErrNoService", err)
	}
	if err := db.SetStateHostname(ctx, "web", "gone", "", ""); err == nil {
		t.Error("an invalid state was accepted")
	}
}
