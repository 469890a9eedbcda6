package main

import (
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	cl "github.com/cloudinitd/cloudinitd/cmd/internal/cli"
	"github.com/cloudinitd/cloudinitd/plan"
)

// runPlanShow prints the resolved plan for people: every level, every
// service, each value and where it came from, each deps row, and the
// references between services. Secret values are never printed. With
// --json, the same as one JSON document (printPlanJSON).
func runPlanShow(p *plan.Plan, o options, s cl.IOStreams) error {
	if o.JSON {
		return printPlanJSON(p, s)
	}
	rel := relTo(filepath.Dir(p.TopFile))
	w := tabwriter.NewWriter(s.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "plan %s\n", displayPath(p.TopFile))
	showGlobals(w, p)
	for _, l := range p.Levels {
		fmt.Fprintf(w, "\nlevel %d (%s, %s)\n", l.Number, l.Key, rel(l.File))
		if len(l.Services) == 0 {
			fmt.Fprintf(w, "  (no services)\n")
		}
		for _, svc := range l.Services {
			showService(w, svc, rel)
		}
	}
	showReferences(w, p)
	return w.Flush()
}

func showGlobals(w io.Writer, p *plan.Plan) {
	if len(p.Globals) == 0 {
		return
	}
	fmt.Fprintf(w, "\nglobals\n")
	for _, n := range slices.SortedFunc(maps.Keys(p.Globals), plan.CompareNames) {
		g := p.Globals[n]
		fmt.Fprintf(w, "  %s\t%s\t%s\n", n, secretOr(n, g.Value), g.Source)
	}
}

func showService(w io.Writer, svc *plan.Service, rel func(string) string) {
	fmt.Fprintf(w, "\n  service %s\t\t%s:[%s]\n", svc.Name, rel(svc.File), svc.Section)
	for _, st := range svc.Settings { // sorted by key
		fmt.Fprintf(w, "    %s\t%s\t%s\n", st.Key, displayValue(st, rel), sourceText(st.Source, rel))
	}
	for _, a := range svc.Deps {
		loc := fmt.Sprintf("%s:%d", rel(a.File), a.Line)
		if a.Env != "" {
			loc = "env." + a.Env + " via " + loc
		}
		v := quoteValue(a.Value)
		if a.Env != "" {
			v = secretOr(a.Key, a.Value)
		}
		fmt.Fprintf(w, "    deps %s\t%s\t%s\n", a.Key, v, loc)
	}
}

// secretOr shows v quoted, or that it is secret when key is
// (plan.IsSecret).
func secretOr(key, v string) string {
	if plan.IsSecret(key) {
		return "(secret, not shown)"
	}
	return quoteValue(v)
}

// displayValue shows a setting's value: paths relative to the plan, secrets
// masked (only where they came from is shown).
func displayValue(st plan.Setting, rel func(string) string) string {
	if plan.IsSecret(st.Key) {
		return "(secret, not shown)"
	}
	if filepath.IsAbs(st.Value) && isPathKey(st.Key) {
		return quoteValue(rel(st.Value))
	}
	return quoteValue(st.Value)
}

func sourceText(src plan.Source, rel func(string) string) string {
	if src.File == "" {
		return src.Kind.String()
	}
	loc := fmt.Sprintf("%s:[%s]:%d", rel(src.File), src.Section, src.Line)
	if src.Env != "" {
		loc = "env." + src.Env + " via " + loc
	}
	return src.Kind.String() + " " + loc
}

func showReferences(w io.Writer, p *plan.Plan) {
	refs := p.References()
	fmt.Fprintf(w, "\ndependencies\n")
	if len(refs) == 0 {
		fmt.Fprintf(w, "  (none)\n")
		return
	}
	for _, r := range refs {
		to := r.To + "." + r.Attr
		if r.Global {
			to = "global." + r.Attr
		}
		in := r.Key
		if r.Deps {
			in = "deps " + r.Key
		}
		fmt.Fprintf(w, "  %s\tuses ${%s}\tin %s\n", r.From, to, in)
	}
}

// quoteValue shows empty values and values with edge spaces or newlines
// unambiguously.
func quoteValue(v string) string {
	if v == "" || strings.TrimSpace(v) != v || strings.ContainsAny(v, "\n\t") {
		return fmt.Sprintf("%q", v)
	}
	return v
}

// displayPath shows path relative to the working directory when it lies
// under it, else absolute.
func displayPath(path string) string {
	wd, err := os.Getwd()
	if err != nil {
		return path
	}
	return relTo(wd)(path)
}

// relTo returns a function making paths under dir relative to it.
func relTo(dir string) func(string) string {
	return func(p string) string {
		r, err := filepath.Rel(dir, p)
		if err != nil || strings.HasPrefix(r, "..") {
			return p
		}
		return r
	}
}

func isPathKey(k string) bool {
	switch k {
	case "bootconf", "bootpgm", "readypgm", "terminatepgm", "localsshkeypath":
		return true
	}
	return strings.HasPrefix(k, "deps")
}
