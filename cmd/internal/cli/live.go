package cli

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cloudinitd/cloudinitd/bootlevel"
	"github.com/cloudinitd/cloudinitd/plan"
)

// LiveObserver keeps a live view of levels and services on a terminal:
// each service's state, elapsed time and the last line its running program
// printed, redrawn in place a few times a second. Use it only when the
// stream is a terminal ([IsTerminal]); elsewhere use [LineObserver].
type LiveObserver struct {
	w     io.Writer
	width int
	now   func() time.Time

	mu       sync.Mutex
	services map[string]*liveService
	levels   map[int]*liveLevel
	warnings []string
	drawn    int // lines drawn last time

	stop chan struct{}
	done chan struct{}
}

type liveService struct {
	name, state, step, last string
	level                   int
	start, end              time.Time
}

type liveLevel struct {
	state      string
	start, end time.Time
}

// NewLiveObserver starts redrawing on w; Stop draws a last time and stops.
func NewLiveObserver(w io.Writer) *LiveObserver {
	l := &LiveObserver{w: w, width: termWidth(w), now: time.Now,
		services: map[string]*liveService{}, levels: map[int]*liveLevel{},
		stop: make(chan struct{}), done: make(chan struct{})}
	go l.loop()
	return l
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
			lv.state = "running"
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
		if ev.State == "ready" || ev.State == "failed" || ev.State == "terminated" {
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

func (l *LiveObserver) draw() {
	l.mu.Lock()
	lines := l.render()
	l.mu.Unlock()
	var b strings.Builder
	if l.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", l.drawn)
	}
	for _, line := range lines {
		line = Sanitize(line) // program output must not drive the terminal
		if l.width > 0 && len(line) > l.width-1 {
			line = line[:l.width-1]
		}
		b.WriteString("\r\x1b[2K" + line + "\n")
	}
	l.drawn = len(lines)
	io.WriteString(l.w, b.String())
}

func (l *LiveObserver) render() []string {
	now := l.now()
	var nums []int
	for n := range l.levels {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	var out []string
	for _, n := range nums {
		lv := l.levels[n]
		out = append(out, fmt.Sprintf("level %d: %s %s", n, lv.state, since(lv.start, lv.end, now)))
		var svcs []*liveService
		for _, s := range l.services {
			if s.level == n {
				svcs = append(svcs, s)
			}
		}
		sort.SliceStable(svcs, func(i, j int) bool { return plan.CompareNames(svcs[i].name, svcs[j].name) < 0 })
		for _, s := range svcs {
			state := s.state
			if s.step != "" {
				state += "/" + s.step
			}
			line := fmt.Sprintf("  %-16s %-24s %6s", s.name, state, since(s.start, s.end, now))
			if s.last != "" {
				line += "  | " + s.last
			}
			out = append(out, line)
		}
	}
	return append(out, l.warnings...)
}

func since(start, end, now time.Time) string {
	if end.IsZero() {
		end = now
	}
	return fmt.Sprintf("%.1fs", end.Sub(start).Seconds())
}

func termWidth(w io.Writer) int {
	f, ok := w.(*os.File)
	if !ok {
		return 0
	}
	ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ)
	if err != nil {
		return 0
	}
	return int(ws.Col)
}
