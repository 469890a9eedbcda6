package bootlevel

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/cloudinitd/cloudinitd/store"
)

// Event kinds.
const (
	KindLevelStart   = "level-start"   // a level begins (Level set)
	KindLevelDone    = "level-done"    // every service of the level succeeded
	KindLevelFailed  = "level-failed"  // at least one service of the level failed
	KindLevelSkipped = "level-skipped" // not started because an earlier level failed
	KindState        = "state"         // a service changed state (State set)
	KindStep         = "step"          // a service step begins (Step set)
	KindOutput       = "output"        // one line of a running program (Detail); not journaled
	KindWarning      = "warning"       // something worth telling that is not a failure
	KindChecked      = "checked"       // a service passed its ready checks (status, repair); State is its state
)

// Event is one thing the engine reports while it works. Every event but
// KindOutput is also appended to the run's journal (store.AppendEvent;
// store.QueueEvent for KindStep); Seq is then the journal's sequence
// number. State events are journaled by store.SetState itself and output
// events not at all: their Seq is 0.
type Event struct {
	Seq     int64
	Time    time.Time
	Run     string
	Level   int    // level number, 0 for run-wide events
	Service string // empty for level and run events
	Kind    string // one of the Kind* constants
	State   string // the service state after a KindState event
	Step    string // the step concerned: launch, running, port, ssh, bootpgm...
	Stream  string // output events: "stdout" or "stderr"
	Detail  string
}

// Observer receives the engine's events, in order per service. Event must
// return quickly and may be called from several goroutines at once.
type Observer interface {
	Event(Event)
}

// NopObserver discards every event.
type NopObserver struct{}

// Event implements Observer.
func (NopObserver) Event(Event) {}

// MultiObserver sends every event to each of its observers in turn.
type MultiObserver []Observer

// Event implements Observer.
func (m MultiObserver) Event(e Event) {
	for _, o := range m {
		if o != nil {
			o.Event(e)
		}
	}
}

// ObserverFunc adapts a function to Observer.
type ObserverFunc func(Event)

// Event implements Observer.
func (f ObserverFunc) Event(e Event) { f(e) }

// emit journals e (unless it is output) and passes it to the observer.
// Journal failures are logged, never fatal: the journal is a diagnostic.
func (e *Engine) emit(ctx context.Context, ev Event) {
	ev.Run = e.DB.Name()
	ev.Detail = e.secrets().Mask(ev.Detail)
	if ev.Time.IsZero() {
		ev.Time = e.now()
	}
	if ev.Kind != KindOutput && ev.Kind != KindState && !e.DB.ReadOnly() {
		lvl := "INFO"
		switch ev.Kind {
		case KindWarning:
			lvl = "WARN"
		case KindLevelFailed:
			lvl = "ERROR"
		case KindStep, KindLevelSkipped:
			lvl = "DEBUG"
		}
		detail := ev.Detail
		if ev.Step != "" {
			detail = ev.Step + ": " + detail
		}
		if ev.Level != 0 && ev.Service == "" {
			detail = "level " + itoa(ev.Level) + ": " + detail
		}
		se := store.Event{Time: ev.Time, Level: lvl, Service: ev.Service, Event: ev.Kind, Detail: detail}
		var seq int64
		var err error
		if ev.Kind == KindStep {
			// A step's row is numbered at once and committed with the
			// writes under way (store.QueueEvent): the step does not wait
			// for a commit of its own, which was 5 of a booted service's
			// 11 writes. What recovery reads (intents, states) is written
			// with AppendEvent's guarantee, before the step goes on.
			seq, err = e.DB.QueueEvent(context.WithoutCancel(ctx), se)
		} else {
			seq, err = e.DB.AppendEvent(context.WithoutCancel(ctx), se)
		}
		if err != nil {
			e.log().Warn("journal event", "kind", ev.Kind, "err", err)
		}
		ev.Seq = seq
	}
	if e.Observer != nil {
		e.Observer.Event(ev)
	}
}

// emitState reports a state change the store journaled itself.
func (e *Engine) emitState(ctx context.Context, level int, svc string, st store.State, detail string) {
	e.emit(ctx, Event{Level: level, Service: svc, Kind: KindState, State: string(st), Detail: detail})
}

// emitStep reports (and journals) the start of a step of svc.
func (e *Engine) emitStep(ctx context.Context, level int, svc, step, detail string) {
	e.emit(ctx, Event{Level: level, Service: svc, Kind: KindStep, Step: step, Detail: detail})
}

// setState records svc's new state (journaled by the store) and reports it.
func (e *run) setState(ctx context.Context, level int, svc string, st store.State, detail string) error {
	detail = e.secrets().Mask(detail)
	if err := e.DB.SetState(context.WithoutCancel(ctx), svc, st, detail); err != nil {
		return fmt.Errorf("record state %s: %w", st, err)
	}
	e.v.update(svc, func(s *store.Service) { s.State = st })
	e.emit(ctx, Event{Level: level, Service: svc, Kind: KindState, State: string(st), Detail: detail})
	return nil
}

// setRunning records svc's hostname and its state running in one write
// (store.SetRunning) and reports the state.
func (e *run) setRunning(ctx context.Context, level int, svc, hostname string) error {
	detail := e.secrets().Mask("hostname " + hostname)
	if err := e.DB.SetRunning(context.WithoutCancel(ctx), svc, hostname, detail); err != nil {
		return fmt.Errorf("record state %s: %w", store.StateRunning, err)
	}
	e.v.update(svc, func(s *store.Service) { s.State, s.Hostname = store.StateRunning, hostname })
	e.emit(ctx, Event{Level: level, Service: svc, Kind: KindState, State: string(store.StateRunning), Detail: detail})
	return nil
}

// setStateHostname records svc's new state and its hostname ("" clears
// it) in one write (store.SetStateHostname) and reports the state.
func (e *run) setStateHostname(ctx context.Context, level int, svc string, st store.State, hostname string) error {
	if err := e.DB.SetStateHostname(context.WithoutCancel(ctx), svc, st, hostname, ""); err != nil {
		return fmt.Errorf("record state %s: %w", st, err)
	}
	e.v.update(svc, func(s *store.Service) { s.State, s.Hostname = st, hostname })
	e.emit(ctx, Event{Level: level, Service: svc, Kind: KindState, State: string(st)})
	return nil
}

// plural returns "1 service", "2 services".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
