package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// ErrLocked is returned when another process (or another handle in this
// process) holds the lock of a run.
var ErrLocked = errors.New("run is locked")

// LockInfo is what a lock file holds, for the error shown to the user who
// finds the run locked.
type LockInfo struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	Started time.Time `json:"started"`
	Command string    `json:"command"`
}

// lock is a held run lock: an open lock file with an exclusive flock.
type lock struct {
	path string
	f    *os.File
}

// acquireLock takes the lock of a run without waiting. The flock(2) on the
// lock file is what excludes: the kernel drops it when the holder dies, so a
// lock file left by a dead process (a stale lock) is simply taken over. The
// pid, host, start time and command written into the file only serve the
// error message. When the file system does not support flock, an existing
// file is honoured unless it names a dead process on this host.
func acquireLock(path, command string) (*lock, error) {
	for range 10 {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		switch {
		case errors.Is(err, unix.EWOULDBLOCK):
			info, rerr := readLockInfo(f)
			f.Close()
			return nil, lockedError(path, info, rerr)
		case errors.Is(err, unix.ENOLCK) || errors.Is(err, unix.EOPNOTSUPP):
			f.Close()
			return acquireLockNoFlock(path, command)
		case err != nil:
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		// The previous holder may have removed the file between our open
		// and our flock: then we hold a lock on an unlinked inode. Retry.
		if !samePath(f, path) {
			f.Close()
			continue
		}
		if err := writeLockInfo(f, command); err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		return &lock{path: path, f: f}, nil
	}
	return nil, fmt.Errorf("lock %s: lock file keeps changing", path)
}

// acquireLockNoFlock is the fallback for file systems without flock: the
// lock file is created with O_EXCL and a leftover is removed only when it
// names a process on this host that no longer exists.
func acquireLockNoFlock(path, command string) (*lock, error) {
	for range 2 {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			if err := writeLockInfo(f, command); err != nil {
				f.Close()
				os.Remove(path)
				return nil, fmt.Errorf("lock %s: %w", path, err)
			}
			return &lock{path: path, f: f}, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		old, oerr := os.Open(path)
		if oerr != nil {
			continue
		}
		info, rerr := readLockInfo(old)
		old.Close()
		if rerr != nil || !info.stale() {
			return nil, lockedError(path, info, rerr)
		}
		os.Remove(path)
	}
	return nil, fmt.Errorf("lock %s: could not recover the stale lock", path)
}

// release removes the lock file, then drops the flock. Removing first means
// a waiter never takes over a file that is about to disappear unnoticed: it
// checks samePath after its flock succeeds.
func (l *lock) release() error {
	if l == nil || l.f == nil {
		return nil
	}
	rerr := os.Remove(l.path)
	if errors.Is(rerr, os.ErrNotExist) {
		rerr = nil
	}
	cerr := l.f.Close() // closing drops the flock
	l.f = nil
	if err := errors.Join(rerr, cerr); err != nil {
		return fmt.Errorf("unlock %s: %w", l.path, err)
	}
	return nil
}

func samePath(f *os.File, path string) bool {
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	pi, err := os.Stat(path)
	if err != nil {
		return false
	}
	return os.SameFile(fi, pi)
}

func writeLockInfo(f *os.File, command string) error {
	host, _ := os.Hostname()
	b, err := json.Marshal(LockInfo{PID: os.Getpid(), Host: host, Started: time.Now().UTC(), Command: command})
	if err != nil {
		return err
	}
	if err := f.Truncate(0); err != nil {
		return err
	}
	if _, err := f.WriteAt(append(b, '\n'), 0); err != nil {
		return err
	}
	return f.Sync()
}

func readLockInfo(f *os.File) (LockInfo, error) {
	var info LockInfo
	b, err := io.ReadAll(io.NewSectionReader(f, 0, 1<<16))
	if err != nil {
		return info, err
	}
	if err := json.Unmarshal(b, &info); err != nil {
		return info, fmt.Errorf("unreadable lock file: %w", err)
	}
	return info, nil
}

// LockHolder reports whether a process holds the lock of run in dir, and
// what its lock file says of it. It only reads (taking even a shared lock
// could make a command starting meanwhile find the run locked): the lock
// file exists while held, as release removes it, and one left by a process
// of this host that is gone is not held.
func LockHolder(dir, run string) (LockInfo, bool) {
	f, err := os.Open(LockPath(dir, run))
	if err != nil {
		return LockInfo{}, false
	}
	defer f.Close()
	info, err := readLockInfo(f)
	if err != nil {
		return info, true // being written, or not ours to judge: held
	}
	return info, !info.stale()
}

// stale reports whether info names a process on this host that is gone.
func (info LockInfo) stale() bool {
	host, _ := os.Hostname()
	if info.PID <= 0 || info.Host != host {
		return false
	}
	err := unix.Kill(info.PID, 0)
	return errors.Is(err, syscall.ESRCH)
}

func lockedError(path string, info LockInfo, rerr error) error {
	if rerr != nil || info.PID == 0 {
		return fmt.Errorf("%w: %s is held by another process", ErrLocked, path)
	}
	return fmt.Errorf("%w: held by pid %d on %s since %s (%s); lock file %s",
		ErrLocked, info.PID, info.Host, info.Started.Local().Format(time.RFC3339), info.Command, path)
}

// lockCommand describes this process for the lock file: the program name and
// its first argument that is not an option (the subcommand). The full command
// line is not recorded, so -g values cannot leak into the file.
func lockCommand() string {
	if len(os.Args) == 0 {
		return "unknown"
	}
	parts := []string{filepath.Base(os.Args[0])}
	for _, a := range os.Args[1:] {
		if !strings.HasPrefix(a, "-") && !strings.Contains(a, "=") {
			parts = append(parts, a)
			break
		}
	}
	return strings.Join(parts, " ")
}

// LockHeld reports whether a process holds the lock of run in dir, and
// what its lock file says, without taking the lock (a probe that took it,
// even shared, could make the holder-to-be fail): the lock file exists
// and does not name a process of this host that is gone. A reader that
// follows a boot stops when it is no longer held.
func LockHeld(dir, run string) (LockInfo, bool) {
	f, err := os.Open(LockPath(dir, run))
	if err != nil {
		return LockInfo{}, false
	}
	defer f.Close()
	info, err := readLockInfo(f)
	if err != nil {
		return info, true // being written, or not ours to read: held
	}
	return info, !info.stale()
}
