package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// planSpec describes a generated launch plan: levels of services sharing the
// [defaults] keys, with per-service keys on top.
type planSpec struct {
	Defaults map[string]string     // [defaults] of the top file
	Levels   [][]map[string]string // per level, per service: its own keys
	Names    [][]string            // per level, the service names
}

// writePlan writes spec as top.conf and levelN.conf under dir and returns
// the top file's path. Keys are written in sorted order, so the files are
// the same for the same spec.
func writePlan(dir string, spec planSpec) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	var top strings.Builder
	top.WriteString("[runlevels]\n")
	for i := range spec.Levels {
		fmt.Fprintf(&top, "level%d: level%d.conf\n", i+1, i+1)
	}
	if len(spec.Defaults) > 0 {
		top.WriteString("\n[defaults]\n")
		writeKeys(&top, spec.Defaults)
	}
	topPath := filepath.Join(dir, "top.conf")
	if err := os.WriteFile(topPath, []byte(top.String()), 0o644); err != nil {
		return "", err
	}
	for i, level := range spec.Levels {
		var b strings.Builder
		for j, keys := range level {
			fmt.Fprintf(&b, "[svc-%s]\n", spec.Names[i][j])
			writeKeys(&b, keys)
			b.WriteString("\n")
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("level%d.conf", i+1)), []byte(b.String()), 0o644); err != nil {
			return "", err
		}
	}
	return topPath, nil
}

func writeKeys(b *strings.Builder, keys map[string]string) {
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		fmt.Fprintf(b, "%s: %s\n", k, keys[k])
	}
}
