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
	ctx := context.Background()
	s, err := OpenStore(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Unix(1e9, 0)
	var nodes []nodeRec
	for _, id := range []string{"a", "b", "c"} {
		n := nodeRec{Node: epu.Node{NodeID: id, LaunchID: "l"}}
		n.setState(epu.Requested, "", now)
		nodes = append(nodes, n)
	}
	s.CreateLaunch(ctx, launchRec{Launch: epu.Launch{LaunchID: "l", State: epu.Requested}}, nodes)
	check := func(want int) {
		t.Helper()
		got, err := s.CountLive(ctx)
		a, _ := s.CountNodes(ctx, notFinal)
		b, _ := s.CountNodes(ctx, finalMaybe)
		if err != nil || got != want || a+b != want {
			t.Errorf("CountLive = %d (%v), scan %d; want %d", got, err, a+b, want)
		}
	}
	check(3)
	s.UpdateNode(ctx, "a", func(r *nodeRec) bool { r.Cloud = cloudIntent; return r.setState(epu.Failed, "", now) })
	check(3) // failed, but its instance may exist
	s.UpdateNode(ctx, "a", func(r *nodeRec) bool { r.Cloud = cloudGone; return true })
	s.UpdateNodes(ctx, []string{"b", "x"}, func(r *nodeRec) bool { return r.setState(epu.Terminated, "", now) })
	check(1)
}

// TestCountToTerminate: the store's count of the nodes the terminator has
// work for agrees with a scan of the records (TERMINATING, and final ones
// whose instance may exist) through each kind of change.
func TestCountToTerminate(t *testing.T) {
	ctx := context.Background()
	s, err := OpenStore(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Unix(1e9, 0)
	var nodes []nodeRec
	for _, id := range []string{"a", "b", "c", "d"} {
		n := nodeRec{Node: epu.Node{NodeID: id, LaunchID: "l"}, Cloud: cloudLive}
		n.setState(epu.Running, "", now)
		nodes = append(nodes, n)
	}
	if err := s.CreateLaunch(ctx, launchRec{Launch: epu.Launch{LaunchID: "l", State: epu.Running}}, nodes); err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		what string
		ids  []string
		f    func(*nodeRec) bool
		want int
	}{
		{"all running", nil, nil, 0},
		{"a terminating", []string{"a"}, func(r *nodeRec) bool { return r.setState(epu.Terminating, "", now) }, 1},
		{"b failed, its instance may exist", []string{"b"}, func(r *nodeRec) bool { return r.setState(epu.Failed, "", now) }, 2},
		{"c failed, no instance", []string{"c"}, func(r *nodeRec) bool { r.Cloud = cloudGone; return r.setState(epu.Failed, "", now) }, 2},
		{"a terminated, b's instance gone", []string{"a", "b"}, func(r *nodeRec) bool { r.Cloud = cloudGone; r.setState(epu.Terminated, "", now); return true }, 0},
		{"d terminated, its instance not known gone", []string{"d"}, func(r *nodeRec) bool { return r.setState(epu.Terminated, "", now) }, 1},
	} {
		if step.f != nil {
			if _, err := s.UpdateNodes(ctx, step.ids, step.f); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.CountToTerminate(ctx)
		term, _ := s.NodesWhere(ctx, terminating)
		maybe, _ := s.NodesWhere(ctx, finalMaybe)
		if err != nil || got != step.want || len(term)+len(maybe) != step.want {
			t.Errorf("%s: CountToTerminate = %d (%v), scan %d; want %d", step.what, got, err, len(term)+len(maybe), step.want)
		}
	}
}
