package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/cloudinitd/cloudinitd/cmd/internal/scripttest"
	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/local"
	"github.com/cloudinitd/cloudinitd/store"
)

// scriptCmds are the custom commands of the scripts in testdata/script.
var scriptCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"exits":        scripttest.Exits,
	"killinstance": cmdKillInstance,
	"noprocs":      cmdNoProcs,
	"dead":         cmdDead,
	"alive":        cmdAlive,
	"waitfile":     cmdWaitFile,
	"ec2cloud":     cmdEC2Cloud,
	"ec2instances": cmdEC2Instances,
	"ec2down":      cmdEC2Down,
	"nosecret":     cmdNoSecret,
	"secretword":   cmdSecretWord,
	"fakeowned":    cmdFakeOwned,
	"json":         cmdJSON,
	"recordrun":    cmdRecordRun,
}

// cmdWaitFile is "waitfile PATH": it waits (up to a minute) until PATH
// exists, to sequence a script against a command running in the
// background. It orders events; it asserts nothing about time.
func cmdWaitFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: waitfile PATH")
	}
	p := ts.MkAbs(args[0])
	for range 3000 {
		if _, err := os.Stat(p); err == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	ts.Fatalf("%s did not appear", p)
}

// cmdKillInstance is "killinstance DBDIR RUN SERVICE": it kills, behind
// cloudinitd's back, the server process of the local-driver instance the
// record holds for SERVICE, as a crashed machine would vanish.
func cmdKillInstance(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: killinstance DBDIR RUN SERVICE")
	}
	db, err := store.OpenReadOnly(context.Background(), args[0], args[1])
	ts.Check(err)
	svc, err := db.Service(context.Background(), args[2])
	db.Close()
	ts.Check(err)
	if svc.InstanceID == "" {
		ts.Fatalf("service %s has no instance", args[2])
	}
	pid := readPID(ts, filepath.Join(args[0], local.Name, svc.InstanceID, "server.pid"))
	ts.Check(syscall.Kill(pid, syscall.SIGKILL))
	waitDead(ts, pid)
}

// cmdNoProcs is "noprocs DBDIR": no process started by any local-driver
// instance of DBDIR is alive (scripttest.NoProcs), and the local driver
// reports every one of those instances terminated.
func cmdNoProcs(ts *testscript.TestScript, neg bool, args []string) {
	scripttest.NoProcs(ts, neg, args)
	ids := scripttest.LocalInstances(ts, ts.MkAbs(args[0]))
	// And the driver itself says every instance is terminated.
	d, err := local.New(local.Config{StateDir: filepath.Join(ts.MkAbs(args[0]), local.Name)})
	ts.Check(err)
	var refs []iaas.Ref
	for _, id := range ids {
		refs = append(refs, iaas.Ref{ID: id})
	}
	insts, err := d.Describe(context.Background(), refs...)
	ts.Check(err)
	for _, in := range insts {
		if in.State != iaas.StateTerminated {
			ts.Fatalf("instance %s is %s, want terminated", in.ID, in.State)
		}
	}
	ts.Logf("%d instances terminated, no process left", len(ids))
}

// cmdDead is "dead PIDFILE": the process whose pid the file holds is gone,
// or is within 10 s (it waits for the condition, never a fixed time).
func cmdDead(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: dead PIDFILE")
	}
	pid := readPID(ts, ts.MkAbs(args[0]))
	deadline := time.Now().Add(10 * time.Second)
	for !scripttest.Gone("/proc/" + strconv.Itoa(pid)) {
		if time.Now().After(deadline) {
			ts.Fatalf("process %d is still alive", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// cmdAlive is "alive PIDFILE": the process whose pid the file holds is
// alive now (not a zombie).
func cmdAlive(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: alive PIDFILE")
	}
	pid := readPID(ts, ts.MkAbs(args[0]))
	if scripttest.Gone("/proc/" + strconv.Itoa(pid)) {
		ts.Fatalf("process %d is not alive", pid)
	}
}

func readPID(ts *testscript.TestScript, file string) int {
	b, err := os.ReadFile(file)
	ts.Check(err)
	f := strings.Fields(string(b))
	if len(f) == 0 {
		ts.Fatalf("%s: no pid", file)
	}
	pid, err := strconv.Atoi(f[0])
	ts.Check(err)
	return pid
}

func waitDead(ts *testscript.TestScript, pid int) {
	for range 100 {
		if scripttest.Gone("/proc/" + strconv.Itoa(pid)) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	ts.Fatalf("process %d did not die", pid)
}
