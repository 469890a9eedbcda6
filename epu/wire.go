package epu

// ProvisionRequest asks the provisioner to launch NodeIDs of a deployable
// type under LaunchID. Site and Allocation, when set, override the
// deployable type's iaas and allocation. Calls are idempotent by LaunchID.
type ProvisionRequest struct {
	LaunchID       string            `json:"launch_id"`
	DeployableType string            `json:"deployable_type"`
	NodeIDs        []string          `json:"node_ids"`
	Site           string            `json:"site,omitempty"`
	Allocation     string            `json:"allocation,omitempty"`
	Vars           map[string]string `json:"vars,omitempty"`
	Subscribers    []Subscriber      `json:"subscribers,omitempty"`
}

// NodeIDs names nodes (terminate_nodes, describe_nodes).
type NodeIDs struct {
	NodeIDs []string `json:"node_ids"`
}

// LaunchIDs names launches (terminate_launches).
type LaunchIDs struct {
	LaunchIDs []string `json:"launch_ids"`
}

// DumpStateRequest asks the provisioner to resend the latest record of
// each node to its subscribers and to ForceSubscribe; an unknown id is sent
// to ForceSubscribe as {node_id, state: 900-FAILED}.
type DumpStateRequest struct {
	NodeIDs        []string    `json:"node_ids"`
	ForceSubscribe *Subscriber `json:"force_subscribe,omitempty"`
}

// TerminateAllResult answers terminate_all: Done is true only when no
// instance of any launch can still exist.
type TerminateAllResult struct {
	Done      bool `json:"done"`
	Remaining int  `json:"remaining"` // nodes that may still have an instance
}

// Heartbeat is what a worker's agent sends its controller.
type Heartbeat struct {
	NodeID          string   `json:"node_id"`
	State           Health   `json:"state"`
	Error           string   `json:"error,omitempty"`
	ErrorTime       int64    `json:"error_time,omitempty"`
	FailedProcesses []string `json:"failed_processes,omitempty"`
}

// Sensor is one reading (reference §2.4): Time orders readings of one
// sensor; an older reading never replaces a newer one.
type Sensor struct {
	SensorID string `json:"sensor_id"`
	Time     int64  `json:"time"`
	Value    any    `json:"value"`
}
