package bootlevel

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/pipeline"
	"github.com/cloudinitd/cloudinitd/plan"
	"github.com/cloudinitd/cloudinitd/store"
)

// needsLaunch decides whether s needs an instance launched. It returns the
// pending intent to complete (a crash between intent and launch result:
// relaunch with the same attempt and token, which an idempotent driver
// answers with the instance it may already have started), or the next
// attempt number for a new instance; launch false means s has its instance.
func (e *run) needsLaunch(s store.Service) (launch bool, pending *store.HistoryRow, attempt int) {
	if !flag(s, "iaas_launch") {
		return false, nil, 0
	}
	last, ok, maxAttempt := e.v.launchHistory(s.Name)
	if ok && last.State == store.HistoryIntent && last.InstanceID == "" {
		pending := last // on the heap only here: last stays on the stack
		return true, &pending, pending.Attempt
	}
	if s.InstanceID != "" && s.State != store.StateTerminated {
		return false, nil, 0
	}
	return true, nil, max(s.Attempt, maxAttempt) + 1
}

// ensureInstance launches an instance for s when it needs one and returns
// the service row as recorded afterwards.
func (e *run) ensureInstance(ctx context.Context, lv int, s store.Service) (store.Service, error) {
	launched, err := e.launchIfNeeded(ctx, lv, &s)
	if err != nil || !launched {
		return s, err
	}
	return e.service(s.Name)
}

// launchIfNeeded launches an instance for s when it needs one (see
// needsLaunch) and reports whether it did.
//
// The functions of a launch keep small frames where they wait for the
// record (launchIntent, emit, launchDone) and do the deep work (spec,
// Driver.Launch) in callees without waits: the pre-launch runs up to
// prelaunchWorkers launches at once, and the stack each keeps while it
// waits is what they cost in memory.
func (e *run) launchIfNeeded(ctx context.Context, lv int, s *store.Service) (bool, error) {
	launch, pending, attempt := e.needsLaunch(*s)
	if !launch {
		return false, nil
	}
	return true, e.launchService(ctx, lv, e.resolver(), s, pending, attempt)
}

// launch records the intent, calls Driver.Launch and records its result
// (launchService).
func (e *run) launch(ctx context.Context, lv int, r *Resolver, s store.Service, pending *store.HistoryRow, attempt int) error {
	return e.launchService(ctx, lv, r, &s, pending, attempt)
}

// clientToken is the idempotency token of a launch: the run's name and
// incarnation, the service and the attempt. The incarnation (random, made
// with the record) keeps a run that reuses the name of a terminated one
// from being handed that run's instances by the cloud's idempotency check.
func (e *run) clientToken(svc string, attempt int) string {
	name := e.id.Name
	if e.id.Incarnation != "" {
		name += "-" + e.id.Incarnation
	}
	return iaas.ClientToken(name, svc, attempt)
}

// launchService records the intent, calls Driver.Launch and records its
// result. The result is recorded under a clean-up context, so that a
// Ctrl-C after the cloud accepted the launch cannot leave the instance
// unrecorded.
func (e *run) launchService(ctx context.Context, lv int, r *Resolver, s *store.Service, pending *store.HistoryRow, attempt int) error {
	d, err := e.serviceDriver(r, s.Name)
	if err != nil {
		return err
	}
	token := e.clientToken(s.Name, attempt)
	var intent int64
	if pending != nil {
		intent, token = pending.ID, pending.ClientToken
		if err := e.setState(ctx, lv, s.Name, store.StateLaunching, "relaunch with token "+token); err != nil {
			return err
		}
	} else {
		row, err := e.launchIntent(context.WithoutCancel(ctx), s.Name, attempt, token, d.Name())
		if err != nil {
			return fmt.Errorf("record launch intent: %w", err)
		}
		intent = row.ID
		e.emitState(ctx, lv, s.Name, store.StateLaunching, "token "+token)
	}
	e.emitStep(ctx, lv, s.Name, StepLaunch, "attempt "+strconv.Itoa(attempt))
	inst, called, err := e.callLaunch(ctx, r, s, d, attempt, token)
	if err != nil {
		if !called || ctx.Err() == nil {
			e.launchFailed(ctx, intent, err) // a wrong spec, or the cloud said no: nothing was started
		} // else: the outcome is unknown; the intent stays for terminate and resume
		return err
	}
	cctx, cancel := e.cleanup(ctx)
	defer cancel()
	if err := e.launchDone(cctx, intent, inst.ID, inst.Handle); err != nil { // clears the host key
		return fmt.Errorf("record launched instance %s: %w", inst.ID, err)
	}
	e.emitState(ctx, lv, s.Name, store.StateLaunched, inst.ID)
	return nil
}

