package cli

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/cloudinitd/cloudinitd/bootlevel"
)

// screen is a fake terminal of fixed size: it interprets what the live
// view writes (text, \r, \n, ESC[nA, ESC[J, ESC[K, ESC[2K, colours) into
// the rows a person would see, and keeps what scrolled off the top.
type screen struct {
	rows, cols int
	cells      [][]rune
	row, col   int
	scrolled   []string
}

func newScreen(rows, cols int) *screen {
	s := &screen{rows: rows, cols: cols, cells: make([][]rune, rows)}
	return s
}

func (s *screen) Write(p []byte) (int, error) {
	str := string(p)
	for i := 0; i < len(str); {
		r, n := utf8.DecodeRuneInString(str[i:])
		switch {
		case r == '\x1b' && i+1 < len(str) && str[i+1] == '[':
			j := i + 2
			for j < len(str) && (str[j] >= '0' && str[j] <= '9' || str[j] == ';') {
				j++
			}
			arg, _ := strconv.Atoi(str[i+2 : j])
			switch str[j] {
			case 'A':
				s.row = max(0, s.row-max(arg, 1))
			case 'J':
				s.cells[s.row] = s.lineUpTo(s.col)
				for r := s.row + 1; r < s.rows; r++ {
					s.cells[r] = nil
				}
			case 'K':
				if arg == 2 {
					s.cells[s.row] = nil
				} else {
					s.cells[s.row] = s.lineUpTo(s.col)
				}
			case 'm':
			default:
				panic(fmt.Sprintf("unexpected escape %q", str[i:j+1]))
			}
			i = j + 1
			continue
		case r == '\r':
			s.col = 0
		case r == '\n': // the tty's ONLCR: a newline also returns the carriage
			s.row, s.col = s.row+1, 0
			if s.row == s.rows {
				s.scrolled = append(s.scrolled, string(s.cells[0]))
				s.cells = append(s.cells[1:], nil)
				s.row--
			}
		case r < ' ':
			panic(fmt.Sprintf("control character %q reached the terminal", r))
		default:
			if s.col >= s.cols {
				panic(fmt.Sprintf("row %d overflows %d columns: %q", s.row, s.cols, str))
			}
			line := s.lineUpTo(s.cols)
			line[s.col] = r
			s.cells[s.row] = line
			s.col++
		}
		i += n
	}
	return len(p), nil
}

// lineUpTo is the current row's cells, padded with spaces to n.
func (s *screen) lineUpTo(n int) []rune {
	line := append([]rune(nil), s.cells[s.row]...)
	for len(line) < n {
		line = append(line, ' ')
	}
	return line[:n]
}

