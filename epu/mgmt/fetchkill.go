package mgmt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/controller"
)

// eventsFile is epumgmt's own event lines (fetch_killed), under the
// run's log directory where find-workers and status read events.
const eventsFile = "epumgmt-events.log"

// killable picks the instances fetchkill may kill: STARTED or RUNNING
// (RUNNING_FAILED included) or of unknown state, not pending ones
// (reference §1.11), sorted by node id.
func killable(insts map[string]controller.InstanceState) []string {
	var ids []string
	for id, in := range insts {
		st := in.IaaSState
		if st == "" || !st.Valid() || st.Between(epu.Started, epu.Terminating) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

// FetchKill kills --killnum workers of one controller's domain through
// their provisioner (by node id, so the controller replaces them), after
// fetching the provisioners' logs and those workers' logs (failures
// counted, not fatal), and records a fetch_killed event per
// worker.
func (m *Manager) FetchKill(ctx context.Context, o Options) error {
	s, err := m.open(ctx, o.Run, false)
	if err != nil {
		return err
	}
	defer s.close()
	provs, err := s.provisioners(o.Run, ": no worker to terminate through it")
	if err != nil {
		return err
	}
	t, err := resolveDomain(ctx, s.ch, s.sys.ByRole(RoleController), o.Controller)
	if err != nil {
		return err
	}
	ws, err := wholeState(ctx, s.ch, t.svc, t.domain)
	if err != nil {
		return err
	}
	ids := killable(ws.Instances)
	if len(ids) == 0 {
		m.warn("%s/%s has no worker to kill (none started or running)", t.svc.Name, t.domain)
		return nil
	}
	if o.KillNum >= len(ids) {
		if o.KillNum > len(ids) {
			m.warn("--killnum %d: %s/%s has only %d worker(s) to kill; killing them all", o.KillNum, t.svc.Name, t.domain, len(ids))
		}
	} else {
		ids = ids[:o.KillNum]
	}
	only := map[string]bool{}
	for _, id := range ids {
		only[id] = true
	}
	res, err := m.fetchLogs(ctx, s, provs)
	if err == nil {
		err = m.fetchWorkerLogs(ctx, s, provs, only, &res)
	}
	if err != nil {
		m.warn("fetching the logs: %v", err)
	} else {
		m.say("Fetched the logs of %d of the %d worker(s) to kill, %d error(s)", res.Workers, len(ids), len(res.Errors))
	}
	prov, err := owner(ctx, s.ch, provs, ids)
	if err != nil {
		return err
	}
	nodes, err := terminateNodes(ctx, s.ch, prov, ids)
	if err != nil {
		return err
	}
	killed := make([]map[string]any, 0, len(nodes))
	var evErr error
	for _, n := range nodes {
		m.say("Killed worker %s (instance %s) of %s/%s: %s", n.NodeID, dash(n.IaaSID), t.svc.Name, t.domain, n.State)
		killed = append(killed, map[string]any{"node_id": n.NodeID, "iaas_id": n.IaaSID, "state": n.State})
		evErr = errors.Join(evErr, m.event(s.sys.Run.Name, Event{Event: "fetch_killed", Time: m.now().UTC(),
			NodeID: n.NodeID, IaaSID: n.IaaSID}, t.svc.Name+"/"+t.domain))
	}
	if evErr != nil {
		m.warn("record the fetch_killed events: %v", evErr)
	}
	if o.JSON {
		return writeJSON(m.Out, map[string]any{"controller": t.svc.Name, "domain": t.domain, "killed": killed})
	}
	return nil
}

// owner is the provisioner that has the nodes ids: the only one, or the
// one whose records hold the first id.
func owner(ctx context.Context, ch Channel, provs []Service, ids []string) (Service, error) {
	if len(provs) == 1 {
		return provs[0], nil
	}
	for _, p := range provs {
		ns, err := nodes(ctx, ch, p)
		if err != nil {
			continue
		}
		for _, n := range ns {
			if n.NodeID == ids[0] {
				return p, nil
			}
		}
	}
	return Service{}, fmt.Errorf("no provisioner of the run knows node %s", ids[0])
}

// event appends one of epumgmt's own event lines to the run's events file.
func (m *Manager) event(run string, ev Event, controller string) error {
	dir, err := m.runDir(run)
	if err != nil {
		return err
	}
	line := struct {
		Event
		Level      string `json:"level"`
		Msg        string `json:"msg"`
		Controller string `json:"controller"`
	}{ev, "INFO", ev.Event, controller}
	b, err := json.Marshal(line)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(dir, eventsFile), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(append(b, '\n'))
	return errors.Join(err, f.Close())
}
