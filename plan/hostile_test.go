package plan

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
)

func replaceInFile(path, old, new string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return os.WriteFile(path, []byte(strings.Replace(string(data), old, new, 1)), 0o644)
}

// doubling returns a deps file of n rows each twice the one before, in
// order (aN: ${.aN-1}${.aN-1}) or, with ahead, each naming the next row
// (aN: ${.aN+1}${.aN+1}), as in the issue.
func doubling(n int, ahead bool) string {
	var b strings.Builder
	b.WriteString("[deps]\n")
	if ahead {
		for i := range n - 1 {
			fmt.Fprintf(&b, "a%d: ${.a%d}${.a%d}\n", i, i+1, i+1)
		}
		fmt.Fprintf(&b, "a%d: xy\n", n-1)
		return b.String()
	}
	b.WriteString("a0: xy\n")
	for i := 1; i < n; i++ {
		fmt.Fprintf(&b, "a%d: ${.a%d}${.a%d}\n", i, i-1, i-1)
	}
	return b.String()
}

func loadFiles(t *testing.T, files map[string]string, opts Options) (*Plan, error) {
	t.Helper()
	return Load(context.Background(), writeFiles(t, t.TempDir(), files), opts)
}

// problemsOf returns the problems of an invalid plan.
func problemsOf(t *testing.T, err error) []Problem {
	t.Helper()
	var ie *InvalidError
	if !errors.As(err, &ie) {
		t.Fatalf("Load = %v, want an *InvalidError", err)
	}
	return ie.Problems
}

// TestLoadBoundedExpansion: 40 doubling rows (2^40 bytes at the end) are an
// error at the first row over MaxValueSize, naming file, section and key;
// every row after it fails through it. Before, expansion was exponential
// (25 rows: 56 s, 632 MB).
func TestLoadBoundedExpansion(t *testing.T) {
	top := map[string]string{
		"top.conf":    "[defaults]\nimage: img\n[runlevels]\nlevel1: level1.conf\n",
		"level1.conf": "[svc-s]\ndeps: deps.conf\nbootpgm_args: ${.a39}\n",
		"deps.conf":   doubling(40, false),
	}
	_, err := loadFiles(t, top, Options{})
	ps := problemsOf(t, err)
	// aN is 2^(N+1) bytes: a20 is the first over 1 MiB.
	want := Problem{File: "deps.conf", Section: "deps", Key: "a20", Line: 22,
		Msg: "${.a19}: the value expands to more than 1048576 bytes"}
	if ps[0] != want {
		t.Errorf("first problem = %+v\nwant %+v", ps[0], want)
	}
	if !strings.Contains(ps[len(ps)-1].Msg, "${.a39}: ${.a38}: ${.a37}: ${.a36}: … 13 more …: ${.a22}: ${.a21}: ${.a20}: ${.a19}: the value") {
		t.Errorf("a deep path is not shortened: %s", ps[len(ps)-1].Msg)
	}
	if len(ps) != 21 { // a20 ... a39, and bootpgm_args
		t.Errorf("%d problems, want 21", len(ps))
	}

	top["deps.conf"] = doubling(40, true)
	_, err = loadFiles(t, top, Options{})
	for _, p := range problemsOf(t, err)[:39] {
		if !strings.Contains(p.Msg, "comes later") {
			t.Errorf("look-ahead row: %v", p)
		}
	}
}

// TestLoadGlobalBlowup: doubling globals used by every one of many
// services are expanded once, and refused once they pass the limit.
func TestLoadGlobalBlowup(t *testing.T) {
	var g, svcs strings.Builder
	g.WriteString("[globals]\ng0: xy\n")
	for i := 1; i < 40; i++ {
		fmt.Fprintf(&g, "g%d: ${global.g%d}${global.g%d}\n", i, i-1, i-1)
	}
	for i := range 200 {
		fmt.Fprintf(&svcs, "[svc-s%d]\nbootpgm_args: ${global.g39}\n", i)
	}
	_, err := loadFiles(t, map[string]string{
		"top.conf":    "[defaults]\nimage: img\n[runlevels]\nlevel1: level1.conf\n" + g.String(),
		"level1.conf": svcs.String(),
	}, Options{})
	ps := problemsOf(t, err)
	if len(ps) != 200 || !errors.Is(err, ErrInvalid) || !strings.Contains(ps[0].Msg, "expands to more than 1048576 bytes") {
		t.Errorf("%d problems, first %v", len(ps), ps[0])
	}
}

