package bootlevel

import (
	"context"
	"fmt"
	"sync"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/plan"
	"github.com/cloudinitd/cloudinitd/remote"
	"github.com/cloudinitd/cloudinitd/store"
)

// run is one command at work on the run, handed to every helper of the
// engine instead of being carried in a context: the Engine it runs on
// (embedded, so the helpers keep their receiver name e), the run's full
// identity, and the image of its record (view) that the command loaded
// when it began, from which every resolver is made. There is one code path
// per behaviour: every command has a run, and reads services, bags and
// history from its image.
//
// The engine writes the record only through the helpers below (and
// setState, setRunning, events.go): each writes the record first and, once
// the write succeeded, applies the rows the store returns to the image, so
// that the image never shows what the record does not hold.
type run struct {
	*Engine
	id     iaas.RunID
	v      *view
	levels []store.Level
	// command is the command at work (CommandBoot, ...): the programs it
	// runs get it as CLOUDINITD_COMMAND.
	command string
	// files reads the program files the command uploads, each once while
	// it does not change (the same bootpgm on every host).
	files *remote.Files
	// env is what programEnv made once for the command's programs.
	envOnce sync.Once
	env     map[string]string
}

// Commands of the engine, as the programs they run see them in
// CLOUDINITD_COMMAND. Reboot's terminate and boot halves are both
// "reboot"; repair's restarts are "repair".
const (
	CommandBoot      = "boot"
	CommandStatus    = "status"
	CommandRepair    = "repair"
	CommandReboot    = "reboot"
	CommandTerminate = "terminate"
	CommandHistory   = "history"
	CommandClean     = "clean"
	CommandValidate  = "validate"
	CommandSSH       = "ssh"
	CommandSweep     = "sweep"
)

// begin starts command: it reads the image of the record once.
func (e *Engine) begin(ctx context.Context, command string) (*run, error) {
	return e.beginFrom(ctx, command, nil)
}

// beginFrom is begin with the rows RecordImage wrote (nil: read them).
func (e *Engine) beginFrom(ctx context.Context, command string, written *store.PlanRows) (*run, error) {
	ls, err := e.DB.Levels(ctx)
	if err != nil {
		return nil, fmt.Errorf("read levels: %w", err)
	}
	v, err := loadView(ctx, e.DB, written)
	if err != nil {
		return nil, err
	}
	newResolver(v, e.resolverOptions()).learnSecrets()
	return &run{Engine: e, id: v.run, v: v, levels: ls, command: command, files: &remote.Files{}}, nil
}

// grouped returns the levels of the run with their services as the image
// holds them now, in plan order.
func (e *run) grouped() []level { return groupLevels(e.levels, e.v.all()) }

// resolver returns a resolver over the command's image: every step sees the
// bag as the record holds it at that moment. In a dry run no boot program
// really runs, so no bootout.json ever arrives: its attributes stay unset
// instead of being missing.
func (e *run) resolver() *Resolver {
	r := newResolver(e.v, e.resolverOptions())
	_, r.dryRun = e.Connector.(DryRunConnector)
	return r
}

// service returns the row of svc from the command's image.
func (e *run) service(svc string) (store.Service, error) {
	s, ok := e.v.service(svc)
	if !ok {
		return store.Service{}, fmt.Errorf("service %q: %w", svc, store.ErrNoService)
	}
	return s, nil
}

// setHostname records svc's hostname ("" clears it).
func (e *run) setHostname(ctx context.Context, svc, hostname string) error {
	if err := e.DB.SetHostname(ctx, svc, hostname); err != nil {
		return err
	}
	e.v.update(svc, func(s *store.Service) { s.Hostname = hostname })
	return nil
}

// setLastError records svc's last error ("" clears it).
func (e *run) setLastError(ctx context.Context, svc, msg string) error {
	msg = e.secrets().Mask(msg)
	if err := e.DB.SetLastError(ctx, svc, msg); err != nil {
		return err
	}
	e.v.update(svc, func(s *store.Service) { s.LastError = msg })
	return nil
}

// launchIntent records that an instance is about to be launched for svc
// (store.LaunchIntent: the service launching, at the row's attempt) and
// returns the intent's row.
func (e *run) launchIntent(ctx context.Context, svc string, attempt int, token, driver string) (store.HistoryRow, error) {
	row, err := e.DB.LaunchIntent(ctx, svc, attempt, token, driver)
	if err != nil {
		return row, err
	}
	e.v.addHistory(row)
	e.v.update(svc, func(s *store.Service) { s.State, s.Attempt = store.StateLaunching, row.Attempt })
	return row, nil
}

// launchDone records the instance the launch of intent returned
// (store.LaunchDone: the row's instance becomes the service's, host key
// cleared, state launched).
func (e *run) launchDone(ctx context.Context, intent int64, id string, handle []byte) error {
	row, err := e.DB.LaunchDone(ctx, intent, id, handle)
	if err != nil {
		return err
	}
	e.v.putHistory(row)
	e.v.update(row.Service, func(s *store.Service) {
		s.InstanceID, s.Driver, s.Handle, s.Attempt = row.InstanceID, row.Driver, row.Handle, row.Attempt
		s.State, s.HostKey = store.StateLaunched, ""
	})
	return nil
}

// launchFailed records that the launch of intent started nothing; a
// failure to record it is logged.
func (e *run) launchFailed(ctx context.Context, intent int64, cause error) {
	row, err := e.DB.LaunchFailed(context.WithoutCancel(ctx), intent, e.secrets().MaskError(cause))
	if err != nil {
		e.log().Warn("record failed launch", "intent", intent, "err", err)
		return
	}
	e.v.putHistory(row)
}

// appendAttrs appends rows to svc's attribute bag.
func (e *run) appendAttrs(ctx context.Context, svc string, origin store.Origin, attrs []store.Attr) error {
	for _, a := range attrs {
		if plan.IsSecret(a.Key) {
			e.secrets().Add(a.Value)
		}
	}
	rows, err := e.DB.AppendAttrs(ctx, svc, origin, attrs)
	if err != nil {
		return err
	}
	e.v.appendBag(svc, rows)
	return nil
}

// markInstance records the state of one of the run's instances in the
// history (store.MarkInstance).
func (e *run) markInstance(ctx context.Context, id string, state store.HistoryState) error {
	rows, err := e.DB.MarkInstance(ctx, id, state)
	if err != nil {
		return err
	}
	for _, row := range rows {
		e.v.putHistory(row)
	}
	return nil
}
