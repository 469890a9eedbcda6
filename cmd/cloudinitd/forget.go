package main

import (
	"context"
	"fmt"
	"strings"

	cl "github.com/cloudinitd/cloudinitd/cmd/internal/cli"
	"github.com/cloudinitd/cloudinitd/store"
)

// forgetRun is terminate --forget after a failed terminate: the record is
// deleted all the same, for a run whose cloud is gone for good. What the
// record knew and can no longer tell is said first, on stderr (and in the
// -O transcript) even with -q: the terminate error, and every instance the
// run launched that was not seen terminated, with its service and driver,
// and every launch whose instance id was never learned.
func forgetRun(ctx context.Context, o options, env cl.Env, db *store.DB, termErr error) error {
	run := db.Name()
	hs, herr := db.InstanceHistory(ctx)
	if herr != nil {
		return fmt.Errorf("--forget: read the instances of run %s before deleting its record (kept): %w", run, herr)
	}
	first, _, _ := strings.Cut(termErr.Error(), "\n")
	warn(env, "terminating %s failed (%s); --forget deletes its record all the same", run, first)
	left := leftInstances(hs)
	for _, l := range left {
		warn(env, "%s", l)
	}
	if len(left) == 0 {
		warn(env, "the record holds no instance that may still run")
	}
	file := db.File()
	if err := db.Delete(); err != nil {
		return err
	}
	progress(o, env, "Forgot run %s: deleted its record %s; %d instance(s) may be left, unrecorded", run, file, len(left))
	return nil
}

// leftInstances describes each history row whose instance may still run:
// launched and never seen terminated, or a launch whose id never came back.
func leftInstances(hs []store.HistoryRow) []string {
	var out []string
	for _, h := range hs {
		switch {
		case h.State == store.HistoryTerminated || h.State == store.HistoryFailed:
		case h.InstanceID != "":
			out = append(out, fmt.Sprintf("instance %s of service %q (driver %s, client token %s) may still run; it is no longer recorded",
				h.InstanceID, h.Service, h.Driver, h.ClientToken))
		case h.State == store.HistoryIntent:
			out = append(out, fmt.Sprintf("a launch of service %q (driver %s, client token %s) whose instance id never came back may have started an instance",
				h.Service, h.Driver, h.ClientToken))
		}
	}
	return out
}
