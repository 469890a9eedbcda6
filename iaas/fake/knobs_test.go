package fake_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/fake"
)

// manualClock is a virtual clock: Sleep records the wait and moves time on
// by it; Advance moves time by hand.
type manualClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newManualClock() *manualClock { return &manualClock{now: time.Unix(1_700_000_000, 0)} }

func (c *manualClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *manualClock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

func (c *manualClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(max(d, 0))
	c.mu.Unlock()
	return ctx.Err()
}

func newDriver(t *testing.T, clock iaas.Clock, env map[string]string) *fake.Driver {
	t.Helper()
	d, err := fake.New(fake.Options{Dir: t.TempDir(), Clock: clock, LookupEnv: func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func launch(t *testing.T, d iaas.Driver, token string, opts map[string]string) iaas.Instance {
	t.Helper()
	inst, err := d.Launch(context.Background(), iaas.LaunchSpec{ClientToken: token, Options: opts})
	if err != nil {
		t.Fatalf("Launch(%s): %v", token, err)
	}
	return inst
}

func state(t *testing.T, d iaas.Driver, id string) iaas.Instance {
	t.Helper()
	got, err := d.Describe(context.Background(), iaas.Ref{ID: id})
	if err != nil {
		t.Fatal(err)
	}
	return got[0]
}

func TestLaunchDelay(t *testing.T) {
	clock := newManualClock()
	d := newDriver(t, clock, nil)
	inst := launch(t, d, "t1", map[string]string{fake.KeyLaunchDelay: "2.5"})
	if len(clock.sleeps) != 1 || clock.sleeps[0] != 2500*time.Millisecond {
		t.Errorf("Launch slept %v, want [2.5s]", clock.sleeps)
	}
	if !inst.LaunchedAt.Equal(clock.Now()) {
		t.Errorf("LaunchedAt = %v, want the time after the delay %v", inst.LaunchedAt, clock.Now())
	}
}

// TestLifecycle walks one instance through every state on the virtual
// clock: pending, running, failed (die-after), terminating, terminated.
func TestLifecycle(t *testing.T) {
	clock := newManualClock()
	d := newDriver(t, clock, nil)
	inst := launch(t, d, "t1", map[string]string{
		fake.KeyRunningDelay: "500ms", fake.KeyDieAfter: "10", fake.KeyTerminateDelay: "3s",
	})
	steps := []struct {
		advance  time.Duration
		want     iaas.State
		hostname string
	}{
		{0, iaas.StatePending, ""},
		{499 * time.Millisecond, iaas.StatePending, ""},
		{time.Millisecond, iaas.StateRunning, "localhost"},
		{9 * time.Second, iaas.StateRunning, "localhost"},
		{time.Second, iaas.StateFailed, "localhost"},
	}
	for i, s := range steps {
		clock.Advance(s.advance)
		got := state(t, d, inst.ID)
		if got.State != s.want || got.Hostname != s.hostname {
			t.Errorf("step %d: {%s %q}, want {%s %q}", i, got.State, got.Hostname, s.want, s.hostname)
		}
	}
	if got := state(t, d, inst.ID); !errors.Is(got.Err, iaas.ErrTransient) || !strings.Contains(got.Err.Error(), fake.KeyDieAfter) {
		t.Errorf("failed instance Err = %v, want ErrTransient naming %s", got.Err, fake.KeyDieAfter)
	}
	if err := d.Terminate(context.Background(), iaas.Ref{ID: inst.ID}); err != nil {
		t.Fatal(err)
	}
	if got := state(t, d, inst.ID).State; got != iaas.StateTerminating {
		t.Errorf("after Terminate: %s, want terminating", got)
	}
	clock.Advance(3 * time.Second)
	if got := state(t, d, inst.ID).State; got != iaas.StateTerminated {
		t.Errorf("terminate delay later: %s, want terminated", got)
	}
}

// TestEnvKnobs: knobs come from the injected environment when the service
// has no option, the option wins over the environment, and the legacy
// variable sets the running delay.
func TestEnvKnobs(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		opts map[string]string
		want time.Duration // running delay observed
	}{
		{"default", nil, nil, fake.DefaultRunningDelay},
		{"env", map[string]string{"CLOUDINITD_FAKE_RUNNING_DELAY": "4"}, nil, 4 * time.Second},
		{"legacy env", map[string]string{fake.EnvLegacyRunningDelay: "2"}, nil, 2 * time.Second},
		{"new env beats legacy", map[string]string{fake.EnvLegacyRunningDelay: "2", "CLOUDINITD_FAKE_RUNNING_DELAY": "3s"}, nil, 3 * time.Second},
		{"option beats env", map[string]string{"CLOUDINITD_FAKE_RUNNING_DELAY": "4"}, map[string]string{fake.KeyRunningDelay: "1500ms"}, 1500 * time.Millisecond},
		{"dry run", map[string]string{"CLOUDINITD_FAKE_DRY_RUN": "true", "CLOUDINITD_FAKE_RUNNING_DELAY": "4"}, nil, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clock := newManualClock()
			d := newDriver(t, clock, tc.env)
			inst := launch(t, d, "t", tc.opts)
			if tc.want > 0 {
				clock.Advance(tc.want - time.Nanosecond)
				if got := state(t, d, inst.ID).State; got != iaas.StatePending {
					t.Errorf("just before %v: %s, want pending", tc.want, got)
				}
				clock.Advance(time.Nanosecond)
			}
			if got := state(t, d, inst.ID).State; got != iaas.StateRunning {
				t.Errorf("at %v: %s, want running", tc.want, got)
			}
		})
	}
}

func TestDryRunHandle(t *testing.T) {
	d := newDriver(t, newManualClock(), nil)
	for _, dry := range []bool{false, true} {
		opts := map[string]string{}
		if dry {
			opts[fake.KeyDryRun] = "true"
		}
		inst := launch(t, d, "t-"+map[bool]string{false: "real", true: "dry"}[dry], opts)
		h, err := fake.DecodeHandle(inst.Handle)
		if err != nil || h.DryRun != dry {
			t.Errorf("dry run %v: handle %s decodes to %+v, %v", dry, inst.Handle, h, err)
		}
		if dry && (inst.State != iaas.StateRunning || inst.Hostname != "localhost") {
			t.Errorf("dry-run instance {%s %q}, want running on localhost at once", inst.State, inst.Hostname)
		}
	}
}

func TestBadKnobs(t *testing.T) {
	cases := []struct {
		name, key, value string
		env              bool
	}{
		{"delay word", fake.KeyLaunchDelay, "soon", false},
		{"negative delay", fake.KeyRunningDelay, "-1", false},
		{"negative duration", fake.KeyTerminateDelay, "-5ms", false},
		{"die after", fake.KeyDieAfter, "x", false},
		{"rate above 1", fake.KeyErrorRate, "1.5", false},
		{"seed", fake.KeySeed, "abc", false},
		{"capacity negative", fake.KeyCapacity, "-2", false},
		{"dry run", fake.KeyDryRun, "perhaps", false},
		{"env rate", "CLOUDINITD_FAKE_ERROR_RATE", "lots", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var env, opts map[string]string
			if tc.env {
				env = map[string]string{tc.key: tc.value}
			} else {
				opts = map[string]string{tc.key: tc.value}
			}
			_, err := newDriver(t, newManualClock(), env).Launch(context.Background(), iaas.LaunchSpec{Options: opts})
			if !errors.Is(err, iaas.ErrPermanent) || !strings.Contains(err.Error(), tc.key) {
				t.Errorf("Launch with %s=%q: %v, want ErrPermanent naming %s", tc.key, tc.value, err, tc.key)
			}
		})
	}
}

// TestEnvVar: the variables spelled out for the option keys are the rule's
// ("CLOUDINITD_" and the key in upper case), as for any other key.
func TestEnvVar(t *testing.T) {
	for _, key := range []string{fake.KeyLaunchDelay, fake.KeyRunningDelay, fake.KeyTerminateDelay,
		fake.KeyErrorRate, fake.KeySeed, fake.KeyCapacity, fake.KeyDieAfter, fake.KeyDryRun, "fake_other"} {
		if got, want := fake.EnvVar(key), "CLOUDINITD_"+strings.ToUpper(key); got != want {
			t.Errorf("EnvVar(%q) = %q, want %q", key, got, want)
		}
	}
}
