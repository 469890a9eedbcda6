package controller

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"reflect"
	"regexp"
	"time"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/engine"
)

// Config is a controller's configuration: one JSON file, the service's
// bootconf (docs/epu-api.md). Durations are Go strings ("5s").
type Config struct {
	Service         string       `json:"service"`           // this controller's service name; its admin token is derived from it
	RunSecret       string       `json:"run_secret"`        // never logged or answered
	StateDir        string       `json:"state_dir"`         // SQLite store, token and api_url; outside the stage directory
	Listen          string       `json:"listen"`            // host:port; port 0 allowed
	AdvertiseURL    string       `json:"advertise_url"`     // the URL the provisioner and workers reach; default http://<listen address>
	Provisioner     Peer         `json:"provisioner"`       // where launches and terminations go
	DecidePeriod    Duration     `json:"decide_period"`     // set: the period, whatever the engine asks; unset (0): 5s, and the engine may change it (timed-pulse-irregular)
	MinDecidePeriod Duration     `json:"min_decide_period"` // floor of every decide period, the engine's included; default 1s
	MaxDecidePeriod Duration     `json:"max_decide_period"` // ceiling of every decide period, the engine's included (tests force fast decides); default none
	ResyncPeriod    Duration     `json:"resync_period"`     // each domain asks dump_state of its acknowledged instances this often; default 60s
	RetryPeriod     Duration     `json:"retry_period"`      // a failed provisioner call is sent again after this; default 5s
	StopLoss        float64      `json:"stop_loss"`         // fraction of a domain turning unhealthy at once that stops replacing; default 0.5
	StopLossWindow  Duration     `json:"stop_loss_window"`  // "at once": instances turned unhealthy within this count together, and one is not destroy-worthy before; default 60s
	Domains         []DomainConf `json:"domains"`
}

// Peer names another daemon: its service name (which gives the token its
// calls carry) and its URL.
type Peer struct {
	Service string `json:"service"`
	URL     string `json:"url"`
}

// DomainConf is one domain: a pool of workers of one deployable type
// sized by an engine.
type DomainConf struct {
	Name                 string      `json:"name"`
	DeployableType       string      `json:"deployable_type"`
	Site                 string      `json:"site"`       // "" for the deployable type's
	Allocation           string      `json:"allocation"` // "" for the deployable type's
	Engine               string      `json:"engine"`
	EngineConf           engine.Conf `json:"engine_conf"`
	MaxSize              int         `json:"max_size"` // the cap: never more live instances than this
	MonitorHealth        bool        `json:"monitor_health"`
	HealthBootTimeout    Duration    `json:"health_boot_timeout"`    // default 300s
	HealthMissingTimeout Duration    `json:"health_missing_timeout"` // default 120s
	HealthZombieTimeout  Duration    `json:"health_zombie_timeout"`  // default 120s
	SensorCmd            string      `json:"sensor_cmd"`             // run by sh -c each sensor_period; stdout is a reading
	SensorID             string      `json:"sensor_id"`              // the reading's id; default "queue-length"
	SensorPeriod         Duration    `json:"sensor_period"`          // default 10s
}

// Defaults.
const (
	DefaultDecidePeriod    = 5 * time.Second
	DefaultMinDecidePeriod = time.Second
	DefaultRetryPeriod     = 5 * time.Second
	DefaultResyncPeriod    = 60 * time.Second
	DefaultStopLoss        = 0.5
	DefaultStopLossWindow  = 60 * time.Second
	DefaultBootTimeout     = 300 * time.Second
	DefaultMissingTimeout  = 120 * time.Second
	DefaultZombieTimeout   = 120 * time.Second
	DefaultSensorPeriod    = 10 * time.Second
	DefaultSensorID        = "queue-length"
)

// Duration is a time.Duration written as a Go string in JSON ("90s").
type Duration = epu.Duration

var durationType = reflect.TypeFor[Duration]()

// ErrConfig is the class of configuration errors; each names the file and
// the key.
var ErrConfig = errors.New("bad controller configuration")

// LoadConfig reads and checks the configuration file path. Unknown keys
// are errors.
func LoadConfig(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("controller config: %w", err)
	}
	return ParseConfig(path, b)
}

// ParseConfig reads a configuration from b; name is the file it came from,
// for errors.
func ParseConfig(name string, b []byte) (Config, error) {
	// The domains are decoded one by one, so that a key of a domain is
	// named with its path.
	var top struct {
		Config
		Domains []json.RawMessage `json:"domains"`
	}
	if err := decodeStrict(name, "", b, &top); err != nil {
		return Config{}, err
	}
	cfg := top.Config
	cfg.Domains = make([]DomainConf, len(top.Domains))
	for i, raw := range top.Domains {
		if err := decodeStrict(name, fmt.Sprintf("domains[%d].", i), raw, &cfg.Domains[i]); err != nil {
			return Config{}, err
		}
	}
	if err := cfg.check(); err != nil {
		return Config{}, fmt.Errorf("%s: %w", name, err)
	}
	return cfg, nil
}

