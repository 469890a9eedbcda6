package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// madeDirs are the directories a new run's record needed and this process
// made (the record directory and any missing parents, outermost first):
// ~/.cloudinitd on first use. A boot that leaves no record (its plan does
// not load, -x fails, a dry run) removes them again, each only if it is
// empty, so that it leaves nothing it created.
type madeDirs []string

// makeRecordDir makes dir and its missing parents with mode 0700, as
// store.Create would, one level at a time so that it knows which ones it
// made: a level another process makes meanwhile is not counted. On an error
// the levels made so far are returned with it.
func makeRecordDir(dir string) (madeDirs, error) {
	var missing []string
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		_, err := os.Lstat(d)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	var made madeDirs
	for i := len(missing) - 1; i >= 0; i-- {
		err := os.Mkdir(missing[i], 0o700)
		if errors.Is(err, fs.ErrExist) {
			continue // made by another process: not ours to remove
		}
		if err != nil {
			return made, err
		}
		made = append(made, missing[i])
	}
	return made, nil
}

// removeEmpty removes the directories made, innermost first, while they
// are empty: one that holds something now (a log, another run's record)
// stays, and so do its parents. A directory already gone is no error.
func (m madeDirs) removeEmpty() error {
	for i := len(m) - 1; i >= 0; i-- {
		err := os.Remove(m[i])
		switch {
		case err == nil, errors.Is(err, fs.ErrNotExist):
		case errors.Is(err, syscall.ENOTEMPTY), errors.Is(err, syscall.EEXIST):
			return nil
		default:
			return fmt.Errorf("remove the record directory made for the run: %w", err)
		}
	}
	return nil
}
