package epu

import "time"

// Node is the record of one worker as the provisioner keeps it and pushes
// it to subscribers, and as describe_nodes and dump_state return it. It
// never holds a secret: vars named like secrets (plan.IsSecret) are not
// sent to subscribers or returned by the API.
type Node struct {
	NodeID         string            `json:"node_id"`
	LaunchID       string            `json:"launch_id"`
	State          State             `json:"state"`
	StateDesc      string            `json:"state_desc,omitempty"` // why: "NODE_DISAPPEARED", "CTX_ERROR: …"
	StateTime      time.Time         `json:"state_time"`
	DeployableType string            `json:"deployable_type"`
	Site           string            `json:"site"`       // the iaas value the worker was launched on
	Allocation     string            `json:"allocation"` // instance type
	ClientToken    string            `json:"client_token,omitempty"`
	IaaSID         string            `json:"iaas_id,omitempty"`
	Hostname       string            `json:"hostname,omitempty"`
	PublicIP       string            `json:"public_ip,omitempty"`
	PrivateIP      string            `json:"private_ip,omitempty"`
	PendingTime    time.Time         `json:"pending_timestamp,omitzero"`
	Vars           map[string]string `json:"vars,omitempty"`
	// StateChanges is the node's history, oldest first: every state it
	// reached and when.
	StateChanges []StateChange `json:"state_changes,omitempty"`
}

// StateChange is one step of a record's history.
type StateChange struct {
	State State     `json:"state"`
	Time  time.Time `json:"time"`
}

// Launch is one provision request: a deployable type and its nodes.
type Launch struct {
	LaunchID       string       `json:"launch_id"`
	DeployableType string       `json:"deployable_type"`
	State          State        `json:"state"`
	StateDesc      string       `json:"state_desc,omitempty"`
	NodeIDs        []string     `json:"node_ids"`
	Subscribers    []Subscriber `json:"subscribers,omitempty"`
}

// Subscriber is a daemon that receives every change of a launch's node
// records (POST URL/v1/instance_state with the Node as body), authenticated
// with the token derived for Service.
type Subscriber struct {
	Service string `json:"service"`
	URL     string `json:"url"`
}
