package bootlevel

import (
	"testing"

	"github.com/cloudinitd/cloudinitd/store"
	"github.com/google/go-cmp/cmp"
)

// TestGroupLevels: services go under their levels in the levels' order,
// each level's in the order given, whether ss is in plan order (each
// level one run of it) or not; a level without services has none.
func TestGroupLevels(t *testing.T) {
	ls := []store.Level{{Number: 2}, {Number: 1}, {Number: 3}}
	svc := func(name string, level int) store.Service { return store.Service{Name: name, Level: level} }
	for _, tc := range []struct {
		name string
		ss   []store.Service
		want map[int][]string
	}{
		{"plan order", []store.Service{svc("a", 2), svc("b", 2), svc("c", 1)},
			map[int][]string{2: {"a", "b"}, 1: {"c"}}},
		{"interleaved", []store.Service{svc("a", 2), svc("c", 1), svc("b", 2), svc("d", 3)},
			map[int][]string{2: {"a", "b"}, 1: {"c"}, 3: {"d"}}},
		{"none", nil, map[int][]string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := groupLevels(ls, tc.ss)
			var numbers []int
			names := map[int][]string{}
			for _, l := range got {
				numbers = append(numbers, l.Number)
				for _, s := range l.Services {
					names[l.Number] = append(names[l.Number], s.Name)
				}
			}
			if d := cmp.Diff([]int{2, 1, 3}, numbers); d != "" {
				t.Errorf("levels (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tc.want, names); d != "" {
				t.Errorf("services by level (-want +got):\n%s", d)
			}
		})
	}
}
