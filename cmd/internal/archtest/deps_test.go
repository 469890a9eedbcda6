package archtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/cloudinitd/cloudinitd"

// allowed lists, for each package of the module (relative to the module
// root), the packages of the module it may depend on, directly or not.
// A package missing from this table fails the test: every new package gets a
// line here and in docs/architecture.md. A line for a package that no longer
// exists fails it too, so the table cannot rot.
var allowed = map[string][]string{
	"plan":                  {},
	"iaas":                  {},
	"iaas/fake":             {"iaas"},
	"iaas/local":            {"iaas"},
	"iaas/ec2":              {"iaas"},
	"iaas/drivers":          {"iaas", "iaas/local", "iaas/fake", "iaas/ec2", "plan"},
	"iaas/ec2/ec2test":      {"iaas", "iaas/ec2"},
	"iaas/iaastest":         {"iaas"},
	"remote":                {},
	"remote/remotetest":     {"remote"},
	"verify":                {"remote"},
	"store":                 {},
	"pipeline":              {"plan", "iaas", "remote", "verify"},
	"bootlevel":             {"plan", "iaas", "remote", "verify", "store", "pipeline"},
	"epu":                   {},
	"epu/api":               {"epu"},
	"epu/engine":            {"epu"},
	"epu/controller":        {"epu", "epu/api", "epu/engine"},
	"epu/engine/enginetest": {"epu", "epu/engine"},
	"epu/provisioner":       {"epu", "epu/api", "iaas", "plan"},
	"epu/mgmt": {"epu", "epu/api", "epu/engine", "epu/controller", "epu/provisioner", "bootlevel", "pipeline", "plan", "iaas",
		"remote", "verify", "store"},
	"epu/agent":               {"epu", "epu/api", "epu/engine", "epu/controller", "plan"},
	"epu/workerctx":           {"epu", "epu/api", "epu/provisioner", "pipeline", "plan", "iaas", "remote", "verify"},
	"epu/eventlog":            {},
	"cmd/internal/cli":        {"*"},
	"cmd/internal/archtest":   {},
	"cmd/internal/scripttest": {"iaas", "iaas/local"},
	"cmd/cloudinitd":          {"*"},
	"cmd/epumgmt":             {"*"},
	"cmd/cloudinitd-instance": {"iaas", "iaas/local"},
	"bench":                   {"*"},
}

// testAllowed lists what a package's tests (its _test.go files, internal
// and external) may use beyond allowed: the test doubles and servers of
// the layers below, and where a test runs against a real part, that part.
// Each entry says why.
var testAllowed = map[string][]string{
	// The driver conformance suite, and the fake EC2 server for ec2.
	"iaas/fake":  {"iaas/iaastest"},
	"iaas/local": {"iaas/iaastest"},
	"iaas/ec2":   {"iaas/iaastest", "iaas/ec2/ec2test"},
	// The executor conformance suite runs against the in-process SSH
	// server, sshd, and the SSH server of a real iaas/local instance (the
	// server that plans with iaas: local run on).
	"remote": {"remote/remotetest", "iaas", "iaas/local"},
	"verify": {"remote/remotetest"},
	// Engine tests run on the fake driver, on the EC2 driver against the
	// fake EC2 server, over the in-process SSH server, and on the local
	// driver (two records of one run name on each driver; local instances
	// re-execute the test binary, whose TestMain serves them).
	"bootlevel": {"iaas/fake", "iaas/ec2", "iaas/ec2/ec2test", "iaas/local", "remote/remotetest"},
	// The pipeline's tests run on an instance of the fake driver whose host
	// is the in-process SSH server.
	"pipeline": {"iaas/fake", "remote/remotetest"},
	// The contextualizer's tests run workers on the in-process SSH server
	// and, through a real provisioner, on local-driver instances (which
	// re-execute the test binary).
	"epu/workerctx": {"remote/remotetest", "iaas/local"},
	// The engines' scenario tables run under the original's
	// instant-RUNNING harness.
	"epu/engine": {"epu/engine/enginetest"},
	// Provisioner tests run on the fake driver (the kill test's child
	// processes too).
	"epu/provisioner": {"iaas/fake"},
	// One controller test runs against the real provisioner on the fake
	// driver over HTTP (and checks the cloud's instances through it).
	"epu/controller": {"epu/provisioner", "iaas", "iaas/fake", "plan"},
	// epumgmt's teardown and sweep tests run on the fake driver, and on
	// the EC2 driver against the fake EC2 server.
	"epu/mgmt": {"iaas/fake", "iaas/ec2", "iaas/ec2/ec2test"},
}

// listed is what go list -json says about one package or test variant.
type listed struct {
	ImportPath string
	Deps       []string
}

