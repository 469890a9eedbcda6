package bootlevel

import (
	"context"
	"errors"
	"fmt"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/plan"
	"github.com/cloudinitd/cloudinitd/store"
)

// StepValidate names the events and errors of Validate.
const StepValidate = "validate"

// Validate checks the run before anything is launched (boot -x). Per
// service (reference §2.9): a service with programs (bootpgm, readypgm,
// terminatepgm) that is not local_exe needs an SSH key — localsshkeypath,
// SSH_AUTH_SOCK in the environment, or a driver that provides keys (for a
// service on another's host through ${other.hostname}, that service's
// driver) — and without ssh_username gets a warning. Then each launching
// service's LaunchSpec is built exactly as its launch would build it, and
// the specs are grouped by driver and given to the driver's SpecValidator
// (nothing launched); Warner warnings become KindWarning events. Services
// that already have their instance are not checked against the cloud.
// The error joins every problem, each naming the service.
func (e *Engine) Validate(ctx context.Context) error {
	rn, err := e.begin(ctx, CommandValidate)
	if err != nil {
		return err
	}
	return rn.validate(ctx)
}

func (e *run) validate(ctx context.Context) error {
	r := e.resolver()
	var errs []error
	type group struct {
		d     iaas.Driver
		specs []iaas.LaunchSpec
	}
	var groups []*group
	byDriver := map[iaas.Driver]*group{}
	for _, l := range e.grouped() {
		for _, s := range l.Services {
			errs = append(errs, e.checkSSH(ctx, l.Number, r, s))
			if !flag(s, "iaas_launch") {
				continue
			}
			spec, d, err := e.validationSpec(r, s)
			if err != nil {
				errs = append(errs, fmt.Errorf("service %q: %s: %w", s.Name, StepValidate, err))
				continue
			}
			if d == nil {
				continue // it has its instance
			}
			if w, ok := iaas.As[iaas.Warner](d); ok {
				for _, msg := range w.Warnings(spec) {
					e.emit(ctx, Event{Level: l.Number, Service: s.Name, Kind: KindWarning, Step: StepValidate, Detail: msg})
				}
			}
			g := byDriver[d]
			if g == nil {
				g = &group{d: d}
				byDriver[d] = g
				groups = append(groups, g)
			}
			g.specs = append(g.specs, spec)
		}
	}
	for _, g := range groups {
		if v, ok := iaas.As[iaas.SpecValidator](g.d); ok {
			errs = append(errs, v.Validate(ctx, g.specs)...)
		}
	}
	return errors.Join(errs...)
}

// validationSpec builds the spec s's next launch would send, with the same
// attempt and client token; a nil driver means s has its instance.
func (e *run) validationSpec(r *Resolver, s store.Service) (iaas.LaunchSpec, iaas.Driver, error) {
	launch, pending, attempt := e.needsLaunch(s)
	if !launch {
		return iaas.LaunchSpec{}, nil, nil
	}
	d, err := e.serviceDriver(r, s.Name)
	if err != nil {
		return iaas.LaunchSpec{}, nil, err
	}
	token := e.clientToken(s.Name, attempt)
	if pending != nil {
		token = pending.ClientToken
	}
	spec, err := e.spec(r, s, d, attempt, token)
	return spec, d, err
}

// checkSSH is the per-service SSH check of Validate: an error for programs
// without any key, a warning event for programs without ssh_username.
func (e *run) checkSSH(ctx context.Context, lv int, r *Resolver, s store.Service) error {
	if flag(s, "local_exe") {
		return nil // programs run on this machine
	}
	programs := false
	for _, k := range []string{"bootpgm", "readypgm", "terminatepgm"} {
		if v, _ := s.Setting(k); v != "" {
			programs = true
		}
	}
	if !programs || e.driverKeys(r, s.Name, 0) {
		return nil
	}
	key, err := r.Setting(s.Name, "localsshkeypath")
	if err != nil {
		return fmt.Errorf("service %q: %s: %w", s.Name, StepValidate, err)
	}
	if key == "" && e.getenv("SSH_AUTH_SOCK") == "" {
		return fmt.Errorf("service %q has programs but no SSH key: set localsshkeypath or start ssh-agent", s.Name)
	}
	user, err := r.Setting(s.Name, "ssh_username")
	if err != nil {
		return fmt.Errorf("service %q: %s: %w", s.Name, StepValidate, err)
	}
	if user == "" {
		e.emit(ctx, Event{Level: lv, Service: s.Name, Kind: KindWarning, Step: StepValidate,
			Detail: fmt.Sprintf("service %q has programs but no ssh_username: the login name will be the local user's", s.Name)})
	}
	return nil
}

// driverKeys reports whether svc's programs run on an instance whose driver
// provides the SSH key: svc's own driver when it launches, else, for a
// hostname of exactly ${other.hostname}, other's (as placeOf follows it).
func (e *run) driverKeys(r *Resolver, svc string, depth int) bool {
	s, ok := r.Service(svc)
	if !ok || depth > 8 {
		return false
	}
	if flag(s, "iaas_launch") {
		d, err := e.serviceDriver(r, svc)
		if err != nil {
			return false // reported by the spec check
		}
		p, ok := iaas.As[iaas.SSHKeyProvider](d)
		return ok && p.ProvidesSSHKey()
	}
	raw, _ := s.Setting("hostname")
	if refs := plan.Refs(raw); len(refs) == 1 && refs[0].String() == raw && refs[0].Attr == "hostname" &&
		!refs[0].Global && !refs[0].Self && refs[0].Service != svc {
		return e.driverKeys(r, refs[0].Service, depth+1)
	}
	return false
}
