package agent

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"time"

	"github.com/cloudinitd/cloudinitd/epu"
)

// Config is an agent's configuration: one JSON file, written on the
// worker by its deployable type's boot program from the bootconf (0600).
// Durations are Go strings ("30s"). Unknown keys are errors.
type Config struct {
	NodeID     string `json:"node_id"`    // this worker's node id (the provisioner var node_id)
	Domain     string `json:"domain"`     // its controller's domain
	Controller string `json:"controller"` // the controller's URL (the var heartbeat_dest)
	NodeToken  string `json:"node_token"` // the domain's node token; never logged
	Home       string `json:"home"`       // the agent's directory (docs/agent.md); default $EPU_AGENT_HOME, else ~/.epu-agent

	InstanceID   string            `json:"instance_id,omitempty"`   // the cloud's id, for `epu node config`
	ReadyProgram string            `json:"ready_program,omitempty"` // run by `epu node test` and the converge check
	Values       map[string]string `json:"values,omitempty"`        // plan values given to the deployable type, for `epu node config`

	HeartbeatPeriod     Duration `json:"heartbeat_period,omitempty"`      // default 30s
	HealthcheckPeriod   Duration `json:"healthcheck_period,omitempty"`    // default 10m
	HealthcheckTimeout  Duration `json:"healthcheck_timeout,omitempty"`   // one script; default 5m
	ConvergeTimeout     Duration `json:"converge_timeout,omitempty"`      // default 4h
	CallTimeout         Duration `json:"call_timeout,omitempty"`          // one call to the controller; default 30s
	ShutdownHookTimeout Duration `json:"shutdown_hook_timeout,omitempty"` // one run_on_shutdown script; default 5m
}

// Defaults.
const (
	DefaultHeartbeatPeriod     = 30 * time.Second
	DefaultHealthcheckPeriod   = 10 * time.Minute
	DefaultHealthcheckTimeout  = 5 * time.Minute
	DefaultConvergeTimeout     = 4 * time.Hour
	DefaultCallTimeout         = 30 * time.Second
	DefaultShutdownHookTimeout = 5 * time.Minute
	DefaultKeepAlive           = time.Hour
)

// HomeEnv names the agent's directory for `epu node` and the scripts the
// agent runs.
const HomeEnv = "EPU_AGENT_HOME"

// Duration is a time.Duration written as a Go string in JSON ("30s").
type Duration = epu.Duration

// ErrConfig is the class of configuration errors; each names the file and
// the key.
var ErrConfig = errors.New("bad agent configuration")

// LoadConfig reads and checks the configuration file path.
func LoadConfig(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("agent config: %w", err)
	}
	return ParseConfig(path, b)
}

// ParseConfig reads a configuration from b; name is its file, for errors.
func ParseConfig(name string, b []byte) (Config, error) {
	var c Config
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return Config{}, fmt.Errorf("%s: %s: want %s: %w", name, te.Field, typeWord(te), ErrConfig)
		}
		if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return Config{}, fmt.Errorf("%s: %s: unknown key: %w", name, strings.Trim(f, `"`), ErrConfig)
		}
		return Config{}, fmt.Errorf("%s: %w: %w", name, err, ErrConfig)
	}
	if err := c.check(); err != nil {
		return Config{}, fmt.Errorf("%s: %w", name, err)
	}
	return c, nil
}

func typeWord(te *json.UnmarshalTypeError) string {
	if te.Type == reflect.TypeFor[Duration]() {
		return "a duration such as \"30s\""
	}
	return te.Type.String()
}

func (c *Config) check() error {
	bad := func(key, msg string) error { return fmt.Errorf("%s: %s: %w", key, msg, ErrConfig) }
	switch {
	case c.NodeID == "":
		return bad("node_id", "required (the worker's node id)")
	case c.Domain == "":
		return bad("domain", "required (the controller's domain of this worker)")
	case c.Controller == "":
		return bad("controller", "required (the controller's URL)")
	case !strings.HasPrefix(c.Controller, "http://") && !strings.HasPrefix(c.Controller, "https://"):
		return bad("controller", "want an http:// or https:// URL")
	case c.NodeToken == "":
		return bad("node_token", "required (the domain's node token, from the bootconf)")
	}
	if c.Home == "" {
		c.Home = os.Getenv(HomeEnv)
	}
	if c.Home == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return bad("home", "not set and no home directory: "+err.Error())
		}
		c.Home = h + "/.epu-agent"
	}
	def := func(d *Duration, v time.Duration) {
		if *d == 0 {
			*d = Duration(v)
		}
	}
	def(&c.HeartbeatPeriod, DefaultHeartbeatPeriod)
	def(&c.HealthcheckPeriod, DefaultHealthcheckPeriod)
	def(&c.HealthcheckTimeout, DefaultHealthcheckTimeout)
	def(&c.ConvergeTimeout, DefaultConvergeTimeout)
	def(&c.CallTimeout, DefaultCallTimeout)
	def(&c.ShutdownHookTimeout, DefaultShutdownHookTimeout)
	return nil
}
