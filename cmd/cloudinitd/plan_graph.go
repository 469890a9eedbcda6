package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	cl "github.com/cloudinitd/cloudinitd/cmd/internal/cli"
	"github.com/cloudinitd/cloudinitd/plan"
)

// runPlanGraph writes the plan as Graphviz DOT: one cluster per level, one
// node per service, and one edge per referenced service, from the service
// that provides a value to the one that uses it, labelled with the
// attributes used. Render with: dot -Tsvg.
func runPlanGraph(p *plan.Plan, _ options, s cl.IOStreams) error {
	var b strings.Builder
	b.WriteString("digraph plan {\n")
	fmt.Fprintf(&b, "  label=%s;\n  labelloc=t;\n", dotQuote(filepath.Base(p.TopFile)))
	b.WriteString("  rankdir=LR;\n  compound=true;\n  node [shape=box, style=rounded];\n")
	for _, l := range p.Levels {
		fmt.Fprintf(&b, "  subgraph cluster_level%d {\n", l.Number)
		fmt.Fprintf(&b, "    label=%s;\n", dotQuote(fmt.Sprintf("level %d (%s)", l.Number, filepath.Base(l.File))))
		if len(l.Services) == 0 {
			fmt.Fprintf(&b, "    %s [label=\"(empty)\", shape=plaintext];\n", dotQuote(fmt.Sprintf("level%d-empty", l.Number)))
		}
		for _, svc := range l.Services {
			fmt.Fprintf(&b, "    %s;\n", dotQuote(svc.Name))
		}
		b.WriteString("  }\n")
	}
	type edge struct{ from, to string }
	attrs := map[edge][]string{}
	var order []edge
	globals := false
	for _, r := range p.References() {
		from := r.To
		if r.Global {
			from, globals = "global", true
		}
		e := edge{from, r.From}
		if _, ok := attrs[e]; !ok {
			order = append(order, e)
		}
		if !slices.Contains(attrs[e], r.Attr) {
			attrs[e] = append(attrs[e], r.Attr)
		}
	}
	if globals {
		b.WriteString("  \"global\" [shape=note, label=\"globals\"];\n")
	}
	for _, e := range order {
		a := attrs[e]
		sort.Strings(a)
		fmt.Fprintf(&b, "  %s -> %s [label=%s];\n", dotQuote(e.from), dotQuote(e.to), dotQuote(strings.Join(a, "\\n")))
	}
	b.WriteString("}\n")
	_, err := fmt.Fprint(s.Out, b.String())
	return err
}

// dotQuote quotes an ID for DOT. strconv.Quote escapes what DOT needs (" and
// \); a literal "\n" in labels is passed through by the caller on purpose.
func dotQuote(s string) string {
	q := strconv.Quote(s)
	return strings.ReplaceAll(q, `\\n`, `\n`)
}
