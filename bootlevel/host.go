package bootlevel

import (
	"context"
	"fmt"
	"strconv"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/plan"
	"github.com/cloudinitd/cloudinitd/remote"
	"github.com/cloudinitd/cloudinitd/store"
)

// place is where a service's programs run.
type place struct {
	hostname string
	ssh      *iaas.SSHEndpoint // from the driver, nil if it says nothing
	workDir  string            // the instance's work dir, "" for the default
}

// placeOf finds where svc runs. A launched service runs on its instance
// (inst when the caller just described it, else described now). A
// hostname service runs on its expanded hostname; when that hostname is
// exactly ${other.hostname}, it runs on other's host and reuses its SSH
// endpoint (port, user, key) and work dir.
func (e *run) placeOf(ctx context.Context, r *Resolver, svc string, inst *iaas.Instance, depth int) (place, error) {
	s, ok := r.Service(svc)
	if !ok {
		return place{}, fmt.Errorf("%q: %w", svc, plan.ErrUnknownService)
	}
	if depth > 8 {
		return place{}, fmt.Errorf("hostname of %q: too many services in a chain of ${svc.hostname}", svc)
	}
	if flag(s, "iaas_launch") {
		if s.InstanceID == "" {
			return place{}, fmt.Errorf("service %q has no instance", svc)
		}
		if inst == nil {
			d, err := e.serviceDriver(r, svc)
			if err != nil {
				return place{}, err
			}
			got, err := e.describe(ctx, d, s)
			if err != nil {
				return place{}, err
			}
			if got.State != iaas.StateRunning {
				return place{}, instanceGone(got)
			}
			inst = &got
		}
		return place{hostname: inst.Hostname, ssh: inst.SSH, workDir: inst.WorkDir}, nil
	}
	raw, _ := s.Setting("hostname")
	if refs := plan.Refs(raw); len(refs) == 1 && refs[0].String() == raw && refs[0].Attr == "hostname" &&
		!refs[0].Global && !refs[0].Self && refs[0].Service != svc {
		return e.placeOf(ctx, r, refs[0].Service, nil, depth+1)
	}
	h, err := r.Expand(raw, svc)
	if err != nil {
		// The caller's step says "hostname: " (not twice).
		return place{}, err
	}
	return place{hostname: h}, nil
}

// target builds how to reach s at pl.
func (e *run) target(r *Resolver, s store.Service, pl place, contextualized bool) (Target, error) {
	t := Target{Service: s.Name, Local: flag(s, "local_exe"), Host: pl.hostname, Contextualized: contextualized}
	var err error
	if t.User, err = r.Setting(s.Name, "ssh_username"); err != nil {
		return t, err
	}
	if t.KeyPath, err = r.Setting(s.Name, "localsshkeypath"); err != nil {
		return t, err
	}
	if p, _ := s.Setting("ssh_port"); p != "" {
		if t.Port, err = strconv.Atoi(p); err != nil {
			return t, fmt.Errorf("ssh_port: %w", err)
		}
	}
	if ep := pl.ssh; ep != nil {
		if ep.Host != "" {
			t.Host = ep.Host
		}
		if ep.Port != 0 {
			t.Port = ep.Port
		}
		if t.User == "" {
			t.User = ep.User
		}
		t.DriverKeyPath, t.HostKey = ep.PrivateKeyPath, ep.HostKey
	}
	return t, nil
}

// stageDir is the service's stage directory on its host.
func (e *run) stageDir(s store.Service, pl place) string {
	wd := pl.workDir
	if flag(s, "local_exe") {
		wd = "" // programs run here, not on the instance
	}
	return remote.StageDir(remote.WorkDir(wd, e.getenv), s.Name)
}
