package agent

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// result is the outcome of one program.
type result struct {
	exit     int // -1 when it did not exit by itself
	err      error
	timedOut bool
	output   string // the tail of its output
}

// maxOutput is how much of a program's output is kept.
const maxOutput = 2048

// tail keeps the last maxOutput bytes written.
type tail struct{ b []byte }

func (t *tail) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > maxOutput {
		t.b = t.b[len(t.b)-maxOutput:]
	}
	return len(p), nil
}

// run runs a program of the node (by sh -c, so ready programs may carry
// arguments) in its own process group, killed with the whole group at
// timeout. The agent's home and the node id are in its environment.
func (a *Agent) run(ctx context.Context, program string, timeout time.Duration) result {
	return runProgram(ctx, program, timeout, a.env(), nil)
}

func (a *Agent) env() []string {
	return append(os.Environ(), HomeEnv+"="+string(a.home), "EPU_NODE_ID="+a.cfg.NodeID, "EPU_DOMAIN="+a.cfg.Domain)
}

// runProgram runs program with env; out, when not nil, also gets its
// output.
func runProgram(ctx context.Context, program string, timeout time.Duration, env []string, out io.Writer) result {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", program)
	cmd.Env = env
	var t tail
	var w io.Writer = &t
	if out != nil {
		w = io.MultiWriter(&t, out)
	}
	cmd.Stdout, cmd.Stderr = w, w
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 2 * time.Second
	err := cmd.Run()
	r := result{exit: -1, err: err, output: string(bytes.TrimSpace(t.b))}
	if cmd.ProcessState != nil && cmd.ProcessState.Exited() {
		r.exit = cmd.ProcessState.ExitCode()
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) && r.exit < 0 {
		r.timedOut = true
		r.err = fmt.Errorf("killed after %v: %w", timeout, context.DeadlineExceeded)
	}
	return r
}

// RunHooks runs the node's run_on_shutdown scripts in the order they were
// registered, each within timeout, logging each outcome; a failed script
// does not stop the others. It is what the provisioner runs on the node
// (`epu node run_shutdown_hooks`) before terminating it. It returns how
// many failed.
func RunHooks(ctx context.Context, home Home, timeout time.Duration, log *slog.Logger, out io.Writer) (int, error) {
	hooks, err := home.Hooks()
	if err != nil {
		return 0, fmt.Errorf("run_on_shutdown: %w", err)
	}
	failed := 0
	env := append(os.Environ(), HomeEnv+"="+string(home))
	for _, h := range hooks {
		r := runProgram(ctx, h, timeout, env, out)
		if r.err != nil {
			failed++
			log.Warn("run_on_shutdown script failed", "event", "shutdown_hook_failed", "script", h, "error", r.err.Error(), "output", r.output)
			continue
		}
		log.Info("run_on_shutdown script ran", "event", "shutdown_hook", "script", h)
	}
	return failed, nil
}
