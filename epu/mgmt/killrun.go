package mgmt

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/store"
)

// DefaultTimeout bounds the wait for terminate_all (the original's 300 s).
const DefaultTimeout = 300 * time.Second

// maxCallErrors is how many failed terminate_all polls in a row are
// tolerated (the original's 5).
const maxCallErrors = 5

// ErrWorkersNotTerminated: a provisioner could not be asked to terminate
// its workers, or did not finish; the run was left booted.
var ErrWorkersNotTerminated = errors.New("the workers could not be terminated")

// KillError is a teardown stopped before the run was terminated.
type KillError struct {
	Run       string
	Failed    []error    // each provisioner that failed, with the host and the error
	Survivors []Survivor // workers the sweep still found alive
	Unswept   []string
}

func (e *KillError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "run %s: the workers could not be terminated; the run was left booted", e.Run)
	for _, f := range e.Failed {
		b.WriteString("\n" + f.Error())
	}
	if len(e.Survivors) > 0 {
		fmt.Fprintf(&b, "\nworkers still alive (%d):", len(e.Survivors))
		for _, s := range e.Survivors {
			b.WriteString("\n" + s.String())
		}
	}
	for _, u := range e.Unswept {
		b.WriteString("\nnot searched: " + u)
	}
	return b.String()
}

func (e *KillError) Is(target error) bool { return target == ErrWorkersNotTerminated }

// KillRun tears the run down, verified (issue 13 item 4): logs first
// (unless --no-fetch), terminate_all on every provisioner and wait until
// no worker can remain, then the run as 'cloudinitd terminate' does with
// its record kept, then a sweep of every cloud for the run's instances.
// On a run already terminated it only sweeps again.
func (m *Manager) KillRun(ctx context.Context, o Options) error {
	timeout := o.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	s, err := m.open(ctx, o.Run, false)
	if err != nil {
		return err
	}
	id := s.sys.Run
	clouds := append(append([]Cloud{}, s.sys.Clouds...), m.keptClouds(id.Name)...)
	if s.sys.Status == store.RunTerminated {
		s.close()
		m.say("Run %s is terminated; sweeping its clouds again", id.Name)
		return m.finalSweep(ctx, id, clouds, o.Force)
	}
	if !o.NoFetch {
		if _, err := m.fetchAllLogs(ctx, s, nil); err != nil {
			m.warn("fetching the logs failed, moving on to terminate anyhow: %v", err)
		}
	}
	provs := s.sys.ByRole(RoleProvisioner)
	if len(provs) == 0 {
		m.warn("run %s has no provisioner: cannot terminate workers through it; terminating the cloudinitd-launched instances, then sweeping", id.Name)
	}
	var failed []error
	for _, p := range provs {
		h, err := provHealth(ctx, s.ch, p)
		if err == nil {
			for _, c := range h.Clouds {
				clouds = append(clouds, Cloud{IaaS: c.IaaS, IaaSURL: c.IaaSURL, StateDir: c.StateDir})
			}
			if kerr := m.keepClouds(id.Name, []ProvisionerReport{{Clouds: h.Clouds}}); kerr != nil {
				m.warn("keep the provisioner's clouds: %v", kerr)
			}
			m.say("Terminating every worker of %s (terminate_all, waiting up to %s)", p.Name, timeout)
			err = m.terminateAll(ctx, s.ch, p, timeout)
		}
		if err != nil {
			failed = append(failed, err)
			continue
		}
		m.say("Terminated all workers of %s", p.Name)
	}
	if len(provs) > 0 && (len(failed) > 0 || !o.NoFetch) {
		if _, err := m.fetchLogs(ctx, s, provs); err != nil {
			m.warn("fetching the provisioners' logs: %v", err)
		}
	}
	s.close()
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(failed) > 0 {
		alive, unswept := m.sweep(ctx, id, clouds, true)
		if !o.Force {
			return &KillError{Run: id.Name, Failed: failed, Survivors: alive, Unswept: unswept}
		}
		m.warn("--force: %v; terminating the workers through the drivers and the run anyway", errors.Join(failed...))
		if err := m.terminate(ctx, alive); err != nil {
			m.warn("%v", err)
		}
	}
	termErr := m.terminateRun(ctx, id.Name)
	return errors.Join(termErr, m.finalSweep(ctx, id, clouds, o.Force))
}

