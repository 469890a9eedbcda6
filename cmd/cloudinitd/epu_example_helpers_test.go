package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/iaas/local"
)

// killInstanceServer kills the SSH server process of a local instance
// (its pid from the driver's meta.json), as a crashed machine.
func (r exampleRun) killInstanceServer(id string) {
	r.t.Helper()
	var meta struct {
		PID int `json:"pid"`
	}
	b, err := os.ReadFile(filepath.Join(r.db, local.Name, id, "meta.json"))
	if err != nil || json.Unmarshal(b, &meta) != nil || meta.PID <= 0 {
		r.t.Fatalf("meta.json of %s: %v %s", id, err, b)
	}
	if err := syscall.Kill(meta.PID, syscall.SIGKILL); err != nil {
		r.t.Fatal(err)
	}
}

// repairAfterHostKilled kills the host of service svc (whose daemon is
// role) and runs repair: the service gets a new host whose daemon is a new
// process on the same state directory.
func (r exampleRun) repairAfterHostKilled(svc, role string) {
	r.t.Helper()
	state := r.stateDir(svc)
	pid, _ := os.ReadFile(filepath.Join(state, role+".pid"))
	host := serviceInstance(r.t, r.db, svc)
	r.killInstanceServer(host)
	if code, _, stderr := r.cid("repair", "epu"); code != 0 {
		r.t.Fatalf("repair after %s's host was killed: exit %d:\n%s", svc, code, stderr)
	}
	if newHost := serviceInstance(r.t, r.db, svc); newHost == host {
		r.t.Fatalf("repair kept %s on its killed host %s", svc, host)
	}
	if r.stateDir(svc) != state {
		r.t.Fatalf("the %s's state directory moved from %s to %s", role, state, r.stateDir(svc))
	}
	if newPID, _ := os.ReadFile(filepath.Join(state, role+".pid")); string(newPID) == string(pid) {
		r.t.Fatalf("the %s daemon was not restarted (pid %s)", role, pid)
	}
}

// serviceInstance is the current instance of a service of run epu, from
// the local driver's records (the newest launch of that service).
func serviceInstance(t *testing.T, db, svc string) string {
	t.Helper()
	dirs, _ := filepath.Glob(filepath.Join(db, local.Name, "local-*", "meta.json"))
	var best string
	var bestAt time.Time
	for _, p := range dirs {
		var m struct {
			ID, Service, State string
			LaunchedAt         time.Time `json:"launched_at"`
		}
		b, err := os.ReadFile(p)
		if err != nil || json.Unmarshal(b, &m) != nil || m.Service != svc {
			continue
		}
		if best == "" || m.LaunchedAt.After(bestAt) {
			best, bestAt = m.ID, m.LaunchedAt
		}
	}
	if best == "" {
		t.Fatalf("no instance of service %s", svc)
	}
	return best
}

// logTails logs the end of the daemons' and the run's logs (a failed test
// says what the daemons did).
func (r exampleRun) logTails() {
	logs, _ := filepath.Glob(filepath.Join(r.db, ".epu", "*", "*", "*.log"))
	logs = append(logs, filepath.Join(r.db, "epu.log"))
	for _, p := range logs {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		if len(b) > 6000 {
			b = b[len(b)-6000:]
		}
		r.t.Logf("==> %s <==\n%s", p, b)
	}
}
