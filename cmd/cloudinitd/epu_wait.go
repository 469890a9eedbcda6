package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	cl "github.com/cloudinitd/cloudinitd/cmd/internal/cli"
	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/api"
	"github.com/cloudinitd/cloudinitd/epu/controller"
)

// terminate-all --wait as the original's epu-killer (reference §1.10):
// poll every second until the provisioner answers done, tolerating up to
// five transient errors, for at most 300 s unless --timeout says otherwise.
const (
	terminateAllTimeout = 300 * time.Second
	terminateAllErrors  = 5
)

// pollTerminateAll calls terminate_all once and, with t.wait, again every
// t.poll until the answer is done. A transient error (transport, 429, 5xx:
// api.Retryable) is tolerated terminateAllErrors times; any other fails at
// once. Past t.timeout it fails with the last answer (exit 1), so a
// terminatepgm that runs it fails and says workers may remain.
func pollTerminateAll(ctx context.Context, t ctlTarget, call func(context.Context) (epu.TerminateAllResult, error)) (any, error) {
	deadline := time.Now().Add(t.timeout)
	var last *epu.TerminateAllResult
	errs := 0
	for {
		res, err := call(ctx)
		switch {
		case err == nil:
			last = &res
			if res.Done || !t.wait {
				return res, nil
			}
		case !t.wait || !api.Retryable(err) || ctx.Err() != nil:
			return nil, err
		default:
			errs++
			if errs > terminateAllErrors {
				return nil, fmt.Errorf("terminate_all: %d errors while waiting, the last: %w", errs, err)
			}
			fmt.Fprintf(t.env.Streams.Err, "epu: warning: terminate_all: %v (error %d of %d tolerated; trying again)\n", err, errs, terminateAllErrors)
		}
		if time.Now().Add(t.poll).After(deadline) {
			err := fmt.Errorf("terminate_all not done after %s", t.timeout)
			if last != nil {
				err = fmt.Errorf("terminate_all not done after %s: %d nodes may still have an instance", t.timeout, last.Remaining)
			}
			return last, cl.WithHint(err, "the provisioner goes on terminating: run it again, or check the workers on the cloud")
		}
		timer := time.NewTimer(t.poll)
		select {
		case <-ctx.Done():
			timer.Stop()
			return last, ctx.Err()
		case <-timer.C:
		}
	}
}

// notStable gives wait-stable's verdict its exit status: 123
// (controller.UnstableExitCode, as the original's epu-state-wait, which
// fails the level) when the domain will not become stable.
func notStable(err error) error {
	if errors.Is(err, controller.ErrUnstable) {
		return &cl.StatusError{Code: controller.UnstableExitCode, Err: err}
	}
	return err
}
