package plan

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
)

// loadGlobals merges the three ranks of global variables: [globals] of the
// top file (rank 1, may be nil), each -G file's [globals] (rank 2) and each
// -g KEY=VALUE (rank 3). Within a rank a later definition wins. Values are
// literal: no env.NAME substitution.
func (l *loader) loadGlobals(ctx context.Context, top *INISection) map[string]Global {
	g := map[string]Global{}
	fromSection := func(path string, s *INISection, rank int) {
		for _, k := range s.Keys {
			if k.Unset() {
				continue
			}
			if IsSecret(k.Name) {
				l.ps.errorf(path, s.Name, k.Name, k.Line, "%s", literalSecret(k.Name,
					"a deps file row (NAME: env.VAR) or -g "+k.Name+"=VALUE"))
				continue
			}
			g[k.Name] = Global{
				Name: k.Name, Value: k.Value, Rank: rank,
				Source: fmt.Sprintf("%s:[%s]:%d", l.ps.rel(path), s.Name, k.Line),
			}
		}
	}
	if top != nil {
		fromSection(l.top, top, 1)
	}
	for _, name := range l.opts.GlobalFiles {
		path, err := filepath.Abs(name)
		if err != nil {
			l.ps.errorf(name, "", "", 0, "global variable file: %v", err)
			continue
		}
		f := l.readINI(ctx, path, "", "", "", 0, "global variable file")
		if f == nil {
			continue
		}
		s := f.Section("globals")
		if s == nil {
			l.ps.errorf(path, "", "", 0, "global variable file has no [globals] section")
			continue
		}
		fromSection(path, s, 2)
	}
	for _, kv := range l.opts.GlobalVars {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			l.ps.errorf("", "", "", 0, "invalid global variable %q: want KEY=VALUE", kv)
			continue
		}
		g[k] = Global{Name: k, Value: v, Rank: 3, Source: "-g"}
	}
	return g
}
