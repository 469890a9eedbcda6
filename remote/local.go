package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"syscall"
	"time"
)

// Local runs programs on this machine (services with local_exe). Each
// program starts in its own process group, which is killed on deadline.
type Local struct {
	// Environ is the base environment of programs; nil means os.Environ().
	Environ []string
	// Grace is how long a killed process group gets between TERM and KILL;
	// zero means DefaultGrace.
	Grace time.Duration
}

var _ Executor = (*Local)(nil)

// DefaultGrace is the time between TERM and KILL of a timed-out program.
const DefaultGrace = 3 * time.Second

// Host returns "local".
func (l *Local) Host() string { return "local" }

// Close does nothing; a Local holds no resources.
func (l *Local) Close() error { return nil }

// Prepare creates the working and stage directories (see
// Executor.Prepare).
func (l *Local) Prepare(ctx context.Context, stageDir string) error {
	if err := prepareLocal(stageDir); err != nil {
		return fmt.Errorf("prepare %s: %w", stageDir, err)
	}
	return nil
}

// Upload copies data to dst with mode.
func (l *Local) Upload(ctx context.Context, dst string, data io.Reader, mode fs.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".upload-*")
	if err != nil {
		return fmt.Errorf("upload %s: %w", dst, err)
	}
	tmp := f.Name()
	_, err = io.Copy(f, ctxReader{ctx, data})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, mode.Perm())
	}
	if err == nil {
		err = os.Rename(tmp, dst)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("upload %s: %w", dst, err)
	}
	return nil
}

// Fetch reads the file at p: a regular file (after symlinks) of at most
// MaxFetch bytes, as over SSH. A device (a symlink to /dev/zero), a FIFO
// or a larger file is refused without reading more than MaxFetch+1 bytes.
func (l *Local) Fetch(ctx context.Context, p string) ([]byte, error) {
	// O_NONBLOCK: opening a FIFO must not wait for a writer.
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("fetch: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("fetch: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("fetch %s: %w (%s)", p, ErrNotRegular, fi.Mode().Type())
	}
	b, err := io.ReadAll(io.LimitReader(ctxReader{ctx, f}, MaxFetch+1))
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", p, err)
	}
	if len(b) > MaxFetch {
		return nil, fmt.Errorf("fetch %s: %w", p, ErrTooLarge)
	}
	return b, nil
}

// Run starts cmd in a new process group and waits for it.
func (l *Local) Run(ctx context.Context, cmd Cmd) (Result, error) {
	if len(cmd.Argv) == 0 {
		return Result{ExitStatus: -1}, errors.New("run: empty command")
	}
	if ctx.Err() != nil {
		return Result{ExitStatus: -1}, deadlineError(ctx, l.Host(), cmd.Argv, false)
	}
	if cmd.TTY != nil {
		return Result{ExitStatus: -1}, fmt.Errorf("%w: %s runs programs without one", ErrNoTTY, l.Host())
	}
	var out output
	stdout, stderr := out.stream(cmd.Stdout), out.stream(cmd.Stderr)
	c, err := l.start(ctx, cmd, stdout, stderr)
	if err != nil {
		return Result{ExitStatus: -1}, fmt.Errorf("run %s: %w", cmd.Argv[0], err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	select {
	case err = <-done:
	case <-ctx.Done():
		killGroup(c.Process.Pid, l.grace())
		<-done
		return out.finish(stdout, stderr, true), deadlineError(ctx, l.Host(), cmd.Argv, true)
	}
	res := out.finish(stdout, stderr, false)
	var ee *exec.ExitError
	switch {
	case err == nil || errors.Is(err, exec.ErrWaitDelay):
		return res, nil
	case errors.As(err, &ee):
		xe := &ExitError{Host: l.Host(), Cmd: cmd.Argv, Status: ee.ExitCode(), Tail: res.Tail}
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			xe.Status = 128 + int(ws.Signal())
			xe.Signal = ws.Signal().String()
		}
		res.ExitStatus = xe.Status
		return res, xe
	default:
		res.ExitStatus = -1
		return res, fmt.Errorf("run %s: %w", cmd.Argv[0], err)
	}
}

func (l *Local) grace() time.Duration {
	if l.Grace > 0 {
		return l.Grace
	}
	return DefaultGrace
}

func (l *Local) env(extra map[string]string) []string {
	env := l.Environ
	if env == nil {
		env = os.Environ()
	}
	env = append([]string(nil), env...)
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, k+"="+extra[k])
	}
	return env
}

// killGroup sends TERM to process group pgid, waits up to grace for it to
// disappear, then sends KILL.
func killGroup(pgid int, grace time.Duration) {
	if err := syscall.Kill(-pgid, syscall.SIGTERM); err != nil {
		return
	}
	t := time.NewTimer(grace)
	defer t.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-t.C:
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			return
		case <-tick.C:
			if syscall.Kill(-pgid, 0) != nil {
				return
			}
		}
	}
}

// ctxReader stops a copy when ctx ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// start starts cmd in its own process group. A program uploaded a moment
// ago can fail to start with ETXTBSY: another goroutine's fork inherited
// the upload's write descriptor for an instant (golang/go#22315). That
// passes at once, so the start is retried briefly, within ctx.
func (l *Local) start(ctx context.Context, cmd Cmd, stdout, stderr io.Writer) (*exec.Cmd, error) {
	delay := 5 * time.Millisecond
	for attempt := 1; ; attempt++ {
		c := exec.Command(cmd.Argv[0], cmd.Argv[1:]...)
		c.Dir = cmd.Dir
		c.Env = l.env(cmd.Env)
		c.Stdin = cmd.Stdin
		c.Stdout, c.Stderr = stdout, stderr
		c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		// A program that leaves a daemon holding its output open must not
		// hang the step once the program itself has exited.
		c.WaitDelay = l.grace()
		err := c.Start()
		if err == nil || !errors.Is(err, syscall.ETXTBSY) || attempt == 10 {
			return c, err
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, err
		case <-t.C:
		}
		delay *= 2
	}
}
