package bootlevel

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/pipeline"
	"github.com/cloudinitd/cloudinitd/remote"
)

// Steps of the service pipelines, as named in errors and events (package
// pipeline's).
const (
	StepLaunch       = pipeline.StepLaunch
	StepRunning      = pipeline.StepRunning
	StepHostname     = pipeline.StepHostname
	StepConnect      = pipeline.StepConnect
	StepSSH          = pipeline.StepSSH
	StepBootConf     = pipeline.StepBootConf
	StepBootPgm      = pipeline.StepBootPgm
	StepReadyPgm     = pipeline.StepReadyPgm
	StepAlive        = pipeline.StepAlive
	StepTerminatePgm = pipeline.StepTerminatePgm
	StepStage        = pipeline.StepStage
	StepTerminate    = pipeline.StepTerminate
	StepCheck        = pipeline.StepCheck
)

// ServiceError is the failure of one step of one service. It reads like a
// path: `level 2: service "web": bootpgm: exit status 3`. The cause stays
// reachable with errors.Is/As (a *remote.ExitError carries the output tail).
type ServiceError struct {
	Level   int
	Service string
	Step    string
	Err     error
	// LogFile is the service's log file, "" when logs are not kept.
	LogFile string
}

func (e *ServiceError) Error() string {
	msg := e.Err.Error()
	if strings.HasPrefix(msg, e.Step+": ") { // a cloud error naming its op: "launch: launch: ..." once
		return fmt.Sprintf("level %d: service %q: %s", e.Level, e.Service, msg)
	}
	return fmt.Sprintf("level %d: service %q: %s: %s", e.Level, e.Service, e.Step, msg)
}

func (e *ServiceError) Unwrap() error { return e.Err }

// Tail returns the last output lines of the failed program, if the cause
// carries them.
func (e *ServiceError) Tail() []string {
	var ee *remote.ExitError
	if errors.As(e.Err, &ee) {
		return ee.Tail
	}
	return nil
}

// Hint says what the user can do about the failure, "" when nothing useful
// is known.
func (e *ServiceError) Hint() string {
	var ce *iaas.CloudError
	if errors.As(e.Err, &ce) && ce.Hint != "" {
		return ce.Hint
	}
	switch {
	case errors.Is(e.Err, iaas.ErrCapacity):
		return "the cloud has no room for this instance; try another allocation or region, or terminate unused instances"
	case errors.Is(e.Err, remote.ErrAuth):
		return "check localsshkeypath and ssh_username, or load the key into ssh-agent"
	case errors.Is(e.Err, remote.ErrHostKeyMismatch):
		return "the host presented another SSH host key than recorded; if the host was replaced, reboot the service"
	case errors.Is(e.Err, remote.ErrTimeout):
		return "raise pgm_timeout for this service if the step needs longer"
	case errors.Is(e.Err, ErrTerminated):
		return "boot the run again"
	case errors.Is(e.Err, ErrTerminatedAnyway):
		return "its instance is gone, so its terminate program cannot run again: terminating the run again skips this service"
	}
	if e.LogFile != "" {
		return "see " + e.LogFile
	}
	return ""
}

// ErrTerminated is wrapped when a command other than boot meets a service
// that has been terminated.
var ErrTerminated = errors.New("has been terminated")

// ErrTerminatedAnyway is wrapped in the failure of a service's host steps
// at terminate (terminatepgm, stage removal) when its instance was
// terminated all the same: nothing of the service is left to retry.
var ErrTerminatedAnyway = errors.New("terminated all the same")

// terminatedAnyway is a host-step failure after which the instance id was
// terminated.
type terminatedAnyway struct {
	err error
	id  string
}

func (e *terminatedAnyway) Error() string {
	return fmt.Sprintf("%v; instance %s was %v", e.err, e.id, ErrTerminatedAnyway)
}

func (e *terminatedAnyway) Unwrap() []error { return []error{e.err, ErrTerminatedAnyway} }

// ErrNotBooted is wrapped when status or repair meets a service that was
// never booted.
var ErrNotBooted = errors.New("has not been booted")

// ErrNoPlan is returned by Boot for a record that holds no plan: the boot
// that made it was stopped after the record was created and before the
// plan was written into it (Record writes the levels last), so nothing
// was launched for it.
var ErrNoPlan = errors.New("holds no plan: the boot that created it stopped before recording the plan, so nothing was launched")

func itoa(n int) string { return strconv.Itoa(n) }
