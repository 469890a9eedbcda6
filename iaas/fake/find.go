package fake

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/cloudinitd/cloudinitd/iaas"
)

// FindByRun returns every instance of the fake cloud launched under
// run.Name (iaas.RunFinder), of every incarnation and terminated ones
// included, each with its Run, Service, ClientToken and Owner, oldest
// launch first (ties by id). It reads every record, so it finds instances
// whose ids the caller never recorded. An empty name finds nothing.
func (d *Driver) FindByRun(ctx context.Context, run iaas.RunID) ([]iaas.Instance, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("find run: %w", err)
	}
	if run.Name == "" {
		return nil, nil
	}
	return d.find("find run", func(r record) bool { return r.Run == run.Name })
}

var _ iaas.StartedByFinder = (*Driver)(nil)

// FindStartedBy returns every instance of the fake cloud launched with
// LaunchSpec.StartedBy == by (iaas.StartedByFinder), as FindByRun gives
// them. An empty by finds nothing.
func (d *Driver) FindStartedBy(ctx context.Context, by string) ([]iaas.Instance, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("find started by: %w", err)
	}
	if by == "" {
		return nil, nil
	}
	return d.find("find started by", func(r record) bool { return r.StartedBy == by })
}

// find returns the instances whose record keep accepts, oldest launch
// first (ties by id).
func (d *Driver) find(op string, keep func(record) bool) ([]iaas.Instance, error) {
	all, err := d.st.all()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	var rs []record
	for _, r := range all {
		if keep(r) {
			rs = append(rs, r)
		}
	}
	slices.SortFunc(rs, func(a, b record) int {
		return cmp.Or(a.LaunchedAt.Compare(b.LaunchedAt), cmp.Compare(a.ID, b.ID))
	})
	now := d.clock.Now()
	out := make([]iaas.Instance, len(rs))
	for i := range rs {
		out[i] = rs[i].instance(now)
	}
	return out, nil
}
