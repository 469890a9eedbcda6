package cli

import (
	"io"
	"os"
	"sync"
)

// Signals is the hand-over of the stop signals of [SignalContext] to a
// command that must decide what a signal means (run relays them to its
// COMMAND and must tear down even after a second one). The zero value is
// ready; a nil *Signals relays nothing.
type Signals struct {
	mu    sync.Mutex
	relay chan<- os.Signal
	note  func(string) // prints what SignalContext says; nil: to its errw
	hints []string     // said when a second signal exits at once

	gate gate // the streams that stop at a second signal's exit (Guard)
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
