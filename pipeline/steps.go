package pipeline

import "errors"

// Steps of the service pipelines, as named in errors and events.
const (
	StepLaunch       = "launch"
	StepRunning      = "running"
	StepHostname     = "hostname"
	StepConnect      = "connect"
	StepSSH          = "ssh"
	StepBootConf     = "bootconf"
	StepBootPgm      = "bootpgm"
	StepReadyPgm     = "readypgm"
	StepAlive        = "alive"
	StepTerminatePgm = "terminatepgm"
	StepStage        = "stage"
	StepTerminate    = "terminate"
	StepCheck        = "check"
)

// StepError is the failure of one step. A sink (StateSink) may return one
// to name the step its failure belongs to; any other error a sink returns
// belongs to the step that called it.
type StepError struct {
	Step string
	Err  error
}

func (e *StepError) Error() string { return e.Step + ": " + e.Err.Error() }

func (e *StepError) Unwrap() error { return e.Err }

// failed returns err as the failure of step, unless it already names its
// step; nil stays nil.
func failed(step string, err error) error {
	if err == nil {
		return nil
	}
	var se *StepError
	if errors.As(err, &se) {
		return err
	}
	return &StepError{Step: step, Err: err}
}

// StepOf splits an error of Run into its step and cause ("" and err for an
// error that names no step).
func StepOf(err error) (string, error) {
	var se *StepError
	if errors.As(err, &se) {
		return se.Step, se.Err
	}
	return "", err
}
