package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// Instance states as recorded in meta.json. Running is not recorded: it is
// observed (server alive and answering).
const (
	statePending     = "pending"
	stateTerminating = "terminating"
	stateTerminated  = "terminated"
	stateFailed      = "failed"
)

// meta is the record of one instance, <dir>/meta.json.
type meta struct {
	ID  string `json:"id"`
	Run string `json:"run"` // the run's name
	// Incarnation completes Run to the run's full id (iaas.RunID); ""
	// for instances launched before it was recorded.
	Incarnation string            `json:"incarnation,omitempty"`
	Service     string            `json:"service"`
	Owner       string            `json:"owner,omitempty"`      // LaunchSpec.Owner
	StartedBy   string            `json:"started_by,omitempty"` // LaunchSpec.StartedBy
	Tags        map[string]string `json:"tags,omitempty"`       // LaunchSpec.Tags
	Attempt     int               `json:"attempt"`
	Token       string            `json:"token"`
	Image       string            `json:"image,omitempty"`
	Allocation  string            `json:"allocation,omitempty"`
	Addr        string            `json:"addr"`
	Port        int               `json:"port"`
	User        string            `json:"user"`
	HostKey     string            `json:"host_key"`
	ClientKey   string            `json:"client_key_path"`
	PID         int               `json:"pid,omitempty"`
	PIDStart    uint64            `json:"pid_start,omitempty"`
	State       string            `json:"state"`
	Error       string            `json:"error,omitempty"`
	LaunchedAt  time.Time         `json:"launched_at"`
}

// Files of an instance directory.
const (
	metaFile     = "meta.json"
	hostKeyFile  = "host_key"
	authKeysFile = "authorized_keys"
	logFile      = "server.log"
	readyFile    = "ready"
	workDir      = "work"
)

func readMeta(dir string) (meta, error) {
	var m meta
	b, err := os.ReadFile(filepath.Join(dir, metaFile))
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("%s: %w", filepath.Join(dir, metaFile), err)
	}
	return m, nil
}

// writeMeta replaces meta.json atomically.
func writeMeta(dir string, m meta) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, metaFile), append(b, '\n'), 0o600)
}

func writeFileAtomic(path string, b []byte, mode os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, werr := f.Write(b)
	if err := errors.Join(werr, f.Chmod(mode), f.Close()); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// lock takes the state directory's exclusive lock (flock, so it also
// serialises other processes); call the returned function to release it.
// The callers of this process queue on a channel first, so that one hands
// the lock to the next at once; the flock is polled so that ctx can cancel
// the wait for another process.
func (d *Driver) lock(ctx context.Context) (func(), error) {
	select {
	case d.lockc <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("lock state dir: %w", ctx.Err())
	}
	f, err := os.OpenFile(filepath.Join(d.stateDir, ".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		<-d.lockc
		return nil, fmt.Errorf("lock state dir: %w", err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { f.Close(); <-d.lockc }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			<-d.lockc
			return nil, fmt.Errorf("lock state dir: %w", err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			<-d.lockc
			return nil, fmt.Errorf("lock state dir: %w", ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// updateMeta applies fn to the instance's record under the state lock.
func (d *Driver) updateMeta(ctx context.Context, dir string, fn func(*meta)) (meta, error) {
	unlock, err := d.lock(ctx)
	if err != nil {
		return meta{}, err
	}
	defer unlock()
	m, err := readMeta(dir)
	if err != nil {
		return m, err
	}
	fn(&m)
	return m, writeMeta(dir, m)
}