// decodeStrict decodes b into v refusing unknown keys, naming file and key.
func decodeStrict(file, prefix string, b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	var ue *json.UnmarshalFieldError
	switch {
	case errors.As(err, &te) && te.Type == durationType:
		return fmt.Errorf("%s: %s%s: want a duration such as \"5s\", got %s: %w", file, prefix, te.Field, te.Value, ErrConfig)
	case errors.As(err, &te):
		return fmt.Errorf("%s: %s%s: want %s, got JSON %s: %w", file, prefix, te.Field, te.Type, te.Value, ErrConfig)
	case errors.As(err, &ue):
		return fmt.Errorf("%s: %s%s: %w", file, prefix, ue.Key, ErrConfig)
	}
	if m := unknownField.FindStringSubmatch(err.Error()); m != nil {
		return fmt.Errorf("%s: %s%s: unknown key: %w", file, prefix, m[1], ErrConfig)
	}
	return fmt.Errorf("%s: %s%w: %w", file, prefix, err, ErrConfig)
}

var unknownField = regexp.MustCompile(`^json: unknown field "(.*)"$`)

func (c *Config) check() error {
	bad := func(key, format string, args ...any) error {
		return fmt.Errorf("%s: %s: %w", key, fmt.Sprintf(format, args...), ErrConfig)
	}
	switch {
	case c.Service == "":
		return bad("service", "required (this controller's service name)")
	case c.RunSecret == "":
		return bad("run_secret", "required (the run's secret, from the bootconf)")
	case c.StateDir == "":
		return bad("state_dir", "required")
	case c.Listen == "":
		return bad("listen", "required (host:port)")
	case c.Provisioner.Service == "":
		return bad("provisioner.service", "required")
	case c.Provisioner.URL == "":
		return bad("provisioner.url", "required")
	case c.StopLoss < 0 || c.StopLoss >= 1:
		return bad("stop_loss", "want a fraction in [0, 1), got %v", c.StopLoss)
	case len(c.Domains) == 0:
		return bad("domains", "at least one domain is required")
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return bad("listen", "want host:port: %v", err)
	}
	c.defaults()
	if c.DecidePeriod != 0 && c.DecidePeriod < c.MinDecidePeriod {
		return bad("decide_period", "%v is below min_decide_period %v", time.Duration(c.DecidePeriod), time.Duration(c.MinDecidePeriod))
	}
	if c.MaxDecidePeriod != 0 && c.MaxDecidePeriod < max(c.DecidePeriod, c.MinDecidePeriod) {
		return bad("max_decide_period", "%v is below decide_period or min_decide_period", time.Duration(c.MaxDecidePeriod))
	}
	seen := map[string]bool{}
	for i := range c.Domains {
		d := &c.Domains[i]
		key := func(k string) string { return fmt.Sprintf("domains[%d].%s", i, k) }
		switch {
		case !domainName.MatchString(d.Name):
			return bad(key("name"), "want letters, digits, '.', '_' or '-', got %q", d.Name)
		case seen[d.Name]:
			return bad(key("name"), "domain %q named twice", d.Name)
		case d.DeployableType == "":
			return bad(key("deployable_type"), "required")
		case d.Engine == "":
			return bad(key("engine"), "required")
		case d.MaxSize < 1:
			return bad(key("max_size"), "required, at least 1 (the domain's cap)")
		case d.SensorCmd == "" && d.SensorPeriod != 0:
			return bad(key("sensor_period"), "set without sensor_cmd")
		}
		seen[d.Name] = true
		d.defaults()
	}
	return nil
}

var domainName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

func (c *Config) defaults() {
	def := func(d *Duration, v time.Duration) {
		if *d == 0 {
			*d = Duration(v)
		}
	}
	def(&c.MinDecidePeriod, DefaultMinDecidePeriod)
	def(&c.RetryPeriod, DefaultRetryPeriod)
	def(&c.ResyncPeriod, DefaultResyncPeriod)
	def(&c.StopLossWindow, DefaultStopLossWindow)
	if c.StopLoss == 0 {
		c.StopLoss = DefaultStopLoss
	}
}

func (d *DomainConf) defaults() {
	def := func(x *Duration, v time.Duration) {
		if *x == 0 {
			*x = Duration(v)
		}
	}
	def(&d.HealthBootTimeout, DefaultBootTimeout)
	def(&d.HealthMissingTimeout, DefaultMissingTimeout)
	def(&d.HealthZombieTimeout, DefaultZombieTimeout)
	if d.SensorCmd != "" {
		def(&d.SensorPeriod, DefaultSensorPeriod)
		if d.SensorID == "" {
			d.SensorID = DefaultSensorID
		}
	}
	if d.EngineConf == nil {
		d.EngineConf = engine.Conf{}
	}
}
