package provisioner

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/plan"
)

// Config is the provisioner's configuration: one JSON file (its service's
// bootconf), read by LoadConfig. Durations are Go strings ("10s").
type Config struct {
	Service   string `json:"service"`    // this daemon's service name: the owner of its workers
	RunID     string `json:"run_id"`     // the run's full id, name.incarnation
	RunSecret string `json:"run_secret"` // the run's secret: admin token = api.ServiceToken(run_secret, service)
	StateDir  string `json:"state_dir"`  // records, token and api_url (outside the stage directory)
	Listen    string `json:"listen"`     // host:port for the API (port 0 allowed)

	// IaaSStateDir is the drivers' state directory (iaas.Config.StateDir):
	// the run's own, so local workers live where the run's instances live.
	IaaSStateDir string `json:"iaas_state_dir,omitempty"`

	DeployableTypes map[string]DeployableType `json:"deployable_types"`

	MaxNodes          int      `json:"max_nodes,omitempty"`          // nodes that may have an instance at once (default 100)
	LaunchConcurrency int      `json:"launch_concurrency,omitempty"` // launch calls in flight (default 16)
	QueryPeriod       Duration `json:"query_period,omitempty"`       // default 10s
	DisappearAfter    Duration `json:"disappear_after,omitempty"`    // default 60s after the pending time
	ContextTimeout    Duration `json:"context_timeout,omitempty"`    // contextualization of one node, default 10m
	ShutdownTimeout   Duration `json:"shutdown_timeout,omitempty"`   // a worker's terminatepgm before its termination, default 1m
	Backoff           Backoff  `json:"backoff,omitzero"`
	Push              Push     `json:"push,omitzero"`

	// Run is RunID parsed (set by LoadConfig or Validate).
	Run iaas.RunID `json:"-"`
}

// DeployableType is a named worker description in launch-plan terms.
type DeployableType struct {
	IaaS         string            `json:"iaas"`               // driver or region, as a plan's iaas
	IaaSURL      string            `json:"iaas_url,omitempty"` // an EC2-compatible endpoint
	Image        string            `json:"image,omitempty"`
	Allocation   string            `json:"allocation,omitempty"`
	Cores        int               `json:"cores,omitempty"`
	SSHUser      string            `json:"ssh_user,omitempty"`
	SSHKey       string            `json:"ssh_key,omitempty"` // private key path
	BootPgm      string            `json:"bootpgm,omitempty"`
	BootPgmArgs  string            `json:"bootpgm_args,omitempty"`
	ReadyPgm     string            `json:"readypgm,omitempty"`
	ReadyPgmArgs string            `json:"readypgm_args,omitempty"`
	TerminatePgm string            `json:"terminatepgm,omitempty"` // run on the worker before its termination (a ShutdownRunner), e.g. 'epu node run_shutdown_hooks'
	Deps         map[string]string `json:"deps,omitempty"`
	BootConf     string            `json:"bootconf,omitempty"` // bootconf template path
	// LogDir is where the worker's logs are (every regular file under
	// it, relative to its stage directory unless absolute); by default
	// the *.log and *.out files of its stage directory (LogFetcher).
	LogDir string `json:"log_dir,omitempty"`
	// Options are driver keys passed as LaunchSpec.Options
	// (fake_running_delay, ec2 keys): the plan's driver options.
	Options map[string]string `json:"options,omitempty"`
}

// Backoff says how long launches of a deployable type on a site wait
// after the cloud refused one for capacity (or quota) or throttling.
type Backoff struct {
	Capacity  Duration `json:"capacity,omitempty"`  // default 5m
	Throttled Duration `json:"throttled,omitempty"` // default 1m
}

// Push bounds the pushes of node records to one subscriber.
type Push struct {
	Queue      int      `json:"queue,omitempty"`       // records waiting; beyond, the oldest is dropped (default 10000)
	Retries    int      `json:"retries,omitempty"`     // attempts per record (default 5)
	Backoff    Duration `json:"backoff,omitempty"`     // first wait between attempts, doubling (default 1s)
	MaxBackoff Duration `json:"max_backoff,omitempty"` // default 30s
	Timeout    Duration `json:"timeout,omitempty"`     // one POST (default 10s)
}

// Duration is a time.Duration written as a Go string in JSON ("10s").
type Duration = epu.Duration

