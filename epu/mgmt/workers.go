package mgmt

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/cloudinitd/cloudinitd/epu/controller"
)

// workers turns a domain's instances into report rows, sorted by node id,
// each with its state description from its provisioner's record and the
// last messages logged about it.
func workers(insts map[string]controller.InstanceState, now time.Time, msgs map[string][]string,
	provs []ProvisionerReport) []Worker {
	desc := map[string]string{}
	for _, p := range provs {
		for _, n := range p.Nodes {
			if n.StateDesc != "" {
				desc[n.NodeID] = n.StateDesc
			}
		}
	}
	out := make([]Worker, 0, len(insts))
	for id, in := range insts {
		w := Worker{NodeID: id, IaaSID: in.IaaSID, Address: firstOf(in.PublicIP, in.PrivateIP), State: in.IaaSState,
			Health: in.HeartbeatState, Messages: []string{}}
		if in.IaaSStateTime > 0 {
			w.StateTime = epochTime(in.IaaSStateTime)
			w.InState = now.Sub(w.StateTime).Truncate(time.Second).String()
		}
		if in.HeartbeatTime > 0 {
			t := epochTime(in.HeartbeatTime)
			w.LastHeartbeat = &t
		}
		if d := desc[id]; d != "" {
			w.Messages = append(w.Messages, d)
		}
		w.Messages = append(w.Messages, msgs[id]...)
		out = append(out, w)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].NodeID < out[j].NodeID })
	return out
}

// epochTime reads the whole-state times: seconds since the epoch.
func epochTime(v int64) time.Time { return time.Unix(v, 0).UTC() }

func firstOf(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// keep writes v as JSON to <runlogdir>/<run>/name (0600, replaced
// atomically).
func (m *Manager) keep(run, name string, v any) error {
	dir, err := m.runDir(run)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, "."+name+".tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, name))
}

// writeJSON writes one indented document.
func writeJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode the document: %w", err)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
