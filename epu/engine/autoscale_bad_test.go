package engine_test

import (
	"errors"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cloudinitd/cloudinitd/epu/engine"
	"github.com/cloudinitd/cloudinitd/epu/engine/enginetest"
)

// TestAutoscaleGroups: execute:64 with 4-core nodes is groups of 16
// nodes, each group with its own id; a second group size is a second
// array; omitted, the group array is removed.
func TestAutoscaleGroups(t *testing.T) {
	groups := func(want map[string][]int) func(*testing.T, *enginetest.Harness, engine.AutoscaleStatus) {
		return func(t *testing.T, h *enginetest.Harness, _ engine.AutoscaleStatus) {
			t.Helper()
			ids := map[string]map[string]int{} // array → group id → nodes
			for _, id := range h.Valid() {
				v := h.State.Instances[id].Extravars
				if ids[v[engine.ArrayVar]] == nil {
					ids[v[engine.ArrayVar]] = map[string]int{}
				}
				ids[v[engine.ArrayVar]][v[engine.GroupVar]]++
			}
			got := map[string][]int{}
			for a, gs := range ids {
				for g, k := range gs {
					if g == "" {
						t.Errorf("array %s: %d nodes without a group id", a, k)
					}
					got[a] = append(got[a], k)
				}
				sort.Ints(got[a])
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("group sizes by array (-want +got):\n%s", diff)
			}
		}
	}
	runAutoscale(t, engine.Conf{"cores": 4.0}, []ask{
		{req: &engine.AutoscaleRequest{Arrays: []engine.ArrayRequest{{Name: "execute", TargetGroupCount: n(2), GroupCoreCount: n(64)}}},
			want: map[string]int{"execute:64": 32}, check: groups(map[string][]int{"execute:64": {16, 16}})},
		{req: &engine.AutoscaleRequest{Arrays: []engine.ArrayRequest{
			{Name: "execute", TargetGroupCount: n(2), GroupCoreCount: n(64)},
			{Name: "execute", TargetGroupCount: n(1), GroupInstanceCount: n(2)}}}, // execute:8
			want: map[string]int{"execute:64": 32, "execute:8": 2}, check: func(t *testing.T, h *enginetest.Harness, st engine.AutoscaleStatus) {
				groups(map[string][]int{"execute:64": {16, 16}, "execute:8": {2}})(t, h, st)
				for _, a := range st.Arrays {
					if a.Name == "execute:64" && (a.GroupSize != 16 || len(a.Groups) != 2 || a.Extends != "execute" || !a.Dynamic) {
						t.Errorf("execute:64: %+v", a)
					}
				}
			}},
		// A member of a group fails: the group is filled again with its id.
		{health: map[string]bool{"i-0001": false}, check: groups(map[string][]int{"execute:64": {16, 16}, "execute:8": {2}})},
		{req: &engine.AutoscaleRequest{Arrays: []engine.ArrayRequest{{Name: "execute", TargetGroupCount: n(1), GroupInstanceCount: n(2)}}},
			check: wantArrays(map[string]string{"execute": "", "execute:64": "removing", "execute:8": ""})},
	})
}

