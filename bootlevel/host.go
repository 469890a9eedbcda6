package bootlevel

import (
	"context"
	"fmt"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/pipeline"
	"github.com/cloudinitd/cloudinitd/plan"
	"github.com/cloudinitd/cloudinitd/store"
)

// placeOf finds where svc runs. A launched service runs on its instance
// (inst when the caller just described it, else described now). A
// hostname service runs on its expanded hostname; when that hostname is
// exactly ${other.hostname}, it runs on other's host and reuses its SSH
// endpoint (port, user, key) and work dir.
func (e *run) placeOf(ctx context.Context, r *Resolver, svc string, inst *iaas.Instance, depth int) (pipeline.Place, error) {
	s, ok := r.Service(svc)
	if !ok {
		return pipeline.Place{}, fmt.Errorf("%q: %w", svc, plan.ErrUnknownService)
	}
	if depth > 8 {
		return pipeline.Place{}, fmt.Errorf("hostname of %q: too many services in a chain of ${svc.hostname}", svc)
	}
	if flag(s, "iaas_launch") {
		if s.InstanceID == "" {
			return pipeline.Place{}, fmt.Errorf("service %q has no instance", svc)
		}
		if inst == nil {
			d, err := e.serviceDriver(r, svc)
			if err != nil {
				return pipeline.Place{}, err
			}
			got, err := e.describe(ctx, d, s)
			if err != nil {
				return pipeline.Place{}, err
			}
			if got.State != iaas.StateRunning {
				return pipeline.Place{}, instanceGone(got)
			}
			inst = &got
		}
		return pipeline.PlaceOf(*inst), nil
	}
	raw, _ := s.Setting("hostname")
	if refs := plan.Refs(raw); len(refs) == 1 && refs[0].String() == raw && refs[0].Attr == "hostname" &&
		!refs[0].Global && !refs[0].Self && refs[0].Service != svc {
		return e.placeOf(ctx, r, refs[0].Service, nil, depth+1)
	}
	h, err := r.Expand(raw, svc)
	if err != nil {
		// The caller's step says "hostname: " (not twice).
		return pipeline.Place{}, err
	}
	return pipeline.Place{Hostname: h}, nil
}

// target builds how to reach s at pl (pipeline.NewTarget).
func (e *run) target(r *Resolver, s store.Service, pl pipeline.Place, contextualized bool) (Target, error) {
	return pipeline.NewTarget(s.Name, s, e.attrs(r, s.Name), pl, contextualized)
}

// stageDir is the service's stage directory on its host.
func (e *run) stageDir(s store.Service, pl pipeline.Place) string {
	return pipeline.StageDir(s.Name, s, pl, e.getenv)
}

// attrs are svc's values as the pipeline reads them, from r.
func (e *run) attrs(r *Resolver, svc string) pipeline.Attributes {
	return serviceAttrs{e: e, r: r, svc: svc}
}

// serviceAttrs implements pipeline.Attributes over a resolver of the
// command's image.
type serviceAttrs struct {
	e   *run
	r   *Resolver
	svc string
}

func (a serviceAttrs) Setting(key string) (string, error) { return a.r.Setting(a.svc, key) }

func (a serviceAttrs) Bag() (map[string]string, error) { return a.r.Bag(a.svc) }

// Args splits and expands the words of key (a *pgm_args setting) and
// refuses a word holding a secret.
func (a serviceAttrs) Args(key string) ([]string, error) {
	s, ok := a.r.Service(a.svc)
	if !ok {
		return nil, fmt.Errorf("%q: %w", a.svc, plan.ErrUnknownService)
	}
	raw, _ := s.Setting(key)
	args, err := plan.ExpandArgs(raw, a.svc, a.r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	if err := a.e.noSecretArgs(key, args); err != nil {
		return nil, err
	}
	return args, nil
}

var _ pipeline.Attributes = serviceAttrs{}