// lines are the rows as seen, trailing blanks trimmed, trailing empty rows
// dropped.
func (s *screen) lines() []string {
	var out []string
	for _, c := range s.cells {
		out = append(out, strings.TrimRight(string(c), " "))
	}
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

// TestLiveViewFitsTerminal boots 30 services in three levels on a
// 15-row, 60-column fake terminal and redraws after every event: no frame
// is taller than the terminal, the screen shows exactly the last frame (no
// stale line), nothing scrolls, long lines are cut with an ellipsis, and a
// collapsed view keeps the failed and the slowest services.
func TestLiveViewFitsTerminal(t *testing.T) {
	const rows, cols = 15, 60
	t0 := time.Date(2026, 12, 6, 1, 0, 0, 0, time.UTC)
	now := t0
	scr := newScreen(rows, cols)
	l := newLive(scr, func() (int, int) { return cols, rows }, func() time.Time { return now }, false)
	check := func(step string) {
		t.Helper()
		l.draw()
		l.mu.Lock()
		frame := l.frame(cols, rows)
		l.mu.Unlock()
		if len(frame) > rows-1 {
			t.Fatalf("%s: frame of %d lines on a %d-row terminal", step, len(frame), rows)
		}
		if got := scr.lines(); strings.Join(got, "\n") != strings.Join(frame, "\n") {
			t.Fatalf("%s: the screen is not the frame (stale lines?)\nscreen:\n%s\nframe:\n%s", step,
				strings.Join(got, "\n"), strings.Join(frame, "\n"))
		}
		if len(scr.scrolled) > 0 && step != "note" {
			t.Fatalf("%s: the view scrolled: %q", step, scr.scrolled)
		}
	}
	ev := func(e bootlevel.Event) {
		now = now.Add(100 * time.Millisecond)
		e.Time = now
		l.Event(e)
	}
	svc := func(level, i int) string { return fmt.Sprintf("l%d-worker-%d", level, i) }
	for level := 1; level <= 3; level++ {
		for i := 1; i <= 10; i++ { // pre-launch: every instance launches up front
			ev(bootlevel.Event{Level: level, Service: svc(level, i), Kind: bootlevel.KindState, State: "launching"})
		}
	}
	check("pre-launch")
	for level := 1; level <= 3; level++ {
		ev(bootlevel.Event{Level: level, Kind: bootlevel.KindLevelStart})
		for i := 1; i <= 10; i++ {
			ev(bootlevel.Event{Level: level, Service: svc(level, i), Kind: bootlevel.KindStep, Step: "bootpgm"})
			ev(bootlevel.Event{Level: level, Service: svc(level, i), Kind: bootlevel.KindOutput,
				Detail: "a long line of program output that does not fit in sixty columns at all"})
			check(fmt.Sprintf("level %d service %d started", level, i))
		}
		for i := 1; i <= 10; i++ {
			if level == 3 && i == 1 {
				continue // the slow one
			}
			state := "ready"
			if i == 4 {
				state = "failed"
			}
			ev(bootlevel.Event{Level: level, Service: svc(level, i), Kind: bootlevel.KindState, State: state, Detail: "exit status 3"})
			check(fmt.Sprintf("level %d service %d %s", level, i, state))
		}
		if level < 3 {
			ev(bootlevel.Event{Level: level, Kind: bootlevel.KindLevelFailed})
			ev(bootlevel.Event{Level: 0, Kind: bootlevel.KindWarning, Detail: fmt.Sprintf("warning number %d", level)})
			check(fmt.Sprintf("level %d failed", level))
		}
	}
	final := scr.lines()
	want := []string{
		"level 1: failed ",
		"  l1-worker-4 ",
		"level 3: running ",
		"  l3-worker-1 ",
		"  l3-worker-4 ",
		"warning: warning number 2",
	}
	for _, w := range want {
		found := false
		for _, line := range final {
			found = found || strings.HasPrefix(line, w)
		}
		if !found {
			t.Errorf("the collapsed view has no line starting %q:\n%s", w, strings.Join(final, "\n"))
		}
	}
	if !strings.HasSuffix(final[0], "9/10 ready, 1 failed") {
		t.Errorf("level 1's header does not count its services: %q", final[0])
	}
	for _, line := range final {
		if strings.Contains(line, "| a long line") && !strings.HasSuffix(line, "…") {
			t.Errorf("a long line is not cut with an ellipsis: %q", line)
		}
	}

	// A note (Ctrl-C's "stopping gracefully") stays above the view.
	l.Note("cloudinitd: interrupted: stopping gracefully")
	check("note")
	ev(bootlevel.Event{Level: 3, Service: svc(3, 1), Kind: bootlevel.KindState, State: "ready"})
	l.draw()
	seen := append(append([]string(nil), scr.scrolled...), scr.lines()...)
	if n := strings.Count(strings.Join(seen, "\n"), "stopping gracefully"); n != 1 {
		t.Errorf("the note shows %d times, want once:\n%s", n, strings.Join(seen, "\n"))
	}
	l.mu.Lock()
	frame := l.frame(cols, rows)
	l.mu.Unlock()
	if got := scr.lines(); strings.Join(got[len(got)-len(frame):], "\n") != strings.Join(frame, "\n") {
		t.Errorf("screen after the note does not end with the frame:\n%s", strings.Join(got, "\n"))
	}
}
