package mgmt

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/store"
)

// Role is what an EPU service is to epumgmt.
type Role string

// Roles. A service that is neither is part of the base system.
const (
	RoleProvisioner Role = "provisioner"
	RoleController  Role = "controller"
	RoleBase        Role = ""
)

// Bootout attributes an EPU service publishes (docs/epu.md): its role, its
// daemon's state directory on its host (where 'epu ctl' finds the token
// and the address) and its API's URL.
const (
	AttrRole     = "epu_role"
	AttrStateDir = "epu_state_dir"
	AttrAPIURL   = "api_url"
)

// Service is one service of the run as epumgmt sees it.
type Service struct {
	Name       string `json:"service"`
	Level      int    `json:"level"`
	Role       Role   `json:"role,omitempty"`
	RoleFrom   string `json:"role_from,omitempty"` // "epu_role" (bootout) or "name" (the original's convention)
	State      string `json:"state"`
	InstanceID string `json:"instance_id,omitempty"`
	Hostname   string `json:"hostname,omitempty"`
	StateDir   string `json:"state_dir,omitempty"`
	APIURL     string `json:"api_url,omitempty"`
}

// System is the run as recorded: its identity and services.
type System struct {
	Run      iaas.RunID
	Status   store.RunStatus
	Services []Service
	// Clouds are the clouds of the run's own launched services (for the
	// sweep).
	Clouds []Cloud
	// Warnings are what the record says that epumgmt could not use (an
	// unknown epu_role value).
	Warnings []string
}

// Cloud is where instances live: an iaas value, an endpoint, the drivers'
// state directory.
type Cloud struct {
	IaaS     string `json:"iaas"`
	IaaSURL  string `json:"iaas_url,omitempty"`
	StateDir string `json:"iaas_state_dir,omitempty"`
}

// ByRole returns the services of role r in level order.
func (s System) ByRole(r Role) []Service {
	var out []Service
	for _, x := range s.Services {
		if x.Role == r {
			out = append(out, x)
		}
	}
	return out
}

// LoadSystem reads the EPU system of the run recorded in db (read-only is
// enough).
func LoadSystem(ctx context.Context, db *store.DB, stateDir string) (System, error) {
	run, err := db.Run(ctx)
	if err != nil {
		return System{}, fmt.Errorf("read the run: %w", err)
	}
	svcs, err := db.Services(ctx)
	if err != nil {
		return System{}, fmt.Errorf("read the services: %w", err)
	}
	bags, err := db.Bags(ctx)
	if err != nil {
		return System{}, fmt.Errorf("read the services' attributes: %w", err)
	}
	sys := System{Run: iaas.RunID{Name: db.Name(), Incarnation: db.Incarnation()}, Status: run.Status}
	seen := map[Cloud]bool{}
	for _, s := range svcs {
		bag := lastValues(bags[s.Name])
		x := Service{Name: s.Name, Level: s.Level, State: string(s.State), InstanceID: s.InstanceID,
			Hostname: s.Hostname, StateDir: bag[AttrStateDir], APIURL: bag[AttrAPIURL]}
		var warn string
		x.Role, x.RoleFrom, warn = classify(s.Name, bag[AttrRole])
		if warn != "" {
			sys.Warnings = append(sys.Warnings, warn)
		}
		sys.Services = append(sys.Services, x)
		if v, _ := s.Setting("iaas_launch"); strings.EqualFold(v, "true") {
			iv, _ := s.Setting("iaas")
			url, _ := s.Setting("iaas_url")
			c := Cloud{IaaS: iv, IaaSURL: url, StateDir: stateDir}
			if !seen[c] {
				seen[c] = true
				sys.Clouds = append(sys.Clouds, c)
			}
		}
	}
	sort.SliceStable(sys.Services, func(i, j int) bool { return sys.Services[i].Level < sys.Services[j].Level })
	return sys, nil
}

// classify finds a service's role: its bootout's epu_role, else the
// original's naming convention (reference §1.4): exactly "provisioner" is
// the provisioner, "epu-*" a controller.
func classify(name, role string) (Role, string, string) {
	switch Role(strings.ToLower(strings.TrimSpace(role))) {
	case RoleProvisioner:
		return RoleProvisioner, "epu_role", ""
	case RoleController:
		return RoleController, "epu_role", ""
	}
	var warn string
	if role != "" {
		warn = fmt.Sprintf("service %q: epu_role %q is neither provisioner nor controller; its name decides", name, role)
	}
	switch {
	case name == "provisioner":
		return RoleProvisioner, "name", warn
	case strings.HasPrefix(name, "epu-"):
		return RoleController, "name", warn
	}
	return RoleBase, "", warn
}

// lastValues is a bag as a map: a later row (bootout after deps) wins.
func lastValues(attrs []store.Attr) map[string]string {
	m := make(map[string]string, len(attrs))
	for _, a := range attrs {
		m[a.Key] = a.Value
	}
	return m
}
