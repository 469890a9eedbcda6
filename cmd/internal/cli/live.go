package cli

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cloudinitd/cloudinitd/bootlevel"
)

// LiveObserver keeps a live view of levels and services on a terminal:
// each service's state, elapsed time and the last line its running program
// printed, redrawn in place a few times a second. The view always fits the
// terminal (see [LiveObserver.frame]): it never scrolls, so no stale copy
// of it is left above. Use it only when the stream is a terminal with
// cursor control ([LiveCapable]); elsewhere use [LineObserver].
type LiveObserver struct {
	w      io.Writer
	size   func() (cols, rows int) // the terminal's size; 0: unknown
	now    func() time.Time
	colour bool

	mu       sync.Mutex
	services map[string]*liveService
	levels   map[int]*liveLevel
	warnings []string
	notes    []string // what was said while the view was up, kept above it
	drawn    int      // lines drawn last time

	stop chan struct{}
	done chan struct{}
}

type liveService struct {
	name, state, step, last string
	level                   int
	start, end              time.Time // first event, end of its work
}

type liveLevel struct {
	state      string
	start, end time.Time
}

// NewLiveObserver starts redrawing on w, a terminal; Stop draws a last time
// and stops. With colour, failed services are red and ready ones green.
func NewLiveObserver(w io.Writer, colour bool) *LiveObserver {
	l := newLive(w, func() (int, int) { return termSize(w) }, time.Now, colour)
	go l.loop()
	return l
}

func newLive(w io.Writer, size func() (int, int), now func() time.Time, colour bool) *LiveObserver {
	return &LiveObserver{w: w, size: size, now: now, colour: colour,
		services: map[string]*liveService{}, levels: map[int]*liveLevel{},
		stop: make(chan struct{}), done: make(chan struct{})}
}

func (l *LiveObserver) loop() {
	defer close(l.done)
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			l.draw()
			return
		case <-t.C:
			l.draw()
		}
	}
}

// Stop draws the final view and stops the redrawing goroutine.
func (l *LiveObserver) Stop() {
	close(l.stop)
	<-l.done
}

// Note prints text above the view and keeps it there while the view is
// up: what is said during a boot ("stopping gracefully") is not overdrawn.
func (l *LiveObserver) Note(text string) {
	l.mu.Lock()
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		l.notes = append(l.notes, line)
	}
	l.mu.Unlock()
	l.draw()
}

// Event implements bootlevel.Observer.
func (l *LiveObserver) Event(ev bootlevel.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ev.Service == "" {
		if ev.Kind == bootlevel.KindWarning {
			l.warnings = append(l.warnings, "warning: "+ev.Detail)
			return
		}
		lv := l.levels[ev.Level]
		if lv == nil {
			lv = &liveLevel{start: ev.Time}
			l.levels[ev.Level] = lv
		}
		lv.state = strings.TrimPrefix(ev.Kind, "level-")
		if ev.Kind == bootlevel.KindLevelStart {
			lv.state, lv.start = "running", ev.Time
		} else {
			lv.end = ev.Time
		}
		return
	}
	s := l.services[ev.Service]
	if s == nil {
		s = &liveService{name: ev.Service, level: ev.Level, start: ev.Time, state: "waiting"}
		l.services[ev.Service] = s
	}
	switch ev.Kind {
	case bootlevel.KindState:
		s.state = ev.State
		if finished(ev.State) {
			s.end = ev.Time
			s.step = ""
		}
		if ev.State == "failed" {
			s.last = ev.Detail
		}
	case bootlevel.KindStep:
		s.step = ev.Step
	case bootlevel.KindChecked:
		s.state, s.step, s.end = ev.State+" (checked)", "", ev.Time
	case bootlevel.KindOutput:
		s.last = ev.Detail
	case bootlevel.KindWarning:
		l.warnings = append(l.warnings, fmt.Sprintf("service %s: warning: %s", ev.Service, ev.Detail))
	}
}

func finished(state string) bool {
	return state == "ready" || state == "failed" || state == "terminated"
}

// draw redraws the view over the one drawn before: the cursor goes back up
// over it, each line is rewritten and cleared to its end, and what is left
// below is erased, so a shorter frame leaves nothing stale.
func (l *LiveObserver) draw() {
	cols, rows := l.size()
	l.mu.Lock()
	notes := l.notes
	l.notes = nil
	lines := l.frame(cols, rows)
	l.mu.Unlock()
	var b strings.Builder
	if l.drawn > 0 {
		fmt.Fprintf(&b, "\r\x1b[%dA", l.drawn)
	}
	b.WriteString("\r\x1b[J")
	for _, n := range notes {
		b.WriteString(Sanitize(n) + "\n")
	}
	for _, line := range lines {
		b.WriteString(l.paint(line) + "\x1b[K\n")
	}
	l.drawn = len(lines)
	io.WriteString(l.w, b.String())
}

// paint colours a frame line by the state it shows.
func (l *LiveObserver) paint(line string) string {
	if !l.colour {
		return line
	}
	switch {
	case strings.Contains(line, " failed") || strings.Contains(line, "FAILED"):
		return "\x1b[31m" + line + "\x1b[0m"
	case strings.HasPrefix(line, "  ") && strings.Contains(line, " ready"):
		return "\x1b[32m" + line + "\x1b[0m"
	}
	return line
}

func since(start, end, now time.Time) string {
	if end.IsZero() {
		end = now
	}
	return fmt.Sprintf("%.1fs", end.Sub(start).Seconds())
}

// termSize is the size of the terminal w writes to; 0, 0 if unknown.
func termSize(w io.Writer) (cols, rows int) {
	f, ok := unwrapFile(w)
	if !ok {
		return 0, 0
	}
	ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ)
	if err != nil {
		return 0, 0
	}
	return int(ws.Col), int(ws.Row)
}
