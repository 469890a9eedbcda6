package bootlevel

import (
	"context"
	"fmt"
	"time"

	"github.com/cloudinitd/cloudinitd/plan"
	"github.com/cloudinitd/cloudinitd/store"
)

// Record writes a loaded plan into a run record: its levels, its services
// (replicas are plain services) with every resolved setting and its source,
// each service's deps rows as attribute-bag rows of origin deps (raw, ${}
// kept), and the globals with their rank. Every later command works from
// the record alone. On an existing record (reload) the services' settings
// and deps rows are replaced, and their state, instances and bootout.json
// attributes kept (store.DB.PutServices).
//
// A secret (plan.IsSecret) is never stored: a setting or deps row read
// from env.NAME is stored as that reference and read from the environment
// again at use; a secret global (-g) is stored without its value and must
// be given again (see docs/record.md).
func Record(ctx context.Context, db *store.DB, p *plan.Plan) error {
	if err := db.SetTopConf(ctx, p.TopFile); err != nil {
		return fmt.Errorf("record plan: %w", err)
	}
	var ls []store.Level
	var ss []store.Service
	for i, l := range p.Levels {
		ls = append(ls, store.Level{Number: l.Number, Key: l.Key, ConfFile: l.File, Position: i})
		for j, s := range l.Services {
			rs := store.Service{Name: s.Name, Level: l.Number, Position: j}
			for _, set := range s.Settings {
				st := store.Setting{Key: set.Key, Value: set.Value, Source: set.Source.String()}
				if plan.IsSecret(set.Key) {
					st.Value, st.Redacted = secretRef(set.Source.Env)
				}
				rs.Settings = append(rs.Settings, st)
			}
			for _, a := range s.Deps {
				v := a.Value
				if plan.IsSecret(a.Key) && a.Env != "" {
					v = "env." + a.Env // a literal one is a plan error; ${} text is no secret
				}
				rs.Deps = append(rs.Deps, store.Attr{Key: a.Key, Value: v})
			}
			ss = append(ss, rs)
		}
	}
	gs := make([]store.Global, 0, len(p.Globals))
	for _, g := range p.Globals {
		gs = append(gs, store.Global{Name: g.Name, Value: g.Value, Rank: g.Rank, Source: g.Source, Redacted: plan.IsSecret(g.Name)})
	}
	if err := db.SaveGlobals(ctx, gs); err != nil {
		return fmt.Errorf("record plan: globals: %w", err)
	}
	// Levels and services go last, in one transaction: a record that has
	// levels holds its whole plan (Boot refuses one without, ErrNoPlan).
	if err := db.PutPlan(ctx, ls, ss); err != nil {
		return fmt.Errorf("record plan: %w", err)
	}
	return nil
}

// secretRef is what is stored of a secret setting: its reference env.NAME,
// or nothing (redacted) when it was not read from the environment.
func secretRef(env string) (string, bool) {
	if env == "" {
		return "", true
	}
	return "env." + env, false
}

// The engine writes the record only through the helpers below (and
// setState, events.go): each writes the record first and, once the write
// succeeded, updates the image of the running command (view) the same way,
// so that the image never shows what the record does not hold.

// begin starts a command: it loads the image of the record and returns ctx
// carrying it, with the levels of the run.
func (e *Engine) begin(ctx context.Context) (context.Context, []level, error) {
	ls, err := e.DB.Levels(ctx)
	if err != nil {
		return ctx, nil, fmt.Errorf("read levels: %w", err)
	}
	v, err := loadView(ctx, e.DB)
	if err != nil {
		return ctx, nil, err
	}
	newResolver(v, e.resolverOptions()).learnSecrets()
	return withView(ctx, v), groupLevels(ls, v.all()), nil
}

// resolver returns a resolver over the command's image, or a snapshot of
// the record outside a command.
func (e *Engine) resolver(ctx context.Context) (*Resolver, error) {
	// In a dry run no boot program really runs, so no bootout.json ever
	// arrives: its attributes stay unset instead of being missing.
	_, dry := e.Connector.(DryRunConnector)
	if v := viewOf(ctx); v != nil {
		r := newResolver(v, e.resolverOptions())
		r.dryRun = dry
		return r, nil
	}
	r, err := e.loadResolver(ctx)
	if r != nil {
		r.dryRun = dry
	}
	return r, err
}

// service returns the row of svc from the command's image (the record
// outside a command).
func (e *Engine) service(ctx context.Context, svc string) (store.Service, error) {
	if v := viewOf(ctx); v != nil {
		if s, ok := v.service(svc); ok {
			return s, nil
		}
	}
	return e.DB.Service(ctx, svc)
}