// terminateAll asks p to terminate every worker and polls (at most every
// second) until it answers done, tolerating maxCallErrors failed calls in
// a row, for at most timeout.
func (m *Manager) terminateAll(ctx context.Context, ch Channel, p Service, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	errs := 0
	var last *struct{ remaining int }
	for {
		r, err := terminateAll(ctx, ch, p)
		switch {
		case err == nil && r.Done:
			return nil
		case err == nil:
			errs = 0
			last = &struct{ remaining int }{r.Remaining}
		case ctx.Err() != nil:
		default:
			errs++
			if errs > maxCallErrors {
				return fmt.Errorf("terminate_all: %d failed calls in a row, the last: %w", errs, err)
			}
			m.warn("terminate_all: %v (failure %d of %d tolerated; trying again)", err, errs, maxCallErrors)
		}
		t := time.NewTimer(m.poll())
		select {
		case <-ctx.Done():
			t.Stop()
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				if last != nil {
					return fmt.Errorf("service %q: terminate_all not done after %s: %d node(s) may still have an instance", p.Name, timeout, last.remaining)
				}
				return fmt.Errorf("service %q: terminate_all not done after %s: no answer", p.Name, timeout)
			}
			return ctx.Err()
		case <-t.C:
		}
	}
}

// terminateRun terminates the run as 'cloudinitd terminate' does (reverse
// level order, terminate programs, every instance it launched, the owned
// instances swept) and keeps its record, marked terminated.
func (m *Manager) terminateRun(ctx context.Context, run string) error {
	db, err := store.Open(ctx, m.DBDir, run)
	if err != nil {
		return err
	}
	defer db.Close()
	eng, rel, err := m.NewEngine(db)
	if err != nil {
		return err
	}
	defer rel()
	m.say("Terminating run %s (its record is kept)", run)
	if err := eng.Terminate(ctx); err != nil {
		return fmt.Errorf("terminate run %s: %w", run, err)
	}
	m.say("Terminated run %s", run)
	return nil
}

// finalSweep searches every cloud for instances of the run still alive;
// with force it terminates them and searches again. What is left is a
// *SurvivorsError.
func (m *Manager) finalSweep(ctx context.Context, id iaas.RunID, clouds []Cloud, force bool) error {
	if len(uniqueClouds(clouds)) == 0 {
		m.warn("run %s: no cloud is known (no launched service, no provisioner's clouds recorded): nothing to sweep", id.Name)
	}
	alive, unswept := m.sweep(ctx, id, clouds, false)
	if len(alive) > 0 && force {
		if err := m.terminate(ctx, alive); err != nil {
			m.warn("%v", err)
		}
		alive, unswept = m.sweep(ctx, id, clouds, false)
		// Instances on their way out (EC2's shutting-down) get a minute.
		for deadline := m.now().Add(time.Minute); onlyTerminating(alive) && m.now().Before(deadline); {
			if err := iaas.SystemClock().Sleep(ctx, m.poll()); err != nil {
				return err
			}
			alive, unswept = m.sweep(ctx, id, clouds, false)
		}
	}
	if len(alive) > 0 || len(unswept) > 0 {
		return &SurvivorsError{Run: id.Name, Survivors: alive, Unswept: unswept}
	}
	m.say("Swept %d cloud(s): nothing of run %s is left", len(uniqueClouds(clouds)), id.Name)
	return nil
}

// onlyTerminating reports whether every survivor is already terminating.
func onlyTerminating(ss []Survivor) bool {
	for _, s := range ss {
		if s.State != iaas.StateTerminating.String() {
			return false
		}
	}
	return len(ss) > 0
}
