package scripttest

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/local"
)

// Exits is the script command "exits CODE PROG ARGS...": it runs PROG like
// exec and checks its exit status is exactly CODE. stdout and stderr can
// be checked afterwards as after exec.
func Exits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE PROG [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: bad code %q", args[0])
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("exits: %v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited %d, want %d", args[1], got, want)
	}
}

// NoProcs is the script command "noprocs DBDIR": no process started by
// any local-driver instance of DBDIR is alive, found by the marker in its
// environment (local.EnvMarker), which survives nohup, setsid and double
// forks: the instances' servers and every program and daemon they ran.
func NoProcs(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: noprocs DBDIR")
	}
	ids := map[string]bool{}
	for _, id := range LocalInstances(ts, ts.MkAbs(args[0])) {
		ids[id] = true
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/environ")
	for _, p := range procs {
		env, err := os.ReadFile(p)
		if err != nil {
			continue // gone meanwhile, or not ours to read
		}
		for _, kv := range bytes.Split(env, []byte{0}) {
			id, ok := strings.CutPrefix(string(kv), local.EnvMarker+"=")
			if ok && ids[id] && !Gone(filepath.Dir(p)) {
				cmdline, _ := os.ReadFile(filepath.Join(filepath.Dir(p), "cmdline"))
				ts.Fatalf("process %s of instance %s is still alive: %q", filepath.Base(filepath.Dir(p)), id,
					bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '}))
			}
		}
	}
}

// LocalInstances returns the ids of the local-driver instances whose
// directories are under dbDir (<dbDir>/local/local-*). None fails the
// script: a check over them would check nothing.
func LocalInstances(ts *testscript.TestScript, dbDir string) []string {
	dirs, err := filepath.Glob(filepath.Join(dbDir, local.Name, "local-*"))
	ts.Check(err)
	if len(dirs) == 0 {
		ts.Fatalf("no local instances under %s: nothing was checked (a terminate that deletes the record removes them: give it --keep-logs first)", dbDir)
	}
	ids := make([]string, len(dirs))
	for i, d := range dirs {
		ids[i] = filepath.Base(d)
	}
	return ids
}

// Gone reports whether the process of procDir (/proc/PID) is gone: no
// longer there, a zombie, or dead.
func Gone(procDir string) bool {
	b, err := os.ReadFile(filepath.Join(procDir, "stat"))
	if err != nil {
		return true
	}
	i := bytes.LastIndexByte(b, ')')
	return i < 0 || i+2 >= len(b) || b[i+2] == 'Z' || b[i+2] == 'X'
}

// ReapLocal terminates every local-driver instance under a script's work
// directory, whatever state the script left it in: a script that fails
// half-way (before its terminate) must not leave instance servers and
// their programs running on the machine. Terminating an instance that is
// already terminated is no error, so passing scripts are unaffected; a
// script that checks for leaks does so itself (noprocs) before this runs.
// It is best effort: what it cannot read or terminate stays.
func ReapLocal(work string) {
	states := map[string][]iaas.Ref{}
	_ = filepath.WalkDir(work, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // unreadable: nothing of ours to find there
		}
		if d.IsDir() && strings.HasPrefix(d.Name(), "local-") && filepath.Base(filepath.Dir(p)) == local.Name {
			states[filepath.Dir(p)] = append(states[filepath.Dir(p)], iaas.Ref{ID: d.Name()})
			return filepath.SkipDir
		}
		return nil
	})
	for dir, refs := range states {
		d, err := local.New(local.Config{StateDir: dir})
		if err != nil {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_ = d.Terminate(ctx, refs...) // best effort: the script's own checks have run
		cancel()
	}
}
