package main

import (
	"context"
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/local"
)

// reapLocal terminates every local-driver instance under a script's work
// directory, whatever state the script left it in: a script that fails
// half-way (before its terminate) must not leave instance servers and their
// programs running on the machine. Terminating an instance that is already
// terminated is no error, so passing scripts are unaffected; a script that
// checks for leaks does so itself (noprocs) before this runs.
func reapLocal(work string) {
	states := map[string][]iaas.Ref{}
	_ = filepath.WalkDir(work, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // unreadable: nothing of ours to find there
		}
		if d.IsDir() && strings.Count(strings.TrimPrefix(p, work), string(filepath.Separator)) > 6 {
			return filepath.SkipDir
		}
		if d.IsDir() && strings.HasPrefix(d.Name(), "local-") && filepath.Base(filepath.Dir(p)) == local.Name {
			states[filepath.Dir(p)] = append(states[filepath.Dir(p)], iaas.Ref{ID: d.Name()})
			return filepath.SkipDir
		}
		return nil
	})
	for dir, refs := range states {
		d, err := local.New(local.Config{StateDir: dir})
		if err != nil {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_ = d.Terminate(ctx, refs...) // best effort: the script's own checks have run
		cancel()
	}
}
