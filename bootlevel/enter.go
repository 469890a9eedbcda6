package bootlevel

import (
	"context"
	"fmt"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/remote"
)

// Host connects to the host of service svc as its programs were run there
// (the CLI's 'ssh RUN SERVICE'): the recorded user and key, the host key
// checked against the record (or the one the driver announces), through
// the engine's Connector. It also returns the service's stage directory,
// where its programs ran and its bootconf.json and bootout.json are. A
// launched service needs an instance that runs; a service with
// hostname: is reached there. It writes nothing but a first host key
// (refused on a read-only record). The caller closes the executor.
func (e *Engine) Host(ctx context.Context, svc string) (remote.Executor, string, error) {
	rn, err := e.begin(ctx, CommandSSH)
	if err != nil {
		return nil, "", err
	}
	s, err := rn.service(svc)
	if err != nil {
		return nil, "", err
	}
	r := rn.resolver()
	var inst *iaas.Instance
	if flag(s, "iaas_launch") {
		if s.InstanceID == "" {
			return nil, "", fmt.Errorf("service %q %w (state %s)", svc, ErrNotBooted, s.State)
		}
		d, err := rn.serviceDriver(r, svc)
		if err != nil {
			return nil, "", fmt.Errorf("service %q: %w", svc, err)
		}
		got, err := rn.describe(ctx, d, s)
		if err == nil && got.State != iaas.StateRunning {
			err = instanceGone(got)
		}
		if err != nil {
			return nil, "", fmt.Errorf("service %q: %w", svc, err)
		}
		inst = &got
	}
	pl, err := rn.placeOf(ctx, r, svc, inst, 0)
	if err != nil {
		return nil, "", fmt.Errorf("service %q: %w", svc, err)
	}
	if pl.Hostname == "" {
		return nil, "", fmt.Errorf("service %q: no hostname: the service has neither an instance nor a hostname", svc)
	}
	t, err := rn.target(r, s, pl, true)
	if err != nil {
		return nil, "", fmt.Errorf("service %q: %w", svc, err)
	}
	ex, err := e.Connector.Connect(ctx, t)
	if err != nil {
		return nil, "", fmt.Errorf("service %q: %w", svc, err)
	}
	return ex, rn.stageDir(s, pl), nil
}