// TestLoadDeepChains: a chain of rows three times deeper than references
// may nest loads and expands (rows are expanded in order, so the chain
// never nests); a chain of globals deeper than maxNesting is an error, not
// a stack overflow.
func TestLoadDeepChains(t *testing.T) {
	n := 3 * maxNesting
	p, err := Load(context.Background(), writeChainPlan(t, n), Options{})
	if err != nil {
		t.Fatal(err)
	}
	// A fresh Expander, as at run time, asked for the last row.
	last := fmt.Sprintf("${.a%d}", n-1)
	if got, err := Expand(last, "chain", p.Resolver("")); err != nil || got != "x" {
		t.Errorf("%s = %q, %v", last, got, err)
	}
	var g strings.Builder
	g.WriteString("[globals]\ng0: x\n")
	for i := 1; i <= maxNesting+10; i++ {
		fmt.Fprintf(&g, "g%d: ${global.g%d}\n", i, i-1)
	}
	_, err = loadFiles(t, map[string]string{
		"top.conf":    "[defaults]\nimage: img\n[runlevels]\nlevel1: level1.conf\n" + g.String(),
		"level1.conf": fmt.Sprintf("[svc-s]\nbootpgm_args: ${global.g%d}\n", maxNesting+10),
	}, Options{})
	ps := problemsOf(t, err)
	if len(ps) != 1 || !strings.Contains(ps[0].Msg, fmt.Sprintf("references nest more than %d deep", maxNesting)) || ps[0].Key != "bootpgm_args" {
		t.Errorf("problems = %v", ps)
	}
}

// TestLoadCancel: a cancelled context stops a load at once, and a load
// whose context is cancelled while it reads services stops within a few
// thousand services, with an error wrapping context.Canceled.
func TestLoadCancel(t *testing.T) {
	top := writeWidePlan(t, 20000)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Load(ctx, top, Options{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Load with a cancelled context = %v", err)
	}

	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	var lookups atomic.Int64
	// Every service of writeWidePlan has image env.IMG (via [defaults]):
	// the loader looks it up once per service.
	opts := Options{LookupEnv: func(string) (string, bool) {
		if lookups.Add(1) == 100 {
			cancel()
		}
		return "img", true
	}}
	if err := replaceInFile(top, "image: img", "image: env.IMG"); err != nil {
		t.Fatal(err)
	}
	_, err := Load(ctx, top, opts)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), top) {
		t.Fatalf("Load cancelled midway = %v", err)
	}
	// The level files load concurrently (one loader per processor), each
	// loader checking the context before a service: when the 100th lookup
	// cancels, each other loader may be past its check, one lookup each.
	if extra, most := lookups.Load()-100, int64(runtime.GOMAXPROCS(0)-1); extra < 0 || extra > most {
		t.Errorf("the load went on for %d services after it was cancelled; want at most %d (one per other loader)", extra, most)
	}
}

// TestBagTooLarge: a service's expanded bag over MaxBagSize is an error at
// load (at the service) and when the bag is expanded at run time.
func TestBagTooLarge(t *testing.T) {
	var deps strings.Builder
	deps.WriteString(doubling(19, false)) // a18: 2^19 bytes
	for i := range 40 {
		fmt.Fprintf(&deps, "c%d: ${.a18}${.a18}\n", i) // 1 MiB each
	}
	_, err := loadFiles(t, map[string]string{
		"top.conf":    "[defaults]\nimage: img\n[runlevels]\nlevel1: level1.conf\n",
		"level1.conf": "[svc-s]\ndeps: deps.conf\n",
		"deps.conf":   deps.String(),
	}, Options{})
	ps := problemsOf(t, err)
	want := Problem{File: "level1.conf", Section: "svc-s", Line: 1, Msg: `the bag of service "s" expands to more than 16777216 bytes`}
	if len(ps) != 1 || ps[0] != want {
		t.Errorf("problems = %v", ps)
	}

	big := strings.Repeat("x", MaxValueSize)
	r := &fakeResolver{fields: map[string]map[string]string{"s": {"image": big}}}
	var rs []string
	for i := range 20 {
		rs = append(rs, fmt.Sprintf("r%d", i), "${.image}")
	}
	r.rows = map[string][]Row{"s": rows(rs...)}
	if _, err := NewExpander(r).Bag("s"); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Bag = %v, want ErrTooLarge", err)
	}
}