// Defaults.
const (
	DefaultMaxNodes          = 100
	DefaultLaunchConcurrency = 16
	DefaultQueryPeriod       = 10 * time.Second
	DefaultDisappearAfter    = 60 * time.Second
	DefaultContextTimeout    = 10 * time.Minute
	DefaultShutdownTimeout   = time.Minute
	DefaultCapacityBackoff   = 5 * time.Minute
	DefaultThrottledBackoff  = time.Minute
)

// LoadConfig reads and validates the configuration file at path. Unknown
// keys are errors; every error names the file and the key. Relative paths
// (state_dir, iaas_state_dir, ssh_key, bootconf) are taken from the file's
// directory.
func LoadConfig(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("provisioner config: %w", err)
	}
	var c Config
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Config{}, fmt.Errorf("%s: %s", path, jsonProblem(err))
	}
	if dec.Decode(new(json.RawMessage)) != io.EOF {
		return Config{}, fmt.Errorf("%s: trailing data after the JSON object", path)
	}
	c.resolvePaths(filepath.Dir(path))
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// jsonProblem says what is wrong, naming the key, without echoing values.
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &te):
		want := te.Type.String()
		if te.Type == reflect.TypeFor[Duration]() {
			want = `a duration such as "10s", not negative`
		}
		return fmt.Sprintf("%s: want %s, got %s", te.Field, want, te.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown key " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	}
	return err.Error()
}

func (c *Config) resolvePaths(dir string) {
	abs := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}
	c.StateDir, c.IaaSStateDir = abs(c.StateDir), abs(c.IaaSStateDir)
	for n, dt := range c.DeployableTypes {
		dt.SSHKey, dt.BootConf = abs(dt.SSHKey), abs(dt.BootConf)
		c.DeployableTypes[n] = dt
	}
}

// Validate checks c, fills defaults and parses RunID; each problem names
// its key, all are returned joined.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	for key, v := range map[string]string{"service": c.Service, "run_id": c.RunID, "run_secret": c.RunSecret, "state_dir": c.StateDir, "listen": c.Listen} {
		if strings.TrimSpace(v) == "" {
			bad(key, "required")
		}
	}
	if c.RunID != "" {
		run, err := iaas.ParseRunID(c.RunID)
		if err != nil {
			bad("run_id", "%v", err)
		}
		c.Run = run
	}
	if len(c.DeployableTypes) == 0 {
		bad("deployable_types", "required: at least one deployable type")
	}
	for name, dt := range c.DeployableTypes {
		key := "deployable_types." + name
		if strings.TrimSpace(name) == "" {
			bad(key, "a deployable type needs a name")
		}
		if dt.IaaS == "" {
			bad(key+".iaas", "required")
		}
		if dt.Cores < 0 {
			bad(key+".cores", "must not be negative")
		}
		for k := range dt.Options {
			if !plan.IsDriverOption(k) {
				bad(key+".options."+k, "not a driver option")
			}
			if plan.IsSecret(k) {
				bad(key+".options."+k, "a secret: give cloud credentials through the environment")
			}
		}
		if dt.BootConf != "" {
			if _, err := os.Stat(dt.BootConf); err != nil {
				bad(key+".bootconf", "%v", err)
			}
		}
	}
	for key, n := range map[string]int{"max_nodes": c.MaxNodes, "launch_concurrency": c.LaunchConcurrency, "push.queue": c.Push.Queue, "push.retries": c.Push.Retries} {
		if n < 0 {
			bad(key, "must not be negative")
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	c.defaults()
	return nil
}

func (c *Config) defaults() {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	defD := func(v *Duration, d time.Duration) {
		if *v == 0 {
			*v = Duration(d)
		}
	}
	def(&c.MaxNodes, DefaultMaxNodes)
	def(&c.LaunchConcurrency, DefaultLaunchConcurrency)
	def(&c.Push.Queue, 10000)
	def(&c.Push.Retries, 5)
	defD(&c.QueryPeriod, DefaultQueryPeriod)
	defD(&c.DisappearAfter, DefaultDisappearAfter)
	defD(&c.ContextTimeout, DefaultContextTimeout)
	defD(&c.ShutdownTimeout, DefaultShutdownTimeout)
	defD(&c.Backoff.Capacity, DefaultCapacityBackoff)
	defD(&c.Backoff.Throttled, DefaultThrottledBackoff)
	defD(&c.Push.Backoff, time.Second)
	defD(&c.Push.MaxBackoff, 30*time.Second)
	defD(&c.Push.Timeout, 10*time.Second)
}
