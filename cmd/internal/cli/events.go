package cli

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"sync"
	"time"

	"github.com/cloudinitd/cloudinitd/bootlevel"
)

// EventsVersion is the version of the --json event schema
// (docs/events.md). It changes only when a field is removed or changes
// meaning; new fields and new event kinds keep it.
const EventsVersion = 1

// JSONObserver writes one JSON object per event (NDJSON), in the schema
// documented in docs/events.md: every event of one command, the engine's
// and the command's own, through one observer, which numbers them
// (seq 1, 2, 3...) in the order they are written, and a last result event.
type JSONObserver struct {
	W io.Writer

	mu      sync.Mutex
	seq     int64
	enabled bool
}

// Event is one line of the stream (docs/events.md); field names are stable.
type Event struct {
	Version    int    `json:"version"`
	Seq        int64  `json:"seq"`
	Time       string `json:"time"`
	Run        string `json:"run,omitempty"`
	Level      int    `json:"level"`
	Service    string `json:"service,omitempty"`
	Event      string `json:"event"`
	State      string `json:"state,omitempty"`
	Step       string `json:"step,omitempty"`
	Stream     string `json:"stream,omitempty"`
	Detail     string `json:"detail,omitempty"`
	JournalSeq int64  `json:"journal_seq,omitempty"`
	// Exit is an exit status: on command-exit ('cloudinitd run') and result.
	Exit *int `json:"exit,omitempty"`
	// OK, Error and Hints are the result event's.
	OK    *bool    `json:"ok,omitempty"`
	Error string   `json:"error,omitempty"`
	Hints []string `json:"hints,omitempty"`
}

// Enable marks the stream as asked for (--json): Enabled then reports it,
// and Main ends the stream with Result.
func (o *JSONObserver) Enable() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.enabled = true
}

// Disable is for a command whose --json is one JSON document on stdout
// (history), not a stream of events: Main then writes no result event.
func (o *JSONObserver) Disable() {
	if o == nil {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.enabled = false
}

// Enabled reports whether Enable was called (and not Disable).
func (o *JSONObserver) Enabled() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.enabled
}

// Event implements bootlevel.Observer.
func (o *JSONObserver) Event(ev bootlevel.Event) {
	o.write(Event{Time: stamp(ev.Time), Run: ev.Run, Level: ev.Level,
		Service: ev.Service, Event: ev.Kind, State: ev.State, Step: ev.Step, Stream: ev.Stream,
		Detail: ev.Detail, JournalSeq: ev.Seq})
}

// RunEvent writes an event of 'cloudinitd run' itself, between the
// engine's: command-start, command-exit (exit: COMMAND's status) and
// teardown (state start, done, failed or kept).
func (o *JSONObserver) RunEvent(t time.Time, run, event, state, detail string, exit *int) {
	o.write(Event{Time: stamp(t), Run: run, Event: event, State: state, Detail: detail, Exit: exit})
}

// Warning writes a warning of the command (not the engine's, which are
// events of their own): a "warning" event at level 0.
func (o *JSONObserver) Warning(t time.Time, run, detail string) {
	o.write(Event{Time: stamp(t), Run: run, Event: bootlevel.KindWarning, Detail: detail})
}

// Result writes the last event of the stream: whether the command
// succeeded, its exit status (ExitCode), and its error with the hints.
func (o *JSONObserver) Result(t time.Time, err error) {
	code := ExitCode(err)
	ok := err == nil
	ev := Event{Time: stamp(t), Event: "result", Exit: &code, OK: &ok, Detail: "ok"}
	if err != nil {
		ev.Error = err.Error()
		if errors.Is(err, context.Canceled) {
			ev.Error = "interrupted"
		}
		ev.Detail = ev.Error
		ev.Hints = Hints(err)
	}
	o.write(ev)
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func (o *JSONObserver) write(ev Event) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.seq++
	ev.Version, ev.Seq = EventsVersion, o.seq
	b, err := json.Marshal(ev)
	if err != nil {
		return
	}
	o.W.Write(append(b, '\n'))
}
