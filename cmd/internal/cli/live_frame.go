package cli

import (
	"fmt"
	"sort"
	"time"
	"unicode/utf8"

	"github.com/cloudinitd/cloudinitd/plan"
)

// frame is the view for a terminal of cols columns and rows rows (0:
// unknown, no limit): at most rows-1 lines (drawing the last line's
// newline must not scroll), none wider than cols-1 (cut with an ellipsis).
//
// When the services outnumber the rows, finished levels collapse into
// their header line, which counts the services (level 2: done 12.3s, 40/50
// ready, 3 failed), and a running level shows first its failed services,
// then its unfinished ones, slowest first, then the rest as room allows;
// failed services of finished levels stay. Warnings keep the last lines.
func (l *LiveObserver) frame(cols, rows int) []string {
	now := l.now()
	nums := l.levelNumbers()
	full := l.lines(nums, now, func(*liveService) bool { return true }, l.warnings)
	limit := rows - 1
	if rows <= 0 || len(full) <= limit {
		return cutAll(full, cols)
	}
	if limit < 1 {
		limit = 1
	}
	room := limit - len(nums)
	var warnings []string
	if n := min(len(l.warnings), 2); n > 0 && room-n-1 >= 1 {
		if len(l.warnings) > n {
			warnings = append(warnings, fmt.Sprintf("(%d earlier warnings)", len(l.warnings)-n))
		}
		warnings = append(warnings, l.warnings[len(l.warnings)-n:]...)
		room -= len(warnings)
	}
	keep := map[*liveService]bool{}
	for _, s := range l.ranked(now) {
		if room <= 0 {
			break
		}
		keep[s] = true
		room--
	}
	out := l.lines(nums, now, func(s *liveService) bool { return keep[s] }, warnings)
	if len(out) > limit {
		// Even the level headers do not fit: the latest levels do.
		out = append([]string{fmt.Sprintf("(%d more lines)", len(out)-limit+1)}, out[len(out)-limit+1:]...)
	}
	return cutAll(out, cols)
}

// ranked are the services worth a line when not all fit, best first:
// failed ones, then unfinished ones of running levels (slowest first),
// then finished ones of running levels (latest first). Ready services of
// finished levels are summed up in their level's header only.
func (l *LiveObserver) ranked(now time.Time) []*liveService {
	rank := func(s *liveService) int {
		lv := l.levels[s.level]
		switch {
		case s.state == "failed":
			return 0
		case lv != nil && lv.state != "running":
			return 3
		case s.end.IsZero():
			return 1
		}
		return 2
	}
	var svcs []*liveService
	for _, s := range l.services {
		if rank(s) < 3 {
			svcs = append(svcs, s)
		}
	}
	sort.Slice(svcs, func(i, j int) bool {
		a, b := svcs[i], svcs[j]
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra < rb
		}
		if !a.end.Equal(b.end) {
			return a.end.After(b.end)
		}
		if !a.start.Equal(b.start) {
			return a.start.Before(b.start) // running longer: slower
		}
		return plan.CompareNames(a.name, b.name) < 0
	})
	return svcs
}

func (l *LiveObserver) levelNumbers() []int {
	var nums []int
	for n := range l.levels {
		nums = append(nums, n)
	}
	// Services seen before their level started (pre-launch) get a header
	// too.
	for _, s := range l.services {
		if _, ok := l.levels[s.level]; !ok {
			l.levels[s.level] = &liveLevel{state: "waiting"}
			nums = append(nums, s.level)
		}
	}
	sort.Ints(nums)
	return nums
}

// lines are the headers of the levels nums, each followed by its services
// that show says to show, then the warnings.
func (l *LiveObserver) lines(nums []int, now time.Time, show func(*liveService) bool, warnings []string) []string {
	var out []string
	for _, n := range nums {
		lv := l.levels[n]
		var svcs []*liveService
		ready, failed := 0, 0
		for _, s := range l.services {
			if s.level != n {
				continue
			}
			svcs = append(svcs, s)
			switch {
			case s.state == "failed":
				failed++
			case s.state == "ready" || s.state == "ready (checked)":
				ready++
			}
		}
		sort.SliceStable(svcs, func(i, j int) bool { return plan.CompareNames(svcs[i].name, svcs[j].name) < 0 })
		head := fmt.Sprintf("level %d: %s", n, lv.state)
		if !lv.start.IsZero() {
			head += " " + since(lv.start, lv.end, now)
		}
		head += fmt.Sprintf(", %d/%d ready", ready, len(svcs))
		if failed > 0 {
			head += fmt.Sprintf(", %d failed", failed)
		}
		out = append(out, head)
		for _, s := range svcs {
			if show(s) {
				out = append(out, l.serviceLine(s, lv, now))
			}
		}
	}
	return append(out, warnings...)
}

// serviceLine is one service. Its clock starts when its level started;
// the time it spent before (pre-launch) is shown apart: "pre 6.1s".
func (l *LiveObserver) serviceLine(s *liveService, lv *liveLevel, now time.Time) string {
	state := s.state
	if s.step != "" {
		state += "/" + s.step
	}
	clock := "-"
	pre := ""
	switch {
	case lv.start.IsZero():
		pre = "pre " + since(s.start, s.end, now)
	case s.start.Before(lv.start):
		clock = since(lv.start, s.end, now)
		if !s.end.IsZero() && s.end.Before(lv.start) {
			clock = "0.0s"
		}
		pre = "pre " + since(s.start, lv.start, now)
	default:
		clock = since(s.start, s.end, now)
	}
	line := fmt.Sprintf("  %-16s %-22s %6s", s.name, state, clock)
	if pre != "" {
		line += "  " + pre
	}
	if s.last != "" {
		line += "  | " + s.last
	}
	return line
}

// cutAll sanitizes each line (program output must not drive the terminal)
// and cuts it to cols-1 columns with an ellipsis.
func cutAll(lines []string, cols int) []string {
	out := make([]string, len(lines))
	for i, line := range lines {
		out[i] = cut(Sanitize(line), cols-1)
	}
	return out
}

func cut(line string, width int) string {
	if width <= 0 || utf8.RuneCountInString(line) <= width {
		return line
	}
	r := []rune(line)
	return string(r[:width-1]) + "…"
}
