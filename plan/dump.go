package plan

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Dump renders the resolved plan as stable, human-readable text: levels,
// services with each setting and its source, deps rows, globals, clouds and
// warnings. Paths are shown relative to the top file's directory so the
// text does not depend on where the plan lives; credentials are masked.
func (p *Plan) Dump() string {
	var b strings.Builder
	dir := filepath.Dir(p.TopFile)
	rel := func(path string) string {
		if r, err := filepath.Rel(dir, path); err == nil {
			return filepath.ToSlash(r)
		}
		return path
	}
	fmt.Fprintf(&b, "plan %s\n", rel(p.TopFile))
	if len(p.Clouds) > 0 {
		fmt.Fprintf(&b, "clouds %s\n", strings.Join(p.Clouds, " "))
	}
	for _, name := range sortedKeys(p.Globals) {
		g := p.Globals[name]
		v := g.Value
		if IsSecret(name) {
			v = "<secret>"
		}
		fmt.Fprintf(&b, "global %s = %q (rank %d, %s)\n", g.Name, v, g.Rank, g.Source)
	}
	for _, l := range p.Levels {
		fmt.Fprintf(&b, "level %d (%s: %s)\n", l.Number, l.Key, rel(l.File))
		for _, s := range l.Services {
			fmt.Fprintf(&b, "  service %s [%s] %s:%d", s.Name, s.Section, rel(s.File), s.Line)
			if s.IsReplica() {
				fmt.Fprintf(&b, " replica %d of %s", s.Replica, s.Base)
			}
			b.WriteString("\n")
			for _, st := range s.Settings {
				k, v := st.Key, st.Value
				info, _ := lookupKey(k)
				switch {
				case IsSecret(k):
					v = "<secret>"
				case info.path:
					v = rel(v)
				}
				fmt.Fprintf(&b, "    %s = %q (%s)\n", k, v, st.Source.format(rel))
			}
			for _, a := range s.Deps {
				src := fmt.Sprintf("%s:%d", rel(a.File), a.Line)
				if a.Env != "" {
					src = "env." + a.Env + " via " + src
				}
				v := a.Value
				if IsSecret(a.Key) && a.Env != "" {
					v = "<secret>"
				}
				fmt.Fprintf(&b, "    dep %s = %q (%s)\n", a.Key, v, src)
			}
		}
	}
	if len(p.Warnings) > 0 {
		b.WriteString("warnings\n")
	}
	for _, w := range p.Warnings {
		fmt.Fprintf(&b, "  %s\n", w.Error())
	}
	return b.String()
}
