package provisioner

import (
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/iaas"
)

// TestObserveWritesOnlyChanges: what the query pass saw of an instance
// changes a record only when it is new to the record as it is when
// written, which may have moved since the pass read it (the terminator
// found the instance gone first): then nothing is written.
func TestObserveWritesOnlyChanges(t *testing.T) {
	clock := newFakeClock()
	p := &Provisioner{clock: clock, cfg: Config{DisappearAfter: Duration(time.Minute)}}
	now := clock.Now()
	pending := now.Add(-2 * time.Minute) // past disappear_after
	view := func(s epu.State) nodeView {
		return nodeView{NodeID: "n", State: s, Cloud: cloudLive, IaaSID: "i-1", PendingTime: pending}
	}
	rec := func(s epu.State, c cloudState) nodeRec {
		r := nodeRec{Node: epu.Node{NodeID: "n", IaaSID: "i-1", PendingTime: pending}, Cloud: c}
		r.setState(s, "", pending)
		return r
	}
	gone := iaas.Instance{ID: "i-1", Err: iaas.ErrNotFound}
	terminated := iaas.Instance{ID: "i-1", State: iaas.StateTerminated}
	for _, c := range []struct {
		what      string
		seen      nodeView
		inst      iaas.Instance
		now       nodeRec
		write     bool
		wantState epu.State
	}{
		{"terminating, unknown to the cloud", view(epu.Terminating), gone, rec(epu.Terminating, cloudLive), true, epu.Terminated},
		{"terminating, unknown, already terminated by the terminator", view(epu.Terminating), gone, rec(epu.Terminated, cloudGone), false, epu.Terminated},
		{"running, unknown past disappear_after", view(epu.Running), gone, rec(epu.Running, cloudLive), true, epu.Failed},
		{"running, unknown, already failed with its instance gone", view(epu.Running), gone, rec(epu.Failed, cloudGone), false, epu.Failed},
		{"terminating, terminated in the cloud", view(epu.Terminating), terminated, rec(epu.Terminating, cloudLive), true, epu.Terminated},
		{"terminating, terminated, already recorded so", view(epu.Terminating), terminated, rec(epu.Terminated, cloudGone), false, epu.Terminated},
		{"running, terminated, the record failed meanwhile with its instance", view(epu.Running), terminated, rec(epu.Failed, cloudLive), true, epu.Failed},
		{"running, unknown past disappear_after, terminated meanwhile", view(epu.Running), gone, rec(epu.Terminated, cloudLive), true, epu.Terminated},
		{"running, unknown past disappear_after, terminating meanwhile", view(epu.Running), gone, rec(epu.Terminating, cloudLive), true, epu.Terminated},
	} {
		f := p.observe(c.seen, c.inst)
		if f == nil {
			t.Errorf("%s: no change to apply", c.what)
			continue
		}
		r := c.now.clone()
		if got := f(&r); got != c.write || r.State != c.wantState || r.Cloud != cloudGone {
			t.Errorf("%s: write %v, %s %q; want write %v, %s %q", c.what, got, r.State, r.Cloud, c.write, c.wantState, cloudGone)
		}
	}
}
