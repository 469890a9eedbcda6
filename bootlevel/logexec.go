package bootlevel

import (
	"time"

	"github.com/cloudinitd/cloudinitd/pipeline"
	"github.com/cloudinitd/cloudinitd/remote"
)

// executor wraps ex so that step's commands are logged
// (pipeline.LoggedExecutor).
func (l *serviceLog) executor(ex remote.Executor, step string) remote.Executor {
	return pipeline.LoggedExecutor(ex, l, step, l.e.now)
}

// logCheck writes the outcome of a ready check to the service log.
func (l *serviceLog) logCheck(what string, start time.Time, err error) {
	pipeline.LogCheck(l, l.e.now(), what, start, err)
}
