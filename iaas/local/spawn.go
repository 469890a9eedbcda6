package local

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// spawn starts the instance server of dir, detached (a new session, stdio
// on /dev/null and the server log) and handed the bound listener ln (fd 3)
// and the write end of a pipe (fd 4) on which it says it is ready. It
// waits for that word, records "<pid> <start>" in <dir>/server.pid and
// returns the server's pid and start time. The listener is closed here.
//
// The server is this process's child: it is not waited for (it outlives
// this process, which leaves it to init or the nearest subreaper when it
// exits), and d.kids reaps it if it ends first (Describe, Terminate).
func (d *Driver) spawn(ctx context.Context, dir, id string, ln *net.TCPListener) (pid int, start uint64, err error) {
	lnf, err := ln.File()
	ln.Close()
	if err != nil {
		return 0, 0, err
	}
	defer lnf.Close()
	logf, err := os.OpenFile(filepath.Join(dir, logFile), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, 0, err
	}
	defer logf.Close()
	null, err := os.Open(os.DevNull)
	if err != nil {
		return 0, 0, err
	}
	defer null.Close()
	readyR, readyW, err := os.Pipe()
	if err != nil {
		return 0, 0, err
	}
	defer readyR.Close()
	// GOMAXPROCS: the server uses one processor (MaybeServe); said in its
	// environment, the runtime starts so and skips reading the cgroup's
	// CPU limit. The commands it runs get an environment of their own.
	env := append(serverEnv(os.Environ()), EnvInstance+"="+dir, EnvMarker+"="+id,
		envListenFD+"=3", envReadyFD+"=4", envProtocol+"="+serverProtocol, "GOMAXPROCS=1")
	p, err := os.StartProcess(d.exe, []string{d.exe}, &os.ProcAttr{
		Dir:   dir,
		Env:   env,
		Files: []*os.File{null, logf, logf, lnf, readyW},
		Sys:   &syscall.SysProcAttr{Setsid: true},
	})
	readyW.Close()
	if err != nil {
		// It cannot be executed at all.
		return 0, 0, permanentError{fmt.Errorf("%s: %w", d.exe, err)}
	}
	pid = p.Pid
	if err := p.Release(); err != nil {
		return 0, 0, err
	}
	d.kids.add(pid)
	// Not reaped before we reap it, the child cannot lose its pid: the
	// start time read now is its own.
	st, err := readProcStat(pid)
	if err == nil {
		err = awaitReady(ctx, readyR)
	}
	if err == nil {
		err = writeFileAtomic(filepath.Join(dir, "server.pid"), fmt.Appendf(nil, "%d %d\n", pid, st.Start), 0o600)
	}
	if err != nil {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		d.kids.wait(pid)
		if errors.Is(err, errNotReady) {
			err = permanentError{fmt.Errorf("%s: %w; does it call local.MaybeServe first thing?%s", d.exe, err, logTail(dir))}
		}
		return 0, 0, err
	}
	return pid, st.Start, nil
}

// errNotReady is a server that closed its ready pipe (it exited, or it is
// not an instance server at all) without saying it was ready.
var errNotReady = errors.New("the instance server exited before it was ready")

// awaitReady reads the server's ready word from r; it returns errNotReady
// when the pipe closes without one, or ctx's error.
func awaitReady(ctx context.Context, r *os.File) error {
	var b [1]byte
	for {
		// Short deadlines, so that a canceled ctx is noticed without a
		// goroutine of its own.
		_ = r.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		n, err := r.Read(b[:])
		switch {
		case n > 0:
			return nil
		case errors.Is(err, os.ErrDeadlineExceeded):
			if err := ctx.Err(); err != nil {
				return err
			}
		default:
			return errNotReady
		}
	}
}

// signalReady tells the launcher, through the pipe it passed in
// envReadyFD, that the server is ready (its listener and ready file are
// in place). Without that variable (Serve called otherwise) it does
// nothing.
func signalReady() error {
	fd, ok := os.LookupEnv(envReadyFD)
	if !ok {
		return nil
	}
	os.Unsetenv(envReadyFD)
	f, err := inheritedFile(fd, "ready")
	if err != nil {
		return err
	}
	_, err = f.Write([]byte{'\n'})
	return errors.Join(err, f.Close())
}

// children are the instance servers this process started and has not
// reaped. A server that ends while this process runs would stay a zombie
// until it exits; Describe and Terminate reap the ones they look at. Only
// pids listed here are waited for: an unreaped child keeps its pid, so a
// listed pid is always our own child, never a reused pid or a child some
// other part of the program waits for.
type children struct {
	mu   sync.Mutex
	pids map[int]bool
}

func (c *children) add(pid int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pids == nil {
		c.pids = map[int]bool{}
	}
	c.pids[pid] = true
}

// reap collects pid's exit status if it is a child of ours that has ended.
func (c *children) reap(pid int) { c.collect(pid, syscall.WNOHANG) }

// wait waits for pid, if it is a child of ours, to end and reaps it; the
// caller knows that it has ended or was killed.
func (c *children) wait(pid int) { c.collect(pid, 0) }

func (c *children) collect(pid, options int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.pids[pid] {
		return
	}
	var ws syscall.WaitStatus
	for {
		got, err := syscall.Wait4(pid, &ws, options, nil)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if got == pid || err != nil { // err: ECHILD, it is not ours to wait for
			delete(c.pids, pid)
		}
		return
	}
}
