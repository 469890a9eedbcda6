package mgmt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/provisioner"
)

// Report is the status of a run's EPU system: the document 'epumgmt
// status --json' writes (docs/epumgmt.md) and the last one is kept in
// <runlogdir>/<run>/status.json for --no-update.
type Report struct {
	Run          string              `json:"run"`
	RunID        string              `json:"run_id"`
	RunStatus    string              `json:"run_status"`
	Time         time.Time           `json:"time"`    // when the daemons were asked
	Updated      bool                `json:"updated"` // false: --no-update printed what was recorded at Time
	Services     []Service           `json:"services"`
	Provisioners []ProvisionerReport `json:"provisioners"`
	Controllers  []ControllerReport  `json:"controllers"`
	// Problems are the daemons that could not be asked, each with the
	// host and the SSH or API error.
	Problems []string `json:"problems"`
}

// ProvisionerReport is what a provisioner says.
type ProvisionerReport struct {
	Service  string              `json:"service"`
	Disabled bool                `json:"disabled"`
	Clouds   []provisioner.Cloud `json:"clouds"`
	Nodes    []epu.Node          `json:"nodes"`
	Error    string              `json:"error,omitempty"`
}

// ControllerReport is what a controller says, per domain.
type ControllerReport struct {
	Service string         `json:"service"`
	Domains []DomainReport `json:"domains"`
	Error   string         `json:"error,omitempty"`
}

// DomainReport is one domain: its engine's state and its workers.
type DomainReport struct {
	Name           string      `json:"name"`
	Engine         string      `json:"engine"`
	DeployableType string      `json:"deployable_type"`
	DEState        epu.DEState `json:"de_state"`
	DEConfReport   *string     `json:"de_conf_report"`
	StopLoss       *string     `json:"stop_loss"`
	Workers        []Worker    `json:"workers"`
	Error          string      `json:"error,omitempty"`
}

// Worker is one instance of a domain.
type Worker struct {
	NodeID        string     `json:"node_id"`
	IaaSID        string     `json:"iaas_id"`
	Address       string     `json:"address"`
	State         epu.State  `json:"state"`
	Health        epu.Health `json:"health"`
	StateTime     time.Time  `json:"state_time"`
	InState       string     `json:"in_state"`       // time in state when asked, e.g. "1m30s"
	LastHeartbeat *time.Time `json:"last_heartbeat"` // null: never heard
	// Messages are the last warnings and errors about the worker: its
	// state description and the daemons' log lines at WARN or above that
	// name it (from the logs logfetch fetched).
	Messages []string `json:"messages"`
}

// Status prints the run's EPU system: from the daemons, or with
// --no-update from the last report kept.
func (m *Manager) Status(ctx context.Context, o Options) error {
	s, err := m.open(ctx, o.Run, false)
	if err != nil {
		return err
	}
	defer s.close()
	var rep Report
	if o.NoUpdate {
		rep, err = m.lastReport(s)
		if err != nil {
			return err
		}
	} else {
		rep = m.gather(ctx, s)
		if err := m.keep(s.sys.Run.Name, "status.json", rep); err != nil {
			m.warn("keep the report: %v", err)
		}
	}
	if o.JSON {
		err = writeJSON(m.Out, rep)
	} else {
		err = renderReport(m.Out, rep)
	}
	if err == nil && rep.Updated && len(rep.Problems) > 0 {
		// The report is out; the exit status says it is incomplete.
		return &UnreachableError{Run: rep.Run, Problems: rep.Problems}
	}
	return err
}

// ErrUnreachable: a daemon of the run could not be asked.
var ErrUnreachable = errors.New("daemons could not be asked")

// UnreachableError is a status whose report lacks what some daemons would
// have said; each problem names the service, its host and the error.
type UnreachableError struct {
	Run      string
	Problems []string
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("run %s: %d daemon call(s) failed; the report above is incomplete:\n%s", e.Run, len(e.Problems),
		strings.Join(e.Problems, "\n"))
}

func (e *UnreachableError) Is(target error) bool { return target == ErrUnreachable }

// lastReport is the report kept by the last status, with the services as
// recorded now; without one, the services alone.
func (m *Manager) lastReport(s *session) (Report, error) {
	rep := Report{Run: s.sys.Run.Name, RunID: s.sys.Run.String(), RunStatus: string(s.sys.Status)}
	b, err := os.ReadFile(filepath.Join(m.RunLogDir, s.sys.Run.Name, "status.json"))
	switch {
	case errors.Is(err, os.ErrNotExist):
		rep.Problems = []string{"no status was recorded yet: run 'epumgmt status -n " + s.sys.Run.Name + "' without --no-update"}
	case err != nil:
		return Report{}, err
	default:
		if err := json.Unmarshal(b, &rep); err != nil {
			return Report{}, fmt.Errorf("the last report %s: %w", filepath.Join(m.RunLogDir, s.sys.Run.Name, "status.json"), err)
		}
	}
	rep.Updated = false
	rep.Services, rep.RunStatus = s.sys.Services, string(s.sys.Status)
	return rep, nil
}

// gather asks every provisioner and controller; one that cannot be asked
// is a problem named in the report, not a failure of the whole.
func (m *Manager) gather(ctx context.Context, s *session) Report {
	now := m.now()
	rep := Report{Run: s.sys.Run.Name, RunID: s.sys.Run.String(), RunStatus: string(s.sys.Status), Time: now,
		Updated: true, Services: s.sys.Services, Provisioners: []ProvisionerReport{},
		Controllers: []ControllerReport{}, Problems: []string{}}
	msgs := m.messages(s.sys.Run.Name)
	for _, p := range s.sys.ByRole(RoleProvisioner) {
		pr := ProvisionerReport{Service: p.Name, Clouds: []provisioner.Cloud{}, Nodes: []epu.Node{}}
		h, err := provHealth(ctx, s.ch, p)
		if err == nil {
			pr.Disabled, pr.Clouds = h.Disabled, h.Clouds
			pr.Nodes, err = nodes(ctx, s.ch, p)
		}
		if err != nil {
			pr.Error = err.Error()
			rep.Problems = append(rep.Problems, err.Error())
		}
		rep.Provisioners = append(rep.Provisioners, pr)
	}
	for _, c := range s.sys.ByRole(RoleController) {
		cr := ControllerReport{Service: c.Name, Domains: []DomainReport{}}
		ds, err := domains(ctx, s.ch, c)
		if err != nil {
			cr.Error = err.Error()
			rep.Problems = append(rep.Problems, err.Error())
		}
		for _, d := range ds {
			dr := DomainReport{Name: d.Name, Engine: d.Engine, DeployableType: d.DeployableType, DEState: d.DEState,
				Workers: []Worker{}}
			ws, err := wholeState(ctx, s.ch, c, d.Name)
			if err != nil {
				dr.Error = err.Error()
				rep.Problems = append(rep.Problems, err.Error())
			} else {
				dr.DEState, dr.DEConfReport, dr.StopLoss = ws.DEState, ws.DEConfReport, ws.StopLoss
				dr.Workers = workers(ws.Instances, now, msgs, rep.Provisioners)
			}
			cr.Domains = append(cr.Domains, dr)
		}
		rep.Controllers = append(rep.Controllers, cr)
	}
	if len(rep.Provisioners) > 0 {
		if err := m.keepClouds(s.sys.Run.Name, rep.Provisioners); err != nil {
			m.warn("keep the provisioners' clouds: %v", err)
		}
	}
	return rep
}
