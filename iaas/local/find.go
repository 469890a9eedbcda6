package local

import (
	"cmp"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/cloudinitd/cloudinitd/iaas"
)

// FindByRun returns every instance of the state directory launched under
// run.Name (iaas.RunFinder), of every incarnation and terminated ones
// included, each described as Describe would (state checked against its
// server) and carrying its Run, Service, ClientToken and Owner, oldest
// launch first. It reads the records, so it finds instances whose ids the
// caller never recorded. An empty name finds nothing; the call fails only
// when ctx ends.
func (d *Driver) FindByRun(ctx context.Context, run iaas.RunID) ([]iaas.Instance, error) {
	if err := ctx.Err(); err != nil {
		return nil, classify("find run", iaas.ErrTransient, err)
	}
	if run.Name == "" {
		return nil, nil
	}
	return d.findMeta(ctx, "find run", func(m meta) bool { return m.Run == run.Name })
}

var _ iaas.StartedByFinder = (*Driver)(nil)

// FindStartedBy (iaas.StartedByFinder) returns every instance of the state
// directory launched with LaunchSpec.StartedBy == by, as FindByRun gives
// them. An empty by finds nothing.
func (d *Driver) FindStartedBy(ctx context.Context, by string) ([]iaas.Instance, error) {
	if err := ctx.Err(); err != nil {
		return nil, classify("find started by", iaas.ErrTransient, err)
	}
	if by == "" {
		return nil, nil
	}
	return d.findMeta(ctx, "find started by", func(m meta) bool { return m.StartedBy == by })
}

// findMeta describes the instances of the state directory whose record
// keep accepts, oldest launch first.
func (d *Driver) findMeta(ctx context.Context, op string, keep func(meta) bool) ([]iaas.Instance, error) {
	entries, err := os.ReadDir(d.stateDir)
	if err != nil && !os.IsNotExist(err) {
		return nil, classify(op, iaas.ErrTransient, err)
	}
	var ms []meta
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), idPrefix) {
			continue
		}
		m, err := readMeta(filepath.Join(d.stateDir, e.Name()))
		if err != nil || !keep(m) || m.ID != e.Name() {
			continue // being written, or not one asked for
		}
		ms = append(ms, m)
	}
	slices.SortFunc(ms, func(a, b meta) int {
		return cmp.Or(a.LaunchedAt.Compare(b.LaunchedAt), cmp.Compare(a.ID, b.ID))
	})
	out := make([]iaas.Instance, 0, len(ms))
	for _, m := range ms {
		if err := ctx.Err(); err != nil {
			return nil, classify(op, iaas.ErrTransient, err)
		}
		out = append(out, d.describeOne(ctx, iaas.Ref{ID: m.ID, Handle: handleOf(filepath.Join(d.stateDir, m.ID))}))
	}
	return out, nil
}

// ProvidesSSHKey reports that this driver makes the SSH client key of its
// instances (Instance.SSH.PrivateKeyPath) and accepts any login name, so a
// plan needs neither localsshkeypath nor ssh-agent for its services.
func (d *Driver) ProvidesSSHKey() bool { return true }
