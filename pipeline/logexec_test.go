package pipeline

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cloudinitd/cloudinitd/remote"
)

// quietLog is a fakeService's log that says whether it is quiet.
type quietLog struct {
	*fakeService
	quiet bool
}

func (q quietLog) Quiet() bool { return q.quiet }

// TestQuietLog: a log that keeps no lines (QuietLog) is given none: the
// executor is not wrapped and no check is formatted; any other log,
// quiet-capable or not, gets every line.
func TestQuietLog(t *testing.T) {
	var ex remote.Executor = dryRunExecutor{}
	at := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		log    func(*fakeService) Log
		lines  string
		direct bool // LoggedExecutor returned ex itself
	}{
		{"plain log", func(f *fakeService) Log { return f }, "bootpgm: $ 'true' (on dry-run)\nbootpgm: exit status 0 (0.0s)\nready: ok (1.0s)\n", false},
		{"log not quiet", func(f *fakeService) Log { return quietLog{f, false} }, "bootpgm: $ 'true' (on dry-run)\nbootpgm: exit status 0 (0.0s)\nready: ok (1.0s)\n", false},
		{"quiet log", func(f *fakeService) Log { return quietLog{f, true} }, "", true},
		{"nil log", func(*fakeService) Log { return nil }, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeService{}
			log := tc.log(f)
			lx := LoggedExecutor(ex, log, StepBootPgm, func() time.Time { return at })
			if got := lx == ex; got != tc.direct {
				t.Errorf("LoggedExecutor returned ex itself: %v, want %v", got, tc.direct)
			}
			if _, err := lx.Run(context.Background(), remote.Cmd{Argv: []string{"true"}}); err != nil {
				t.Fatal(err)
			}
			LogCheck(log, at.Add(time.Second), "ready", at, nil)
			if diff := cmp.Diff(tc.lines, f.log.String()); diff != "" {
				t.Errorf("log (-want +got):\n%s", diff)
			}
		})
	}
}
