package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

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

// SignalContext returns a context cancelled by the first SIGINT or SIGTERM.
// The first signal also prints note to errw, so the user knows a graceful stop
// is under way; a second signal exits the process at once with code 130.
// stop releases the signal handlers.
func SignalContext(parent context.Context, errw interface{ Write([]byte) (int, error) }, prog, note string) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancel(parent)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		select {
		case <-sigs:
		case <-done:
			return
		}
		fmt.Fprintf(errw, "%s: interrupted: %s (press Ctrl-C again to exit at once)\n", prog, note)
		cancel()
		select {
		case <-sigs:
			fmt.Fprintf(errw, "%s: interrupted again: exiting now\n", prog)
			os.Exit(ExitInterrupted)
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		<-finished
		cancel()
	}
}
