package local

import (
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"
)

// TestSharedScansFindEach: callers asking at once each get their own
// instance's processes, and a call made after a process ended does not
// get an answer read before.
func TestSharedScansFindEach(t *testing.T) {
	if _, err := os.Stat("/proc/self/environ"); err != nil {
		t.Skipf("needs /proc: %v", err)
	}
	const n = 8
	ids := make([]string, n)
	cmds := make([]*exec.Cmd, n)
	for i := range cmds {
		ids[i] = fmt.Sprintf("local-scantest-%d-%d", os.Getpid(), i)
		cmds[i] = exec.Command("sleep", "60")
		cmds[i].Env = append(os.Environ(), EnvMarker+"="+ids[i])
		if err := cmds[i].Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmds[i].Process.Kill(); cmds[i].Wait() })
	}
	var p procScans
	check := func(alive bool) {
		t.Helper()
		var wg sync.WaitGroup
		got := make([][]marked, n)
		errs := make([]error, n)
		for i := range ids {
			wg.Go(func() { got[i], errs[i] = p.marked(ids[i]) })
		}
		wg.Wait()
		for i := range ids {
			want := 0
			if alive {
				want = 1
			}
			if errs[i] != nil || len(got[i]) != want || alive && got[i][0].PID != cmds[i].Process.Pid {
				t.Errorf("marked(%s) = %v, %v; want %d process(es), pid %d", ids[i], got[i], errs[i], want, cmds[i].Process.Pid)
			}
		}
	}
	check(true)
	for _, c := range cmds {
		c.Process.Kill()
		c.Wait()
	}
	check(false)
}
