package controller

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cloudinitd/cloudinitd/epu"
)

// UnstableExitCode is the exit status of `epu ctl wait-stable` (the
// original's epu-state-wait) when the domain will not become stable.
const UnstableExitCode = 123

// ErrUnstable is the class of WaitStable's verdicts that end the wait
// with UnstableExitCode: the engine says DEVMODE_FAILED_DE or UNKNOWN, or
// the controller did not answer QueryFailures times in a row.
var ErrUnstable = errors.New("domain will not become stable")

// WaitOptions tune WaitStable.
type WaitOptions struct {
	// Command is the cloudinitd command running the ready program
	// (CLOUDINITD_COMMAND); only "boot" waits, anything else answers at
	// once, so that status and repair do not wait for a pool.
	Command string
	// Interval between queries; default 5s.
	Interval time.Duration
	// QueryFailures in a row that end the wait; default 3.
	QueryFailures int
	// Progress, when set, is told each answer.
	Progress func(epu.DEState)
}

// WaitStable polls the domain's de_state until it is STABLE_DE (nil), the
// engine says DEVMODE_FAILED_DE or UNKNOWN, or queries fail three times in
// a row (an error wrapping ErrUnstable), or ctx ends (ctx's error).
func WaitStable(ctx context.Context, c *Client, domain string, opts WaitOptions) error {
	if opts.Command != "boot" {
		return nil
	}
	if opts.Interval <= 0 {
		opts.Interval = 5 * time.Second
	}
	if opts.QueryFailures <= 0 {
		opts.QueryFailures = 3
	}
	failures := 0
	for {
		a, err := c.DEState(ctx, domain)
		switch {
		case ctx.Err() != nil:
			return fmt.Errorf("wait for domain %q to be stable: %w", domain, ctx.Err())
		case err != nil:
			failures++
			if failures >= opts.QueryFailures {
				return fmt.Errorf("domain %q: %d queries in a row failed, the last: %w: %w", domain, failures, err, ErrUnstable)
			}
		default:
			failures = 0
			if opts.Progress != nil {
				opts.Progress(a.DEState)
			}
			switch a.DEState {
			case epu.DEStable:
				return nil
			case epu.DEDevmodeFailed, epu.DEUnknown:
				return fmt.Errorf("domain %q: engine state %s: %w", domain, a.DEState, ErrUnstable)
			}
		}
		t := time.NewTimer(opts.Interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("wait for domain %q to be stable: %w", domain, ctx.Err())
		case <-t.C:
		}
	}
}
