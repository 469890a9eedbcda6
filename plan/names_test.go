package plan

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCompareNames(t *testing.T) {
	got := []string{"worker-10", "web", "worker-2", "worker-1", "run-010", "run-10", "run-9", "a", "", "worker", "worker-2b", "worker-2a"}
	slices.SortFunc(got, CompareNames)
	want := []string{"", "a", "run-9", "run-10", "run-010", "web", "worker", "worker-1", "worker-2", "worker-2a", "worker-2b", "worker-10"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sorted (-want +got):\n%s", diff)
	}
	for _, n := range want {
		if CompareNames(n, n) != 0 {
			t.Errorf("CompareNames(%q, %q) != 0", n, n)
		}
	}
}
