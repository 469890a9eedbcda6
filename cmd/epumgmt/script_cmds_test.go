package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/cloudinitd/cloudinitd/epu/mgmt"
	"github.com/cloudinitd/cloudinitd/store"
)

// cmdSignal is "signal SIG DBDIR RUN SERVICE": it sends SIG (STOP, CONT,
// KILL) to the daemon of SERVICE, whose pid file is <epu_state_dir>/<role>.pid.
func cmdSignal(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 4 {
		ts.Fatalf("usage: signal STOP|CONT|KILL DBDIR RUN SERVICE")
	}
	sig := map[string]syscall.Signal{"STOP": syscall.SIGSTOP, "CONT": syscall.SIGCONT, "KILL": syscall.SIGKILL}[args[0]]
	if sig == 0 {
		ts.Fatalf("signal: unknown signal %s", args[0])
	}
	ctx := context.Background()
	db, err := store.OpenReadOnly(ctx, ts.MkAbs(args[1]), args[2])
	ts.Check(err)
	sys, err := mgmt.LoadSystem(ctx, db, "")
	db.Close()
	ts.Check(err)
	for _, s := range sys.Services {
		if s.Name != args[3] {
			continue
		}
		b, err := os.ReadFile(filepath.Join(s.StateDir, string(s.Role)+".pid"))
		ts.Check(err)
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		ts.Check(err)
		ts.Check(syscall.Kill(pid, sig))
		return
	}
	ts.Fatalf("signal: no service %s", args[3])
}

// cmdJSONField is "jsonfield FILE PATH WANT": the value at PATH (dot-
// separated keys and indexes) of the JSON document in FILE is WANT.
func cmdJSONField(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: jsonfield FILE PATH WANT")
	}
	var v any
	if err := json.Unmarshal([]byte(ts.ReadFile(args[0])), &v); err != nil {
		ts.Fatalf("%s: %v", args[0], err)
	}
	for _, k := range strings.Split(args[1], ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i >= len(x) {
				ts.Fatalf("jsonfield: %s: no index %s", args[1], k)
			}
			v = x[i]
		case nil:
			ts.Fatalf("jsonfield: %s: nothing at %s", args[1], k)
		}
	}
	got := fmt.Sprint(v)
	if b, err := json.Marshal(v); err == nil {
		if _, isStr := v.(string); !isStr {
			got = string(b)
		}
	}
	if (got == args[2]) == neg {
		ts.Fatalf("jsonfield %s: %s, want %s%s", args[1], got, map[bool]string{true: "not ", false: ""}[neg], args[2])
	}
}

// cmdRunStatus is "runstatus DBDIR RUN STATUS": the record of RUN is
// there with that status.
func cmdRunStatus(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: runstatus DBDIR RUN STATUS")
	}
	db, err := store.OpenReadOnly(context.Background(), ts.MkAbs(args[0]), args[1])
	ts.Check(err)
	defer db.Close()
	r, err := db.Run(context.Background())
	ts.Check(err)
	if string(r.Status) != args[2] {
		ts.Fatalf("run %s is %s, want %s", args[1], r.Status, args[2])
	}
}

// cmdKilledLogs is "killedlogs KILLED_JSON RUNLOGDIR FILE": for each
// worker of a fetchkill --json answer, RUNLOGDIR/<its instance id>/FILE
// was fetched (the worker's own log, through its provisioner).
func cmdKilledLogs(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 || neg {
		ts.Fatalf("usage: killedlogs KILLED_JSON RUNLOGDIR FILE")
	}
	var a struct {
		Killed []struct {
			IaaSID string `json:"iaas_id"`
		} `json:"killed"`
	}
	if err := json.Unmarshal([]byte(ts.ReadFile(args[0])), &a); err != nil || len(a.Killed) == 0 {
		ts.Fatalf("%s: %v (%d killed)", args[0], err, len(a.Killed))
	}
	for _, k := range a.Killed {
		p := filepath.Join(ts.MkAbs(args[1]), k.IaaSID, args[2])
		if _, err := os.Stat(p); err != nil {
			ts.Fatalf("the killed worker's log: %v", err)
		}
	}
}
