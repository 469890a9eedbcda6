package provisioner

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/api"
)

// DescribeNodes returns the records of the given nodes, or of every node
// when ids is empty (reference §5.2 9). An unknown id is a 404 naming it.
// Records never hold secrets.
func (p *Provisioner) DescribeNodes(ctx context.Context, ids []string) ([]epu.Node, error) {
	if len(ids) == 0 {
		all, err := p.store.Nodes(ctx)
		if err != nil {
			return nil, err
		}
		out := make([]epu.Node, len(all))
		for i, n := range all {
			out[i] = n.public()
		}
		return out, nil
	}
	out := make([]epu.Node, 0, len(ids))
	for i, id := range ids {
		n, err := p.store.Node(ctx, id)
		if errors.Is(err, ErrNotFound) {
			return nil, api.NotFound(fmt.Sprintf("node_id[%d]", i), "unknown node %q", id)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, n.public())
	}
	return out, nil
}

// DumpStateResult answers dump_state.
type DumpStateResult struct {
	Sent    int      `json:"sent"`    // records queued (one per node and subscriber)
	Unknown []string `json:"unknown"` // ids sent as 900-FAILED to force_subscribe
}

// DumpState queues the latest record of each node for its launch's
// subscribers and req.ForceSubscribe, and {node_id, 900-FAILED} for an
// unknown id to ForceSubscribe only (reference §5.2 8). Pushes are
// asynchronous, like every push.
//
// A ForceSubscribe of a service that is a subscriber of the node's launch
// at another URL says where that subscriber is now (a controller
// restarted on another port): the launch's subscriber moves to its URL
// (resubscribe), so later pushes go there too, and the record sent is
// read after the move, so a change pushed meanwhile to the old URL is not
// lost.
func (p *Provisioner) DumpState(ctx context.Context, req epu.DumpStateRequest) (DumpStateResult, error) {
	if req.ForceSubscribe != nil {
		if err := checkSubscriber("force_subscribe", *req.ForceSubscribe); err != nil {
			return DumpStateResult{}, err
		}
	}
	for i, id := range req.NodeIDs {
		if err := checkID(fmt.Sprintf("node_ids[%d]", i), id); err != nil {
			return DumpStateResult{}, err
		}
	}
	res := DumpStateResult{Unknown: []string{}}
	checked := map[string]bool{} // launches resubscribe has seen
	for _, id := range req.NodeIDs {
		n, err := p.store.Node(ctx, id)
		if errors.Is(err, ErrNotFound) {
			res.Unknown = append(res.Unknown, id)
			if req.ForceSubscribe != nil {
				p.notifier.push(*req.ForceSubscribe, epu.Node{NodeID: id, State: epu.Failed, StateDesc: ReasonUnknownNode})
				res.Sent++
			}
			continue
		}
		if err != nil {
			return res, err
		}
		if req.ForceSubscribe != nil && n.LaunchID != "" && !checked[n.LaunchID] {
			checked[n.LaunchID] = true
			moved, err := p.resubscribe(ctx, n.LaunchID, *req.ForceSubscribe)
			if err != nil {
				return res, err
			}
			if moved {
				if n, err = p.store.Node(ctx, id); err != nil {
					return res, err
				}
			}
		}
		subs, err := p.subscribers(ctx, n.LaunchID)
		if err != nil {
			return res, err
		}
		if req.ForceSubscribe != nil && !containsSub(subs, *req.ForceSubscribe) {
			subs = append(subs[:len(subs):len(subs)], *req.ForceSubscribe)
		}
		p.pushAll(subs, n)
		res.Sent += len(subs)
	}
	return res, nil
}

// Health is the provisioner's self-report.
type Health struct {
	Status   string         `json:"status"` // "OK"
	Service  string         `json:"service"`
	RunID    string         `json:"run_id"`
	Disabled bool           `json:"disabled"`
	Nodes    map[string]int `json:"nodes"`    // count per state
	Launches int            `json:"launches"` // every launch recorded
	Pushes   map[string]int `json:"pushes"`   // records waiting, per "service url"
	// Clouds are where the workers of the deployable types live, one per
	// distinct iaas value, endpoint and state directory, sorted: what a
	// teardown sweeps (epumgmt killrun) when the provisioner is gone.
	Clouds []Cloud `json:"clouds"`
}

// Cloud is where workers of a deployable type are launched: the type's
// iaas value and iaas_url, and the drivers' state directory. It holds no
// credential.
type Cloud struct {
	IaaS     string `json:"iaas"`
	IaaSURL  string `json:"iaas_url,omitempty"`
	StateDir string `json:"iaas_state_dir,omitempty"`
}

// clouds lists the distinct clouds of the deployable types, sorted.
func (c Config) clouds() []Cloud {
	seen := map[Cloud]bool{}
	out := []Cloud{}
	for _, dt := range c.DeployableTypes {
		cl := Cloud{IaaS: dt.IaaS, IaaSURL: dt.IaaSURL, StateDir: c.IaaSStateDir}
		if !seen[cl] {
			seen[cl] = true
			out = append(out, cl)
		}
	}
	slices.SortFunc(out, func(a, b Cloud) int {
		return cmp.Or(strings.Compare(a.IaaS, b.IaaS), strings.Compare(a.IaaSURL, b.IaaSURL))
	})
	return out
}

// Health reports the provisioner's state: counts, the disabled flag, the
// pushes waiting.
func (p *Provisioner) Health(ctx context.Context) (Health, error) {
	disabled, err := p.store.Disabled(ctx)
	if err != nil {
		return Health{}, err
	}
	counts, err := p.store.CountByState(ctx)
	if err != nil {
		return Health{}, err
	}
	launches, err := p.store.CountLaunches(ctx, "", "")
	if err != nil {
		return Health{}, err
	}
	h := Health{Status: "OK", Service: p.cfg.Service, RunID: p.cfg.Run.String(), Disabled: disabled,
		Nodes: map[string]int{}, Launches: launches, Pushes: p.notifier.pending(),
		Clouds: p.cfg.clouds()}
	for s, n := range counts {
		h.Nodes[string(s)] = n
	}
	return h, nil
}

// State is the dump of every record (GET /v1/state).
type State struct {
	Disabled bool         `json:"disabled"`
	Launches []epu.Launch `json:"launches"`
	Nodes    []epu.Node   `json:"nodes"`
}

// Dump returns every launch and node record.
func (p *Provisioner) Dump(ctx context.Context) (State, error) {
	disabled, err := p.store.Disabled(ctx)
	if err != nil {
		return State{}, err
	}
	launches, err := p.store.Launches(ctx)
	if err != nil {
		return State{}, err
	}
	nodes, err := p.DescribeNodes(ctx, nil)
	if err != nil {
		return State{}, err
	}
	st := State{Disabled: disabled, Launches: make([]epu.Launch, len(launches)), Nodes: nodes}
	for i, l := range launches {
		st.Launches[i] = l.Launch
	}
	return st, nil
}
