package cli

import (
	"fmt"
	"io"
	"strings"
	"sync"
)

// gate orders what the guarded streams of a process are written against
// the last words of a second signal ([Signals.exit]): one write at a time,
// the last words after every write under way, and nothing after them.
type gate struct {
	mu    sync.Mutex
	shut  bool     // the last words were said: guarded writes are dropped
	sinks []*guard // the streams guarded now, each told the last words
}

// guard is one stream guarded by a gate.
type guard struct {
	g        *gate
	w        io.Writer
	released bool // no longer guarded: writes go straight to w
}

// Guard returns w guarded against a second signal's exit (SignalContext):
// its writes are made one at a time, and once the exit has said its last
// words to w ("exiting now" and how to go on), nothing written to the
// guarded writer reaches w, so what the process is still printing in the
// moment before it exits (a boot's progress lines, a live view's redraw)
// cannot follow them. release stops guarding w: the last words are not
// written to it and the guarded writer writes straight through. A nil s
// returns w itself.
func (s *Signals) Guard(w io.Writer) (guarded io.Writer, release func()) {
	if s == nil {
		return w, func() {}
	}
	g := &guard{g: &s.gate, w: w}
	s.gate.mu.Lock()
	s.gate.sinks = append(s.gate.sinks, g)
	s.gate.mu.Unlock()
	return g, func() {
		s.gate.mu.Lock()
		defer s.gate.mu.Unlock()
		g.released = true
		for i, o := range s.gate.sinks {
			if o == g {
				s.gate.sinks = append(s.gate.sinks[:i], s.gate.sinks[i+1:]...)
				break
			}
		}
	}
}

// Write writes p to the stream unless the last words were said to it;
// then p is dropped (the process is exiting).
func (g *guard) Write(p []byte) (int, error) {
	g.g.mu.Lock()
	defer g.g.mu.Unlock()
	if g.g.shut && !g.released {
		return len(p), nil
	}
	return g.w.Write(p)
}

// Unwrap returns the stream written to (IsTerminal looks through).
func (g *guard) Unwrap() io.Writer { return g.w }

// exit says a second signal's last words, that the process exits now and
// the exit hints (how to go on), and calls exit with code. They go to
// every guarded stream, after any write under way and as the last thing
// written to it; to errw when no stream is guarded (nor is errw, then).
func (s *Signals) exit(errw io.Writer, prog string, code int, exit func(int)) {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: interrupted again: exiting now\n", prog)
	for _, h := range s.exitHints() {
		fmt.Fprintf(&b, "%s: hint: %s\n", prog, h)
	}
	if !s.sayLast(prog, b.String()) {
		io.WriteString(errw, b.String())
	}
	exit(code)
}

// sayLast writes text to every guarded stream and shuts the gate; false:
// no stream is guarded (nothing was written).
func (s *Signals) sayLast(prog, text string) bool {
	if s == nil {
		return false
	}
	s.gate.mu.Lock()
	defer s.gate.mu.Unlock()
	s.gate.shut = true
	for _, g := range s.gate.sinks {
		// Best effort: the process exits next, with nowhere else to say
		// that a stream failed.
		io.WriteString(InvokedAs(g.w, prog), text)
	}
	return len(s.gate.sinks) > 0
}
