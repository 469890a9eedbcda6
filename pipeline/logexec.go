package pipeline

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"time"

	"github.com/cloudinitd/cloudinitd/remote"
)

// loggedExecutor writes to the service log what a step does on the host:
// each command with its working directory before it runs, then its exit
// status (or error) and duration, each upload and fetch. Program output
// goes to the log through the program's streams (Log.Stream).
type loggedExecutor struct {
	remote.Executor
	log  Log
	now  func() time.Time
	step string
}

// LoggedExecutor wraps ex so that step's commands are logged to log, with
// their durations by now (time.Now when nil); a nil or quiet log
// (QuietLog) logs nothing, and ex is returned as it is.
func LoggedExecutor(ex remote.Executor, log Log, step string, now func() time.Time) remote.Executor {
	if !logsLines(log) {
		return ex
	}
	if now == nil {
		now = time.Now
	}
	return &loggedExecutor{Executor: ex, log: log, now: now, step: step}
}

func (x *loggedExecutor) Prepare(ctx context.Context, stageDir string) error {
	err := x.Executor.Prepare(ctx, stageDir)
	x.log.Printf("%s: prepare %s on %s: %s", x.step, stageDir, x.Host(), outcome(err))
	return err
}

func (x *loggedExecutor) Upload(ctx context.Context, dst string, data io.Reader, mode fs.FileMode) error {
	err := x.Executor.Upload(ctx, dst, data, mode)
	x.log.Printf("%s: upload %s (mode %04o): %s", x.step, dst, mode.Perm(), outcome(err))
	return err
}

func (x *loggedExecutor) Run(ctx context.Context, cmd remote.Cmd) (remote.Result, error) {
	where := x.Host()
	if cmd.Dir != "" {
		where += " in " + cmd.Dir
	}
	x.log.Printf("%s: $ %s (on %s)", x.step, remote.QuoteArgv(cmd.Argv), where)
	start := x.now()
	res, err := x.Executor.Run(ctx, cmd)
	took := x.now().Sub(start).Seconds()
	var xe *remote.ExitError
	switch {
	case err == nil:
		x.log.Printf("%s: exit status 0 (%.1fs)", x.step, took)
	case errors.As(err, &xe):
		x.log.Printf("%s: exit status %d (%.1fs)", x.step, res.ExitStatus, took)
	default:
		x.log.Printf("%s: failed after %.1fs: %v", x.step, took, err)
	}
	return res, err
}

func (x *loggedExecutor) Fetch(ctx context.Context, p string) ([]byte, error) {
	b, err := x.Executor.Fetch(ctx, p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		x.log.Printf("%s: fetch %s: none", x.step, p)
	case err != nil:
		x.log.Printf("%s: fetch %s: %v", x.step, p, err)
	default:
		x.log.Printf("%s: fetch %s: %d bytes", x.step, p, len(b))
	}
	return b, err
}

func outcome(err error) string {
	if err != nil {
		return err.Error()
	}
	return "ok"
}

var _ remote.Executor = (*loggedExecutor)(nil)

// LogCheck writes the outcome of a ready check that began at start to
// log (nothing for a nil or quiet log).
func LogCheck(log Log, now time.Time, what string, start time.Time, err error) {
	if !logsLines(log) {
		return
	}
	if err != nil {
		log.Printf("%s: failed after %.1fs: %v", what, now.Sub(start).Seconds(), err)
		return
	}
	log.Printf("%s: ok (%.1fs)", what, now.Sub(start).Seconds())
}
