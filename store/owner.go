package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Owner is the process that owns a run while it lives: 'cloudinitd run'
// records itself before it launches anything and clears the owner when it
// hands the run over (--keep-on-failure). Host, PID and Start name one
// process: Start is the host's boot id and the process's start time, so
// that a pid reused by another process is not taken for the owner.
type Owner struct {
	Command string // what owns the run ("run"); "" for no owner
	Host    string
	PID     int
	Start   string // "<boot id>/<start time in clock ticks since boot>"
}

// IsZero reports whether the run has no owner.
func (o Owner) IsZero() bool { return o.Command == "" }

// String names the owner for messages: `run (pid 42 on ci-7)`.
func (o Owner) String() string {
	if o.IsZero() {
		return "nobody"
	}
	return fmt.Sprintf("%s (pid %d on %s)", o.Command, o.PID, o.Host)
}

// ThisProcess returns this process as the owner command.
func ThisProcess(command string) (Owner, error) {
	host, err := os.Hostname()
	if err != nil {
		return Owner{}, fmt.Errorf("owner: %w", err)
	}
	pid := os.Getpid()
	start, _, err := processStart(pid)
	if err != nil {
		return Owner{}, fmt.Errorf("owner: %w", err)
	}
	return Owner{Command: command, Host: host, PID: pid, Start: start}, nil
}

// OwnerState is what can be known of a run's owner from here.
type OwnerState int

const (
	OwnerNone    OwnerState = iota // the run has no owner
	OwnerAlive                     // the owner process is running on this host
	OwnerGone                      // the owner was on this host and is no more (or the host rebooted)
	OwnerUnknown                   // the owner is on another host: cannot tell
)

// State tells whether the owner process still lives. Only an owner on this
// host can be checked; its pid must be alive and started at Start.
func (o Owner) State() OwnerState {
	if o.IsZero() {
		return OwnerNone
	}
	host, _ := os.Hostname()
	if o.Host != host {
		return OwnerUnknown
	}
	if o.PID <= 0 {
		return OwnerGone
	}
	if err := unix.Kill(o.PID, 0); errors.Is(err, syscall.ESRCH) {
		return OwnerGone
	}
	start, dead, err := processStart(o.PID)
	if err != nil {
		// Alive to kill(0) but unreadable: it lives, it is not ours to judge.
		return OwnerAlive
	}
	if dead || start != o.Start {
		return OwnerGone // the pid was reused (or the host rebooted)
	}
	return OwnerAlive
}

// processStart is "<boot id>/<start ticks>" of pid, from /proc, and
// whether it is dead already (a zombie its parent has not reaped: a
// SIGKILLed owner looks alive to kill(0) until then).
func processStart(pid int) (start string, dead bool, err error) {
	boot, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return "", false, fmt.Errorf("boot id: %w", err)
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "", false, fmt.Errorf("process %d start time: %w", pid, err)
	}
	// The command name (field 2) is in parentheses and may hold spaces:
	// fields are counted after its closing parenthesis.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return "", false, fmt.Errorf("process %d start time: unreadable /proc stat", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	const startField = 22 - 3 // field 22 (starttime), counted from field 3 (state)
	if len(f) <= startField {
		return "", false, fmt.Errorf("process %d start time: unreadable /proc stat", pid)
	}
	dead = f[0] == "Z" || f[0] == "X"
	return strings.TrimSpace(string(boot)) + "/" + f[startField], dead, nil
}

// SetOwner records o as the run's owner (a zero o: no owner).
func (db *DB) SetOwner(ctx context.Context, o Owner) error {
	return db.write(ctx, "", "set owner", func(ctx context.Context, tx *txn, _ string) error {
		_, err := tx.ExecContext(ctx,
			`UPDATE run SET owner_command = ?, owner_host = ?, owner_pid = ?, owner_start = ? WHERE id = 1`,
			o.Command, o.Host, o.PID, o.Start)
		return err
	})
}