// callLaunch builds the launch request of s and gives it to d; called
// reports whether d was asked (false: the spec could not be built).
func (e *run) callLaunch(ctx context.Context, r *Resolver, s *store.Service, d iaas.Driver, attempt int, token string) (inst *iaas.Instance, called bool, err error) {
	spec, err := e.spec(r, *s, d, attempt, token)
	if err != nil {
		return nil, false, err
	}
	got, err := d.Launch(ctx, spec)
	if err != nil {
		return nil, true, err
	}
	return &got, true, nil
}

// spec builds the launch request of s, every value expanded. Every field
// comes from the service's settings (Resolver.Setting, or credential),
// never from a same-named deps or bootout.json attribute.
func (e *run) spec(r *Resolver, s store.Service, d iaas.Driver, attempt int, token string) (iaas.LaunchSpec, error) {
	get := func(key string) (string, error) { return r.Setting(s.Name, key) }
	spec := iaas.LaunchSpec{Run: e.id, Service: s.Name, Attempt: attempt, ClientToken: token,
		StartedBy: e.v.startedBy, Options: map[string]string{}}
	var err error
	if spec.Image, err = get("image"); err != nil {
		return spec, err
	}
	if spec.Allocation, err = get("allocation"); err != nil {
		return spec, err
	}
	if spec.Endpoint, err = get("iaas_url"); err != nil {
		return spec, err
	}
	if spec.KeyName, err = get("sshkeyname"); err != nil {
		return spec, err
	}
	name, err := get("iaas")
	if err != nil {
		return spec, err
	}
	if name != "" && !strings.EqualFold(name, d.Name()) {
		spec.Region = name
	}
	sg, err := get("securitygroups")
	if err != nil {
		return spec, err
	}
	spec.SecurityGroups = strings.FieldsFunc(sg, func(c rune) bool { return c == ',' || c == ' ' })
	// Credentials come from the service's own settings (or, unset, the
	// driver's default chain), never from its attribute bag: a deps row
	// or a bootout.json key named iaas_key must not redirect the run.
	if spec.Credentials.Key, err = r.requiredCredential(s, "iaas_key"); err != nil {
		return spec, err
	}
	if spec.Credentials.Secret, err = r.requiredCredential(s, "iaas_secret"); err != nil {
		return spec, err
	}
	for _, set := range s.Settings {
		if plan.IsDriverOption(set.Key) {
			v, err := get(set.Key)
			if err != nil {
				return spec, err
			}
			spec.Options[set.Key] = v
		}
	}
	return spec, nil
}

// describe returns the driver's view of s's current instance
// (pipeline.Describe).
func (e *run) describe(ctx context.Context, d iaas.Driver, s store.Service) (iaas.Instance, error) {
	return pipeline.Describe(ctx, d, iaas.Ref{ID: s.InstanceID, Handle: s.Handle})
}

// instanceGone explains an instance that will not run (again).
func instanceGone(inst iaas.Instance) error { return pipeline.InstanceGone(inst) }

// prelaunchWorkers bounds the pre-launch's launches in flight when Parallel
// does not. Every driver admits only a few calls at once (iaas.DefaultWrap:
// 32, EC2: 8), so more launches at once only wait for a slot or for the
// record's writer, each on a goroutine stack of its own: one goroutine per
// service held 80 MiB of stacks at 10,000 services, 800 MiB at 100,000
// (docs/performance.md). The bound is also the most writes the record's
// group commit can take in one transaction while the pre-launch runs (each
// launch waits for its intent, its step event and its result in turn): at
// 256, 10,000 launches took 427 transactions of 70 writes on average, and
// the pre-launch, bound by the single writer, was 45 % of the boot; at
// 1,024, 89 transactions of 337. 1,024 goroutines cost a few MiB of
// stacks, whatever the plan's size.
const prelaunchWorkers = 1024

// prelaunch launches, concurrently (bounded by Parallel, or by
// prelaunchWorkers when Parallel is 0), every service of every level that
// needs an instance, before level 1 starts: machine start-up overlaps the
// work of earlier levels.
func (e *run) prelaunch(ctx context.Context, ls []level) error {
	type item struct {
		lv int
		s  *store.Service // the level's row: launchIfNeeded does not change it
	}
	n := 0
	for _, l := range ls {
		n += len(l.Services)
	}
	items := make([]item, 0, n)
	for _, l := range ls {
		for j := range l.Services {
			items = append(items, item{l.Number, &l.Services[j]})
		}
	}
	errs := make([]error, len(items))
	limit := prelaunchWorkers
	if e.Parallel > 0 {
		limit = e.Parallel
	}
	w := newWorkers(limit) // at most limit goroutines, each launching in turn
	for i := range items {
		w.run(func() {
			it := &items[i]
			if _, err := e.launchIfNeeded(ctx, it.lv, it.s); err != nil {
				errs[i] = e.fail(ctx, it.lv, it.s.Name, StepLaunch, err, true)
			}
		})
	}
	w.close()
	return errors.Join(errs...)
}
