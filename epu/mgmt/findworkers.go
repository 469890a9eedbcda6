package mgmt

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// FoundWorker is a worker learnt from the provisioners' event lines
// (new_node, node_started and the later node events).
type FoundWorker struct {
	NodeID    string    `json:"node_id"`
	IaaSID    string    `json:"iaas_id"`
	Hostname  string    `json:"hostname"`
	LastEvent string    `json:"last_event"`
	Time      time.Time `json:"time"`
}

// FindWorkers fetches the provisioners' logs and lists the workers their
// event lines name (reference §1.6), kept in workers.json.
func (m *Manager) FindWorkers(ctx context.Context, o Options) error {
	s, err := m.open(ctx, o.Run, false)
	if err != nil {
		return err
	}
	defer s.close()
	provs, err := s.provisioners(o.Run, ": no worker to find")
	if err != nil {
		return err
	}
	res, err := m.fetchLogs(ctx, s, provs)
	if err != nil {
		return err
	}
	if res.Hosts == 0 && len(res.Errors) > 0 {
		m.warn("no provisioner log could be fetched now; using the logs fetched before")
	}
	evs, _ := readLogs(filepath.Join(m.RunLogDir, o.Run))
	ws := workersFromEvents(evs)
	if err := m.keep(o.Run, "workers.json", ws); err != nil {
		m.warn("keep the workers: %v", err)
	}
	if o.JSON {
		return writeJSON(m.Out, map[string]any{"run": o.Run, "workers": ws})
	}
	tw := tabwriter.NewWriter(m.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tINSTANCE\tHOST\tLAST EVENT\tTIME")
	for _, w := range ws {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", w.NodeID, dash(w.IaaSID), dash(w.Hostname), w.LastEvent, stamp(w.Time))
	}
	return tw.Flush()
}

// nodeEvents are the provisioner's node events (docs/epu-api.md) and
// epumgmt's own fetch_killed: what find-workers folds. Other daemons'
// events naming a node (a controller's instance_state) are not the
// provisioner's word on it.
func nodeEvents() map[string]bool {
	return map[string]bool{"new_node": true, "node_started": true, "node_running": true, "node_ctx_failed": true,
		"node_terminating": true, "node_terminated": true, "node_failed": true, "node_rejected": true,
		"node_adopted": true, "node_reaped": true, "fetch_killed": true}
}

// workersFromEvents folds node events, in time order, into one row per
// node: a worker appears with new_node, node_started or node_adopted;
// later events of a known node update it.
func workersFromEvents(evs []Event) []FoundWorker {
	byID := map[string]*FoundWorker{}
	known := nodeEvents()
	for _, e := range evs {
		if e.NodeID == "" || !known[e.Event] {
			continue
		}
		w := byID[e.NodeID]
		if w == nil {
			if e.Event != "new_node" && e.Event != "node_started" && e.Event != "node_adopted" {
				continue
			}
			w = &FoundWorker{NodeID: e.NodeID}
			byID[e.NodeID] = w
		}
		if e.IaaSID != "" {
			w.IaaSID = e.IaaSID
		}
		if h := firstOf(e.PublicIP, e.Hostname, e.PrivateIP); h != "" {
			w.Hostname = h
		}
		w.LastEvent, w.Time = e.Event, e.Time
	}
	out := make([]FoundWorker, 0, len(byID))
	for _, w := range byID {
		out = append(out, *w)
	}
	sort.Slice(out, func(i, j int) bool { return strings.Compare(out[i].NodeID, out[j].NodeID) < 0 })
	return out
}
