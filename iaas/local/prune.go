package local

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/cloudinitd/cloudinitd/iaas"
)

// Pruned is one thing Prune removed (or, in a dry run, would remove).
type Pruned struct {
	Path string
	Run  iaas.RunID
	What string // "instance local-1a2b3c4d of service web", "run key"
}

// Prune removes, under the state lock, what the state directory keeps of
// terminated instances whose run keep does not claim: each instance
// directory, its client-token entry, and the run's client key once no
// instance left uses it. An instance is removed only when its record says
// terminated (or failed) and neither its server nor any process carrying
// its marker is alive: a live instance, and one being terminated, stays.
// With dryRun nothing is removed; what would be is returned all the same.
func (d *Driver) Prune(ctx context.Context, keep func(iaas.RunID) bool, dryRun bool) ([]Pruned, error) {
	unlock, err := d.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	entries, err := os.ReadDir(d.stateDir)
	if err != nil {
		return nil, fmt.Errorf("prune %s: %w", d.stateDir, err)
	}
	var out []Pruned
	var errs []error
	keyUsers := map[string]int{} // key directory -> instances left using it
	var gone []meta
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), idPrefix) {
			continue
		}
		dir := filepath.Join(d.stateDir, e.Name())
		m, err := readMeta(dir)
		if err != nil || m.ID != e.Name() {
			continue // being written, or not an instance: not ours to judge
		}
		run := iaas.RunID{Name: m.Run, Incarnation: m.Incarnation}
		if keep(run) || !d.finished(m) {
			keyUsers[filepath.Dir(m.ClientKey)]++
			continue
		}
		gone = append(gone, m)
		out = append(out, Pruned{Path: dir, Run: run, What: fmt.Sprintf("instance %s of service %s", m.ID, m.Service)})
		if dryRun {
			continue
		}
		if err := os.RemoveAll(dir); err != nil {
			errs = append(errs, err)
			continue
		}
		if m.Token != "" {
			sum := sha256.Sum256([]byte(m.Token))
			if err := os.Remove(filepath.Join(d.stateDir, "tokens", hex.EncodeToString(sum[:]))); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	seen := map[string]bool{}
	for _, m := range gone {
		kd := filepath.Dir(m.ClientKey)
		if m.ClientKey == "" || seen[kd] || keyUsers[kd] > 0 || filepath.Dir(kd) != filepath.Join(d.stateDir, "keys") {
			continue
		}
		seen[kd] = true
		if _, err := os.Stat(kd); err != nil {
			continue
		}
		out = append(out, Pruned{Path: kd, Run: iaas.RunID{Name: m.Run, Incarnation: m.Incarnation}, What: "run key"})
		if !dryRun {
			if err := os.RemoveAll(kd); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return out, errors.Join(errs...)
}

// finished reports whether the instance of m is over for good: recorded
// terminated or failed, its server gone and no process left with its
// marker.
func (d *Driver) finished(m meta) bool {
	if m.State != stateTerminated && m.State != stateFailed {
		return false
	}
	if processAlive(m.PID, m.PIDStart) {
		return false
	}
	procs, err := markedProcesses(m.ID)
	return err == nil && len(procs) == 0
}
