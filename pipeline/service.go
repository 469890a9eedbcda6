package pipeline

import (
	"context"
	"io"
	"time"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/remote"
	"github.com/cloudinitd/cloudinitd/verify"
)

// Service is the one service (or worker) a pipeline works on: its name,
// and the caller's implementations of what the pipeline reads and tells.
type Service struct {
	// Name names the service: its stage directory, its host key
	// (KeyStore), its bootout.json in messages.
	Name     string
	Settings Settings
	Attrs    Attributes
	State    StateSink
	Bootout  BootoutSink
	// Log receives what the steps do on the host and the programs'
	// output (nil: nothing is logged).
	Log Log
}

// Settings are a service's keys as written (${} not expanded): bootpgm,
// readypgm, ssh_check, local_exe, ssh_port, ... The pipeline reads whether
// a key is set and the flags; Attributes expands values.
type Settings interface {
	// Setting returns the value of key and whether the service has it.
	Setting(key string) (string, bool)
}

// Attributes give a service's values with their ${} expanded.
type Attributes interface {
	// Setting returns the service's setting key expanded ("" when unset):
	// bootconf, bootpgm, readypgm, ssh_username, localsshkeypath.
	Setting(key string) (string, error)
	// Args returns the words of the setting key (bootpgm_args,
	// readypgm_args), split and expanded; none when unset. It refuses
	// words that hold a secret (program arguments are public on a host).
	Args(key string) ([]string, error)
	// Bag returns the attribute bag the bootconf template is filled
	// from.
	Bag() (map[string]string, error)
}

// StateSink is told what the pipeline does, in order. Step and Warn
// report (events); the other methods record a state transition and may
// fail, which fails the step that called them (a *StepError names
// another step).
type StateSink interface {
	// Step reports that step begins (detail: its target, "" for none).
	Step(ctx context.Context, step, detail string)
	// Warn reports something worth telling that is no failure.
	Warn(ctx context.Context, step, detail string)
	// Running records that the instance runs, on hostname (Host.Driver
	// set: after the wait; step running).
	Running(ctx context.Context, hostname string) error
	// Hostname records the host of a service the caller did not launch
	// (Host.Driver nil; step hostname).
	Hostname(ctx context.Context, hostname string) error
	// Booting records that the boot program is about to run (step
	// bootpgm).
	Booting(ctx context.Context) error
	// Contextualized records that the boot steps succeeded (step bootpgm).
	Contextualized(ctx context.Context) error
	// Ready records that every step passed (step check); ranBoot says
	// whether this pipeline ran the boot steps (Options.RunBoot).
	Ready(ctx context.Context, ranBoot bool) error
}

// Attr is one attribute bootout.json gave: a top-level key and its value
// (a string raw, anything else as compact JSON).
type Attr struct {
	Key, Value string
}

// BootoutSink receives what the boot program left in bootout.json.
type BootoutSink interface {
	// Bootout is called once the boot program succeeded: attrs in the
	// document's order (none for a missing file); ignored is why an
	// unreadable file was ignored ("" when it was read or missing). An
	// error fails the boot step.
	Bootout(ctx context.Context, attrs []Attr, ignored string) error
}

// Log is a service's log.
type Log interface {
	// Printf writes one line.
	Printf(format string, args ...any)
	// Stream returns where one output stream (stdout, stderr) of one
	// step's program goes, one line per Write.
	Stream(step, stream string) io.Writer
}

// QuietLog is an optional ability of a Log: Quiet reports that Printf
// writes nothing (the log keeps no lines; its streams still work), so
// the steps need not format the lines they would write. A Log that once
// reports quiet stays quiet.
type QuietLog interface {
	Log
	Quiet() bool
}

// logsLines reports whether Printf of log may write anything.
func logsLines(log Log) bool {
	if log == nil {
		return false
	}
	q, ok := log.(QuietLog)
	return !ok || !q.Quiet()
}

// Host is where a service runs.
type Host struct {
	// Driver and Ref are the service's instance; a nil Driver is a host
	// the caller did not launch (a hostname).
	Driver iaas.Driver
	Ref    iaas.Ref
	// Place says where the service's programs run, given its instance as
	// just described (nil without a Driver); nil: PlaceOf the instance.
	Place func(ctx context.Context, inst *iaas.Instance) (Place, error)
}

// Options are how one pipeline runs.
type Options struct {
	// Boot waits for the instance to run (the boot pipeline); without it
	// the instance must run now (the ready pipeline of status).
	Boot bool
	// RunBoot runs the boot steps: bootconf, boot program, bootout.json
	// (a service not contextualized yet).
	RunBoot bool
	// Contextualized says the service was contextualized before: the
	// connection gets the short port budget (verify.PortBackoff).
	Contextualized bool
	// StepTimeout bounds each step (pgm_timeout; 1200 s when zero).
	StepTimeout time.Duration
	// Running and SSH are the polling budgets of the wait for the
	// instance and the SSH check (nil: verify.RunningBackoff,
	// verify.SSHBackoff).
	Running, SSH *verify.Backoff
	// Env is added to the programs' environment.
	Env map[string]string
	// Files reads the programs' local files (nil: each is read at every
	// run); one for every pipeline of a command reads each file once.
	Files *remote.Files
	// Getenv reads this machine's environment (REMOTE_WORKING_DIR_ENV for
	// a local_exe stage directory; nil: none).
	Getenv func(string) string
	// Now is the clock of the log's durations (time.Now when nil).
	Now func() time.Time
}

func (o Options) stepTimeout() time.Duration {
	if o.StepTimeout <= 0 {
		return 1200 * time.Second
	}
	return o.StepTimeout
}

func (o Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

func (o Options) runningBackoff() verify.Backoff {
	if o.Running != nil {
		return *o.Running
	}
	return verify.RunningBackoff()
}

func (o Options) sshBackoff() verify.Backoff {
	if o.SSH != nil {
		return *o.SSH
	}
	return verify.SSHBackoff()
}

func (o Options) getenv(k string) string {
	if o.Getenv == nil {
		return ""
	}
	return o.Getenv(k)
}
