package main

import (
	"encoding/json"
	"time"

	"github.com/cloudinitd/cloudinitd/bootlevel"
	cl "github.com/cloudinitd/cloudinitd/cmd/internal/cli"
)

// historyJSON is one instance of 'history --json' (docs/cli.md).
type historyJSON struct {
	Level      int        `json:"level"` // 0: a service the record does not hold
	Service    string     `json:"service"`
	Attempt    int        `json:"attempt"`
	InstanceID string     `json:"instance_id"`
	Driver     string     `json:"driver"`
	Launched   *time.Time `json:"launched"` // null when unknown
	State      string     `json:"state"`    // the cloud's state now
	Recorded   string     `json:"recorded"` // the record's state; "" for unrecorded
	Hostname   string     `json:"hostname"`
	Current    bool       `json:"current"`
	Killed     bool       `json:"killed"`
	Unrecorded bool       `json:"unrecorded"`
	Owner      string     `json:"owner,omitempty"`
	OtherRun   string     `json:"other_run,omitempty"`
	Error      string     `json:"error,omitempty"`
}

// printHistoryJSON writes the history as one JSON object:
// {"run": RUN, "instances": [...]}, in the table's order.
func printHistoryJSON(st cl.IOStreams, run string, entries []bootlevel.HistoryEntry) error {
	out := struct {
		Run       string        `json:"run"`
		Instances []historyJSON `json:"instances"`
	}{Run: run, Instances: []historyJSON{}}
	for _, h := range entries {
		j := historyJSON{Level: h.Level, Service: h.Service, Attempt: h.Attempt, InstanceID: h.InstanceID,
			Driver: h.Driver, State: historyState(h), Recorded: h.Recorded, Hostname: h.Hostname,
			Current: h.Current, Killed: h.Killed, Unrecorded: h.Unrecorded, Owner: h.Owner, OtherRun: h.OtherRun}
		if !h.Launched.IsZero() {
			t := h.Launched.UTC()
			j.Launched = &t
		}
		if h.Err != nil {
			j.Error = h.Err.Error()
		}
		out.Instances = append(out.Instances, j)
	}
	enc := json.NewEncoder(st.Out)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
