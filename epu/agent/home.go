package agent

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Home is an agent's directory (Jetpack's $JETPACK_HOME):
//
//	healthcheck.d/               health check scripts (executables, lexicographic order)
//	logs/agent.log               the agent's JSON event lines
//	run/agent.lock               held (flock) while the agent runs
//	run/agent.json               the running agent's configuration (0600), read by `epu node`
//	run/keepalive                "forever" or an RFC 3339 time: the local health verdict is suppressed until then
//	run/scheduled_shutdown/      markers: first line a Unix time, optional second line a reason
//	run/run_on_shutdown          scripts to run before termination, one path a line
//	run/converged                written once the ready program passed
//	run/health.json              the last health verdict
type Home string

// Paths in a Home.
func (h Home) path(p ...string) string { return filepath.Join(append([]string{string(h)}, p...)...) }

// HealthcheckDir is healthcheck.d.
func (h Home) HealthcheckDir() string { return h.path("healthcheck.d") }

// LogDir is where the agent logs.
func (h Home) LogDir() string { return h.path("logs") }

// ScheduledShutdownDir holds the scheduled_shutdown markers.
func (h Home) ScheduledShutdownDir() string { return h.path("run", "scheduled_shutdown") }

func (h Home) lockFile() string      { return h.path("run", "agent.lock") }
func (h Home) configFile() string    { return h.path("run", "agent.json") }
func (h Home) keepaliveFile() string { return h.path("run", "keepalive") }
func (h Home) hooksFile() string     { return h.path("run", "run_on_shutdown") }
func (h Home) convergedFile() string { return h.path("run", "converged") }
func (h Home) healthFile() string    { return h.path("run", "health.json") }

// Make creates the directories of h.
func (h Home) Make() error {
	for _, d := range []string{h.HealthcheckDir(), h.LogDir(), h.ScheduledShutdownDir()} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fmt.Errorf("agent home: %w", err)
		}
	}
	return nil
}

// ErrNoAgent is returned when no agent runs on h.
var ErrNoAgent = errors.New("no agent is running")

// lock takes the agent's lock; ErrAgentRunning when another agent holds
// it. The returned file keeps the lock until closed.
func (h Home) lock() (*os.File, error) {
	f, err := os.OpenFile(h.lockFile(), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("agent lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("agent lock %s: %w", h.lockFile(), ErrAgentRunning)
	}
	return f, nil
}

// ErrAgentRunning is returned when an agent already runs on a home.
var ErrAgentRunning = errors.New("another agent runs on this home")

// Running returns the configuration of the agent running on h, or an
// ErrNoAgent error saying how to start one.
func (h Home) Running() (Config, error) {
	f, err := os.OpenFile(h.lockFile(), os.O_RDWR, 0)
	if err == nil {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB)
		f.Close()
		if err == nil { // we got the lock: nobody holds it
			err = ErrNoAgent
		} else {
			err = nil
		}
	}
	if err != nil {
		return Config{}, fmt.Errorf("%w on %s (start one: epu agent --config FILE; or set %s to the agent's home)", ErrNoAgent, h, HomeEnv)
	}
	b, err := os.ReadFile(h.configFile())
	if err != nil {
		return Config{}, fmt.Errorf("agent on %s: %w", h, err)
	}
	var c Config
	if err := json.Unmarshal(b, &c); err != nil {
		return Config{}, fmt.Errorf("agent on %s: %s: %w", h, h.configFile(), err)
	}
	return c, nil
}

// writePrivate writes a file readable by its owner only, atomically.
func writePrivate(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// KeepAliveUntil returns when the keepalive ends; forever is true for
// "forever"; ok is false when none was set.
func (h Home) KeepAliveUntil() (until time.Time, forever, ok bool, err error) {
	b, err := os.ReadFile(h.keepaliveFile())
	if errors.Is(err, os.ErrNotExist) {
		return time.Time{}, false, false, nil
	}
	if err != nil {
		return time.Time{}, false, false, err
	}
	s := strings.TrimSpace(string(b))
	if s == "forever" {
		return time.Time{}, true, true, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, false, false, fmt.Errorf("%s: %w", h.keepaliveFile(), err)
	}
	return t, false, true, nil
}

// SetKeepAlive suppresses the local health verdict until until, or
// forever.
func (h Home) SetKeepAlive(until time.Time, forever bool) error {
	s := until.UTC().Format(time.RFC3339)
	if forever {
		s = "forever"
	}
	return writePrivate(h.keepaliveFile(), []byte(s+"\n"))
}

// ParseKeepAlive reads `epu node keepalive [DURATION|forever]`: no
// argument is an hour.
func ParseKeepAlive(arg string) (d time.Duration, forever bool, err error) {
	switch arg {
	case "":
		return DefaultKeepAlive, false, nil
	case "forever":
		return 0, true, nil
	}
	d, err = time.ParseDuration(arg)
	if err != nil || d <= 0 {
		return 0, false, fmt.Errorf("keepalive: %q is not a positive duration such as 6h, or forever", arg)
	}
	return d, false, nil
}

// Hooks returns the registered run_on_shutdown scripts, in order.
func (h Home) Hooks() ([]string, error) {
	f, err := os.Open(h.hooksFile())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			out = append(out, l)
		}
	}
	return out, sc.Err()
}

// AddHook registers an absolute path of an executable script once.
func (h Home) AddHook(script string) error {
	if !filepath.IsAbs(script) {
		return fmt.Errorf("run_on_shutdown: %q is not an absolute path", script)
	}
	fi, err := os.Stat(script)
	if err != nil {
		return fmt.Errorf("run_on_shutdown: %w", err)
	}
	if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("run_on_shutdown: %s is not an executable file", script)
	}
	hooks, err := h.Hooks()
	if err != nil {
		return err
	}
	if slices.Contains(hooks, script) {
		return nil
	}
	return writePrivate(h.hooksFile(), []byte(strings.Join(append(hooks, script), "\n")+"\n"))
}

// ScheduledShutdown returns the earliest scheduled_shutdown marker: its
// time and reason; ok is false when there is none. A marker whose first
// line is not a Unix time is an error naming it.
func (h Home) ScheduledShutdown() (at time.Time, reason string, ok bool, err error) {
	ents, err := os.ReadDir(h.ScheduledShutdownDir())
	if errors.Is(err, os.ErrNotExist) {
		return time.Time{}, "", false, nil
	}
	if err != nil {
		return time.Time{}, "", false, err
	}
	var errs []error
	for _, e := range ents {
		if e.IsDir() || strings.HasSuffix(e.Name(), ".tmp") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(h.ScheduledShutdownDir(), e.Name()))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		first, rest, _ := strings.Cut(string(b), "\n")
		sec, perr := strconv.ParseInt(strings.TrimSpace(first), 10, 64)
		if perr != nil {
			errs = append(errs, fmt.Errorf("scheduled_shutdown/%s: first line %q is not a Unix time", e.Name(), strings.TrimSpace(first)))
			continue
		}
		t := time.Unix(sec, 0)
		if !ok || t.Before(at) {
			at, ok = t, true
			reason, _, _ = strings.Cut(rest, "\n")
			reason = strings.TrimSpace(reason)
			if reason == "" {
				reason = "scheduled_shutdown/" + e.Name()
			}
		}
	}
	return at, reason, ok, errors.Join(errs...)
}
