package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// The programs every contender uploads and runs on every host. The boot
// program leaves a marker in its working directory and the ready program
// succeeds only where that marker is, so a run that skipped a step or ran
// it in the wrong place fails verification.
const (
	bootName    = "boot.sh"
	readyName   = "ready.sh"
	markerName  = "booted"
	bootProgram = `#!/bin/sh
# bench boot program: records that it ran, in its working directory.
echo "booted $(date +%s.%N)" > ` + markerName + `
echo boot done
`
	readyProgram = `#!/bin/sh
# bench ready program: ready once the boot program has run here.
test -s ` + markerName + `
`
)

// Programs are the two programs written to a local directory.
type Programs struct {
	Boot, Ready string // paths
}

// writePrograms writes the boot and ready programs under dir, mode 0755.
func writePrograms(dir string) (Programs, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Programs{}, fmt.Errorf("programs: %w", err)
	}
	p := Programs{Boot: filepath.Join(dir, bootName), Ready: filepath.Join(dir, readyName)}
	for path, text := range map[string]string{p.Boot: bootProgram, p.Ready: readyProgram} {
		if err := os.WriteFile(path, []byte(text), 0o755); err != nil {
			return Programs{}, fmt.Errorf("programs: %w", err)
		}
	}
	return p, nil
}

// checkMarkers fails unless every directory in dirs holds a boot marker,
// and names the first few that do not.
func checkMarkers(dirs []string) error {
	var missing []string
	for _, d := range dirs {
		if st, err := os.Stat(filepath.Join(d, markerName)); err != nil || st.Size() == 0 {
			missing = append(missing, d)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	shown := missing
	if len(shown) > 3 {
		shown = shown[:3]
	}
	return fmt.Errorf("%d of %d hosts have no boot marker (%v...)", len(missing), len(dirs), shown)
}

// removeAll removes every path, joining the errors.
func removeAll(paths []string) error {
	var errs []error
	for _, p := range paths {
		if err := os.RemoveAll(p); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
