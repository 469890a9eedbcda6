package cli

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/cloudinitd/cloudinitd/bootlevel"
)

// LineObserver prints one stable line per transition, for logs, CI and
// anything that is not a terminal:
//
//	level 2 service web: ready (i-1a2b, 4.1s)
//
// Verbosity 1 shows levels, states, warnings; 2 adds steps; 3 adds every
// line of program output. With Sanitize (set it when W is a terminal),
// control characters in the lines are escaped (see [Sanitize]).
type LineObserver struct {
	W         io.Writer
	Verbosity int
	Sanitize  bool
	// Colour paints failed lines red and ready ones green (a terminal
	// with colours; see [Colour]).
	Colour bool

	mu      sync.Mutex
	started map[string]time.Time // service -> first event
	levels  map[int]time.Time
	inst    map[string]string // service -> instance id
	busy    map[string]*busy  // for the progress lines (StillRunning)
	order   []string          // services in the order first seen
}

// Event implements bootlevel.Observer.
func (o *LineObserver) Event(ev bootlevel.Event) {
	if o.Verbosity <= 0 {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	line := o.line(ev)
	o.track(ev)
	if line != "" {
		if o.Sanitize {
			line = Sanitize(line)
		}
		fmt.Fprintln(o.W, paintLine(line, ev, o.Colour))
	}
}

func (o *LineObserver) line(ev bootlevel.Event) string {
	if o.started == nil {
		o.started, o.levels, o.inst = map[string]time.Time{}, map[int]time.Time{}, map[string]string{}
	}
	if ev.Service != "" {
		if _, ok := o.started[ev.Service]; !ok {
			o.started[ev.Service] = ev.Time
		}
	}
	where := fmt.Sprintf("level %d", ev.Level)
	if ev.Service != "" {
		where += " service " + ev.Service
		if ev.Level == 0 {
			where = "service " + ev.Service
		}
	}
	switch ev.Kind {
	case bootlevel.KindLevelStart:
		o.levels[ev.Level] = ev.Time
		return fmt.Sprintf("%s: starting (%s)", where, ev.Detail)
	case bootlevel.KindLevelDone:
		return fmt.Sprintf("%s: done (%s)", where, elapsed(o.levels[ev.Level], ev.Time))
	case bootlevel.KindLevelFailed:
		return fmt.Sprintf("%s: FAILED (%s)", where, elapsed(o.levels[ev.Level], ev.Time))
	case bootlevel.KindLevelSkipped:
		return fmt.Sprintf("%s: skipped: %s", where, ev.Detail)
	case bootlevel.KindWarning:
		return fmt.Sprintf("%s: warning: %s", where, ev.Detail)
	case bootlevel.KindChecked:
		return fmt.Sprintf("%s: %s (checked, %s)", where, ev.State, elapsed(o.serviceStart(ev), ev.Time))
	case bootlevel.KindStep:
		if o.Verbosity < 2 {
			return ""
		}
		return strings.TrimSpace(fmt.Sprintf("%s: %s %s", where, ev.Step, ev.Detail))
	case bootlevel.KindOutput:
		if o.Verbosity < 3 {
			return ""
		}
		return fmt.Sprintf("%s: | %s", where, ev.Detail)
	case bootlevel.KindState:
		if ev.State == "launched" && ev.Detail != "" {
			o.inst[ev.Service] = ev.Detail
		}
		return o.stateLine(where, ev)
	}
	return ""
}

func (o *LineObserver) stateLine(where string, ev bootlevel.Event) string {
	var paren []string
	switch ev.State {
	case "ready", "terminated", "failed":
		if id := o.inst[ev.Service]; id != "" {
			paren = append(paren, id)
		}
		if ev.Detail != "" && ev.State == "failed" {
			paren = append(paren, ev.Detail)
		}
		paren = append(paren, elapsed(o.serviceStart(ev), ev.Time))
	case "launching":
		// the client token is for the journal, not for people
	default:
		if ev.Detail != "" {
			paren = append(paren, ev.Detail)
		}
	}
	if len(paren) == 0 {
		return fmt.Sprintf("%s: %s", where, ev.State)
	}
	return fmt.Sprintf("%s: %s (%s)", where, ev.State, strings.Join(paren, ", "))
}

func elapsed(from, to time.Time) string {
	if from.IsZero() {
		return "0.0s"
	}
	return fmt.Sprintf("%.1fs", to.Sub(from).Seconds())
}
