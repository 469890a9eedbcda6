package store

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// MaxNameLen is the longest run name accepted.
const MaxNameLen = 64

const (
	filePrefix = "cloudinitd-"
	dbSuffix   = ".db"
	lockSuffix = ".lock"
)

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// ErrInvalidName is returned for a run name that cannot name a record file.
var ErrInvalidName = errors.New("invalid run name")

// ValidateName checks that run can name a record: it starts with a letter or
// digit, holds only letters, digits, '.', '_' and '-', and is at most
// MaxNameLen characters long.
func ValidateName(run string) error {
	switch {
	case run == "":
		return fmt.Errorf("%w: empty", ErrInvalidName)
	case len(run) > MaxNameLen:
		return fmt.Errorf("%w %q: longer than %d characters", ErrInvalidName, run, MaxNameLen)
	case !nameRE.MatchString(run):
		return fmt.Errorf("%w %q: must start with a letter or digit and hold only letters, digits, '.', '_' and '-'", ErrInvalidName, run)
	}
	return nil
}

// DefaultDir returns the default record directory, ~/.cloudinitd. It does not
// create it.
func DefaultDir() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("record directory: %w", err)
	}
	return filepath.Join(home, ".cloudinitd"), nil
}

// Path returns the record file of run in dir: <dir>/cloudinitd-<run>.db.
// It does not validate run.
func Path(dir, run string) string {
	return filepath.Join(dir, filePrefix+run+dbSuffix)
}

// LockPath returns the lock file of run in dir: <dir>/cloudinitd-<run>.lock.
func LockPath(dir, run string) string {
	return filepath.Join(dir, filePrefix+run+lockSuffix)
}

// List returns the names of the runs recorded in dir, sorted. A missing dir
// holds no runs. Files whose name is not a valid run name are skipped.
func List(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	var runs []string
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !strings.HasPrefix(n, filePrefix) || !strings.HasSuffix(n, dbSuffix) {
			continue
		}
		run := strings.TrimSuffix(strings.TrimPrefix(n, filePrefix), dbSuffix)
		if ValidateName(run) == nil {
			runs = append(runs, run)
		}
	}
	sort.Strings(runs)
	return runs, nil
}

// randomHex returns 2n random hex digits.
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}
