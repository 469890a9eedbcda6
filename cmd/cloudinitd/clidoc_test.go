package main

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCLIDocOptions: docs/cli.md's common options and its table of each
// command's options say what help.go's commonOptions and commandOptions
// (what --help lists and options_check.go admits) say: the same flags,
// written by any of their names, for the same commands; its table of
// options has a row for each flag of the program, under its short and
// long names. A command added to commandOptions without a row, a flag
// added without its line, or a row naming a command or flag that does not
// exist fails here.
func TestCLIDocOptions(t *testing.T) {
	b, err := os.ReadFile("../../docs/cli.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	byName := map[string]string{} // any name of a flag -> its name
	for _, f := range helpApp().Flags {
		for _, n := range f.Names() {
			byName[n] = f.Names()[0]
		}
	}
	ticked := regexp.MustCompile("`([^`]+)`")
	flags := func(text string) []string {
		var out []string
		for _, m := range ticked.FindAllStringSubmatch(text, -1) {
			if !strings.HasPrefix(m[1], "-") {
				continue
			}
			name, ok := byName[strings.TrimLeft(m[1], "-")]
			if !ok {
				t.Errorf("docs/cli.md names %s, which is no flag of cloudinitd", m[1])
				continue
			}
			out = append(out, name)
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	sorted := func(names []string) []string {
		out := slices.Clone(names)
		slices.Sort(out)
		return slices.Compact(out)
	}

	_, common, ok := strings.Cut(doc, "Every command takes the common options:")
	common, _, ok2 := strings.Cut(common, "Besides")
	if !ok || !ok2 {
		t.Fatal("docs/cli.md: the sentence on the common options is gone")
	}
	if diff := cmp.Diff(sorted(commonOptions()), flags(common)); diff != "" {
		t.Errorf("common options: docs/cli.md against commonOptions (-code +doc):\n%s", diff)
	}

	_, table, ok := strings.Cut(doc, "| command | its options |\n|---|---|\n")
	if !ok {
		t.Fatal("docs/cli.md: the table of each command's options is gone")
	}
	table, _, _ = strings.Cut(table, "\n\n")
	got := map[string][]string{}
	for _, row := range strings.Split(table, "\n") {
		cells := strings.Split(strings.Trim(row, "| "), " | ")
		if len(cells) != 2 {
			t.Fatalf("docs/cli.md: row %q is not | commands | options |", row)
		}
		for _, m := range ticked.FindAllStringSubmatch(cells[0], -1) {
			if m[1] == "epu" { // its own options (epu help), not cloudinitd's
				got[m[1]] = nil
				continue
			}
			got[m[1]] = flags(cells[1])
		}
	}
	want := map[string][]string{}
	for cmd, names := range commandOptions() {
		if cmd != "" { // the program's own (--version), not a command's
			want[cmd] = sorted(names)
		}
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b []string) bool { return slices.Equal(a, b) })); diff != "" {
		t.Errorf("each command's options: docs/cli.md against commandOptions (-code +doc):\n%s", diff)
	}

	_, opts, ok := strings.Cut(doc, "| short | long | argument | default | meaning |\n|---|---|---|---|---|\n")
	if !ok {
		t.Fatal("docs/cli.md: the table of options is gone")
	}
	opts, _, _ = strings.Cut(opts, "\n\n")
	var documented []string
	for _, row := range strings.Split(opts, "\n") {
		cells := strings.Split(strings.Trim(row, "| "), " | ")
		if len(cells) < 2 {
			t.Fatalf("docs/cli.md: row %q is not | short | long | ... |", row)
		}
		names := flags(cells[0] + " " + cells[1])
		if len(names) != 1 {
			t.Errorf("docs/cli.md: row %q names %v, want one flag", row, names)
		}
		documented = append(documented, names...)
	}
	var all []string
	for _, f := range helpApp().Flags {
		all = append(all, f.Names()[0])
	}
	if diff := cmp.Diff(sorted(all), sorted(documented)); diff != "" {
		t.Errorf("the table of options: the program's flags against docs/cli.md (-code +doc):\n%s", diff)
	}
}
