package fake

import (
	"encoding/json"
	"fmt"
	"maps"
	"time"

	"github.com/cloudinitd/cloudinitd/iaas"
)

// record is one simulated instance as kept on disk (one JSON file) or in
// memory. Its state is not stored: it is computed from the timestamps, so
// any process reading the record sees the same truth without a background
// goroutine advancing it.
type record struct {
	ID    string `json:"id"`
	Token string `json:"client_token,omitempty"`
	Run   string `json:"run,omitempty"` // the run's name
	// Incarnation completes Run to the run's full id (iaas.RunID); ""
	// for instances launched before it was recorded.
	Incarnation string            `json:"incarnation,omitempty"`
	Service     string            `json:"service,omitempty"`
	Owner       string            `json:"owner,omitempty"`      // LaunchSpec.Owner
	StartedBy   string            `json:"started_by,omitempty"` // LaunchSpec.StartedBy
	Tags        map[string]string `json:"tags,omitempty"`       // LaunchSpec.Tags
	DryRun      bool              `json:"dry_run,omitempty"`

	LaunchedAt     time.Time     `json:"launched_at"`
	RunningDelay   time.Duration `json:"running_delay_ns"`
	DieAfter       time.Duration `json:"die_after_ns,omitempty"`
	TerminateDelay time.Duration `json:"terminate_delay_ns"`

	TerminatedAt *time.Time `json:"terminated_at,omitempty"`
}

// state is where the instance is at now.
func (r *record) state(now time.Time) iaas.State {
	if r.TerminatedAt != nil {
		if now.Before(r.TerminatedAt.Add(r.TerminateDelay)) {
			return iaas.StateTerminating
		}
		return iaas.StateTerminated
	}
	runningAt := r.LaunchedAt.Add(r.RunningDelay)
	switch {
	case now.Before(runningAt):
		return iaas.StatePending
	case r.DieAfter > 0 && !now.Before(runningAt.Add(r.DieAfter)):
		return iaas.StateFailed
	}
	return iaas.StateRunning
}

// live reports whether the instance counts against fake_capacity.
func (r *record) live(now time.Time) bool {
	s := r.state(now)
	return s == iaas.StatePending || s == iaas.StateRunning
}

// Handle is what the fake driver puts in Instance.Handle (JSON). Callers
// that care whether an instance is a dry run decode it with [DecodeHandle].
type Handle struct {
	DryRun bool `json:"dry_run"`
}

// DecodeHandle reads an Instance.Handle made by this driver.
func DecodeHandle(b []byte) (Handle, error) {
	var h Handle
	if err := json.Unmarshal(b, &h); err != nil {
		return Handle{}, fmt.Errorf("fake: bad handle: %w", err)
	}
	return h, nil
}

// handleJSON is the Handle of an instance, encoded (a new slice: the
// caller may keep or change it).
func handleJSON(dryRun bool) []byte {
	if dryRun {
		return []byte(`{"dry_run":true}`)
	}
	return []byte(`{"dry_run":false}`)
}

// instance renders the record as the engine sees it at now.
func (r *record) instance(now time.Time) iaas.Instance {
	inst := iaas.Instance{
		ID:          r.ID,
		State:       r.state(now),
		Handle:      handleJSON(r.DryRun),
		LaunchedAt:  r.LaunchedAt,
		Run:         iaas.RunID{Name: r.Run, Incarnation: r.Incarnation},
		Service:     r.Service,
		ClientToken: r.Token,
		Owner:       r.Owner,
		StartedBy:   r.StartedBy,
		Tags:        maps.Clone(r.Tags),
	}
	if inst.State != iaas.StatePending {
		inst.Hostname, inst.PublicIP, inst.PrivateIP = "localhost", "127.0.0.1", "127.0.0.1"
	}
	if inst.State == iaas.StateFailed {
		inst.Err = &iaas.CloudError{Class: iaas.ErrTransient, Op: "instance", Code: "fake.died",
			Message: fmt.Sprintf("fake: instance died %s after it was running (%s)", r.DieAfter, KeyDieAfter)}
	}
	return inst
}

func notFound(id string) iaas.Instance {
	return iaas.Instance{ID: id, State: iaas.StateTerminated, Err: &iaas.CloudError{
		Class: iaas.ErrNotFound, Op: "describe", Code: "fake.not_found",
		Message: fmt.Sprintf("fake: instance %q not found", id)}}
}
