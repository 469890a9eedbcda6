package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/local"
	"github.com/cloudinitd/cloudinitd/store"
)

// ciCase runs 'cloudinitd run' of testdata/ciplan as a real process on the
// local driver, with the test programs (untilorphan) on its PATH.
type ciCase struct {
	bin, db, tmp, plan string
	env                []string
}

func newCICase(t *testing.T) ciCase {
	t.Helper()
	bin := cliBinary(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Dir(bin)
	if err := os.Symlink(exe, filepath.Join(path, "untilorphan")); err != nil {
		t.Fatal(err)
	}
	plan, err := filepath.Abs("testdata/ciplan/top.conf")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CLOUDINITD_") && !strings.HasPrefix(kv, "PATH=") {
			env = append(env, kv)
		}
	}
	env = append(env, "PATH="+path+":"+os.Getenv("PATH"), "CI_API_TOKEN=tok-test", "HOME="+tmp)
	return ciCase{bin: bin, db: filepath.Join(tmp, "db"), tmp: tmp, plan: plan, env: env}
}

// start starts 'cloudinitd run' of the plan as run with the command argv
// and waits until the command created the file started.
func (c ciCase) start(t *testing.T, run, started string, argv ...string) (*exec.Cmd, <-chan error) {
	t.Helper()
	args := append([]string{"run", c.plan, "-n", run, "-d", c.db, "--grace", "20s", "--"}, argv...)
	cmd := exec.Command(c.bin, args...)
	cmd.Env = c.env
	errf, err := os.Create(filepath.Join(c.tmp, run+".stderr"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { errf.Close() })
	cmd.Stderr = errf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if _, err := os.Stat(started); err == nil {
			return cmd, done
		}
		select {
		case err := <-done:
			t.Fatalf("run %s ended before its command started: %v\n%s", run, err, c.stderr(t, run))
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the command of run %s did not start\n%s", run, c.stderr(t, run))
		}
	}
}

func (c ciCase) stderr(t *testing.T, run string) string {
	b, _ := os.ReadFile(filepath.Join(c.tmp, run+".stderr"))
	return string(b)
}

// wait waits for the end of 'cloudinitd run' and returns its exit code.
func (c ciCase) wait(t *testing.T, run string, cmd *exec.Cmd, done <-chan error) int {
	t.Helper()
	select {
	case err := <-done:
		var ee *exec.ExitError
		switch {
		case err == nil:
			return 0
		case errors.As(err, &ee):
			return ee.ExitCode() // -1 when killed by a signal
		}
		t.Fatal(err)
	case <-time.After(3 * time.Minute):
		cmd.Process.Kill()
		t.Fatalf("run %s did not end\n%s", run, c.stderr(t, run))
	}
	return 0
}

// live returns the instances of run the local driver reports not
// terminated: the driver's own view, not the record's.
func (c ciCase) live(t *testing.T, run string) []iaas.Instance {
	t.Helper()
	d, err := local.New(local.Config{StateDir: filepath.Join(c.db, local.Name)})
	if err != nil {
		t.Fatal(err)
	}
	is, err := d.FindByRun(context.Background(), iaas.RunID{Name: run})
	if err != nil {
		t.Fatal(err)
	}
	var live []iaas.Instance
	for _, in := range is {
		if in.State != iaas.StateTerminated {
			live = append(live, in)
		}
	}
	return live
}

// nothingLeft checks that the run has no record and no live instance.
func (c ciCase) nothingLeft(t *testing.T, run string) {
	t.Helper()
	if _, err := os.Stat(store.Path(c.db, run)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("run %s: the record is still there (%v)", run, err)
	}
	for _, in := range c.live(t, run) {
		t.Errorf("LEAK: instance %s of run %s (service %s) is %s", in.ID, run, in.Service, in.State)
	}
}

// TestRunKilled kills 'cloudinitd run' with SIGKILL while its command
// runs: its instances stay up, owned by a dead process. The next 'run' in
// the same record directory takes that run down before booting its own;
// 'clean --stale' does the same for another killed run.
func TestRunKilled(t *testing.T) {
	c := newCICase(t)
	kill := func(run string) {
		started := filepath.Join(c.tmp, run+".started")
		cmd, done := c.start(t, run, started, "untilorphan", started)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		c.wait(t, run, cmd, done)
		if len(c.live(t, run)) == 0 {
			t.Fatalf("no live instance of %s after the kill: nothing would be tested", run)
		}
	}

	kill("killed1")
	next := exec.Command(c.bin, "run", c.plan, "-n", "next", "-d", c.db, "--", "true")
	next.Env = c.env
	out, err := next.CombinedOutput()
	if err != nil {
		t.Fatalf("the next run: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "run killed1 was started by run (pid ") {
		t.Errorf("the next run does not say it took killed1 down:\n%s", out)
	}
	c.nothingLeft(t, "killed1")
	c.nothingLeft(t, "next")

	kill("killed2")
	clean := exec.Command(c.bin, "clean", "--stale", "-d", c.db)
	clean.Env = c.env
	if out, err := clean.CombinedOutput(); err != nil {
		t.Fatalf("clean --stale: %v\n%s", err, out)
	}
	c.nothingLeft(t, "killed2")
}
