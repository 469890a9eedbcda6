package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	cl "github.com/cloudinitd/cloudinitd/cmd/internal/cli"
	"github.com/cloudinitd/cloudinitd/store"
)

// outcome is run's error, which decides its exit status (docs/ci.md):
// 128+N after stop signal N, 124 after --timeout, the boot's code if the
// boot failed, COMMAND's status if it did not exit 0, 1 if only the
// teardown failed. Every failure is in the message.
func (r *ciRun) outcome(ctx context.Context, bootErr error, res commandResult, tdErr error) error {
	var parts []error
	code := 0
	switch {
	case errors.Is(context.Cause(ctx), errRunTimeout):
		code = cl.ExitTimeout
		parts = append(parts, fmt.Errorf("run %s: --timeout %s reached", r.run, r.o.Timeout))
	case ctx.Err() != nil:
		s := res.stopped
		if s == nil {
			s = stopSignal(r.sigs)
		}
		code = cl.ExitSignalBase + signalNumber(s)
		parts = append(parts, fmt.Errorf("run %s: interrupted (%s)", r.run, signalName(s)))
	}
	if bootErr != nil && !errors.Is(bootErr, context.Canceled) && !(ctx.Err() != nil && errors.Is(bootErr, ctx.Err())) {
		parts = append(parts, explain(bootErr, r.run))
	}
	if res.err != nil {
		parts = append(parts, res.err)
		if code == 0 {
			code = res.code
		}
	}
	if tdErr != nil {
		parts = append(parts, fmt.Errorf("teardown: %w", tdErr))
	}
	err := errors.Join(parts...)
	switch {
	case err == nil:
		return nil
	case code != 0:
		return &cl.StatusError{Code: code, Err: err}
	}
	return err // the boot's code, else the teardown's
}

// signalNumber is the number of signal s (SIGTERM for a signal that is
// not a syscall.Signal).
func signalNumber(s os.Signal) int {
	if ss, ok := s.(syscall.Signal); ok {
		return int(ss)
	}
	return int(syscall.SIGTERM)
}

// openRunWait opens the run for writing, waiting up to wait for its lock.
func openRunWait(ctx context.Context, o options, env cl.Env, run string, wait time.Duration) (*store.DB, error) {
	deadline := time.Now().Add(wait)
	said := false
	for {
		db, err := openRun(ctx, o, run)
		if !errors.Is(err, store.ErrLocked) || time.Now().After(deadline) {
			return db, err
		}
		if !said {
			said = true
			notice(env, "%s: waiting for the lock of run %s: %v", progName, run, errors.Unwrap(err))
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
