package provisioner

import (
	"context"
	"fmt"
	"slices"

	"github.com/cloudinitd/cloudinitd/epu"
)

// The store's reads, answered from its image of the records (nothing is
// read from the file). Records are copies: the caller's own.

func (s *sqliteStore) Launch(ctx context.Context, id string) (launchRec, error) {
	if err := ctx.Err(); err != nil {
		return launchRec{}, err
	}
	l, ok := s.img.launch(id)
	if !ok {
		return launchRec{}, fmt.Errorf("launch %q: %w", id, ErrNotFound)
	}
	return l.clone(), nil
}

func (s *sqliteStore) Launches(ctx context.Context) ([]launchRec, error) {
	return s.LaunchesIn(ctx, "", "")
}

func (s *sqliteStore) LaunchesIn(ctx context.Context, from, to epu.State) ([]launchRec, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	lo, hi := bounds(from, to)
	s.img.rlockSorted(false)
	var ls []*launchRec
	for _, e := range s.img.lorder {
		if num := e.rec.State.Number(); num >= lo && num < hi {
			ls = append(ls, e.rec)
		}
	}
	s.img.mu.RUnlock()
	var out []launchRec
	if len(ls) > 0 {
		out = make([]launchRec, len(ls))
	}
	for i, l := range ls {
		out[i] = l.clone()
	}
	return out, nil
}

func (s *sqliteStore) CountLaunches(ctx context.Context, from, to epu.State) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	lo, hi := bounds(from, to)
	s.img.mu.RLock()
	defer s.img.mu.RUnlock()
	if from == "" && to == "" {
		return len(s.img.launches), nil
	}
	n := 0
	for _, e := range s.img.launches {
		if num := e.rec.State.Number(); num >= lo && num < hi {
			n++
		}
	}
	return n, nil
}

func (s *sqliteStore) Node(ctx context.Context, id string) (nodeRec, error) {
	if err := ctx.Err(); err != nil {
		return nodeRec{}, err
	}
	n, ok := s.img.node(id)
	if !ok {
		return nodeRec{}, fmt.Errorf("node %q: %w", id, ErrNotFound)
	}
	return n.clone(), nil
}

func (s *sqliteStore) Nodes(ctx context.Context) ([]nodeRec, error) {
	return s.NodesWhere(ctx, NodeFilter{})
}

func (s *sqliteStore) LaunchNodes(ctx context.Context, launchID string) ([]nodeRec, error) {
	return s.NodesWhere(ctx, NodeFilter{LaunchID: launchID})
}

func (s *sqliteStore) NodesWhere(ctx context.Context, f NodeFilter) ([]nodeRec, error) {
	ns, err := s.nodesWhere(ctx, f)
	var out []nodeRec
	if len(ns) > 0 {
		out = make([]nodeRec, len(ns))
	}
	for i, n := range ns {
		out[i] = n.clone()
	}
	return out, err
}

func (s *sqliteStore) ViewsWhere(ctx context.Context, f NodeFilter) ([]nodeView, error) {
	ns, err := s.nodesWhere(ctx, f)
	var out []nodeView
	if len(ns) > 0 {
		out = make([]nodeView, len(ns))
	}
	for i, n := range ns {
		out[i] = n.viewOf()
	}
	return out, err
}

func (s *sqliteStore) CountNodes(ctx context.Context, f NodeFilter) (int, error) {
	ns, err := s.nodesWhere(ctx, f)
	return len(ns), err
}

// nodesWhere returns the records (the image's: not to be changed) of
// the nodes f selects, by launch then index. The lock is held only while
// they are picked.
func (s *sqliteStore) nodesWhere(ctx context.Context, f NodeFilter) ([]*nodeRec, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m := f.matcher()
	if f.LaunchID != "" {
		s.img.mu.RLock()
	} else {
		s.img.rlockSorted(true)
	}
	defer s.img.mu.RUnlock()
	keys := s.img.byLaunch[f.LaunchID]
	if f.LaunchID == "" {
		keys = s.img.order
	}
	var out []*nodeRec
	for _, k := range keys {
		if n := s.img.nodes[k.id]; m(n) {
			out = append(out, n)
		}
	}
	return out, nil
}
func (s *sqliteStore) CountByState(ctx context.Context) (map[epu.State]int, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	byNum := map[int]epu.State{}
	for _, st := range epu.States {
		byNum[st.Number()] = st
	}
	s.img.mu.RLock()
	defer s.img.mu.RUnlock()
	out := map[epu.State]int{}
	for num, n := range s.img.byNum {
		if n > 0 {
			out[byNum[num]] += n
		}
	}
	return out, nil
}

func (s *sqliteStore) CountLive(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.img.mu.RLock()
	defer s.img.mu.RUnlock()
	return s.img.live, nil
}

func (s *sqliteStore) CountLiveWith(ctx context.Context, pending map[string]int) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.img.mu.RLock()
	defer s.img.mu.RUnlock()
	n := s.img.live
	for id, k := range pending {
		if _, ok := s.img.launches[id]; !ok {
			n += k
		}
	}
	return n, nil
}

func (s *sqliteStore) CountToTerminate(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	lo, hi := bounds(terminating.From, terminating.To)
	s.img.mu.RLock()
	defer s.img.mu.RUnlock()
	n, notFinal := 0, 0 // live = not final + final whose instance may exist
	for num, k := range s.img.byNum {
		if num >= lo && num < hi {
			n += k
		}
		if num < epu.Terminated.Number() {
			notFinal += k
		}
	}
	return n + s.img.live - notFinal, nil
}

func (s *sqliteStore) SettledLaunches(ctx context.Context) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.img.rlockSorted(false)
	defer s.img.mu.RUnlock()
	var out []string
	for _, e := range s.img.lorder {
		if e.rec.State != epu.Terminating {
			continue
		}
		if !slices.ContainsFunc(s.img.byLaunch[e.rec.LaunchID], func(k nodeKey) bool { return isLive(s.img.nodes[k.id]) }) {
			out = append(out, e.rec.LaunchID)
		}
	}
	return out, nil
}

func (s *sqliteStore) Empty(ctx context.Context) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	s.img.mu.RLock()
	defer s.img.mu.RUnlock()
	return len(s.img.launches) == 0 && len(s.img.nodes) == 0, nil
}

// bounds are the state numbers of from ≤ state < to (a zero bound open).
func bounds(from, to epu.State) (lo, hi int) {
	hi = to.Number()
	if to == "" {
		hi = 1 << 30
	}
	return from.Number(), hi
}

// matcher is f as a test of a record.
func (f NodeFilter) matcher() func(n *nodeRec) bool {
	lo, hi := bounds(f.From, f.To)
	return func(n *nodeRec) bool {
		if num := n.State.Number(); num < lo || num >= hi {
			return false
		}
		if len(f.Clouds) > 0 && !slices.Contains(f.Clouds, n.Cloud) {
			return false
		}
		return f.LaunchID == "" || n.LaunchID == f.LaunchID
	}
}
