package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

// SignalContext returns a context cancelled by the first SIGINT, SIGTERM or
// SIGHUP, or by a write to a closed stdout or stderr (a pipe whose reader
// went away, as in 'cloudinitd boot ... | head'): all of them stop
// gracefully, like the first Ctrl-C. The first also prints note to errw, so
// the user knows a graceful stop is under way. A second SIGINT or SIGTERM
// exits the process at once with code 130 ([Signals.exit] says how to go
// on, last); SIGHUP and further broken-pipe writes do not hurry the stop.
//
// stop ends the handling and waits for its goroutine, but the stop signals
// stay caught (and are dropped) until the process exits: between stop and
// os.Exit a signal would otherwise end the process by the signal instead
// of with the exit code the command chose (130 after a first Ctrl-C).
// SignalContext is for a process's main, once.
//
// Asking for SIGPIPE makes a write to a closed stdout or stderr fail with
// EPIPE instead of killing the process, but it also delivers the SIGPIPE of
// any other pipe or socket of the process (whose write fails with EPIPE
// and is handled there): a SIGPIPE stops only when stdout or stderr is
// closed ([stdioClosed]).
//
// With sigs (which may be nil), a command can take the signals over
// ([Signals.Relay]): while it relays, each stop signal also goes to the
// command and a second one no longer exits at once.
func SignalContext(parent context.Context, errw io.Writer, prog, note string, sigs *Signals) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancel(parent)
	ch := make(chan os.Signal, 4)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGPIPE)
	done := make(chan struct{})
	finished := make(chan struct{})
	h := handler{errw: errw, prog: prog, note: note, sigs: sigs, cancel: cancel,
		closed: stdioClosed, exit: os.Exit}
	go func() {
		defer close(finished)
		h.watch(ch, done)
	}()
	return ctx, func() {
		// No signal.Stop(ch): see above. ch is buffered and unread from
		// now on, and the signal package drops what does not fit.
		close(done)
		<-finished
		cancel()
	}
}

// handler is what SignalContext does with the signals it is given.
type handler struct {
	errw       io.Writer
	prog, note string
	sigs       *Signals
	cancel     context.CancelFunc
	closed     func() bool // stdout or stderr is closed (stdioClosed)
	exit       func(int)   // os.Exit
}

// watch handles the signals of ch until done is closed or it has exited
// the process (exit returned: a test's).
func (h handler) watch(ch <-chan os.Signal, done <-chan struct{}) {
	for first := true; ; {
		var sig os.Signal
		select {
		case sig = <-ch:
		case <-done:
			return
		}
		if sig == syscall.SIGPIPE && !h.closed() {
			continue
		}
		if h.sigs.relayed(sig) {
			// The command says what it does with the signal.
			if first {
				first = false
				h.cancel()
			}
			continue
		}
		if first {
			first = false
			h.sigs.say(h.errw, fmt.Sprintf("%s: %s: %s (press Ctrl-C again to exit at once)\n", h.prog, signalCause(sig), h.note))
			h.cancel()
			continue
		}
		if sig == os.Interrupt || sig == syscall.SIGTERM {
			h.sigs.exit(h.errw, h.prog, ExitInterrupted, h.exit)
			return
		}
	}
}

// signalCause says why the stop began.
func signalCause(sig os.Signal) string {
	switch sig {
	case syscall.SIGTERM:
		return "interrupted (SIGTERM)"
	case syscall.SIGHUP:
		return "interrupted (SIGHUP: the terminal went away)"
	case syscall.SIGPIPE:
		return "interrupted (the reader of the output went away)"
	}
	return "interrupted"
}

// stdioClosed reports whether stdout or stderr is a pipe or socket whose
// reader is gone: poll reports an error or hang-up on its write end.
func stdioClosed() bool {
	fds := []unix.PollFd{{Fd: 1}, {Fd: 2}}
	if _, err := unix.Poll(fds, 0); err != nil {
		return false
	}
	for _, f := range fds {
		if f.Revents&(unix.POLLERR|unix.POLLHUP) != 0 {
			return true
		}
	}
	return false
}