// history returns the instance-history rows of svc, oldest first.
func (e *Engine) history(ctx context.Context, svc string) ([]store.HistoryRow, error) {
	if v := viewOf(ctx); v != nil {
		return v.serviceHistory(svc), nil
	}
	all, err := e.DB.InstanceHistory(ctx)
	if err != nil {
		return nil, fmt.Errorf("read instance history: %w", err)
	}
	var out []store.HistoryRow
	for _, h := range all {
		if h.Service == svc {
			out = append(out, h)
		}
	}
	return out, nil
}

// setHostname records svc's hostname ("" clears it).
func (e *Engine) setHostname(ctx context.Context, svc, hostname string) error {
	if err := e.DB.SetHostname(ctx, svc, hostname); err != nil {
		return err
	}
	if v := viewOf(ctx); v != nil {
		v.update(svc, func(s *store.Service) { s.Hostname = hostname })
	}
	return nil
}

// setLastError records svc's last error ("" clears it).
func (e *Engine) setLastError(ctx context.Context, svc, msg string) error {
	msg = e.secrets().Mask(msg)
	if err := e.DB.SetLastError(ctx, svc, msg); err != nil {
		return err
	}
	if v := viewOf(ctx); v != nil {
		v.update(svc, func(s *store.Service) { s.LastError = msg })
	}
	return nil
}

// launchIntent records that an instance is about to be launched for svc
// (store.LaunchIntent) and returns the intent's row id.
func (e *Engine) launchIntent(ctx context.Context, svc string, attempt int, token, driver string) (int64, error) {
	id, err := e.DB.LaunchIntent(ctx, svc, attempt, token, driver)
	if err != nil {
		return 0, err
	}
	if v := viewOf(ctx); v != nil {
		v.addHistory(store.HistoryRow{ID: id, Service: svc, Attempt: attempt, ClientToken: token, Driver: driver,
			Requested: time.Now(), State: store.HistoryIntent})
		v.update(svc, func(s *store.Service) { s.State, s.Attempt = store.StateLaunching, attempt })
	}
	return id, nil
}

// launchDone records the instance the launch of intent returned
// (store.LaunchDone).
func (e *Engine) launchDone(ctx context.Context, svc string, intent int64, id string, handle []byte) error {
	if err := e.DB.LaunchDone(ctx, intent, id, handle); err != nil {
		return err
	}
	if v := viewOf(ctx); v != nil {
		var row store.HistoryRow
		v.updateHistory(svc, func(h *store.HistoryRow) bool { return h.ID == intent }, func(h *store.HistoryRow) {
			h.InstanceID, h.Handle, h.Launched, h.State = id, handle, time.Now(), store.HistoryLaunched
			row = *h
		})
		v.update(svc, func(s *store.Service) {
			s.InstanceID, s.Driver, s.Handle, s.Attempt = id, row.Driver, handle, row.Attempt
			s.State, s.HostKey = store.StateLaunched, ""
		})
	}
	return nil
}

// launchFailed records that the launch of intent started nothing; a
// failure to record it is logged.
func (e *Engine) launchFailed(ctx context.Context, svc string, intent int64, cause error) {
	detail := e.secrets().MaskError(cause)
	if err := e.DB.LaunchFailed(context.WithoutCancel(ctx), intent, detail); err != nil {
		e.log().Warn("record failed launch", "intent", intent, "err", err)
		return
	}
	if v := viewOf(ctx); v != nil {
		v.updateHistory(svc, func(h *store.HistoryRow) bool { return h.ID == intent }, func(h *store.HistoryRow) {
			h.State, h.Detail = store.HistoryFailed, detail
		})
	}
}

// appendAttrs appends rows to svc's attribute bag. The values of secret
// keys are added to the command's secrets first (a bootout.json secret is
// kept in the record: later levels need it; see docs/record.md).
func (e *Engine) appendAttrs(ctx context.Context, svc string, origin store.Origin, attrs []store.Attr) error {
	for _, a := range attrs {
		if plan.IsSecret(a.Key) {
			e.secrets().Add(a.Value)
		}
	}
	if err := e.DB.AppendAttrs(ctx, svc, origin, attrs); err != nil {
		return err
	}
	if v := viewOf(ctx); v != nil {
		v.appendBag(svc, origin, attrs)
	}
	return nil
}

// markInstance records the state of one of svc's instances in the history
// (store.MarkInstance).
func (e *Engine) markInstance(ctx context.Context, svc, id string, state store.HistoryState) error {
	if err := e.DB.MarkInstance(ctx, id, state); err != nil {
		return err
	}
	if v := viewOf(ctx); v != nil {
		now := time.Now()
		v.updateHistory(svc, func(h *store.HistoryRow) bool { return h.InstanceID == id }, func(h *store.HistoryRow) {
			h.State = state
			if state == store.HistoryTerminated {
				h.Terminated = now
			}
		})
	}
	return nil
}