// TestAutoscaleBadRequests: a malformed request is refused naming the
// field, and changes nothing.
func TestAutoscaleBadRequests(t *testing.T) {
	for _, tc := range []struct {
		name  string
		req   engine.AutoscaleRequest
		field string
	}{
		{"unknown array without Dynamic", engine.AutoscaleRequest{Arrays: []engine.ArrayRequest{{Name: "execute", TargetCount: n(1)}, {Name: "cpu", TargetCount: n(1)}}}, "arrays[1].Name"},
		{"negative TargetCount", engine.AutoscaleRequest{Arrays: []engine.ArrayRequest{{Name: "execute", TargetCount: n(-1)}}}, "arrays[0].TargetCount"},
		{"negative MaxCoreCount", engine.AutoscaleRequest{Arrays: []engine.ArrayRequest{{Name: "execute", MaxCoreCount: n(-4)}}}, "arrays[0].MaxCoreCount"},
		{"group size no allocation fits", engine.AutoscaleRequest{Arrays: []engine.ArrayRequest{{Name: "execute", TargetGroupCount: n(1), GroupCoreCount: n(6)}}}, "arrays[0].GroupCoreCount"},
		{"group smaller than a node", engine.AutoscaleRequest{Arrays: []engine.ArrayRequest{{Name: "execute", TargetGroupCount: n(1), GroupCoreCount: n(2)}}}, "arrays[0].GroupCoreCount"},
		{"group without a count", engine.AutoscaleRequest{Arrays: []engine.ArrayRequest{{Name: "execute", GroupCoreCount: n(8)}}}, "arrays[0].TargetGroupCount"},
		{"group with both sizes", engine.AutoscaleRequest{Arrays: []engine.ArrayRequest{{Name: "execute", TargetGroupCount: n(1), GroupCoreCount: n(8), GroupInstanceCount: n(2)}}}, "arrays[0].GroupCoreCount"},
		{"group beyond MaxCount", engine.AutoscaleRequest{Arrays: []engine.ArrayRequest{{Name: "execute", MaxCount: n(3), TargetGroupCount: n(1), GroupInstanceCount: n(4)}}}, "arrays[0].GroupCoreCount"},
		{"Extends unknown", engine.AutoscaleRequest{Arrays: []engine.ArrayRequest{{Name: "gpu", Dynamic: true, Extends: "nope"}}}, "arrays[0].Extends"},
		{"a configured array made dynamic", engine.AutoscaleRequest{Arrays: []engine.ArrayRequest{{Name: "execute", Dynamic: true}}}, "arrays[0].Dynamic"},
		{"a group array named", engine.AutoscaleRequest{Arrays: []engine.ArrayRequest{{Name: "execute:64", Dynamic: true}}}, "arrays[0].Name"},
		{"an array named twice", engine.AutoscaleRequest{Arrays: []engine.ArrayRequest{{Name: "execute"}, {Name: "execute"}}}, "arrays[1].Name"},
		{"no arrays", engine.AutoscaleRequest{}, "arrays"},
		{"bad expiration", engine.AutoscaleRequest{ExpirationInterval: "soon", Arrays: []engine.ArrayRequest{}}, "expiration_interval"},
		{"bad request set", engine.AutoscaleRequest{RequestSet: "a b", Arrays: []engine.ArrayRequest{}}, "request_set"},
		{"dynamic array of another set", engine.AutoscaleRequest{RequestSet: "other", Arrays: []engine.ArrayRequest{{Name: "gpu", Dynamic: true}}}, "request_set"},
		{"reserved Configuration key", engine.AutoscaleRequest{Arrays: []engine.ArrayRequest{{Name: "execute", Configuration: map[string]string{engine.GroupVar: "x"}}}}, "arrays[0].Configuration"},
		{"unknown node", engine.AutoscaleRequest{Arrays: []engine.ArrayRequest{}, Nodes: []engine.NodeAttributes{{NodeID: "i-9999", KeepAlive: ptr(true)}}}, "nodes[0].NodeID"},
		{"KeepAlive missing", engine.AutoscaleRequest{Arrays: []engine.ArrayRequest{}, Nodes: []engine.NodeAttributes{{NodeID: "i-0001"}}}, "nodes[0].KeepAlive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := enginetest.New()
			e := engine.NewAutoscale()
			if err := e.Initialize(h, h.State, engine.Conf{"cores": 4.0}); err != nil {
				t.Fatal(err)
			}
			// Earlier requests: a target of 1 and a dynamic array of the
			// standard set.
			first := engine.AutoscaleRequest{Arrays: []engine.ArrayRequest{{Name: "execute", TargetCount: n(1)}, {Name: "gpu", Dynamic: true, TargetCount: n(1)}}}
			if _, err := e.Autoscale(h, h.State, first); err != nil {
				t.Fatal(err)
			}
			if err := e.Decide(h, h.State); err != nil {
				t.Fatal(err)
			}
			before := e.Status(h, h.State)
			_, err := e.Autoscale(h, h.State, tc.req)
			var re *engine.RequestError
			if !errors.As(err, &re) || !errors.Is(err, engine.ErrBadRequest) || re.Field != tc.field {
				t.Fatalf("err = %v; want a RequestError naming %s", err, tc.field)
			}
			if diff := cmp.Diff(before, e.Status(h, h.State)); diff != "" {
				t.Errorf("a refused request changed the arrays (-before +after):\n%s", diff)
			}
		})
	}
}

// TestAutoscaleConf: configuration errors name the key; cores come from
// Cores, allocation_cores, the EC2 table, then cores.
func TestAutoscaleConf(t *testing.T) {
	for _, tc := range []struct {
		conf engine.Conf
		key  string
	}{
		{engine.Conf{"cores": 0.0}, "cores"},
		{engine.Conf{"expiration_interval": "later"}, "expiration_interval"},
		{engine.Conf{"boot_timeout": -5.0}, "boot_timeout"},
		{engine.Conf{"max_count": -1.0}, "max_count"},
		{engine.Conf{"default_array": "gpu"}, "default_array"},
		{engine.Conf{"arrays": map[string]any{"execute": map[string]any{"Cores": "many"}}}, "arrays.execute.Cores"},
		{engine.Conf{"arrays": map[string]any{"execute": map[string]any{"TargetCount": 3.0}}}, "arrays.execute.TargetCount"},
		{engine.Conf{"arrays": map[string]any{"a:b": map[string]any{}}}, "arrays.a:b"},
		{engine.Conf{"allocation_cores": map[string]any{"big": 0.0}}, "allocation_cores.big"},
		{engine.Conf{"preserve_n": 3.0}, "preserve_n"},
	} {
		err := engine.NewAutoscale().Initialize(enginetest.New(), enginetest.New().State, tc.conf)
		if !errors.Is(err, engine.ErrBadConf) || !hasPrefix(err.Error(), tc.key+": ") {
			t.Errorf("conf %v: %v; want ErrBadConf naming %s", tc.conf, err, tc.key)
		}
	}
	h := enginetest.New()
	e := engine.NewAutoscale()
	conf := engine.Conf{"cores": 3.0, "allocation_cores": map[string]any{"big.box": 48.0}, "arrays": map[string]any{
		"execute": map[string]any{}, "m": map[string]any{"MachineType": "m5.4xlarge"}, "t": map[string]any{"MachineType": "t3.micro"},
		"b": map[string]any{"MachineType": "big.box"}, "c": map[string]any{"MachineType": "m5.large", "Cores": 7.0},
		"u": map[string]any{"MachineType": "unknown.type"}}}
	if err := e.Initialize(h, h.State, conf); err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, a := range e.Status(h, h.State).Arrays {
		got[a.Name] = a.Cores
	}
	want := map[string]int{"execute": 3, "m": 16, "t": 2, "b": 48, "c": 7, "u": 3}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("cores by array (-want +got):\n%s", diff)
	}
}

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }
