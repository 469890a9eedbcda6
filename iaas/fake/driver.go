package fake

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/cloudinitd/cloudinitd/iaas"
)

// Name is the driver's registry name.
const Name = "fake"

// Options configure [New].
type Options struct {
	// Dir holds one JSON file per instance; processes sharing Dir share the
	// cloud. Required unless Memory.
	Dir string
	// Memory keeps instances in this process only (benchmarks, dry runs).
	Memory bool
	// DryRun makes every launch a dry run, whatever the spec or the
	// environment says (fake_dry_run): no delays, Handle marked dry run.
	// The CLI's --dryrun uses it.
	DryRun bool
	// Clock is the time source of the simulation (system clock when nil).
	Clock iaas.Clock
	// LookupEnv reads the CLOUDINITD_FAKE_* knobs (os.LookupEnv when nil).
	LookupEnv func(string) (string, bool)
	// Logger receives diagnostics (discarded when nil).
	Logger *slog.Logger
}

// Driver is a simulated cloud; see the package documentation.
type Driver struct {
	st    store
	cfg   iaas.Config
	clock iaas.Clock
	log   *slog.Logger

	dryRun bool // Options.DryRun

	mu    sync.Mutex
	draws map[string]uint64 // launch calls seen per client token, for the error draw
}

var (
	_ iaas.Driver    = (*Driver)(nil)
	_ iaas.RunFinder = (*Driver)(nil)
)

// New returns a fake driver on the cloud in o.Dir, or in memory.
func New(o Options) (*Driver, error) {
	cfg := iaas.Config{LookupEnv: o.LookupEnv, Logger: o.Logger, Clock: o.Clock}
	var st store
	switch {
	case o.Memory:
		st = newMemStore()
	case o.Dir == "":
		return nil, fmt.Errorf("fake: no state directory (set a state dir, or %s=1 for an in-memory cloud)", EnvMemory)
	default:
		ds, err := newDiskStore(o.Dir)
		if err != nil {
			return nil, err
		}
		st = ds
	}
	d := newDriver(st, cfg)
	d.dryRun = o.DryRun
	return d, nil
}

func newDriver(st store, cfg iaas.Config) *Driver {
	return &Driver{st: st, cfg: cfg, clock: cfg.Time(), log: cfg.Log(), draws: map[string]uint64{}}
}

// Factory builds the fake driver for the registry: instances live under
// cfg.StateDir/fake, or in memory when CLOUDINITD_FAKE_MEMORY is true.
func Factory(cfg iaas.Config) (iaas.Driver, error) {
	o := Options{LookupEnv: cfg.LookupEnv, Logger: cfg.Logger, Clock: cfg.Clock}
	if v, ok := cfg.Env(EnvMemory); ok && v != "" {
		mem, err := strconv.ParseBool(v)
		if err != nil {
			return nil, fmt.Errorf("fake: %s: invalid value %q: want true or false", EnvMemory, v)
		}
		o.Memory = mem
	}
	if cfg.StateDir != "" {
		o.Dir = filepath.Join(cfg.StateDir, Name)
	}
	return New(o)
}

// Entry is the driver's registry entry (generic wrappers).
func Entry() iaas.Entry { return iaas.Entry{Name: Name, Factory: Factory} }

// Clone returns a new driver on the same cloud, with a fresh cache, as a
// new process would have. For memory clouds it is the only way to share.
func (d *Driver) Clone() *Driver {
	if ds, ok := d.st.(*diskStore); ok {
		c := newDriver(diskStoreAt(ds.dir), d.cfg)
		c.dryRun = d.dryRun
		return c
	}
	c := newDriver(d.st, d.cfg)
	c.dryRun = d.dryRun
	return c
}

// Name returns "fake".
func (d *Driver) Name() string { return Name }

// Launch creates a simulated instance after fake_launch_delay; it is
// pending for fake_running_delay, then running on localhost. The instance
// id is derived from spec.ClientToken, so a repeated token returns the
// first instance, also from another process. Launch fails with ErrTransient
// at fake_error_rate, with ErrCapacity past fake_capacity live instances,
// and with ErrPermanent for bad knob values.
func (d *Driver) Launch(ctx context.Context, spec iaas.LaunchSpec) (iaas.Instance, error) {
	if err := ctx.Err(); err != nil {
		return iaas.Instance{}, fmt.Errorf("launch: %w", err)
	}
	k, err := parseKnobs(spec.Options, d.cfg.Env)
	if err != nil {
		return iaas.Instance{}, err
	}
	if d.dryRun {
		k.dryRun, k.launchDelay, k.runningDelay, k.terminateDelay = true, 0, 0, 0
	}
	if err := d.clock.Sleep(ctx, k.launchDelay); err != nil {
		return iaas.Instance{}, fmt.Errorf("launch: %w", err)
	}
	if d.failDraw(k, spec) {
		return iaas.Instance{}, &iaas.CloudError{Class: iaas.ErrTransient, Op: "launch",
			Code: "fake.injected", Message: fmt.Sprintf("fake: injected failure (%s=%g)", KeyErrorRate, k.errorRate)}
	}
	unlock, err := d.st.lock()
	if err != nil {
		return iaas.Instance{}, err
	}
	defer unlock()
	id, existing, err := d.allocate(spec.ClientToken)
	if err != nil {
		return iaas.Instance{}, err
	}
	now := d.clock.Now()
	if existing != nil {
		return existing.instance(now), nil
	}
	if err := d.checkCapacity(k, now); err != nil {
		return iaas.Instance{}, err
	}
	r := record{ID: id, Token: spec.ClientToken, Run: spec.Run.Name, Incarnation: spec.Run.Incarnation,
		Service: spec.Service, Owner: spec.Owner, StartedBy: spec.StartedBy, Tags: maps.Clone(spec.Tags), DryRun: k.dryRun,
		LaunchedAt: now, RunningDelay: k.runningDelay, DieAfter: k.dieAfter, TerminateDelay: k.terminateDelay}
	if err := d.st.save(r); err != nil {
		return iaas.Instance{}, err
	}
	d.log.Debug("fake launch", "id", id, "run", spec.Run.String(), "service", spec.Service, "dry_run", k.dryRun)
	return r.instance(now), nil
}

// allocate returns the id for token, and the record already there when the
// token was seen before. Ids for a token are tried in a fixed sequence so
// every process finds the same one; without a token the id is random.
// Called under the cloud lock.
func (d *Driver) allocate(token string) (string, *record, error) {
	for n := uint64(0); ; n++ {
		var id string
		if token == "" {
			id = fmt.Sprintf("fake-%08x", rand.Uint32())
		} else {
			sum := sha256.Sum256([]byte(token + "\x00" + strconv.FormatUint(n, 10)))
			id = "fake-" + hex.EncodeToString(sum[:4])
		}
		r, ok, err := d.st.load(id)
		if err != nil {
			return "", nil, err
		}
		if !ok {
			return id, nil, nil
		}
		if token != "" && r.Token == token {
			return id, &r, nil
		}
	}
}
