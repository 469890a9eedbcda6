package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cloudinitd/cloudinitd/bootlevel"
)

func TestLiveObserverRendersStateStepAndLastLine(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	var out bytes.Buffer
	l := newLive(&out, func() (int, int) { return 0, 0 }, func() time.Time { return t0.Add(5 * time.Second) }, false)
	for _, ev := range []bootlevel.Event{
		{Time: t0, Level: 1, Kind: bootlevel.KindLevelStart},
		{Time: t0, Level: 1, Service: "web", Kind: bootlevel.KindState, State: "running"},
		{Time: t0.Add(time.Second), Level: 1, Service: "web", Kind: bootlevel.KindStep, Step: "bootpgm"},
		{Time: t0.Add(2 * time.Second), Level: 1, Service: "web", Kind: bootlevel.KindOutput, Detail: "installing nginx"},
		{Time: t0, Level: 1, Service: "db", Kind: bootlevel.KindState, State: "ready"},
		{Time: t0.Add(3 * time.Second), Level: 1, Service: "db", Kind: bootlevel.KindWarning, Detail: "slow disk"},
	} {
		l.Event(ev)
	}
	want := []string{
		"level 1: running 5.0s, 1/2 ready",
		"  db               ready                    0.0s",
		"  web              running/bootpgm          5.0s  | installing nginx",
		"service db: warning: slow disk",
	}
	if diff := cmp.Diff(want, l.frame(0, 0)); diff != "" {
		t.Errorf("render (-want +got):\n%s", diff)
	}
	// A redraw moves the cursor back over the lines drawn before.
	l.draw()
	l.draw()
	if got := strings.Count(out.String(), "\x1b[4A"); got != 1 {
		t.Errorf("cursor moved up %d times over 4 lines, want 1:\n%q", got, out.String())
	}
}

func TestLineObserverVerbosity(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	evs := []bootlevel.Event{
		{Time: t0, Level: 2, Service: "web", Kind: bootlevel.KindState, State: "launched", Detail: "i-1a2b"},
		{Time: t0, Level: 2, Service: "web", Kind: bootlevel.KindStep, Step: "bootpgm", Detail: "boot.sh"},
		{Time: t0, Level: 2, Service: "web", Kind: bootlevel.KindOutput, Detail: "hello"},
		{Time: t0.Add(4100 * time.Millisecond), Level: 2, Service: "web", Kind: bootlevel.KindState, State: "ready"},
	}
	cases := []struct {
		verbosity int
		want      string
	}{
		{0, ""},
		{1, "level 2 service web: launched (i-1a2b)\nlevel 2 service web: ready (i-1a2b, 4.1s)\n"},
		{2, "level 2 service web: launched (i-1a2b)\nlevel 2 service web: bootpgm boot.sh\nlevel 2 service web: ready (i-1a2b, 4.1s)\n"},
		{3, "level 2 service web: launched (i-1a2b)\nlevel 2 service web: bootpgm boot.sh\nlevel 2 service web: | hello\nlevel 2 service web: ready (i-1a2b, 4.1s)\n"},
	}
	for _, tc := range cases {
		var b bytes.Buffer
		o := &LineObserver{W: &b, Verbosity: tc.verbosity}
		for _, ev := range evs {
			o.Event(ev)
		}
		if diff := cmp.Diff(tc.want, b.String()); diff != "" {
			t.Errorf("verbosity %d (-want +got):\n%s", tc.verbosity, diff)
		}
	}
}
