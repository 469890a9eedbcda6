package mgmt

import (
	"context"
	"fmt"
	"strconv"
	"text/tabwriter"

	"github.com/cloudinitd/cloudinitd/epu/engine"
)

// Autoscale shows a domain's node arrays (autoscale engine), after setting
// one array's target when a count is given: what 'epu node autoscale' asks
// from a worker, from the workstation.
func (m *Manager) Autoscale(ctx context.Context, o Options) error {
	s, err := m.open(ctx, o.Run, false)
	if err != nil {
		return err
	}
	defer s.close()
	t, err := resolveDomain(ctx, s.ch, s.sys.ByRole(RoleController), o.Controller)
	if err != nil {
		return err
	}
	args := []string{"autoscale", t.domain}
	switch {
	case o.InstanceCount != nil:
		args = append(args, "instancecount="+strconv.Itoa(*o.InstanceCount))
	case o.CoreCount != nil:
		args = append(args, "corecount="+strconv.Itoa(*o.CoreCount))
	}
	if o.Array != "" {
		args = append(args, "name="+o.Array)
	}
	var st engine.AutoscaleStatus
	if err := ctl(ctx, s.ch, t.svc, &st, args...); err != nil {
		return err
	}
	if len(args) > 2 {
		m.say("Autoscale request sent to %s/%s", t.svc.Name, t.domain)
	}
	if o.JSON {
		return writeJSON(m.Out, st)
	}
	tw := tabwriter.NewWriter(m.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ARRAY\tMACHINE\tCORES/NODE\tTARGET")
	for _, a := range st.Arrays {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\n", a.Name, dash(a.MachineType), a.Cores, a.Target)
	}
	return tw.Flush()
}
