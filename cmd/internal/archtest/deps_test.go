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
// line here and in docs/architecture.md.
var allowed = map[string][]string{
	"plan":                  {},
	"iaas":                  {},
	"iaas/fake":             {"iaas"},
	"iaas/local":            {"iaas"},
	"iaas/ec2":              {"iaas"},
	"iaas/ec2/ec2test":      {"iaas", "iaas/ec2"},
	"iaas/iaastest":         {"iaas"},
	"remote":                {},
	"remote/remotetest":     {"remote"},
	"verify/verifytest":     {"verify", "remote"},
	"verify":                {"remote"},
	"store":                 {},
	"bootlevel":             {"plan", "iaas", "remote", "verify", "store"},
	"cmd/internal/cli":      {"*"},
	"cmd/internal/archtest": {},
	"cmd/cloudinitd":        {"*"},
	"cmd/epumgmt":           {"*"},
	"bench":                 {"*"},
}

type listed struct {
	ImportPath string
	Deps       []string
}

func TestDependencyDirection(t *testing.T) {
	out, err := exec.Command("go", "list", "-json", module+"/...").Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	seen := 0
	for {
		var p listed
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		seen++
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		rules, ok := allowed[rel]
		if !ok {
			t.Errorf("package %q has no line in the dependency table of deps_test.go", rel)
			continue
		}
		if len(rules) == 1 && rules[0] == "*" {
			continue
		}
		for _, bad := range forbidden(rel, rules, p.Deps) {
			t.Errorf("package %q must not depend on %q", rel, bad)
		}
	}
	if seen < 8 {
		t.Fatalf("go list reported only %d packages; the test is not seeing the module", seen)
	}
}

// forbidden returns the module packages among deps that rel may not use.
func forbidden(rel string, rules, deps []string) []string {
	var bad []string
	for _, d := range deps {
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
	return bad
}

func TestForbiddenCatchesLayerViolations(t *testing.T) {
	deps := []string{"fmt", module + "/store", module + "/iaas"}
	got := forbidden("plan", nil, deps)
	if len(got) != 2 || got[0] != "iaas" || got[1] != "store" {
		t.Fatalf("forbidden(plan) = %v, want [iaas store]", got)
	}
	if got := forbidden("verify", []string{"remote"}, []string{module + "/remote"}); len(got) != 0 {
		t.Fatalf("verify -> remote must be allowed, got %v", got)
	}
}
