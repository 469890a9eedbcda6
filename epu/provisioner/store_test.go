package provisioner

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/epu"
)

// TestStoreForwardOnly: an update carrying an older state than the stored
// one keeps the newer state (its other fields are written); the history
// records each state reached once; taken ids are ErrExists; the file is
// 0600 in a 0700 directory; the disabled flag persists across opens.
func TestStoreForwardOnly(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	ctx := context.Background()
	s, err := OpenStore(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1e9, 0)
	n := nodeRec{Node: epu.Node{NodeID: "n1", LaunchID: "l1"}}
	n.setState(epu.Requested, "", now)
	l := launchRec{Launch: epu.Launch{LaunchID: "l1", State: epu.Requested, NodeIDs: []string{"n1"}}}
	if err := s.CreateLaunch(ctx, l, []nodeRec{n}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateLaunch(ctx, l, []nodeRec{n}); !errors.Is(err, ErrExists) {
		t.Errorf("second CreateLaunch: %v, want ErrExists", err)
	}
	s.UpdateNode(ctx, "n1", func(r *nodeRec) bool { return r.setState(epu.Running, "", now) })
	got, _, err := s.UpdateNode(ctx, "n1", func(r *nodeRec) bool {
		r.State = epu.Pending // a stale writer
		r.IaaSID = "i-1"
		return true
	})
	if err != nil || got.State != epu.Running || got.IaaSID != "i-1" || len(got.StateChanges) != 2 {
		t.Errorf("stale update: %+v %v; want RUNNING kept, iaas id written, 2 changes", got, err)
	}
	if vs, err := s.ViewsWhere(ctx, NodeFilter{From: epu.Running}); err != nil || len(vs) != 1 || vs[0].IaaSID != "i-1" || vs[0].State != epu.Running {
		t.Errorf("views: %+v %v; want n1 RUNNING with i-1", vs, err)
	}
	if err := s.SetDisabled(ctx, true); err != nil {
		t.Fatal(err)
	}
	s.Close()
	for path, mode := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, DBFile): 0o600} {
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != mode {
			t.Errorf("%s: %v %v, want %v", path, fi.Mode().Perm(), err, mode)
		}
	}
	s, err = OpenStore(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if d, err := s.Disabled(ctx); err != nil || !d {
		t.Errorf("disabled after reopen: %v %v", d, err)
	}
	if _, err := s.Node(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown node: %v", err)
	}
}

// TestCountLive: the store's tally of nodes that may have an instance
// agrees with a count of the records through inserts and updates.
func TestCountLive(t *testing.T) {
	now := time.Unix(1e9, 0)
	proto := nodeRec{}
	proto.setState(epu.Requested, "", now)
	s := launchStore(t, proto, "a", "b", "c")
	scan := func(ctx context.Context) (int, error) {
		a, err := s.CountNodes(ctx, notFinal)
		b, err2 := s.CountNodes(ctx, finalMaybe)
		return a + b, errors.Join(err, err2)
	}
	checkCount(t, s, s.CountLive, scan, []countStep{
		{"three requested", nil, nil, 3},
		{"a failed, its instance may exist", []string{"a"}, func(r *nodeRec) bool { r.Cloud = cloudIntent; return r.setState(epu.Failed, "", now) }, 3},
		{"a's instance gone", []string{"a"}, func(r *nodeRec) bool { r.Cloud = cloudGone; return true }, 2},
		{"b terminated, unknown x skipped", []string{"b", "x"}, func(r *nodeRec) bool { return r.setState(epu.Terminated, "", now) }, 1},
	})
}

// TestCountToTerminate: the store's count of the nodes the terminator has
// work for agrees with a scan of the records (TERMINATING, and final ones
// whose instance may exist) through each kind of change.
func TestCountToTerminate(t *testing.T) {
	now := time.Unix(1e9, 0)
	proto := nodeRec{Cloud: cloudLive}
	proto.setState(epu.Running, "", now)
	s := launchStore(t, proto, "a", "b", "c", "d")
	scan := func(ctx context.Context) (int, error) {
		term, err := s.NodesWhere(ctx, terminating)
		maybe, err2 := s.NodesWhere(ctx, finalMaybe)
		return len(term) + len(maybe), errors.Join(err, err2)
	}
	checkCount(t, s, s.CountToTerminate, scan, []countStep{
		{"all running", nil, nil, 0},
		{"a terminating", []string{"a"}, func(r *nodeRec) bool { return r.setState(epu.Terminating, "", now) }, 1},
		{"b failed, its instance may exist", []string{"b"}, func(r *nodeRec) bool { return r.setState(epu.Failed, "", now) }, 2},
		{"c failed, no instance", []string{"c"}, func(r *nodeRec) bool { r.Cloud = cloudGone; return r.setState(epu.Failed, "", now) }, 2},
		{"a terminated, b's instance gone", []string{"a", "b"}, func(r *nodeRec) bool { r.Cloud = cloudGone; r.setState(epu.Terminated, "", now); return true }, 0},
		{"d terminated, its instance not known gone", []string{"d"}, func(r *nodeRec) bool { return r.setState(epu.Terminated, "", now) }, 1},
	})
}

// launchStore opens a store in a temporary directory (closed at the
// test's end) holding launch "l" of one node per id, each a copy of
// proto (its state and cloud) with that NodeID.
func launchStore(t *testing.T, proto nodeRec, ids ...string) Store {
	t.Helper()
	ctx := context.Background()
	s, err := OpenStore(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	var nodes []nodeRec
	for i, id := range ids {
		n := proto.clone()
		n.NodeID, n.LaunchID, n.Index = id, "l", i
		nodes = append(nodes, n)
	}
	if err := s.CreateLaunch(ctx, launchRec{Launch: epu.Launch{LaunchID: "l", State: proto.State, NodeIDs: ids}}, nodes); err != nil {
		t.Fatal(err)
	}
	return s
}

// countStep changes the nodes ids (UpdateNodes: unknown ids are
// skipped; none when f is nil) and says what a count is after it.
type countStep struct {
	what string
	ids  []string
	f    func(*nodeRec) bool
	want int
}

// checkCount applies each step to s and wants both count (the store's
// own) and scan (of the records, one by one) to say step.want after it.
func checkCount(t *testing.T, s Store, count, scan func(context.Context) (int, error), steps []countStep) {
	t.Helper()
	ctx := context.Background()
	for _, step := range steps {
		if step.f != nil {
			if _, err := s.UpdateNodes(ctx, step.ids, step.f); err != nil {
				t.Fatalf("%s: %v", step.what, err)
			}
		}
		got, err := count(ctx)
		scanned, serr := scan(ctx)
		if err != nil || serr != nil || got != step.want || scanned != step.want {
			t.Errorf("%s: count %d (%v), scan %d (%v); want %d", step.what, got, err, scanned, serr, step.want)
		}
	}
}
