package provisioner

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cloudinitd/cloudinitd/epu"
)

func commitTestLaunch(id string, nodeIDs ...string) (launchRec, []nodeRec) {
	l := launchRec{Launch: epu.Launch{LaunchID: id, State: epu.Requested, NodeIDs: nodeIDs}}
	var ns []nodeRec
	for i, nid := range nodeIDs {
		n := nodeRec{Node: epu.Node{NodeID: nid, LaunchID: id}, Index: i}
		n.setState(epu.Requested, "", time.Unix(1e9, 0))
		ns = append(ns, n)
	}
	return l, ns
}

// TestCommitterGroupedWrites: writes grouped into one transaction commit
// together, and one that fails halfway (a launch whose second node id is
// taken) is undone alone: its launch row is not kept, the writes before
// and after it are.
func TestCommitterGroupedWrites(t *testing.T) {
	ctx := context.Background()
	st, err := OpenStore(ctx, filepath.Join(t.TempDir(), "state"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s := st.(*sqliteStore)
	if err := s.CreateLaunch(ctx, launchRec{Launch: epu.Launch{LaunchID: "l0", State: epu.Requested}}, nil); err != nil {
		t.Fatal(err)
	}
	taken := nodeRec{Node: epu.Node{NodeID: "taken", LaunchID: "l0"}}
	if err := s.InsertNode(ctx, taken); err != nil {
		t.Fatal(err)
	}
	var batch []*txOp
	for i := range 5 {
		id := fmt.Sprintf("l%d", i+1)
		l, ns := commitTestLaunch(id, "n-"+id, "m-"+id)
		if i == 2 {
			l, ns = commitTestLaunch(id, "n-"+id, "taken")
		}
		batch = append(batch, &txOp{ctx: ctx, f: func(tx *sqlTx) error { return createLaunchTx(ctx, tx, l, ns) }})
	}
	s.commit.run(batch)
	var errs []bool
	for _, op := range batch {
		errs = append(errs, errors.Is(op.err, ErrExists))
	}
	if diff := cmp.Diff([]bool{false, false, true, false, false}, errs); diff != "" {
		t.Errorf("ErrExists per write (-want +got):\n%s", diff)
	}
	ls, err := s.Launches(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, l := range ls {
		ids = append(ids, l.LaunchID)
	}
	if diff := cmp.Diff([]string{"l0", "l1", "l2", "l4", "l5"}, ids); diff != "" {
		t.Errorf("launches stored (-want +got):\n%s", diff)
	}
	if _, err := s.Node(ctx, "n-l3"); !errors.Is(err, ErrNotFound) {
		t.Errorf("node of the failed write: %v, want ErrNotFound", err)
	}
	if n, err := s.CountLive(ctx); err != nil || n != 9 {
		t.Errorf("live tally %d %v, want 9 (the failed write's node not counted)", n, err)
	}
}

// TestCommitterConcurrent: many callers at once each see their own write
// committed when the call returns, and a write after Close fails.
func TestCommitterConcurrent(t *testing.T) {
	ctx := context.Background()
	st, err := OpenStore(ctx, filepath.Join(t.TempDir(), "state"))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 64)
	for i := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprintf("l%02d", i)
			l, ns := commitTestLaunch(id, "n-"+id)
			if errs[i] = st.CreateLaunch(ctx, l, ns); errs[i] != nil {
				return
			}
			if _, err := st.Node(ctx, "n-"+id); err != nil {
				errs[i] = fmt.Errorf("read back: %w", err)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Error(err)
	}
	if n, err := st.CountLive(ctx); err != nil || n != 64 {
		t.Errorf("live tally %d %v, want 64", n, err)
	}
	st.Close()
	l, ns := commitTestLaunch("late", "n-late")
	if err := st.CreateLaunch(ctx, l, ns); !errors.Is(err, errStoreClosed) {
		t.Errorf("write after Close: %v, want errStoreClosed", err)
	}
}

// TestViewsWhereAfterUpdate: the views decoded by one call and kept for
// the next never hide a write made in between.
func TestViewsWhereAfterUpdate(t *testing.T) {
	ctx := context.Background()
	s, err := OpenStore(ctx, filepath.Join(t.TempDir(), "state"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	l, ns := commitTestLaunch("l1", "n1", "n2")
	if err := s.CreateLaunch(ctx, l, ns); err != nil {
		t.Fatal(err)
	}
	ids := func() []string {
		vs, err := s.ViewsWhere(ctx, NodeFilter{})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, v := range vs {
			out = append(out, v.NodeID+"="+v.IaaSID+"/"+string(v.Handle))
			v.Handle = append(v.Handle[:0], 'x') // the caller's copy: no effect on the next call
		}
		return out
	}
	for i, want := range [][]string{{"n1=/", "n2=/"}, {"n1=i-1/h1", "n2=/"}, {"n1=i-1/h1", "n2=i-2/h2"}} {
		if i > 0 {
			id := fmt.Sprintf("n%d", i)
			if _, _, err := s.UpdateNode(ctx, id, func(r *nodeRec) bool {
				r.IaaSID, r.Handle = fmt.Sprintf("i-%d", i), []byte(fmt.Sprintf("h%d", i))
				return true
			}); err != nil {
				t.Fatal(err)
			}
		}
		if diff := cmp.Diff(want, ids()); diff != "" {
			t.Errorf("step %d views (-want +got):\n%s", i, diff)
		}
		if diff := cmp.Diff(want, ids()); diff != "" {
			t.Errorf("step %d views read again (-want +got):\n%s", i, diff)
		}
	}
}
