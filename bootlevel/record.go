package bootlevel

import (
	"context"
	"fmt"

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
	_, err := RecordImage(ctx, db, p)
	return err
}

// RecordImage is Record that also returns the image of the record it
// wrote on a new record (no services yet), for the boot that follows:
// BootOptions.Recorded. On a record that held services (a reload) the
// image is nil.
func RecordImage(ctx context.Context, db *store.DB, p *plan.Plan) (*Recorded, error) {
	if err := db.SetTopConf(ctx, p.TopFile); err != nil {
		return nil, fmt.Errorf("record plan: %w", err)
	}
	gs := make([]store.Global, 0, len(p.Globals))
	for _, g := range p.Globals {
		gs = append(gs, store.Global{Name: g.Name, Value: g.Value, Rank: g.Rank, Source: g.Source, Redacted: plan.IsSecret(g.Name)})
	}
	if err := db.SaveGlobals(ctx, gs); err != nil {
		return nil, fmt.Errorf("record plan: globals: %w", err)
	}
	var ls []store.Level
	n := 0
	for _, l := range p.Levels {
		n += len(l.Services)
	}
	ss := make([]store.Service, 0, n)
	// Most settings come from the same few lines ([defaults], a cloud
	// section): their source is formatted once, and every service shares
	// the string. A line of the service's own section is its alone: it is
	// formatted where it is used (kept in the map, each was an entry more
	// of a map as large as the plan: 0.26 CPU-s at 100,000 services).
	sources := map[plan.Source]string{}
	sourceOf := func(src plan.Source) string {
		if src.Kind == plan.SourceService {
			return src.String()
		}
		s, ok := sources[src]
		if !ok {
			s = src.String()
			sources[src] = s
		}
		return s
	}
	for i, l := range p.Levels {
		ls = append(ls, store.Level{Number: l.Number, Key: l.Key, ConfFile: l.File, Position: i})
		for j, s := range l.Services {
			rs := store.Service{Name: s.Name, Level: l.Number, Position: j, Settings: make([]store.Setting, 0, len(s.Settings))}
			for _, set := range s.Settings {
				st := store.Setting{Key: set.Key, Value: set.Value, Source: sourceOf(set.Source)}
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
	// Levels and services go last, in one transaction: a record that has
	// levels holds its whole plan (Boot refuses one without, ErrNoPlan).
	// p is not used past here: when the caller keeps no reference either,
	// the loaded plan (its settings maps: 33 MB at 10,000 services) can be
	// collected while the record is written.
	rows, err := db.PutNewPlan(ctx, ls, ss)
	if err != nil {
		return nil, fmt.Errorf("record plan: %w", err)
	}
	if rows == nil {
		return nil, nil
	}
	return &Recorded{db: db, rows: rows}, nil
}

// secretRef is what is stored of a secret setting: its reference env.NAME,
// or nothing (redacted) when it was not read from the environment.
func secretRef(env string) (string, bool) {
	if env == "" {
		return "", true
	}
	return "env." + env, false
}
