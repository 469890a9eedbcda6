package engine

import (
	"errors"
	"fmt"
	"time"
)

// Requester is an optional ability of an Engine: it takes the requests
// that reach its domain between decides through the controller's API —
// autoscale targets (from an operator or from a worker, reference §2.10)
// and a worker asking to stop. The controller calls these methods in the
// domain's slot, like Decide: never at the same time as Decide,
// Reconfigure or each other, and the engine keeps neither c nor s beyond
// the call. An engine without it answers those requests "not supported".
type Requester interface {
	// Autoscale merges req into the engine's node arrays. An invalid
	// request is a *RequestError naming the field, and changes nothing.
	Autoscale(c Control, s *State, req AutoscaleRequest) (AutoscaleStatus, error)
	// StopNode answers a worker asking to stop (negotiated scale-down):
	// granted, the engine has destroyed it through c; refused, nothing
	// happened now, and the reason says why. An unknown node is a
	// *RequestError naming node_id.
	StopNode(c Control, s *State, req StopRequest) (StopAnswer, error)
	// Status describes the node arrays at c.Now().
	Status(c Control, s *State) AutoscaleStatus
}

// ErrBadRequest is the class of RequestError.
var ErrBadRequest = errors.New("bad request")

// RequestError is a request an engine refuses: Field names the request
// field at fault, with its position ("arrays[1].TargetCount").
type RequestError struct {
	Field string
	Msg   string
}

func (e *RequestError) Error() string { return fmt.Sprintf("%s: %s", e.Field, e.Msg) }

// Is makes errors.Is(err, ErrBadRequest) hold.
func (e *RequestError) Is(target error) bool { return target == ErrBadRequest }

func badRequest(field, format string, args ...any) error {
	return &RequestError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// AutoscaleRequest is one call of the autoscale API (docs/autoscale.md):
// every node array the caller needs now, in its request set. Attributes
// absent from an array's definition keep their value (merge).
type AutoscaleRequest struct {
	// RequestSet groups the requests of one caller; dynamic arrays absent
	// from a request are removed only when they belong to its set.
	// Default "standard".
	RequestSet string `json:"request_set,omitempty"`
	// ExpirationInterval is how long the targets of this request are
	// honoured without being asserted again (a Go duration); default the
	// engine's expiration_interval (5m).
	ExpirationInterval string           `json:"expiration_interval,omitempty"`
	Arrays             []ArrayRequest   `json:"arrays"`
	Nodes              []NodeAttributes `json:"nodes,omitempty"`
}

// ArrayRequest is one node-array definition, with CycleCloud's attribute
// names. Nil pointers are attributes the request leaves as they are.
type ArrayRequest struct {
	Name               string            `json:"Name"`
	Dynamic            bool              `json:"Dynamic,omitempty"`
	Extends            string            `json:"Extends,omitempty"`
	TargetCount        *int              `json:"TargetCount,omitempty"`
	TargetCoreCount    *int              `json:"TargetCoreCount,omitempty"`
	MaxCount           *int              `json:"MaxCount,omitempty"`
	MaxCoreCount       *int              `json:"MaxCoreCount,omitempty"`
	MachineType        *string           `json:"MachineType,omitempty"`
	Cores              *int              `json:"Cores,omitempty"`
	TargetGroupCount   *int              `json:"TargetGroupCount,omitempty"`
	GroupCoreCount     *int              `json:"GroupCoreCount,omitempty"`
	GroupInstanceCount *int              `json:"GroupInstanceCount,omitempty"`
	Configuration      map[string]string `json:"Configuration,omitempty"`
}

// NodeAttributes sets attributes of one node: KeepAlive exempts it from
// scale-down (and from the boot timeout) until cleared.
type NodeAttributes struct {
	NodeID    string `json:"NodeID"`
	KeepAlive *bool  `json:"KeepAlive,omitempty"`
}

// AutoscaleStatus describes the node arrays.
type AutoscaleStatus struct {
	Arrays []ArrayStatus `json:"arrays"`
}

// ArrayStatus is one node array as the engine sees it now.
type ArrayStatus struct {
	Name        string            `json:"Name"`
	Dynamic     bool              `json:"Dynamic"`
	Extends     string            `json:"Extends,omitempty"`
	RequestSet  string            `json:"request_set,omitempty"`
	MachineType string            `json:"MachineType,omitempty"`
	Cores       int               `json:"Cores"`      // per node
	Target      int               `json:"target"`     // nodes wanted now, after expiry and caps
	MaxCount    int               `json:"MaxCount"`   // 0: none
	Nodes       int               `json:"nodes"`      // live, healthy nodes counted against the target
	StopAsked   []string          `json:"stop_asked"` // nodes waiting for scale-down
	KeepAlive   []string          `json:"keep_alive"` // nodes with the KeepAlive attribute
	GroupSize   int               `json:"group_size"` // instances per group; 0: not grouped
	Groups      map[string]int    `json:"groups"`     // group id → live nodes
	ExpiresAt   *time.Time        `json:"expires_at"` // null: never asserted
	Removing    bool              `json:"removing"`   // omitted from its request set; deleted once empty
	Config      map[string]string `json:"Configuration,omitempty"`
}

// StopRequest is a worker asking to stop: idle (negotiated, granted only
// if demand allows) or unhealthy (granted; the node is replaced).
type StopRequest struct {
	NodeID    string `json:"node_id"`
	Unhealthy bool   `json:"unhealthy,omitempty"`
}

// StopAnswer answers a StopRequest.
type StopAnswer struct {
	NodeID  string `json:"node_id"`
	Granted bool   `json:"granted"`
	Reason  string `json:"reason"`
}
