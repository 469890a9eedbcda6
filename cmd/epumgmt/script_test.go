package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/cloudinitd/cloudinitd/cmd/internal/scripttest"
	"github.com/cloudinitd/cloudinitd/epu/mgmt"
	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/local"
	"github.com/cloudinitd/cloudinitd/store"
)

func TestMain(m *testing.M) {
	// Local-driver instances this test's epumgmt terminates re-execute it.
	if code, ok := local.MaybeServe(); ok {
		os.Exit(code)
	}
	testscript.Main(m, map[string]func(){
		"epumgmt": func() { os.Exit(run()) },
	})
}

// TestScripts runs the scripts in testdata/script: cloudinitd boots
// examples/epu on the local driver (the cloudinitd binary is built from
// this tree, since the epu daemons run as it), epumgmt works on the run.
// $REPO is the repository root; HOME is fresh per script.
func TestScripts(t *testing.T) {
	if testing.Short() {
		t.Skip("boots examples/epu")
	}
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(repo, "examples/epu/top.conf")); err != nil {
		t.Skip("examples/epu is not in this tree yet")
	}
	bin := t.TempDir()
	// cloudinitd-instance beside it, as `go install ./cmd/...` puts it:
	// the run's local instances are started as that program.
	build := exec.Command("go", "build", "-o", bin+string(filepath.Separator), "./cmd/cloudinitd", "./cmd/cloudinitd-instance")
	build.Dir = repo
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build cloudinitd: %v\n%s", err, out)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exits":      scripttest.Exits,
			"waitpool":   cmdWaitPool,
			"live":       cmdLive,
			"servers":    cmdServers,
			"signal":     cmdSignal,
			"jsonfield":  cmdJSONField,
			"runstatus":  cmdRunStatus,
			"noprocs":    scripttest.NoProcs,
			"killedlogs": cmdKilledLogs,
		},
		Setup: func(e *testscript.Env) error {
			home := filepath.Join(e.WorkDir, "home")
			if err := os.MkdirAll(home, 0o755); err != nil {
				return err
			}
			e.Setenv("HOME", home)
			e.Setenv("REPO", repo)
			e.Setenv("PATH", bin+string(os.PathListSeparator)+e.Getenv("PATH"))
			work := e.WorkDir
			e.Defer(func() { scripttest.ReapLocal(work) })
			return nil
		},
	})
}

// cmdWaitPool is "waitpool RUN N": it runs 'epumgmt status --json -n RUN'
// until exactly N workers of the first domain are 600-RUNNING and no other
// worker is live (2 minutes at most).
func cmdWaitPool(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: waitpool RUN N")
	}
	want, _ := strconv.Atoi(args[1])
	var last string
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(time.Second) {
		if err := ts.Exec("epumgmt", "status", "--json", "-n", args[0]); err != nil {
			last = err.Error()
			continue
		}
		var rep mgmt.Report
		if err := json.Unmarshal([]byte(ts.ReadFile("stdout")), &rep); err != nil {
			ts.Fatalf("status --json does not parse: %v", err)
		}
		if len(rep.Controllers) == 0 || len(rep.Controllers[0].Domains) == 0 {
			last = "no domain"
			continue
		}
		running, other := 0, 0
		for _, w := range rep.Controllers[0].Domains[0].Workers {
			switch {
			case w.State == "600-RUNNING":
				running++
			case !w.State.Final():
				other++
			}
		}
		last = fmt.Sprintf("%d running, %d other live", running, other)
		if running == want && other == 0 {
			return
		}
	}
	ts.Fatalf("waitpool %s %d: %s", args[0], want, last)
}

// cmdLive is "live DBDIR RUN N": the local driver of DBDIR has exactly N
// instances of RUN (its full id, from the record) that are not final, its
// own services' and its workers'.
func cmdLive(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: live DBDIR RUN N")
	}
	var alive []string
	for _, in := range liveInstances(ts, args[0], args[1]) {
		alive = append(alive, in.ID+" ("+in.Service+")")
	}
	if want, _ := strconv.Atoi(args[2]); len(alive) != want {
		ts.Fatalf("%d live instances of %s, want %s: %v", len(alive), args[1], args[2], alive)
	}
}

// cmdServers is "servers DBDIR RUN PROG": every live instance of RUN on
// the local driver of DBDIR, its own services' and its workers', is
// served by a process whose executable is named PROG (the server's pid
// from the instance's meta.json, its executable from /proc).
func cmdServers(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: servers DBDIR RUN PROG")
	}
	dir := ts.MkAbs(args[0])
	ins := liveInstances(ts, args[0], args[1])
	var wrong []string
	for _, in := range ins {
		b, err := os.ReadFile(filepath.Join(dir, local.Name, in.ID, "meta.json"))
		ts.Check(err)
		var meta struct {
			PID int `json:"pid"`
		}
		ts.Check(json.Unmarshal(b, &meta))
		exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", meta.PID))
		ts.Check(err)
		if filepath.Base(exe) != args[2] {
			wrong = append(wrong, fmt.Sprintf("%s (%s, owner %q): %s", in.ID, in.Service, in.Owner, exe))
		}
	}
	if len(ins) == 0 || len(wrong) > 0 {
		ts.Fatalf("%d live instances of %s; served by another program than %s: %q", len(ins), args[1], args[2], wrong)
	}
}

// liveInstances returns the instances of run (its full id, from the
// record under dir) that the local driver of dir has and that are not
// final.
func liveInstances(ts *testscript.TestScript, dir, run string) []iaas.Instance {
	dir = ts.MkAbs(dir)
	ctx := context.Background()
	db, err := store.OpenReadOnly(ctx, dir, run)
	ts.Check(err)
	id := iaas.RunID{Name: run, Incarnation: db.Incarnation()}
	db.Close()
	d, err := local.New(local.Config{StateDir: filepath.Join(dir, local.Name)})
	ts.Check(err)
	is, err := d.FindByRun(ctx, id)
	ts.Check(err)
	var live []iaas.Instance
	for _, in := range is {
		if !in.State.Final() && id.Claims(in, nil) {
			live = append(live, in)
		}
	}
	return live
}
