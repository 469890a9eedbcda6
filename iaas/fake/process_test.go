package fake_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/fake"
)

// Environment of the child processes TestCrossProcess starts by running
// this test binary again.
const (
	childDir  = "FAKE_TEST_CHILD_DIR"
	childMode = "FAKE_TEST_CHILD_MODE" // "launch" or "describe"
	childArgs = "FAKE_TEST_CHILD_ARGS" // tokens (launch) or ids (describe), comma-separated
	childCap  = "FAKE_TEST_CHILD_CAPACITY"
)

// TestChildProcess is the child side: it does what the environment asks on
// the cloud in FAKE_TEST_CHILD_DIR and prints one "key value" line per
// token or id. Skipped when run normally.
func TestChildProcess(t *testing.T) {
	dir := os.Getenv(childDir)
	if dir == "" {
		t.Skip("only run as a child of TestCrossProcess")
	}
	d, err := fake.New(fake.Options{Dir: dir, LookupEnv: noEnv})
	if err != nil {
		t.Fatal(err)
	}
	opts := map[string]string{fake.KeyRunningDelay: "0", fake.KeyTerminateDelay: "1h"}
	if c := os.Getenv(childCap); c != "" {
		opts[fake.KeyCapacity] = c
	}
	for _, arg := range strings.Split(os.Getenv(childArgs), ",") {
		switch os.Getenv(childMode) {
		case "launch":
			inst, err := d.Launch(context.Background(), iaas.LaunchSpec{ClientToken: arg, Options: opts})
			if errors.Is(err, iaas.ErrCapacity) {
				fmt.Printf("%s full\n", arg)
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			fmt.Printf("%s %s\n", arg, inst.ID)
		case "describe":
			got, err := d.Describe(context.Background(), iaas.Ref{ID: arg})
			if err != nil {
				t.Fatal(err)
			}
			fmt.Printf("%s %s\n", arg, got[0].State)
		}
	}
}

// child runs the test binary as a child process and returns its "key
// value" lines as a map.
func child(t *testing.T, dir, mode string, args []string, env ...string) map[string]string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestChildProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), childDir+"="+dir, childMode+"="+mode, childArgs+"="+strings.Join(args, ","))
	cmd.Env = append(cmd.Env, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Errorf("child %s: %v\n%s%s", mode, err, out.String(), errb.String())
		return nil
	}
	got := map[string]string{}
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), " "); ok && !strings.HasPrefix(k, "---") && k != "PASS" {
			got[k] = v
		}
	}
	return got
}

// TestCrossProcess: three processes launch the same 20 tokens at once on
// one state directory; they must agree on one instance per token. This
// process then sees them, terminates them, and a new process sees that.
func TestCrossProcess(t *testing.T) {
	dir := t.TempDir()
	var tokens []string
	for i := range 20 {
		tokens = append(tokens, fmt.Sprintf("run-web-%d", i))
	}
	results := make([]map[string]string, 3)
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() { results[i] = child(t, dir, "launch", tokens) })
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for i, r := range results {
		if len(r) != len(tokens) {
			t.Fatalf("child %d reported %d launches, want %d: %v", i, len(r), len(tokens), r)
		}
		for _, tok := range tokens {
			if r[tok] != results[0][tok] {
				t.Errorf("token %s: child %d got %s, child 0 got %s", tok, i, r[tok], results[0][tok])
			}
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "fake-*.json"))
	if len(files) != len(tokens) {
		t.Errorf("%d instance files, want %d", len(files), len(tokens))
	}

	d, err := fake.New(fake.Options{Dir: dir, LookupEnv: noEnv})
	if err != nil {
		t.Fatal(err)
	}
	var refs []iaas.Ref
	var ids []string
	for _, tok := range tokens {
		refs = append(refs, iaas.Ref{ID: results[0][tok]})
		ids = append(ids, results[0][tok])
	}
	got, err := d.Describe(context.Background(), refs...)
	if err != nil {
		t.Fatal(err)
	}
	for _, inst := range got {
		if inst.State != iaas.StateRunning {
			t.Errorf("parent sees %s %s, want running", inst.ID, inst.State)
		}
	}
	if err := d.Terminate(context.Background(), refs[:10]...); err != nil {
		t.Fatal(err)
	}
	states := child(t, dir, "describe", ids)
	for i, id := range ids {
		want := "running"
		if i < 10 {
			want = "terminating"
		}
		if states[id] != want {
			t.Errorf("new process sees %s %q, want %s", id, states[id], want)
		}
	}
}

// TestCrossProcessCapacity: three processes race to launch 10 distinct
// tokens each into a cloud of capacity 12. The lock makes the count and
// the launch one step, so exactly 12 instances exist afterwards.
func TestCrossProcessCapacity(t *testing.T) {
	dir := t.TempDir()
	var wg sync.WaitGroup
	results := make([]map[string]string, 3)
	for i := range results {
		var tokens []string
		for j := range 10 {
			tokens = append(tokens, fmt.Sprintf("p%d-%d", i, j))
		}
		wg.Go(func() { results[i] = child(t, dir, "launch", tokens, childCap+"=12") })
	}
	wg.Wait()
	launched := 0
	for _, r := range results {
		for _, v := range r {
			if v != "full" {
				launched++
			}
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "fake-*.json"))
	if launched != 12 || len(files) != 12 {
		t.Errorf("%d launches reported, %d instance files; want 12 and 12", launched, len(files))
	}
}
