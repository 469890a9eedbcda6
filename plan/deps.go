package plan

import "context"

// loadDeps reads the deps files named by the deps* settings, in
// lexicographic key order, into bag rows. A later duplicate key replaces the
// earlier row in place; a row whose env.NAME is unset is dropped. Missing
// files were already reported by resolvePath.
func (l *loader) loadDeps(ctx context.Context, set Settings) []Attr {
	var rows []Attr
	at := map[string]int{}   // row index by key
	for _, st := range set { // sorted by key
		key := st.Key
		if !isDepsKey(key) {
			continue
		}
		if l.stat(st.Value) != nil {
			continue
		}
		f := l.depsFile(ctx, st, key)
		if f == nil {
			continue
		}
		sec := f.Section("deps")
		if sec == nil {
			l.ps.errorf(st.Source.File, st.Source.Section, key, st.Source.Line, "deps file %s has no [deps] section", l.ps.rel(st.Value))
			continue
		}
		for _, k := range sec.Keys {
			v, env, ok := l.envValue(f.Path, sec.Name, k)
			if !ok {
				continue // unset: dropped (warned)
			}
			a := Attr{Key: k.Name, Value: v, File: f.Path, Line: k.Line, Env: env}
			if i, ok := at[a.Key]; ok {
				rows[i] = a
			} else {
				at[a.Key] = len(rows)
				rows = append(rows, a)
			}
		}
	}
	return rows
}
