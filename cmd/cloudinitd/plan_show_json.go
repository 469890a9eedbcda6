package main

import (
	"encoding/json"
	"maps"
	"slices"

	cl "github.com/cloudinitd/cloudinitd/cmd/internal/cli"
	"github.com/cloudinitd/cloudinitd/plan"
)

// The document of 'plan show --json' (docs/cli.md). A secret value
// (plan.IsSecret) is null with "secret": true, as the text shows
// "(secret, not shown)".
type (
	showValueJSON struct {
		Key    string  `json:"key"`
		Value  *string `json:"value"`
		Secret bool    `json:"secret,omitempty"`
		Source string  `json:"source"` // kind, then file:[section]:line; env.NAME via ...
	}
	showDepJSON struct {
		Key    string  `json:"key"`
		Value  *string `json:"value"`
		Secret bool    `json:"secret,omitempty"`
		File   string  `json:"file"`
		Line   int     `json:"line"`
		Env    string  `json:"env,omitempty"`
	}
	showServiceJSON struct {
		Name     string          `json:"name"`
		File     string          `json:"file"`
		Section  string          `json:"section"`
		Settings []showValueJSON `json:"settings"`
		Deps     []showDepJSON   `json:"deps"`
	}
	showLevelJSON struct {
		Level    int               `json:"level"`
		Key      string            `json:"key"`
		File     string            `json:"file"`
		Services []showServiceJSON `json:"services"`
	}
	showGlobalJSON struct {
		Name   string  `json:"name"`
		Value  *string `json:"value"`
		Secret bool    `json:"secret,omitempty"`
		Rank   int     `json:"rank"`
		Source string  `json:"source"`
	}
	showRefJSON struct {
		From   string `json:"from"`
		In     string `json:"in"` // the key holding the reference
		Deps   bool   `json:"deps"`
		To     string `json:"to"` // a service, or "global"
		Attr   string `json:"attr"`
		Global bool   `json:"global"`
	}
)

// printPlanJSON writes the plan as one JSON document: what plan show
// prints, with absolute paths.
func printPlanJSON(p *plan.Plan, s cl.IOStreams) error {
	doc := struct {
		Plan       string           `json:"plan"`
		Globals    []showGlobalJSON `json:"globals"`
		Levels     []showLevelJSON  `json:"levels"`
		References []showRefJSON    `json:"references"`
	}{Plan: p.TopFile, Globals: []showGlobalJSON{}, Levels: []showLevelJSON{}, References: []showRefJSON{}}
	for _, n := range slices.SortedFunc(maps.Keys(p.Globals), plan.CompareNames) {
		g := p.Globals[n]
		v, secret := shown(n, g.Value)
		doc.Globals = append(doc.Globals, showGlobalJSON{Name: n, Value: v, Secret: secret, Rank: g.Rank, Source: g.Source})
	}
	for _, l := range p.Levels {
		lv := showLevelJSON{Level: l.Number, Key: l.Key, File: l.File, Services: []showServiceJSON{}}
		for _, svc := range l.Services {
			sj := showServiceJSON{Name: svc.Name, File: svc.File, Section: svc.Section,
				Settings: []showValueJSON{}, Deps: []showDepJSON{}}
			for _, st := range svc.Settings { // sorted by key
				v, secret := shown(st.Key, st.Value)
				sj.Settings = append(sj.Settings, showValueJSON{Key: st.Key, Value: v, Secret: secret, Source: sourceText(st.Source, func(p string) string { return p })})
			}
			for _, a := range svc.Deps {
				v, secret := shown(a.Key, a.Value)
				sj.Deps = append(sj.Deps, showDepJSON{Key: a.Key, Value: v, Secret: secret, File: a.File, Line: a.Line, Env: a.Env})
			}
			lv.Services = append(lv.Services, sj)
		}
		doc.Levels = append(doc.Levels, lv)
	}
	for _, r := range p.References() {
		to := r.To
		if r.Global {
			to = "global"
		}
		doc.References = append(doc.References, showRefJSON{From: r.From, In: r.Key, Deps: r.Deps, To: to, Attr: r.Attr, Global: r.Global})
	}
	enc := json.NewEncoder(s.Out)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// shown is v, or nil and true when key names a secret.
func shown(key, v string) (*string, bool) {
	if plan.IsSecret(key) {
		return nil, true
	}
	return &v, false
}
