package provisioner

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cloudinitd/cloudinitd/epu"
)

// storeReads is everything the store answers, for comparing two stores.
type storeReads struct {
	Launches []launchRec
	Nodes    []nodeRec
	Views    []nodeView
	ByState  map[epu.State]int
	Live     int
	Settled  []string
	Disabled bool
	Launch2  []nodeRec
}

func readAll(t *testing.T, s Store) storeReads {
	t.Helper()
	ctx := context.Background()
	var r storeReads
	var err error
	check := func(e error) {
		t.Helper()
		if e != nil && err == nil {
			err = e
		}
	}
	r.Launches, err = s.Launches(ctx)
	var e error
	r.Nodes, e = s.Nodes(ctx)
	check(e)
	r.Views, e = s.ViewsWhere(ctx, toQuery)
	check(e)
	r.ByState, e = s.CountByState(ctx)
	check(e)
	r.Live, e = s.CountLive(ctx)
	check(e)
	r.Settled, e = s.SettledLaunches(ctx)
	check(e)
	r.Disabled, e = s.Disabled(ctx)
	check(e)
	r.Launch2, e = s.LaunchNodes(ctx, "l2")
	check(e)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestImageMatchesFile: after inserts, updates, grouped writes of which
// one fails, and the disabled flag, the reads the store answers from
// memory are those of the same file opened afresh (read from SQLite).
func TestImageMatchesFile(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "state")
	st, err := OpenStore(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { st.Close() }()
	s := st.(*sqliteStore)
	now := time.Unix(1e9, 0).UTC()
	// Launches inserted with their nodes out of order (l3 before l2).
	for _, id := range []string{"l1", "l3", "l2"} {
		l, ns := commitTestLaunch(id, "c-"+id, "b-"+id, "a-"+id)
		if err := s.CreateLaunch(ctx, l, ns); err != nil {
			t.Fatal(err)
		}
	}
	var batch []*txOp
	for i, id := range []string{"a-l1", "b-l1", "nope", "a-l2"} {
		batch = append(batch, &txOp{ctx: ctx, f: func(tx *sqlTx) error {
			_, _, err := updateNodeTx(ctx, tx, id, func(r *nodeRec) bool {
				r.Cloud, r.IaaSID, r.Handle = cloudLive, fmt.Sprintf("i-%d", i), []byte{byte(i)}
				return r.setState(epu.Started, "", now)
			})
			return err
		}})
	}
	// The same node twice in one transaction: the second write sees the first.
	batch = append(batch, &txOp{ctx: ctx, f: func(tx *sqlTx) error {
		_, _, err := updateNodeTx(ctx, tx, "a-l1", func(r *nodeRec) bool { return r.setState(epu.Running, "", now) })
		return err
	}})
	s.commit.run(batch)
	if batch[2].err == nil {
		t.Errorf("update of an unknown node in a batch: no error")
	}
	if _, err := s.UpdateNodes(ctx, []string{"a-l3", "b-l3", "c-l3"}, func(r *nodeRec) bool {
		return r.setState(epu.Terminated, "", now)
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateLaunches(ctx, []string{"l3", "l1"}, func(l *launchRec) bool { return l.setState(epu.Terminating, "") }); err != nil {
		t.Fatal(err)
	}
	stub := nodeRec{Node: epu.Node{NodeID: "stub"}}
	stub.setState(epu.Terminated, ReasonUnknownNode, now)
	if err := s.InsertNode(ctx, stub); err != nil {
		t.Fatal(err)
	}
	if err := s.SetDisabled(ctx, true); err != nil {
		t.Fatal(err)
	}
	live := readAll(t, s)
	var order []string
	for _, n := range live.Nodes {
		order = append(order, n.NodeID)
		if n.NodeID == "a-l1" && n.State != epu.Running {
			t.Errorf("a-l1 is %s, want RUNNING (both writes of the batch)", n.State)
		}
	}
	want := []string{"stub", "c-l1", "b-l1", "a-l1", "c-l2", "b-l2", "a-l2", "c-l3", "b-l3", "a-l3"}
	if diff := cmp.Diff(want, order); diff != "" {
		t.Errorf("nodes by launch and index (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"l3"}, live.Settled); diff != "" {
		t.Errorf("settled launches (-want +got):\n%s", diff)
	}
	st.Close()
	if st, err = OpenStore(ctx, dir); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(readAll(t, st), live); diff != "" {
		t.Errorf("reads from memory differ from the file read afresh (-file +memory):\n%s", diff)
	}
}
