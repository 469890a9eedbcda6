package mgmt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/cloudinitd/cloudinitd/epu/provisioner"
	"github.com/cloudinitd/cloudinitd/iaas"
)

// Survivor is an instance of the run that is still pending or running.
type Survivor struct {
	Cloud   Cloud  `json:"cloud"`
	ID      string `json:"instance_id"`
	State   string `json:"state"`
	Service string `json:"service,omitempty"` // the run's service it belongs to
	Owner   string `json:"owner,omitempty"`   // the service that launched it (a worker's provisioner)
	Node    string `json:"node_id,omitempty"` // a worker's node id (its tag)
	ref     iaas.Ref
	driver  iaas.Driver
}

func (s Survivor) String() string {
	what := "instance " + s.ID
	switch {
	case s.Owner != "" && s.Node != "":
		what += fmt.Sprintf(" (worker %s launched by %s)", s.Node, s.Owner)
	case s.Owner != "":
		what += " (launched by " + s.Owner + ")"
	case s.Service != "":
		what += " (service " + s.Service + ")"
	}
	where := s.Cloud.IaaS
	if s.Cloud.IaaSURL != "" {
		where += " at " + s.Cloud.IaaSURL
	}
	return fmt.Sprintf("%s on %s, %s", what, where, s.State)
}

// ErrSurvivors: instances of the run are still alive after a teardown.
var ErrSurvivors = errors.New("instances of the run are still alive")

// SurvivorsError names each survivor.
type SurvivorsError struct {
	Run       string
	Survivors []Survivor
	Unswept   []string // clouds that could not be searched, with why
}

func (e *SurvivorsError) Error() string {
	var b strings.Builder
	if len(e.Survivors) > 0 {
		fmt.Fprintf(&b, "run %s: %d instance(s) still alive:", e.Run, len(e.Survivors))
		for _, s := range e.Survivors {
			b.WriteString("\n" + s.String())
		}
	}
	if len(e.Unswept) > 0 {
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "run %s: %d cloud(s) could not be searched:", e.Run, len(e.Unswept))
		for _, u := range e.Unswept {
			b.WriteString("\n" + u)
		}
	}
	return b.String()
}

func (e *SurvivorsError) Is(target error) bool { return target == ErrSurvivors }

// keepClouds adds the provisioners' clouds to <runlogdir>/<run>/clouds.json,
// so that a later teardown sweeps them when the provisioners cannot be
// asked any more.
func (m *Manager) keepClouds(run string, provs []ProvisionerReport) error {
	cs := m.keptClouds(run)
	for _, p := range provs {
		for _, c := range p.Clouds {
			cs = append(cs, Cloud{IaaS: c.IaaS, IaaSURL: c.IaaSURL, StateDir: c.StateDir})
		}
	}
	return m.keep(run, "clouds.json", uniqueClouds(cs))
}

// keptClouds are the clouds kept by keepClouds (none when there is no
// file or it cannot be read).
func (m *Manager) keptClouds(run string) []Cloud {
	var cs []Cloud
	b, err := os.ReadFile(filepath.Join(m.RunLogDir, run, "clouds.json"))
	if err == nil {
		if err := json.Unmarshal(b, &cs); err != nil {
			m.warn("%s: %v", filepath.Join(m.RunLogDir, run, "clouds.json"), err)
		}
	}
	return cs
}

func uniqueClouds(cs []Cloud) []Cloud {
	seen := map[Cloud]bool{}
	out := []Cloud{}
	for _, c := range cs {
		if c.IaaS == "" || seen[c] {
			continue
		}
		seen[c] = true
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.IaaS != b.IaaS {
			return a.IaaS < b.IaaS
		}
		if a.IaaSURL != b.IaaSURL {
			return a.IaaSURL < b.IaaSURL
		}
		return a.StateDir < b.StateDir
	})
	return out
}

// sweep searches every cloud for the run's instances (by its full id,
// iaas.RunFinder) that are not final; onlyOwned keeps those a service
// launched (workers). A cloud that cannot be searched is named in
// unswept.
func (m *Manager) sweep(ctx context.Context, run iaas.RunID, clouds []Cloud, onlyOwned bool) (alive []Survivor, unswept []string) {
	for _, c := range uniqueClouds(clouds) {
		d, err := m.OpenDriver(iaas.Selector{Value: c.IaaS, Endpoint: c.IaaSURL != ""},
			iaas.Config{StateDir: c.StateDir, Logger: m.log()})
		if err != nil {
			unswept = append(unswept, fmt.Sprintf("%s: %v", c.IaaS, err))
			continue
		}
		if sa, ok := iaas.As[iaas.ScopeAdder](d); ok {
			spec := iaas.LaunchSpec{Endpoint: c.IaaSURL}
			if !strings.EqualFold(c.IaaS, d.Name()) {
				spec.Region = c.IaaS
			}
			if err := sa.AddScope(spec); err != nil {
				unswept = append(unswept, fmt.Sprintf("%s: %v", c.IaaS, err))
				continue
			}
		}
		rf, ok := iaas.As[iaas.RunFinder](d)
		if !ok {
			unswept = append(unswept, fmt.Sprintf("%s: the %s driver cannot search for a run's instances", c.IaaS, d.Name()))
			continue
		}
		is, err := rf.FindByRun(ctx, run)
		if err != nil {
			unswept = append(unswept, fmt.Sprintf("%s: %v", c.IaaS, err))
			continue
		}
		for _, in := range is {
			if in.State.Final() || !run.Claims(in, nil) || (onlyOwned && in.Owner == "") {
				continue
			}
			alive = append(alive, Survivor{Cloud: c, ID: in.ID, State: in.State.String(), Service: in.Service, Owner: in.Owner,
				Node: in.Tags[provisioner.TagNode], ref: iaas.Ref{ID: in.ID, Handle: in.Handle}, driver: d})
		}
	}
	sort.Slice(alive, func(i, j int) bool { return alive[i].ID < alive[j].ID })
	return alive, unswept
}

// terminate terminates survivors through their drivers; it returns what
// failed.
func (m *Manager) terminate(ctx context.Context, ss []Survivor) error {
	var errs []error
	for _, s := range ss {
		m.say("Terminating %s", s)
		if err := s.driver.Terminate(ctx, s.ref); err != nil && !errors.Is(err, iaas.ErrNotFound) {
			errs = append(errs, fmt.Errorf("%s: terminate: %w", s, err))
		}
	}
	return errors.Join(errs...)
}
