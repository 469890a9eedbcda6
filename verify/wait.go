package verify

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/cloudinitd/cloudinitd/remote"
)

// ErrNotRunning is wrapped while an instance has not reached running.
var ErrNotRunning = errors.New("instance not running yet")

// WaitRunning polls describe until it reports running. describe returns a
// Permanent error for a state from which running cannot be reached (failed,
// terminated, an unknown state), which ends the wait at once.
func WaitRunning(ctx context.Context, b Backoff, describe func(ctx context.Context) (running bool, err error)) error {
	err := Poll(ctx, b, func(ctx context.Context) error {
		running, err := describe(ctx)
		if err != nil {
			return err
		}
		if !running {
			return ErrNotRunning
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("wait for running: %w", err)
	}
	return nil
}

// WaitPort polls until a TCP connection to addr (host:port) succeeds. Set
// b.AttemptTimeout for the per-attempt connect timeout (the original: 10s).
func WaitPort(ctx context.Context, addr string, b Backoff) error {
	err := Poll(ctx, b, func(ctx context.Context) error {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return err
		}
		return c.Close()
	})
	if err != nil {
		return fmt.Errorf("wait for port %s: %w", addr, err)
	}
	return nil
}

// WaitSSH polls until `true` runs successfully through ex. Authentication
// failures and host key mismatches stop it at once.
func WaitSSH(ctx context.Context, ex remote.Executor, b Backoff) error {
	err := Poll(ctx, b, func(ctx context.Context) error {
		_, err := ex.Run(ctx, remote.Cmd{Argv: []string{"true"}})
		return err
	})
	if err != nil {
		return fmt.Errorf("wait for ssh on %s: %w", ex.Host(), err)
	}
	return nil
}

// ErrNotReady is wrapped when a ready program exits non-zero.
var ErrNotReady = errors.New("not ready")

// RunReady runs a ready program once (remote.RunProgram: upload, tarball
// convention, cwd = stage dir). Any non-zero exit means not ready: the error
// wraps ErrNotReady and the *remote.ExitError with the output tail.
func RunReady(ctx context.Context, ex remote.Executor, p remote.Program) (remote.Result, error) {
	res, err := remote.RunProgram(ctx, ex, p)
	var xe *remote.ExitError
	if errors.As(err, &xe) {
		return res, fmt.Errorf("%w: %w", ErrNotReady, err)
	}
	return res, err
}
