package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	cl "github.com/cloudinitd/cloudinitd/cmd/internal/cli"
)

// epuSignalAfterStopEnv makes the test binary the child of
// TestEpuDaemonSignalAfterStop: "ROLE SIGNAL".
const epuSignalAfterStopEnv = "CLOUDINITD_TEST_EPU_SIGNAL_AFTER_STOP"

// TestEpuDaemonSignalAfterStop: a SIGTERM or SIGINT that reaches an epu
// daemon after epuProcess returned (its signal handling stopped), before
// os.Exit, does not end the process by the signal: it exits with the
// daemon's code. The child runs epuProcess for the daemon on a missing
// configuration (exit 1 at once), then sends the signal to its own thread
// (tgkill), so it is handled before the call returns: released to the
// default action (signal.NotifyContext's stop), it would kill the child
// there.
func TestEpuDaemonSignalAfterStop(t *testing.T) {
	if v := os.Getenv(epuSignalAfterStopEnv); v != "" {
		signalAfterStopChild(v)
		return
	}
	for _, tc := range []struct {
		role string
		sig  syscall.Signal
	}{
		{"provisioner", unix.SIGTERM},
		{"controller", unix.SIGINT},
		{"agent", unix.SIGTERM},
	} {
		t.Run(tc.role, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestEpuDaemonSignalAfterStop$")
			cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s %d", epuSignalAfterStopEnv, tc.role, int(tc.sig)))
			out, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != cl.ExitFailed {
				t.Fatalf("child after %v: %v, want exit code %d (the daemon's)\n%s", tc.sig, err, cl.ExitFailed, out)
			}
		})
	}
}

// signalAfterStopChild is the child of TestEpuDaemonSignalAfterStop:
// spec is "ROLE SIGNAL".
func signalAfterStopChild(spec string) {
	var role string
	var sig int
	if _, err := fmt.Sscan(spec, &role, &sig); err != nil {
		fmt.Fprintln(os.Stderr, "bad spec:", err)
		os.Exit(3)
	}
	env := cl.Env{Streams: cl.IOStreams{In: strings.NewReader(""), Out: io.Discard, Err: io.Discard},
		LookupEnv: os.LookupEnv, HomeDir: os.TempDir(), Prog: epuName}
	code := epuProcess([]string{role, "--config", filepath.Join(os.TempDir(), "no-such-epu-daemon-config.json")}, env)
	runtime.LockOSThread()
	if err := unix.Tgkill(unix.Getpid(), unix.Gettid(), syscall.Signal(sig)); err != nil {
		fmt.Fprintln(os.Stderr, "tgkill:", err)
		os.Exit(3)
	}
	os.Exit(code)
}
