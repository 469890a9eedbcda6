package controller

import (
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/cloudinitd/cloudinitd/epu/api"
)

// NodeMessage is a message a worker logged (`epu node log`, Jetpack's
// rules, reference §2.5): Level is its kind (info, warn, error), Priority
// its importance (low, medium, high). Every message goes to the
// controller's log as a node_log event line; whole_state shows the last
// MaxNodeMessages of priority medium or high of each node.
type NodeMessage struct {
	NodeID   string    `json:"node_id,omitempty"`
	Message  string    `json:"message"`
	Level    string    `json:"level,omitempty"`    // default info
	Priority string    `json:"priority,omitempty"` // default: high for error, medium otherwise
	Time     time.Time `json:"time,omitzero"`      // set by the controller
}

// MaxNodeMessages is how many messages whole_state keeps per node.
const MaxNodeMessages = 10

// maxMessageLen bounds one message, in bytes.
const maxMessageLen = 4096

// NodeLogAnswer answers log: Shown is false for a message of low priority,
// which only the controller's log keeps.
type NodeLogAnswer struct {
	Shown    bool   `json:"shown"`
	Level    string `json:"level"`
	Priority string `json:"priority"`
}

// priorityRank orders the priorities a message may have; -1 for
// another word. Messages are shown from medium on.
func priorityRank(p string) int {
	switch p {
	case "low":
		return 0
	case "medium":
		return 1
	case "high":
		return 2
	}
	return -1
}

// checkMessage validates m and fills its defaults.
func checkMessage(m *NodeMessage) error {
	switch m.Level {
	case "":
		m.Level = "info"
	case "info", "warn", "error":
	default:
		return api.BadField("level", "want info, warn or error, got %q", m.Level)
	}
	switch {
	case m.Priority == "" && m.Level == "error":
		m.Priority = "high"
	case m.Priority == "":
		m.Priority = "medium"
	case priorityRank(m.Priority) < 0:
		return api.BadField("priority", "want low, medium or high, got %q", m.Priority)
	}
	switch {
	case m.NodeID == "":
		return api.BadField("node_id", "required")
	case m.Message == "":
		return api.BadField("message", "required")
	case len(m.Message) > maxMessageLen || !utf8.ValidString(m.Message):
		return api.BadField("message", "want UTF-8 text of at most %d bytes", maxMessageLen)
	}
	return nil
}

func (c *Controller) nodeLog(d *domain, r *http.Request) (any, error) {
	var m NodeMessage
	if err := api.Decode(r, &m); err != nil {
		return nil, err
	}
	if err := checkMessage(&m); err != nil {
		return nil, err
	}
	m.Time = d.env.clock.Now().UTC()
	d.mu.Lock()
	in, ok := d.instances[m.NodeID]
	shown := ok && priorityRank(m.Priority) >= priorityRank("medium")
	if shown {
		if d.notes == nil {
			d.notes = map[string][]NodeMessage{}
		}
		keep := append(d.notes[m.NodeID], m)
		d.notes[m.NodeID] = keep[max(0, len(keep)-MaxNodeMessages):]
	}
	d.mu.Unlock()
	if !ok {
		return nil, api.NotFound("node_id", "domain %q has no node %q", d.conf.Name, m.NodeID)
	}
	d.logger().Info(m.Message, "event", "node_log", "node_id", m.NodeID, "iaas_id", in.IaaSID,
		"level", m.Level, "priority", m.Priority)
	return NodeLogAnswer{Shown: shown, Level: m.Level, Priority: m.Priority}, nil
}

// nodeMessages returns the messages whole_state shows for a node, without
// the node id each one would repeat. Callers hold mu.
func (d *domain) nodeMessages(id string) []NodeMessage {
	var out []NodeMessage
	for _, m := range d.notes[id] {
		m.NodeID = ""
		out = append(out, m)
	}
	return out
}
