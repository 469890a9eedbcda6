package scripttest

import (
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// TestGone: this process is not gone; a pid no process has is; a child
// that exited and was not waited for (a zombie) is, and so is it once
// reaped.
func TestGone(t *testing.T) {
	if Gone("/proc/self") {
		t.Error("Gone(/proc/self) = true, want false")
	}
	if !Gone("/proc/0") {
		t.Error("Gone(/proc/0) = false, want true: no process has pid 0 in /proc")
	}
	cmd := exec.Command("true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	dir := "/proc/" + strconv.Itoa(cmd.Process.Pid)
	for deadline := time.Now().Add(10 * time.Second); !Gone(dir); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the child %s exited but is not gone (a zombie) after 10 s", dir)
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	if !Gone(dir) {
		t.Errorf("Gone(%s) = false after the child was reaped", dir)
	}
}