func TestDependencyDirection(t *testing.T) {
	out, err := exec.Command("go", "list", "-test", "-json", module+"/...").Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	seen := map[string]bool{}
	tests := 0
	usedByTests := map[string]bool{} // "rel dep"
	for {
		var p listed
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		rel, isTest, ok := variant(p.ImportPath)
		if !ok {
			continue
		}
		rules, known := allowed[rel]
		if !known {
			if !isTest {
				t.Errorf("package %q has no line in the dependency table of deps_test.go", rel)
			}
			continue
		}
		what := "package"
		if isTest {
			tests++
			what = "the tests of package"
			rules = append(slices.Clone(rules), testAllowed[rel]...)
		} else {
			seen[rel] = true
		}
		if len(rules) > 0 && rules[0] == "*" {
			continue
		}
		for _, bad := range forbidden(rel, rules, p.Deps) {
			t.Errorf("%s %q must not depend on %q", what, rel, bad)
		}
		if isTest {
			for _, d := range p.Deps {
				d, _, _ = strings.Cut(d, " [")
				usedByTests[rel+" "+strings.TrimPrefix(d, module+"/")] = true
			}
		}
	}
	if len(seen) < 8 || tests < 8 {
		t.Fatalf("go list reported only %d packages and %d test variants; the test is not seeing the module", len(seen), tests)
	}
	for _, bad := range stale(seen) {
		t.Errorf("the dependency table names %s", bad)
	}
	for rel, extras := range testAllowed {
		for _, x := range extras {
			if !usedByTests[rel+" "+x] {
				t.Errorf("testAllowed lets the tests of %q use %q, which they no longer do: remove it", rel, x)
			}
		}
	}
}

// variant reads an import path of go list -test: "M/p" is package p,
// "M/p [M/p.test]" and "M/p_test [M/p.test]" are p's tests, "M/p.test" is
// the generated test main (ok false) and so is a package recompiled for
// another package's tests.
func variant(importPath string) (rel string, isTest, ok bool) {
	path, bracket, hasBracket := strings.Cut(importPath, " [")
	if !strings.HasPrefix(path, module) {
		return "", false, false
	}
	rel = strings.TrimPrefix(strings.TrimPrefix(path, module), "/")
	if !hasBracket {
		return rel, false, !strings.HasSuffix(rel, ".test")
	}
	rel = strings.TrimSuffix(rel, "_test")
	return rel, true, strings.TrimSuffix(bracket, "]") == path0(rel)+".test"
}

// path0 is the import path of rel.
func path0(rel string) string {
	if rel == "" {
		return module
	}
	return module + "/" + rel
}

// stale returns the table's references to packages that do not exist:
// lines of allowed and testAllowed, and packages named in their rules.
func stale(exists map[string]bool) []string {
	var bad []string
	for _, table := range []map[string][]string{allowed, testAllowed} {
		for rel, rules := range table {
			if !exists[rel] {
				bad = append(bad, "package "+strconv(rel)+", which no longer exists")
			}
			for _, r := range rules {
				if r != "*" && !exists[r] {
					bad = append(bad, strconv(r)+" (in the line of "+strconv(rel)+"), which no longer exists")
				}
			}
		}
	}
	sort.Strings(bad)
	return slices.Compact(bad)
}

func strconv(s string) string { return `"` + s + `"` }

// forbidden returns the module packages among deps that rel may not use.
// A dependency recompiled for a test ("M/iaas [M/bootlevel.test]") counts
// as the package itself.
func forbidden(rel string, rules, deps []string) []string {
	var bad []string
	for _, d := range deps {
		d, _, _ = strings.Cut(d, " [")
		if !strings.HasPrefix(d, module+"/") {
			continue
		}
		dr := strings.TrimPrefix(d, module+"/")
		if dr == rel || strings.HasPrefix(dr, rel+"/internal/") {
			continue
		}
		if !slices.Contains(rules, dr) {
			bad = append(bad, dr)
		}
	}
	sort.Strings(bad)
	return slices.Compact(bad)
}

func TestForbiddenCatchesLayerViolations(t *testing.T) {
	deps := []string{"fmt", module + "/store", module + "/iaas [" + module + "/plan.test]"}
	got := forbidden("plan", nil, deps)
	if len(got) != 2 || got[0] != "iaas" || got[1] != "store" {
		t.Fatalf("forbidden(plan) = %v, want [iaas store]", got)
	}
	if got := forbidden("verify", []string{"remote"}, []string{module + "/remote"}); len(got) != 0 {
		t.Fatalf("verify -> remote must be allowed, got %v", got)
	}
}

func TestVariant(t *testing.T) {
	cases := []struct {
		in         string
		rel        string
		isTest, ok bool
	}{
		{module + "/plan", "plan", false, true},
		{module + "/plan [" + module + "/plan.test]", "plan", true, true},
		{module + "/iaas/fake_test [" + module + "/iaas/fake.test]", "iaas/fake", true, true},
		{module + "/iaas [" + module + "/iaas/fake.test]", "", false, false},
		{module + "/plan.test", "", false, false},
		{"fmt", "", false, false},
	}
	for _, tc := range cases {
		rel, isTest, ok := variant(tc.in)
		if ok != tc.ok || (ok && (rel != tc.rel || isTest != tc.isTest)) {
			t.Errorf("variant(%q) = %q, %v, %v; want %q, %v, %v", tc.in, rel, isTest, ok, tc.rel, tc.isTest, tc.ok)
		}
	}
}

func TestStaleCatchesMissingPackages(t *testing.T) {
	exists := map[string]bool{}
	for rel := range allowed {
		exists[rel] = true
	}
	if got := stale(exists); len(got) != 0 {
		t.Fatalf("stale with every package present = %v, want none", got)
	}
	delete(exists, "verify")
	got := stale(exists)
	want := []string{`"verify" (in the line of "bootlevel"), which no longer exists`, `package "verify", which no longer exists`}
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("stale without verify = %q, want it to contain %q", got, w)
		}
	}
}
