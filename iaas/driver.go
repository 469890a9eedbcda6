package iaas

import (
	"context"
	"time"
)

// Driver is what the engine needs of a cloud. Implementations stay simple:
// retries, concurrency limits and rate limits are added by wrappers
// ([WithRetry], [WithLimit], [WithRateLimit]).
//
// All methods take a context first and return promptly when it is done.
// Errors are classified with the sentinels of this package (errors.Is), never
// by their text.
type Driver interface {
	// Name is the driver's registry name ("local", "fake", "ec2").
	Name() string

	// Launch starts one instance and returns it as soon as the cloud has
	// accepted the request (usually Pending); it does not wait for Running.
	//
	// Launch is idempotent on spec.ClientToken: a second Launch with a token
	// the driver has seen returns the instance of the first call, whatever
	// state it is in now, and starts nothing. Callers build the token with
	// [ClientToken] from run, service and attempt.
	Launch(ctx context.Context, spec LaunchSpec) (Instance, error)

	// Describe returns the current view of the given instances, in the order
	// asked, in as few cloud calls as the driver can (batch). An id the
	// cloud does not know comes back as an Instance with State Terminated
	// and Err of class ErrNotFound; it is not an error of the call. The call
	// fails only when the cloud could not be asked. Describe works in a
	// process other than the one that launched the instances, given the
	// Handle recorded at launch where the driver needs it.
	Describe(ctx context.Context, refs ...Ref) ([]Instance, error)

	// Terminate asks the cloud to stop the given instances, in as few calls
	// as the driver can. Terminating an instance that is already terminated,
	// terminating, or unknown to the cloud is not an error. Terminate does
	// not wait for Terminated; Describe tells when that is reached.
	Terminate(ctx context.Context, refs ...Ref) error
}

// Ref names an instance for Describe and Terminate: its id, and the opaque
// handle the driver returned at launch (which the record keeps).
type Ref struct {
	ID     string
	Handle []byte
}

// LaunchSpec is everything a driver needs to start one instance. Keys that
// only some drivers understand travel in Options, unparsed.
type LaunchSpec struct {
	// Run, Service and Attempt identify the instance for tags and logs.
	// Drivers record the whole Run (name and incarnation) with the
	// instance, so that FindByRun tells the run's instances from those of
	// another record with the same name.
	Run     RunID
	Service string
	Attempt int

	// Owner is set when a service's program launches an instance for its
	// run (a provisioner's worker): the owning service's name. Drivers
	// record it with the instance (Instance.Owner). The engine never
	// adopts owned instances; terminate sweeps those still alive after the
	// owner's terminatepgm ran.
	Owner string

	// Tags are labels a service's program puts on the instances it
	// launches for its run (the provisioner's launch and node ids), so a
	// later process finds them by [RunFinder] without its records. Drivers
	// with the RunFinder ability record them and return them in
	// Instance.Tags; keys are short words ([a-z0-9_]), values short text
	// (EC2 limits a tag value to 256 characters).
	Tags map[string]string

	// StartedBy is set when the run is owned by a process that takes it
	// down itself ("run": 'cloudinitd run' in CI). Drivers record it with
	// the instance (Instance.StartedBy), so that a sweep by it
	// ([StartedByFinder]) finds what such a process left when it and its
	// record directory are gone.
	StartedBy string

	// ClientToken makes Launch idempotent; see [ClientToken].
	ClientToken string

	Image      string // image or AMI id
	Allocation string // instance type or size
	Region     string // the plan's iaas value, when it names a region
	Endpoint   string // iaas_url: an EC2-compatible endpoint
	KeyName    string // cloud-side key pair (sshkeyname)

	SecurityGroups []string

	// Credentials come resolved from the plan (iaas_key, iaas_secret); empty
	// means the driver's default chain. They are never logged or recorded.
	Credentials Credentials

	// Options carries the service's remaining plan keys (driver-specific
	// ones such as fake_launch_delay), already expanded.
	Options map[string]string
}

// Credentials are a cloud key pair. String never shows the secret.
type Credentials struct {
	Key    string
	Secret string
}

// String returns the access key id with the secret masked.
func (c Credentials) String() string {
	if c.Key == "" && c.Secret == "" {
		return "(default credentials)"
	}
	return c.Key + ":****"
}

// Instance is a plain value describing one instance as the cloud sees it.
type Instance struct {
	ID    string
	State State

	// Hostname is how the engine reaches the instance: a DNS name or an
	// address. PublicIP and PrivateIP are informational.
	Hostname  string
	PublicIP  string
	PrivateIP string

	// SSH, when set, is how to reach the instance's SSH server and whom to
	// log in as; drivers that make their own servers and keys set it.
	SSH *SSHEndpoint

	// WorkDir, when set, is where programs are staged instead of the
	// default work directory.
	WorkDir string

	// Handle is opaque driver state the record keeps, so that a later
	// process can reattach (Describe, Terminate).
	Handle []byte

	LaunchedAt time.Time

	// Run, Service, ClientToken and Owner name the launch that made the
	// instance (the LaunchSpec fields of the same names), when the driver
	// knows them (zero otherwise). Drivers with the RunFinder ability fill
	// them, so the engine can tell its own instances from another record's
	// and match an instance to a launch intent whose instance id was never
	// recorded.
	Run         RunID
	Service     string
	ClientToken string
	Owner       string
	// Tags are LaunchSpec.Tags, filled by drivers with the RunFinder
	// ability (nil when the launch had none).
	Tags map[string]string
	// StartedBy is LaunchSpec.StartedBy, filled by drivers with the
	// StartedByFinder ability.
	StartedBy string

	// Err explains a Failed (or unknown) instance; its class is one of the
	// sentinels of this package.
	Err error
}

// SSHEndpoint says how to log in to an instance's SSH server.
type SSHEndpoint struct {
	Host string
	Port int
	User string
	// PrivateKeyPath is a client key file the driver generated, if any.
	PrivateKeyPath string
	// HostKey is the server's public key in authorized_keys format, when
	// the driver knows it in advance.
	HostKey string
}
