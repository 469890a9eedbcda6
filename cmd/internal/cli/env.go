package cli

import (
	"io"
	"os"
	"os/user"
	"path/filepath"

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

// ProcessEnv returns the Env of the running process. Its stderr and
// transcript are guarded by its Signals ([Signals.Guard]): after a second
// signal's last words, nothing more is written to them.
func ProcessEnv() Env {
	home := homeDir()
	sigs := &Signals{}
	errw, _ := sigs.Guard(os.Stderr) // for the life of the process
	return Env{
		Streams:    IOStreams{In: os.Stdin, Out: os.Stdout, Err: errw},
		LookupEnv:  os.LookupEnv,
		HomeDir:    home,
		Transcript: &Transcript{signals: sigs},
		Environ:    os.Environ,
		Signals:    sigs,
	}
}

// homeDir is the user's home directory: $HOME, else, when $HOME is not set
// (a service, a cron job, env -i), the account's from the password
// database, so that ~/.cloudinitd is never taken, in silence, as
// .cloudinitd in the working directory; "" when neither is known.
func homeDir() string {
	if h, err := os.UserHomeDir(); err == nil {
		return h
	}
	if u, err := user.Current(); err == nil {
		return u.HomeDir
	}
	return ""
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
