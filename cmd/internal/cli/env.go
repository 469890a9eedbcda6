package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/cloudinitd/cloudinitd/bootlevel"
)

// Env is what a command needs from the process it runs in. main builds it
// from the real process; tests build their own.
type Env struct {
	Streams   IOStreams
	LookupEnv func(string) (string, bool)
	HomeDir   string
	// Transcript is the -O FILE copy of the output for people; Main
	// provides a closed one when nil.
	Transcript *Transcript
	// Secrets are the secret values the command has seen; the engine and
	// everything the command writes mask them (see MaskStreams).
	Secrets *bootlevel.Secrets
	// Environ lists the process environment (NAME=VALUE), for the programs
	// a command starts on this machine ('run' starts its COMMAND with it);
	// nil: an empty environment.
	Environ func() []string
	// Prog is the name the program was invoked as (the base name of
	// os.Args[0], given by main); what is said to people names it so
	// ([InvokedAs]). Empty: cloudinitd.
	Prog string
	// Signals lets a command take over the stop signals of the process
	// (SignalContext); nil when nothing relays them (tests in-process).
	Signals *Signals
	// Events is the command's --json stream on Out (Main sets it up): one
	// observer for every event of the command, so that they are numbered
	// in one sequence and end with one result event.
	Events *JSONObserver
}

// MaskStreams returns e with a Secrets (a new one if e has none) and Out,
// Err and the Transcript masking it: the last line of defence for what a
// command prints (the engine masks its events and records at the source).
func (e Env) MaskStreams() Env {
	if e.Secrets == nil {
		e.Secrets = &bootlevel.Secrets{}
	}
	if e.Transcript != nil {
		e.Transcript.SetMask(e.Secrets.Mask)
	}
	e.Streams.Out = maskWriter{w: e.Streams.Out, s: e.Secrets}
	e.Streams.Err = maskWriter{w: e.Streams.Err, s: e.Secrets}
	return e
}

// MaskWriter returns w masking the secrets of s in each Write, for the
// files a command writes besides its streams (the -s trace).
func MaskWriter(w io.Writer, s *bootlevel.Secrets) io.Writer { return maskWriter{w: w, s: s} }

// maskWriter masks the secrets of s in each Write (output is written a
// line or a document at a time).
type maskWriter struct {
	w io.Writer
	s *bootlevel.Secrets
}

func (m maskWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(m.w, m.s.Mask(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Unwrap returns the stream written to (IsTerminal looks through).
func (m maskWriter) Unwrap() io.Writer { return m.w }

// ProcessEnv returns the Env of the running process.
func ProcessEnv() Env {
	home, _ := os.UserHomeDir()
	return Env{
		Streams:    IOStreams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr},
		LookupEnv:  os.LookupEnv,
		HomeDir:    home,
		Transcript: &Transcript{},
		Environ:    os.Environ,
		Signals:    &Signals{},
	}
}

// ExpandHome turns a leading "~/" into the home directory.
func (e Env) ExpandHome(p string) string {
	if p == "~" {
		return e.HomeDir
	}
	if len(p) > 1 && p[0] == '~' && p[1] == '/' {
		return filepath.Join(e.HomeDir, p[2:])
	}
	return p
}

// SignalContext returns a context cancelled by the first SIGINT, SIGTERM or
// SIGHUP, or by a write to a closed stdout or stderr (a pipe whose reader
// went away, as in 'cloudinitd boot ... | head'): all of them stop
// gracefully, like the first Ctrl-C. The first also prints note to errw, so
// the user knows a graceful stop is under way. A second SIGINT or SIGTERM
// exits the process at once with code 130; SIGHUP and further broken-pipe
// writes do not hurry the stop. stop releases the signal handlers.
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
	go func() {
		defer close(finished)
		for first := true; ; {
			var sig os.Signal
			select {
			case sig = <-ch:
			case <-done:
				return
			}
			if sig == syscall.SIGPIPE && !stdioClosed() {
				continue
			}
			if sigs.relayed(sig) {
				// The command says what it does with the signal.
				if first {
					first = false
					cancel()
				}
				continue
			}
			if first {
				first = false
				sigs.say(errw, fmt.Sprintf("%s: %s: %s (press Ctrl-C again to exit at once)\n", prog, signalCause(sig), note))
				cancel()
				continue
			}
			if sig == os.Interrupt || sig == syscall.SIGTERM {
				sigs.say(errw, fmt.Sprintf("%s: interrupted again: exiting now\n", prog))
				for _, h := range sigs.exitHints() {
					fmt.Fprintf(errw, "%s: hint: %s\n", prog, h)
				}
				os.Exit(ExitInterrupted)
			}
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		<-finished
		cancel()
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

// Signals is the hand-over of the stop signals of [SignalContext] to a
// command that must decide what a signal means (run relays them to its
// COMMAND and must tear down even after a second one). The zero value is
// ready; a nil *Signals relays nothing.
type Signals struct {
	mu    sync.Mutex
	relay chan<- os.Signal
	note  func(string) // prints what SignalContext says; nil: to its errw
	hints []string     // said when a second signal exits at once
}

// Notes has what SignalContext says printed by note (a live view keeps it
// visible above itself) until release is called.
func (s *Signals) Notes(note func(string)) (release func()) {
	if s == nil {
		return func() {}
	}
	s.mu.Lock()
	s.note = note
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		s.note = nil
		s.mu.Unlock()
	}
}

// ExitHints sets the hints printed when a second signal exits at once
// (how to resume what was cut short); none: nothing is printed.
func (s *Signals) ExitHints(hints ...string) {
	if s == nil {
		return
	}
	s.mu.Lock()
	s.hints = hints
	s.mu.Unlock()
}

func (s *Signals) exitHints() []string {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hints
}

// say prints text through the note printer, if any, else to w.
func (s *Signals) say(w io.Writer, text string) {
	var note func(string)
	if s != nil {
		s.mu.Lock()
		note = s.note
		s.mu.Unlock()
	}
	if note != nil {
		note(text)
		return
	}
	io.WriteString(w, text)
}

// Relay sends every stop signal (SIGINT, SIGTERM, SIGHUP, a closed stdout
// or stderr as SIGPIPE) to ch until release is called. Meanwhile the first
// signal still cancels the context of SignalContext, but nothing is
// printed and a second SIGINT or SIGTERM does not exit the process: the
// command does what it says. A signal that finds ch full is dropped.
func (s *Signals) Relay(ch chan<- os.Signal) (release func()) {
	s.mu.Lock()
	s.relay = ch
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		s.relay = nil
		s.mu.Unlock()
	}
}

// relayed hands sig to the relaying command, if any, and reports whether
// there was one.
func (s *Signals) relayed(sig os.Signal) bool {
	if s == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.relay == nil {
		return false
	}
	select {
	case s.relay <- sig:
	default:
	}
	return true
}
