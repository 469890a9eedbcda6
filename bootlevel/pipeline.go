package bootlevel

import (
	"context"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/pipeline"
	"github.com/cloudinitd/cloudinitd/store"
)

// runService runs the pipeline of one service (reference §2.3): with boot,
// the boot pipeline (wait for the instance, connect, boot program, ready
// program); without, the ready pipeline of status (instance still running,
// connect, ready program). Failures are recorded and returned as
// *ServiceError.
func (e *run) runService(ctx context.Context, lv int, s store.Service, boot bool) error {
	log, err := e.openLog(ctx, lv, s.Name)
	if err != nil {
		return e.fail(ctx, lv, s.Name, StepCheck, err, boot)
	}
	defer log.Close()
	step, err := e.pipeline(ctx, lv, s, log, boot)
	if err != nil {
		log.Printf("%s failed: %v", step, err)
		return e.fail(ctx, lv, s.Name, step, err, boot)
	}
	if boot {
		log.Printf("ready")
	} else {
		log.Printf("checked: ready")
	}
	return nil
}

// pipeline runs package pipeline's steps on s, reporting to the record
// (serviceSink), and returns the failed step and its cause.
func (e *run) pipeline(ctx context.Context, lv int, s store.Service, log *serviceLog, boot bool) (string, error) {
	// The bag is rebuilt once the hostname is known (§8.15): r reads the
	// command's image, which holds every write made so far.
	r := e.resolver()
	name := s.Name // not s: the closure would keep a copy of the row
	host := pipeline.Host{Place: func(ctx context.Context, inst *iaas.Instance) (pipeline.Place, error) {
		return e.placeOf(ctx, r, name, inst, 0)
	}}
	if flag(s, "iaas_launch") {
		d, err := e.serviceDriver(r, s.Name)
		if err != nil {
			return StepRunning, err
		}
		host.Driver, host.Ref = d, iaas.Ref{ID: s.InstanceID, Handle: s.Handle}
	}
	o := pipeline.Options{
		Boot: boot, RunBoot: boot && !booted(s.State), Contextualized: booted(s.State),
		StepTimeout: pgmTimeout(s), Running: e.Waits.Running, SSH: e.Waits.SSH,
		Env: e.programEnv(), Files: e.files, Getenv: e.getenv, Now: e.now,
	}
	p := pipeline.Pipeline{Connector: e.Connector}
	return pipeline.StepOf(p.Run(ctx, e.pipelineService(lv, r, s, log, boot), host, o))
}

// pipelineService is s as package pipeline sees it: its settings as
// recorded, its values from r, its transitions and bootout.json to the
// record, its log.
func (e *run) pipelineService(lv int, r *Resolver, s store.Service, log *serviceLog, boot bool) pipeline.Service {
	sink := &serviceSink{e: e, r: r, lv: lv, s: s, boot: boot}
	// The settings are the sink's row (never changed): no other copy.
	return pipeline.Service{Name: s.Name, Settings: &sink.s, Attrs: e.attrs(r, s.Name), State: sink, Bootout: sink, Log: log}
}

// serviceSink records what the pipeline of one service tells: events,
// state transitions, hostname, bootout.json attributes.
type serviceSink struct {
	e    *run
	r    *Resolver
	lv   int
	s    store.Service // the row as the pipeline began
	boot bool
}

var (
	_ pipeline.StateSink   = (*serviceSink)(nil)
	_ pipeline.BootoutSink = (*serviceSink)(nil)
)

func (k *serviceSink) Step(ctx context.Context, step, detail string) {
	k.e.emit(ctx, Event{Level: k.lv, Service: k.s.Name, Kind: KindStep, Step: step, Detail: detail})
}

func (k *serviceSink) Warn(ctx context.Context, step, detail string) {
	k.e.emit(ctx, Event{Level: k.lv, Service: k.s.Name, Kind: KindWarning, Step: step, Detail: detail})
}

// Running records state running with the hostname in one write when the
// boot finds the service launched; otherwise (status, a resumed boot) a
// changed hostname.
func (k *serviceSink) Running(ctx context.Context, hostname string) error {
	if k.boot && (k.s.State == store.StateLaunched || k.s.State == store.StateLaunching) {
		return k.e.setRunning(ctx, k.lv, k.s.Name, hostname) // hostname and state, one write
	}
	if hostname != k.s.Hostname {
		if err := k.e.setHostname(context.WithoutCancel(ctx), k.s.Name, hostname); err != nil {
			return &pipeline.StepError{Step: StepHostname, Err: err}
		}
	}
	return nil
}

// Hostname records a changed hostname of a service the run did not launch.
func (k *serviceSink) Hostname(ctx context.Context, hostname string) error {
	if hostname == k.s.Hostname {
		return nil
	}
	return k.e.setHostname(ctx, k.s.Name, hostname)
}

func (k *serviceSink) Booting(ctx context.Context) error {
	return k.e.setState(ctx, k.lv, k.s.Name, store.StateBooting, "")
}

func (k *serviceSink) Contextualized(ctx context.Context) error {
	return k.e.setState(ctx, k.lv, k.s.Name, store.StateContextualized, "")
}

// Ready records the service contextualized (a boot with nothing to run on
// the host) and ready (a boot, or a status of a service contextualized
// but not ready), and clears its last error.
func (k *serviceSink) Ready(ctx context.Context, ranBoot bool) error {
	cur, err := k.e.service(k.s.Name)
	if err != nil {
		return err
	}
	if ranBoot && !booted(cur.State) {
		if err := k.e.setState(ctx, k.lv, cur.Name, store.StateContextualized, ""); err != nil {
			return err
		}
		cur.State = store.StateContextualized
	}
	if k.boot || cur.State == store.StateContextualized {
		if err := k.e.setState(ctx, k.lv, cur.Name, store.StateReady, ""); err != nil {
			return err
		}
	}
	if cur.LastError != "" {
		return k.e.setLastError(context.WithoutCancel(ctx), cur.Name, "")
	}
	return nil
}

// Bootout keeps why bootout.json was ignored (for a later "has no
// attribute" error) and appends its attributes to the bag (origin
// bootout).
func (k *serviceSink) Bootout(ctx context.Context, attrs []pipeline.Attr, ignored string) error {
	k.r.v.setBootoutProblem(k.s.Name, ignored)
	if len(attrs) == 0 {
		return nil
	}
	rows := make([]store.Attr, len(attrs))
	for i, a := range attrs {
		rows[i] = store.Attr{Key: a.Key, Value: a.Value}
	}
	return k.e.appendAttrs(ctx, k.s.Name, store.OriginBootout, rows)
}
