package remote

import (
	"context"
	"fmt"
	"path"
)

// WorkDirEnv names the local environment variable that overrides the
// default working directory on every host.
const WorkDirEnv = "REMOTE_WORKING_DIR_ENV"

// DefaultWorkDir is the working directory used when neither the instance nor
// the environment names one.
const DefaultWorkDir = "/tmp/nimbusready"

// WorkDir picks the working directory for a host: instanceDir when set (a
// driver-provided directory), else the value of WorkDirEnv read through
// getenv (the local side's environment), else DefaultWorkDir. getenv may be
// nil.
func WorkDir(instanceDir string, getenv func(string) string) string {
	if instanceDir != "" {
		return instanceDir
	}
	if getenv != nil {
		if d := getenv(WorkDirEnv); d != "" {
			return d
		}
	}
	return DefaultWorkDir
}

// StageDir is the per-service directory <workDir>/<service>, so several
// services on one host do not collide.
func StageDir(workDir, service string) string {
	return path.Join(workDir, service)
}

// RemoveStage deletes stageDir and everything below it on the executor's
// host (rm -rf; a missing directory is fine).
func RemoveStage(ctx context.Context, ex Executor, stageDir string) error {
	if stageDir == "" || stageDir == "/" {
		return fmt.Errorf("remove stage dir: refusing to remove %q", stageDir)
	}
	if _, err := ex.Run(ctx, Cmd{Argv: []string{"rm", "-rf", "--", stageDir}}); err != nil {
		return fmt.Errorf("remove stage dir %s: %w", stageDir, err)
	}
	return nil
}
