package mgmt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/cloudinitd/cloudinitd/bootlevel"
	"github.com/cloudinitd/cloudinitd/remote"
)

// Channel reaches the EPU daemons of a run. The SSH channel (HostChannel)
// runs 'epu ctl' on each service's host; tests give a fake.
type Channel interface {
	// Ctl runs 'epu ctl --state-dir DIR ARGS...' for svc's daemon (DIR is
	// svc.StateDir) and returns what it wrote on standard output (JSON).
	// A failure is a *CtlError.
	Ctl(ctx context.Context, svc Service, args ...string) ([]byte, error)
	// FetchLogs copies the daemon's log files (*.log, *.out of its state
	// directory; never its configuration or token) into dir and returns
	// how many it copied.
	FetchLogs(ctx context.Context, svc Service, dir string) (int, error)
}

// CtlError is a failed 'epu ctl' call: which service, on which host, what
// was asked, and what the daemon or the connection said.
type CtlError struct {
	Service string
	Host    string // "" when the host could not be reached
	Call    string
	Err     error
	Output  []string // the tail of the call's output (its error message)
}

func (e *CtlError) Error() string {
	where := fmt.Sprintf("service %q", e.Service)
	if e.Host != "" {
		where += " (host " + e.Host + ")"
	}
	msg := fmt.Sprintf("%s: epu ctl %s: %v", where, e.Call, e.Err)
	if len(e.Output) > 0 {
		msg += "\n" + strings.Join(e.Output, "\n")
	}
	return msg
}

func (e *CtlError) Unwrap() error { return e.Err }

// ErrNoStateDir: the service published no epu_state_dir in its bootout,
// so its daemon cannot be found on its host.
var ErrNoStateDir = errors.New("no " + AttrStateDir + " in its bootout.json")

// ctlScript runs epu ctl on a daemon's host: the epu of its state
// directory (bin/epu, where examples/epu's run.sh puts it), else epu on
// PATH. $1 is the state directory; the rest are ctl's arguments.
const ctlScript = `dir=$1; shift
exe=$dir/bin/epu
if [ ! -x "$exe" ]; then exe=$(command -v epu) || { echo "no epu program in $dir/bin or on PATH" >&2; exit 127; }; fi
exec "$exe" ctl --state-dir "$dir" "$@"`

// logsScript lists the daemon's log files: regular *.log and *.out files
// of the state directory (its configuration, token and records stay).
const logsScript = `cd "$1" && find . -maxdepth 2 -type f \( -name '*.log' -o -name '*.out' \) -print`

// HostChannel reaches daemons through Engine.Host: SSH to the service's
// host with the recorded user, key and host key, as 'cloudinitd ssh'.
type HostChannel struct {
	Engine *bootlevel.Engine
	// CallTimeout bounds one call (30 s when zero, the original's).
	CallTimeout time.Duration

	mu sync.Mutex // Engine.Host begins a command on the record: one at a time
}

var _ Channel = (*HostChannel)(nil)

func (c *HostChannel) timeout() time.Duration {
	if c.CallTimeout > 0 {
		return c.CallTimeout
	}
	return 30 * time.Second
}

func (c *HostChannel) host(ctx context.Context, svc Service) (remote.Executor, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ex, _, err := c.Engine.Host(ctx, svc.Name)
	return ex, err
}

// Ctl implements Channel.
func (c *HostChannel) Ctl(ctx context.Context, svc Service, args ...string) ([]byte, error) {
	call := strings.Join(args, " ")
	if svc.StateDir == "" {
		return nil, &CtlError{Service: svc.Name, Call: call, Err: ErrNoStateDir}
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout())
	defer cancel()
	ex, err := c.host(ctx, svc)
	if err != nil {
		return nil, &CtlError{Service: svc.Name, Call: call, Err: err}
	}
	defer ex.Close()
	var out, errOut bytes.Buffer
	res, err := ex.Run(ctx, remote.Cmd{
		Argv:   append([]string{"/bin/sh", "-c", ctlScript, "epu-ctl", svc.StateDir}, args...),
		Stdout: &out, Stderr: &errOut,
	})
	if err != nil {
		tail := strings.Split(strings.TrimSpace(errOut.String()), "\n")
		if errOut.Len() == 0 {
			tail = res.Tail
		}
		return out.Bytes(), &CtlError{Service: svc.Name, Host: ex.Host(), Call: call, Err: err, Output: tail}
	}
	return out.Bytes(), nil
}

// FetchLogs implements Channel (over SFTP, as the engine fetches
// bootout.json).
func (c *HostChannel) FetchLogs(ctx context.Context, svc Service, dir string) (int, error) {
	if svc.StateDir == "" {
		return 0, fmt.Errorf("service %q: %w", svc.Name, ErrNoStateDir)
	}
	ex, err := c.host(ctx, svc)
	if err != nil {
		return 0, err
	}
	defer ex.Close()
	var list bytes.Buffer
	lctx, cancel := context.WithTimeout(ctx, c.timeout())
	_, err = ex.Run(lctx, remote.Cmd{Argv: []string{"/bin/sh", "-c", logsScript, "epu-logs", svc.StateDir}, Stdout: &list})
	cancel()
	if err != nil {
		return 0, fmt.Errorf("service %q (host %s): list the logs of %s: %w", svc.Name, ex.Host(), svc.StateDir, err)
	}
	n := 0
	for _, rel := range strings.Split(strings.TrimSpace(list.String()), "\n") {
		if rel == "" {
			continue
		}
		rel = path.Clean(rel)
		if strings.HasPrefix(rel, "..") {
			continue
		}
		fctx, cancel := context.WithTimeout(ctx, c.timeout())
		b, err := ex.Fetch(fctx, path.Join(svc.StateDir, rel))
		cancel()
		if err != nil {
			return n, fmt.Errorf("service %q (host %s): fetch %s: %w", svc.Name, ex.Host(), rel, err)
		}
		dst := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			return n, err
		}
		if err := os.WriteFile(dst, b, 0o600); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
