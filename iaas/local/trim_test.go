package local

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestReadOnlyMappings(t *testing.T) {
	maps := `00400000-00a00000 r--p 00000000 08:02 173521                             /usr/bin/cloud init
00a00000-01400000 r-xp 00600000 08:02 173521                             /usr/bin/cloud init
01400000-01500000 rw-p 01000000 08:02 173521                             /usr/bin/cloud init
01500000-01600000 r--p 00000000 08:02 99                                 /usr/bin/other
c000000000-c000400000 rw-p 00000000 00:00 0
7ffd8160b000-7ffd8162c000 rw-p 00000000 00:00 0                          [stack]
zz-yy r--p 00000000 08:02 173521                                         /usr/bin/cloud init
01600000-01700000 r-xp 00000000 08:02 55                                 /tmp/go-build1/exe/cid (deleted)
`
	tests := []struct {
		name, path string
		want       []mapping
	}{
		{"read-only and code of the file, not its data", "/usr/bin/cloud init", []mapping{{0x400000, 0xa00000}, {0xa00000, 0x1400000}}},
		{"another file", "/usr/bin/other", []mapping{{0x1500000, 0x1600000}}},
		{"no such file", "/usr/bin/none", nil},
		{"a removed executable (go run)", "/tmp/go-build1/exe/cid", []mapping{{0x1600000, 0x1700000}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := readOnlyMappings([]byte(maps), tt.path)
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(mapping{})); diff != "" {
				t.Errorf("readOnlyMappings (-want +got):\n%s", diff)
			}
		})
	}
}

// TestTrimIdle: the process keeps running correctly after its code and
// read-only data were dropped (they are read again from the executable).
func TestTrimIdle(t *testing.T) {
	trimIdle()
	m := map[string]int{}
	for i := range 1000 {
		m[time.Duration(i).String()] = i
	}
	if m["999ns"] != 999 || len(m) != 1000 {
		t.Fatalf("after trimIdle: map of %d, m[999ns] = %d; want 1000, 999", len(m), m["999ns"])
	}
}

// TestTrimWhenIdle: the server trims once the last session has closed,
// after the quiet delay, and again while it stays idle; a server that had
// no session yet trims after the first delay. The delays that must not
// be the one that fires are an hour.
func TestTrimWhenIdle(t *testing.T) {
	tests := []struct {
		name                string
		first, quiet, again time.Duration
		session             bool // a session opens and closes at once
	}{
		{"after the last session closed, then while idle", time.Hour, time.Millisecond, time.Millisecond, true},
		{"no session since the start", time.Millisecond, time.Hour, time.Millisecond, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var open atomic.Int64
			trims := make(chan struct{}, 10)
			done := make(chan struct{})
			changed := make(chan struct{}, 1)
			finished := make(chan struct{})
			go func() {
				defer close(finished)
				trimWhenIdle(done, changed, func() int { return int(open.Load()) }, tt.first, tt.quiet, tt.again,
					func() {
						select {
						case trims <- struct{}{}:
						default:
						}
					})
			}()
			defer func() { close(done); <-finished }()
			if tt.session {
				open.Store(1)
				wake(changed)
				open.Store(0) // the last session closes
				wake(changed)
			}
			for i := range 2 {
				select {
				case <-trims:
				case <-time.After(10 * time.Second):
					t.Fatalf("trim %d did not come while idle", i+1)
				}
			}
		})
	}
}
