package plan

import (
	"maps"
	"os"
	"slices"
)

// loadDeps reads the deps files named by the deps* settings, in
// lexicographic key order, into bag rows. A later duplicate key replaces the
// earlier row in place; a row whose env.NAME is unset is dropped. Missing
// files were already reported by resolvePath.
func (l *loader) loadDeps(set map[string]Setting) []Attr {
	var rows []Attr
	for _, key := range slices.Sorted(maps.Keys(set)) {
		if !isDepsKey(key) {
			continue
		}
		st := set[key]
		if _, err := os.Stat(st.Value); err != nil {
			continue
		}
		f := l.readINI(st.Value, st.Source.File, st.Source.Section, key, st.Source.Line, "deps file")
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
			if i := slices.IndexFunc(rows, func(r Attr) bool { return r.Key == a.Key }); i >= 0 {
				rows[i] = a
			} else {
				rows = append(rows, a)
			}
		}
	}
	return rows
}
