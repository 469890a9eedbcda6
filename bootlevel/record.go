package bootlevel

import (
	"context"
	"fmt"

	"github.com/cloudinitd/cloudinitd/plan"
	"github.com/cloudinitd/cloudinitd/store"
)

// Record writes a loaded plan into a new run record: its levels, its
// services (replicas are plain services) with every resolved setting and its
// source, each service's deps rows as attribute-bag rows of origin deps (raw,
// ${} kept), and the globals with their rank. Every later command works from
// the record alone.
//
// Credentials written as env.NAME are stored as that reference; a literal
// credential is dropped by the store (see docs/record.md), and a later
// command finds it only in its environment or a profile.
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
				v := set.Value
				if plan.IsSecret(set.Key) && set.Source.Env != "" {
					v = "env." + set.Source.Env
				}
				rs.Settings = append(rs.Settings, store.Setting{Key: set.Key, Value: v, Source: set.Source.String()})
			}
			ss = append(ss, rs)
		}
	}
	if err := db.PutPlan(ctx, ls, ss); err != nil {
		return fmt.Errorf("record plan: %w", err)
	}
	for _, s := range p.Services() {
		if len(s.Deps) == 0 {
			continue
		}
		attrs := make([]store.Attr, 0, len(s.Deps))
		for _, a := range s.Deps {
			attrs = append(attrs, store.Attr{Key: a.Key, Value: a.Value})
		}
		if err := db.AppendAttrs(ctx, s.Name, store.OriginDeps, attrs); err != nil {
			return fmt.Errorf("record plan: service %q: deps: %w", s.Name, err)
		}
	}
	gs := make([]store.Global, 0, len(p.Globals))
	for _, g := range p.Globals {
		gs = append(gs, store.Global{Name: g.Name, Value: g.Value, Rank: g.Rank, Source: g.Source})
	}
	if err := db.SaveGlobals(ctx, gs); err != nil {
		return fmt.Errorf("record plan: globals: %w", err)
	}
	return nil
}
