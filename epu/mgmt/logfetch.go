package mgmt

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/cloudinitd/cloudinitd/store"
)

// maxFetches bounds the log transfers at once (the original's batches of
// 20).
const maxFetches = 20

// FetchResult counts a log fetch.
type FetchResult struct {
	Hosts   int      // daemons' hosts fetched from
	Workers int      // workers fetched from (through their provisioner)
	Files   int      // files copied
	Skipped []string // hosts not fetched, with why (terminated)
	Errors  []error  // per-host failures
}

// LogFetch copies the EPU daemons' logs and their workers' logs into
// <runlogdir>/<run>/<instance>/. Per-host failures are counted and
// printed; they fail the action only when nothing could be fetched at
// all.
func (m *Manager) LogFetch(ctx context.Context, o Options) error {
	s, err := m.open(ctx, o.Run, false)
	if err != nil {
		return err
	}
	defer s.close()
	res, err := m.fetchAllLogs(ctx, s, nil)
	if err != nil {
		return err
	}
	if res.Hosts == 0 && res.Workers == 0 && len(res.Errors) > 0 {
		return fmt.Errorf("run %s: no log could be fetched: %w", o.Run, res.Errors[0])
	}
	return nil
}

// fetchAllLogs fetches the logs of the run's EPU services and of the
// workers of its provisioners (only those in workers when it is not nil),
// and says what it fetched.
func (m *Manager) fetchAllLogs(ctx context.Context, s *session, workers map[string]bool) (FetchResult, error) {
	res, err := m.fetchLogs(ctx, s, s.sys.Services)
	if err != nil {
		return res, err
	}
	if err := m.fetchWorkerLogs(ctx, s, s.sys.ByRole(RoleProvisioner), workers, &res); err != nil {
		return res, err
	}
	m.say("Fetched the logs of %d worker(s), %d error(s) in all", res.Workers, len(res.Errors))
	for _, sk := range res.Skipped {
		if strings.HasPrefix(sk, "worker ") {
			m.say("  skipped %s", sk)
		}
	}
	return res, nil
}

// fetchLogs fetches the logs of the EPU services among svcs, at most
// maxFetches at once, skipping terminated ones; every failure is printed
// and counted, none stops the others.
func (m *Manager) fetchLogs(ctx context.Context, s *session, svcs []Service) (FetchResult, error) {
	var res FetchResult
	base, err := m.runDir(s.sys.Run.Name)
	if err != nil {
		return res, err
	}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(maxFetches)
	for _, svc := range svcs {
		if svc.Role == RoleBase {
			continue
		}
		if svc.State == string(store.StateTerminated) {
			res.Skipped = append(res.Skipped, fmt.Sprintf("service %s: %s", svc.Name, strings.ToLower(svc.State)))
			continue
		}
		dir := filepath.Join(base, localName(svc))
		g.Go(func() error {
			n, err := s.ch.FetchLogs(gctx, svc, dir)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				res.Errors = append(res.Errors, err)
				m.warn("logfetch: %v", err)
				return nil
			}
			res.Hosts++
			res.Files += n
			return nil
		})
	}
	g.Wait()
	m.say("Fetched %d log file(s) from %d host(s) into %s with %d error(s)", res.Files, res.Hosts, base, len(res.Errors))
	for _, sk := range res.Skipped {
		m.say("  skipped %s", sk)
	}
	return res, ctx.Err()
}

// localName is the directory of a service's logs: its instance id, or
// P-<service> for a service without an instance (the original's
// piggybacked services).
func localName(svc Service) string {
	if svc.InstanceID != "" {
		return svc.InstanceID
	}
	return "P-" + svc.Name
}
