package cli

import (
	"fmt"
	"io"
	"time"

	"github.com/cloudinitd/cloudinitd/bootlevel"
)

// SilencePeriod is how long a service may be silent in the line view
// before a progress line says it is still at work.
const SilencePeriod = 30 * time.Second

// busy is what the line view knows of a service at work.
type busy struct {
	level       int
	state, step string
	last        time.Time // its last event, or the last progress line
	done        bool
}

// track notes ev for the progress lines; o.mu is held.
func (o *LineObserver) track(ev bootlevel.Event) {
	if ev.Service == "" {
		return
	}
	if o.busy == nil {
		o.busy = map[string]*busy{}
	}
	b := o.busy[ev.Service]
	if b == nil {
		b = &busy{level: ev.Level}
		o.busy[ev.Service] = b
		o.order = append(o.order, ev.Service)
	}
	b.last = ev.Time
	switch ev.Kind {
	case bootlevel.KindState:
		b.state, b.done = ev.State, finished(ev.State)
		if b.done {
			b.step = ""
		}
	case bootlevel.KindStep:
		b.step = ev.Step
	case bootlevel.KindChecked:
		b.done = true
	}
}

// StillRunning prints a progress line for each service at work in a level
// that started and silent for period or more at now, as
//
//	level 1 service db: bootpgm still running (1m30s)
//
// with the time since its level started, and counts the silence again from
// now. WatchSilence calls it; a test calls it with its own clock.
func (o *LineObserver) StillRunning(now time.Time, period time.Duration) {
	if o.Verbosity <= 0 {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, name := range o.order {
		b := o.busy[name]
		start, started := o.levels[b.level]
		if b.done || !started || now.Sub(b.last) < period {
			continue
		}
		b.last = now
		what := "still " + b.state
		if b.step != "" {
			what = b.step + " still running"
		}
		line := fmt.Sprintf("level %d service %s: %s (%s)", b.level, name, what, now.Sub(start).Round(time.Second))
		if o.Sanitize {
			line = Sanitize(line)
		}
		io.WriteString(o.W, line+"\n")
	}
}

// WatchSilence calls StillRunning every period/6 (at least once a second)
// until stop is called.
func (o *LineObserver) WatchSilence(period time.Duration) (stop func()) {
	t := time.NewTicker(max(period/6, time.Second))
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		for {
			select {
			case now := <-t.C:
				o.StillRunning(now, period)
			case <-done:
				return
			}
		}
	}()
	return func() {
		t.Stop()
		close(done)
		<-finished
	}
}

// paintLine colours a line of the line view by the state it reports.
func paintLine(line string, ev bootlevel.Event, colour bool) string {
	if !colour {
		return line
	}
	switch {
	case ev.Kind == bootlevel.KindLevelFailed || ev.State == "failed":
		return "\x1b[31m" + line + "\x1b[0m"
	case ev.Kind == bootlevel.KindLevelDone || ev.State == "ready":
		return "\x1b[32m" + line + "\x1b[0m"
	}
	return line
}

// LiveCapable reports whether w is a terminal that moves its cursor (TERM
// set and not "dumb"), where a live view can redraw itself.
func LiveCapable(w io.Writer, lookupEnv func(string) (string, bool)) bool {
	if !IsTerminal(w) {
		return false
	}
	term, _ := lookupEnv("TERM")
	return term != "" && term != "dumb"
}

// Colour reports whether to colour what goes to w: a terminal that has
// colours (LiveCapable), unless NO_COLOR is set to anything (no-color.org).
func Colour(w io.Writer, lookupEnv func(string) (string, bool)) bool {
	if v, ok := lookupEnv("NO_COLOR"); ok && v != "" {
		return false
	}
	return LiveCapable(w, lookupEnv)
}

// serviceStart is when the clock of ev's service starts: when its level
// started, or its first event if that came later (a pre-launch comes
// before: its time is not the level's).
func (o *LineObserver) serviceStart(ev bootlevel.Event) time.Time {
	s := o.started[ev.Service]
	if l, ok := o.levels[ev.Level]; ok && l.After(s) {
		return l
	}
	return s
}
