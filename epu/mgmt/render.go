package mgmt

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// renderReport writes the report for people: the base system, each
// provisioner, each controller's domains with their workers, and the
// daemons that could not be asked.
func renderReport(w io.Writer, r Report) error {
	var b strings.Builder
	when := "as recorded " + stamp(r.Time)
	if r.Updated {
		when = "asked " + stamp(r.Time)
	} else if r.Time.IsZero() {
		when = "nothing recorded"
	}
	fmt.Fprintf(&b, "Run %s (%s), %s; %s\n\nBase system:\n", r.Run, r.RunID, r.RunStatus, when)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  SERVICE\tROLE\tSTATE\tINSTANCE\tHOST")
	for _, s := range r.Services {
		role := string(s.Role)
		if role == "" {
			role = "-"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", s.Name, role, s.State, dash(s.InstanceID), dash(s.Hostname))
	}
	tw.Flush()
	if len(r.Provisioners) == 0 && r.Updated {
		b.WriteString("\nNo pool: the run has no provisioner (no service with epu_role provisioner, none named provisioner)\n")
	}
	for _, p := range r.Provisioners {
		fmt.Fprintf(&b, "\nProvisioner %s:", p.Service)
		if p.Error != "" {
			fmt.Fprintf(&b, " not reachable\n")
			continue
		}
		counts := map[string]int{}
		for _, n := range p.Nodes {
			counts[string(n.State)]++
		}
		var cs []string
		for st, n := range counts {
			cs = append(cs, fmt.Sprintf("%s %d", st, n))
		}
		sort.Strings(cs)
		enabled := "enabled"
		if p.Disabled {
			enabled = "disabled (terminate_all; 'epumgmt enable' enables it again)"
		}
		fmt.Fprintf(&b, " %d nodes (%s), provisioning %s\n", len(p.Nodes), strings.Join(cs, ", "), enabled)
		for _, c := range p.Clouds {
			fmt.Fprintf(&b, "  cloud: %s", c.IaaS)
			if c.IaaSURL != "" {
				fmt.Fprintf(&b, " at %s", c.IaaSURL)
			}
			if c.StateDir != "" {
				fmt.Fprintf(&b, " (state %s)", c.StateDir)
			}
			b.WriteString("\n")
		}
	}
	for _, c := range r.Controllers {
		if c.Error != "" {
			fmt.Fprintf(&b, "\nController %s: not reachable\n", c.Service)
			continue
		}
		for _, d := range c.Domains {
			renderDomain(&b, c.Service, d, r.Time)
		}
	}
	if len(r.Problems) > 0 {
		b.WriteString("\nProblems:\n")
		for _, p := range r.Problems {
			fmt.Fprintf(&b, "  %s\n", strings.ReplaceAll(p, "\n", "\n    "))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func renderDomain(b *strings.Builder, ctrl string, d DomainReport, now time.Time) {
	fmt.Fprintf(b, "\nController %s, domain %s (engine %s, deployable type %s):\n", ctrl, d.Name, d.Engine, d.DeployableType)
	fmt.Fprintf(b, "  EPU state: %s\n", d.DEState)
	if d.DEConfReport != nil {
		fmt.Fprintf(b, "  engine: %s\n", *d.DEConfReport)
	}
	if d.StopLoss != nil {
		fmt.Fprintf(b, "  STOP-LOSS: %s\n", *d.StopLoss)
	}
	if d.Error != "" {
		fmt.Fprintf(b, "  not reachable\n")
		return
	}
	if len(d.Workers) == 0 {
		b.WriteString("  no workers\n")
		return
	}
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  NODE\tSTATE\tHEALTH\tINSTANCE\tADDRESS\tIN STATE\tLAST HEARTBEAT")
	for _, w := range d.Workers {
		hb := "never"
		if w.LastHeartbeat != nil {
			hb = now.Sub(*w.LastHeartbeat).Truncate(time.Second).String() + " ago"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\n", w.NodeID, w.State, dash(string(w.Health)), dash(w.IaaSID),
			dash(w.Address), dash(w.InState), hb)
	}
	tw.Flush()
	for _, w := range d.Workers {
		for _, m := range w.Messages {
			fmt.Fprintf(b, "  %s: %s\n", w.NodeID, m)
		}
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format(time.RFC3339)
}
