package mgmt

import (
	"bufio"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Event is one JSON event line of a daemon's log: a line whose object
// has the field "event" (a unique key such as new_node), with the node's
// identity and addresses where they apply (docs/epu-api.md).
type Event struct {
	Event     string    `json:"event"`
	Time      time.Time `json:"time"`
	NodeID    string    `json:"node_id,omitempty"`
	LaunchID  string    `json:"launch_id,omitempty"`
	IaaSID    string    `json:"iaas_id,omitempty"`
	PublicIP  string    `json:"public_ip,omitempty"`
	PrivateIP string    `json:"private_ip,omitempty"`
	Hostname  string    `json:"hostname,omitempty"`
	State     string    `json:"state,omitempty"`
	StateDesc string    `json:"state_desc,omitempty"`
}

// logLine is what epumgmt reads of any JSON log line (slog's JSON handler).
type logLine struct {
	Event
	Level string `json:"level"`
	Msg   string `json:"msg"`
	Err   string `json:"error"`
}

// key identifies an event: the same line fetched twice (a log fetched
// again, a copy under another directory) is one event.
func (e Event) key() string {
	return strings.Join([]string{e.Event, e.NodeID, e.LaunchID, e.IaaSID, e.State, e.Time.Format(time.RFC3339Nano)}, "\x00")
}

// readLogs reads every JSON line of the files under dir (the fetched
// logs of a run): the events, deduplicated by key and sorted by time, and
// the messages at WARN or above that name a node, the last three per
// node. Lines that are not JSON objects are skipped.
func readLogs(dir string) ([]Event, map[string][]string) {
	seen := map[string]bool{}
	var evs []Event
	type msg struct {
		t    time.Time
		text string
	}
	byNode := map[string][]msg{}
	seenMsg := map[string]bool{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(p, ".log") || strings.HasSuffix(p, ".out")) {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return nil
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			b := sc.Bytes()
			if len(b) == 0 || b[0] != '{' {
				continue
			}
			var l logLine
			if json.Unmarshal(b, &l) != nil {
				continue
			}
			if l.Event.Event != "" && !seen[l.Event.key()] {
				seen[l.Event.key()] = true
				evs = append(evs, l.Event)
			}
			if l.NodeID != "" && (l.Level == "WARN" || l.Level == "ERROR") {
				text := l.Time.UTC().Format(time.RFC3339) + " " + l.Level + " " + l.Msg
				if l.StateDesc != "" {
					text += ": " + l.StateDesc
				}
				if l.Err != "" {
					text += ": " + l.Err
				}
				if !seenMsg[l.NodeID+text] {
					seenMsg[l.NodeID+text] = true
					byNode[l.NodeID] = append(byNode[l.NodeID], msg{l.Time, text})
				}
			}
		}
		return nil
	})
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].Time.Before(evs[j].Time) })
	out := map[string][]string{}
	for id, ms := range byNode {
		sort.SliceStable(ms, func(i, j int) bool { return ms[i].t.Before(ms[j].t) })
		if len(ms) > 3 {
			ms = ms[len(ms)-3:]
		}
		for _, m := range ms {
			out[id] = append(out[id], m.text)
		}
	}
	return evs, out
}

// messages are the last warnings per node in the run's fetched logs.
func (m *Manager) messages(run string) map[string][]string {
	_, msgs := readLogs(filepath.Join(m.RunLogDir, run))
	return msgs
}
