package mgmt

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// ErrNoController: --controller or --newn names no controller's domain.
var ErrNoController = errors.New("no such controller")

// target is one domain of one controller service.
type target struct {
	svc    Service
	domain string
}

// resolveDomain finds the domain name: SERVICE/DOMAIN, SERVICE (its only
// domain), or DOMAIN (of whichever controller has it). The controllers'
// domains are asked for.
func resolveDomain(ctx context.Context, ch Channel, ctrls []Service, name string) (target, error) {
	svcName, dom, hasDom := strings.Cut(name, "/")
	var candidates []target
	var errs []error
	for _, c := range ctrls {
		if hasDom && c.Name != svcName {
			continue
		}
		ds, err := domains(ctx, ch, c)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, d := range ds {
			switch {
			case hasDom && d.Name == dom,
				!hasDom && c.Name == name,
				!hasDom && d.Name == name:
				candidates = append(candidates, target{c, d.Name})
			}
		}
	}
	switch {
	case len(candidates) == 1:
		return candidates[0], nil
	case len(candidates) > 1:
		var names []string
		for _, t := range candidates {
			names = append(names, t.svc.Name+"/"+t.domain)
		}
		return target{}, usagef("%q names several domains: %s; give SERVICE/DOMAIN", name, strings.Join(names, ", "))
	case len(errs) > 0:
		return target{}, errors.Join(errs...)
	}
	var known []string
	for _, c := range ctrls {
		known = append(known, c.Name)
	}
	if len(known) == 0 {
		return target{}, fmt.Errorf("%q: %w: the run has no controller (no service with epu_role controller, none named epu-*)", name, ErrNoController)
	}
	return target{}, fmt.Errorf("%q: %w: the controllers are %s (SERVICE, SERVICE/DOMAIN or DOMAIN)", name, ErrNoController, strings.Join(known, ", "))
}

// ReconfigureN sets preserve_n of each controller of --newn, in order;
// the first failure stops (reference §1.11).
func (m *Manager) ReconfigureN(ctx context.Context, o Options) error {
	s, err := m.open(ctx, o.Run, false)
	if err != nil {
		return err
	}
	defer s.close()
	ctrls := s.sys.ByRole(RoleController)
	if len(ctrls) == 0 {
		m.warn("run %s has no controller: nothing to reconfigure", o.Run)
		return nil
	}
	var done []map[string]any
	for _, nn := range o.NewN {
		t, err := resolveDomain(ctx, s.ch, ctrls, nn.Controller)
		if err != nil {
			return err
		}
		a, err := reconfigureN(ctx, s.ch, t.svc, t.domain, nn.N)
		if err != nil {
			return fmt.Errorf("reconfigure %s/%s preserve_n=%d: %w", t.svc.Name, t.domain, nn.N, err)
		}
		m.say("Reconfigured %s/%s: preserve_n %d (EPU state %s)", t.svc.Name, t.domain, nn.N, a.DEState)
		done = append(done, map[string]any{"service": t.svc.Name, "domain": t.domain, "preserve_n": nn.N, "de_state": a.DEState})
	}
	if o.JSON {
		return writeJSON(m.Out, map[string]any{"reconfigured": done})
	}
	return nil
}

// Enable enables provisioning again on every provisioner (after a
// terminate_all that was not followed by the run's end).
func (m *Manager) Enable(ctx context.Context, o Options) error {
	s, err := m.open(ctx, o.Run, false)
	if err != nil {
		return err
	}
	defer s.close()
	provs, err := s.provisioners(o.Run, "")
	if err != nil {
		return err
	}
	var errs []error
	for _, p := range provs {
		if err := enable(ctx, s.ch, p); err != nil {
			errs = append(errs, err)
			continue
		}
		m.say("Provisioning enabled on %s", p.Name)
	}
	return errors.Join(errs...)
}
