package cli

import (
	"bytes"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cloudinitd/cloudinitd/bootlevel"
)

// TestStillRunning: off a terminal, a service silent for the period gets
// a progress line with the time since its level started; the silence is
// counted again from that line; a finished service gets none.
func TestStillRunning(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 1, 0, 0, 0, time.UTC)
	var b bytes.Buffer
	o := &LineObserver{W: &b, Verbosity: 1}
	for _, ev := range []bootlevel.Event{
		{Time: t0.Add(-20 * time.Second), Level: 1, Service: "db", Kind: bootlevel.KindState, State: "launching"}, // pre-launch
		{Time: t0.Add(-20 * time.Second), Level: 2, Service: "web", Kind: bootlevel.KindState, State: "launching"},
		{Time: t0, Level: 1, Kind: bootlevel.KindLevelStart, Detail: "1 service"},
		{Time: t0.Add(time.Second), Level: 1, Service: "db", Kind: bootlevel.KindStep, Step: "bootpgm"},
	} {
		o.Event(ev)
	}
	b.Reset()
	const period = 30 * time.Second
	var got []string
	tick := func(at time.Duration) {
		o.StillRunning(t0.Add(at), period)
		got = append(got, b.String())
		b.Reset()
	}
	tick(20 * time.Second) // silent 19s
	tick(31 * time.Second) // silent 30s
	tick(50 * time.Second) // 19s after the last line
	tick(90 * time.Second)
	o.Event(bootlevel.Event{Time: t0.Add(95 * time.Second), Level: 1, Service: "db", Kind: bootlevel.KindState, State: "ready"})
	got = append(got, b.String())
	b.Reset()
	tick(200 * time.Second)
	want := []string{
		"",
		"level 1 service db: bootpgm still running (31s)\n",
		"",
		"level 1 service db: bootpgm still running (1m30s)\n",
		// Its clock started with its level, not at its pre-launch.
		"level 1 service db: ready (95.0s)\n",
		"", // web's level has not started: web is not at work yet
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("progress lines (-want +got):\n%s", diff)
	}
}

func TestSignalsNotesAndHints(t *testing.T) {
	var s *Signals
	var w bytes.Buffer
	s.say(&w, "a\n") // nil: to w
	s.ExitHints("x")
	s = &Signals{}
	var noted []string
	release := s.Notes(func(text string) { noted = append(noted, text) })
	s.say(&w, "b\n")
	release()
	s.say(&w, "c\n")
	s.ExitHints("continue with: cloudinitd boot --resume r1")
	if w.String() != "a\nc\n" || !cmp.Equal(noted, []string{"b\n"}) {
		t.Errorf("said %q, noted %q", w.String(), noted)
	}
	if got := s.exitHints(); !cmp.Equal(got, []string{"continue with: cloudinitd boot --resume r1"}) {
		t.Errorf("exit hints %q", got)
	}
}

func TestColourConventions(t *testing.T) {
	env := func(kv ...string) func(string) (string, bool) {
		return func(k string) (string, bool) {
			for i := 0; i < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1], true
				}
			}
			return "", false
		}
	}
	var b bytes.Buffer // not a terminal: no cursor, no colour
	if LiveCapable(&b, env("TERM", "xterm")) || Colour(&b, env("TERM", "xterm")) {
		t.Error("a buffer is taken for a terminal")
	}
	ev := bootlevel.Event{Kind: bootlevel.KindState, State: "failed"}
	if got := paintLine("x", ev, true); got != "\x1b[31mx\x1b[0m" {
		t.Errorf("failed painted %q", got)
	}
	if got := paintLine("x", ev, false); got != "x" {
		t.Errorf("without colour painted %q", got)
	}
}
