package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/drivers"
	"github.com/cloudinitd/cloudinitd/iaas/fake"
)

// launchWorker is the program "launch-worker IAAS STATE_DIR RUN_ID OWNER
// SERVICE" of the scripts: what a service's program does to launch an
// instance for its run, given the attributes iaas_state_dir, run_id and
// its own name. It opens the driver on the run's state directory and
// launches under the run's full id, owned by OWNER, and prints the id.
func launchWorker(args []string) int {
	if len(args) != 5 {
		fmt.Fprintln(os.Stderr, "usage: launch-worker IAAS STATE_DIR RUN_ID OWNER SERVICE")
		return 2
	}
	run, err := iaas.ParseRunID(args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, "launch-worker:", err)
		return 2
	}
	d, err := drivers.Registry().Open(args[0], iaas.Config{StateDir: args[1]})
	if err != nil {
		fmt.Fprintln(os.Stderr, "launch-worker:", err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	in, err := d.Launch(ctx, iaas.LaunchSpec{Run: run, Owner: args[3], Service: args[4], Attempt: 1,
		ClientToken: iaas.ClientToken(run.String(), args[4], 1), Image: "worker"})
	if err != nil {
		fmt.Fprintln(os.Stderr, "launch-worker:", err)
		return 1
	}
	fmt.Println(in.ID)
	return 0
}

// cmdFakeOwned is "fakeowned DIR RUN OWNER STATE N": the fake cloud of the
// record directory DIR holds exactly N instances of run name RUN owned by
// OWNER in STATE (pending, running, terminating, terminated).
func cmdFakeOwned(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 5 {
		ts.Fatalf("usage: fakeowned DIR RUN OWNER STATE N")
	}
	want, err := strconv.Atoi(args[4])
	ts.Check(err)
	d, err := fake.New(fake.Options{Dir: filepath.Join(ts.MkAbs(args[0]), fake.Name)})
	ts.Check(err)
	is, err := d.FindByRun(context.Background(), iaas.RunID{Name: args[1]})
	ts.Check(err)
	got := 0
	for _, in := range is {
		if in.Owner == args[2] && in.State.String() == args[3] {
			got++
		}
	}
	if got != want {
		ts.Fatalf("%d instances of %s owned by %s are %s, want %d: %+v", got, args[1], args[2], args[3], want, is)
	}
}
