package store

import "time"

// Run is the run row: one per record file.
type Run struct {
	Name        string    // run name, also in the file name
	TopConf     string    // absolute path of the plan's top-level file
	Created     time.Time // set by Create
	Updated     time.Time // bumped by every write
	Status      RunStatus // RunNew when Create is given none
	ToolVersion string    // version of the cloudinitd that created the record
	// Incarnation is random, set by Create: it tells apart runs that
	// reuse a name ("" in records made before it existed).
	Incarnation string
	// Owner is the process that owns the run while it lives ('cloudinitd
	// run'); zero for a run nobody owns.
	Owner Owner
}

// Global is one global variable of one rank (1 top file [globals], 2 a
// -G file, 3 a -g option; a higher rank wins).
type Global struct {
	Name   string
	Value  string
	Rank   int
	Source string // where the value was read, e.g. "/plans/top.conf [globals]"
	// Redacted on write: the value is a secret, store it as NULL. On read:
	// the value was not stored. The caller decides what is secret
	// (bootlevel.Record, by plan.IsSecret).
	Redacted bool
}

// Level is one level of the plan.
type Level struct {
	Number   int    // level number (levelN); levels run in increasing Number
	Key      string // key in the top file that names it, e.g. "level1"
	ConfFile string // absolute path of the level file
	Position int    // position of the key in the top file
}

// Setting is one resolved key of a service.
type Setting struct {
	Key    string
	Value  string
	Source string // file and section it came from, or env.NAME via them
	// Redacted on write: the value is a secret, store it as NULL. On read:
	// the value was not stored. The caller decides what is secret
	// (bootlevel.Record, by plan.IsSecret); a secret from the environment
	// is stored as its reference env.NAME, not redacted.
	Redacted bool
}

// Service is one service row: plan data (Name, Level, Position, Settings,
// Deps) written by PutServices, and runtime columns written by the Set*
// methods.
type Service struct {
	Name     string
	Level    int       // level number
	Position int       // position within the level
	Settings []Setting // every resolved key, sorted by key on read
	// Deps are the service's deps rows, in the plan's order: PutServices
	// makes them the deps-origin rows of its attribute bag. Reads leave it
	// nil: Attrs returns the whole bag.
	Deps []Attr

	State      State
	InstanceID string // current instance; kept after terminate
	Hostname   string
	LastError  string
	Driver     string // name of the IaaS driver that launched InstanceID
	Handle     []byte // the driver's opaque handle for InstanceID
	HostKey    string // SSH host key seen on the host (authorized_keys format)
	Attempt    int    // launch attempt of the current instance, from 1
	Created    time.Time
	Updated    time.Time
}

// Setting returns the value of key and whether the service has it.
func (s Service) Setting(key string) (string, bool) {
	for _, st := range s.Settings {
		if st.Key == key {
			return st.Value, true
		}
	}
	return "", false
}

// Attr is one attribute-bag entry of a service.
type Attr struct {
	Seq    int64 // order within the service, from 1; set on read
	Key    string
	Value  string
	Origin Origin // set on read
}

// HistoryState is the state of an instance_history row. Besides the
// constants, MarkInstance stores whatever state the IaaS reported.
type HistoryState = string

// Instance history states written by the store itself.
const (
	HistoryIntent     HistoryState = "intent"     // launch about to be requested; no id yet
	HistoryLaunched   HistoryState = "launched"   // launch call returned an id
	HistoryFailed     HistoryState = "failed"     // launch call failed; no instance
	HistoryTerminated HistoryState = "terminated" // terminate returned
)

// HistoryRow is one instance launched (or about to be) for a service.
type HistoryRow struct {
	ID          int64
	Service     string
	Attempt     int
	ClientToken string // idempotency token passed to the launch call
	Driver      string
	InstanceID  string // empty while the row is an intent
	Handle      []byte
	Requested   time.Time
	Launched    time.Time // zero while an intent
	State       HistoryState
	Terminated  time.Time // zero unless terminated
	Detail      string
}

// Event is one entry of the append-only journal.
type Event struct {
	Seq     int64     // assigned by AppendEvent
	Time    time.Time // now when zero
	Level   string    // severity: DEBUG, INFO, WARN or ERROR; INFO when empty
	Service string    // empty for run-wide events
	Event   string    // what happened, e.g. "state", "launch", "command"
	State   State     // service state after the event, if any
	Detail  string
}
