package controller

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/engine"
)

// The ingestion rules of reference §2.4 and §5.3 point 4.
func TestIngestNode(t *testing.T) {
	tests := []struct {
		name        string
		health      epu.Health // of the instance before the record
		records     []epu.Node
		wantApplied []bool
		want        engine.Instance // fields checked: State, Health, IaaSID, Site, Allocation, LaunchID, PublicIP
	}{
		{
			name:        "forward moves apply",
			records:     []epu.Node{{State: epu.Pending, IaaSID: "i-1"}, {State: epu.Running, PublicIP: "127.0.0.21"}},
			wantApplied: []bool{true, true},
			want:        engine.Instance{State: epu.Running, Health: epu.HealthUnknown, IaaSID: "i-1", PublicIP: "127.0.0.21", Site: "site-a", Allocation: "small"},
		},
		{
			name:        "a duplicate or older state is dropped",
			records:     []epu.Node{{State: epu.Running, IaaSID: "i-1"}, {State: epu.Running, IaaSID: "i-2"}, {State: epu.Pending, IaaSID: "i-3"}},
			wantApplied: []bool{true, false, false},
			want:        engine.Instance{State: epu.Running, Health: epu.HealthUnknown, IaaSID: "i-1", Site: "site-a", Allocation: "small"},
		},
		{
			name:        "a partial FAILED record keeps the previous fields",
			records:     []epu.Node{{State: epu.Started, IaaSID: "i-1", Site: "site-b", Allocation: "big", PublicIP: "127.0.0.21"}, {State: epu.Failed}},
			wantApplied: []bool{true, true},
			want:        engine.Instance{State: epu.Failed, Health: epu.HealthUnknown, IaaSID: "i-1", PublicIP: "127.0.0.21", Site: "site-b", Allocation: "big"},
		},
		{
			name:        "health kept before TERMINATING",
			health:      epu.HealthOK,
			records:     []epu.Node{{State: epu.Running}},
			wantApplied: []bool{true},
			want:        engine.Instance{State: epu.Running, Health: epu.HealthOK, Site: "site-a", Allocation: "small"},
		},
	}
	for _, resetAt := range []epu.State{epu.Terminating, epu.Terminated, epu.Failed} {
		tests = append(tests, struct {
			name        string
			health      epu.Health
			records     []epu.Node
			wantApplied []bool
			want        engine.Instance
		}{
			name: "health cleared at " + string(resetAt), health: epu.HealthMissing,
			records: []epu.Node{{State: resetAt}}, wantApplied: []bool{true},
			want: engine.Instance{State: resetAt, Health: epu.HealthUnknown, Site: "site-a", Allocation: "small"},
		})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(t.TempDir(), "scripted", nil)
			cfg.Domains[0].Site, cfg.Domains[0].Allocation = "site-a", "small"
			h := newHarness(t, cfg, &scriptedEngine{decide: launchN(1)})
			h.cycle()
			id := h.ids(epu.Requesting)[0]
			if tt.health != "" {
				d := h.domain()
				d.mu.Lock()
				target{d: d, ctx: context.Background()}.setHealth(id, tt.health, nil, "test")
				d.mu.Unlock()
			}
			var applied []bool
			for i, n := range tt.records {
				n.NodeID = id
				h.clock.Advance(time.Second)
				ok, _, _, err := h.domain().ingestNode(context.Background(), n)
				if err != nil {
					t.Fatalf("record %d: %v", i, err)
				}
				applied = append(applied, ok)
			}
			if d := cmp.Diff(tt.wantApplied, applied); d != "" {
				t.Errorf("applied (-want +got):\n%s", d)
			}
			got := h.instance(id)
			want := tt.want
			want.InstanceID, want.LaunchID = id, got.LaunchID
			if got.LaunchID == "" {
				t.Error("launch id lost")
			}
			got.StateTime, got.Errors, got.Extravars = time.Time{}, nil, nil
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("instance (-want +got):\n%s", d)
			}
			// The store has what memory has.
			h.restart()
			if d := cmp.Diff(tt.want.State, h.instance(id).State); d != "" {
				t.Errorf("stored state (-want +got):\n%s", d)
			}
		})
	}
}

func TestIngestUnknownInstanceDropped(t *testing.T) {
	h := newHarness(t, testConfig(t.TempDir(), "scripted", nil), &scriptedEngine{})
	ok, _, reason, err := h.domain().ingestNode(context.Background(), epu.Node{NodeID: "nobody", State: epu.Running})
	if ok || err != nil || reason != "unknown instance" {
		t.Fatalf("ingest of an unknown instance = %v, %q, %v; want dropped as unknown", ok, reason, err)
	}
	if got := h.ids(epu.States...); len(got) != 0 {
		t.Fatalf("instances after an unknown record: %v", got)
	}
}

// An older reading joins the changes but does not replace the current one.
func TestIngestSensorOutOfOrder(t *testing.T) {
	var seen []*engine.State
	e := &scriptedEngine{decide: func(_ int, _ engine.Control, s *engine.State) error { seen = append(seen, s); return nil }}
	h := newHarness(t, testConfig(t.TempDir(), "scripted", nil), e)
	d := h.domain()
	for _, s := range []epu.Sensor{{SensorID: "q", Time: 20, Value: 2.0}, {SensorID: "q", Time: 10, Value: 1.0}, {SensorID: "q", Time: 30, Value: 3.0}, {SensorID: "q", Time: 25, Value: 9.0}} {
		if _, err := d.ingestSensor(context.Background(), s); err != nil {
			t.Fatal(err)
		}
	}
	h.cycle()
	h.cycle()
	if got := seen[0].Sensors["q"]; got.Time != 30 || got.Value != 3.0 {
		t.Errorf("current reading %+v; want time 30 value 3", got)
	}
	if len(seen[0].SensorChanges) != 4 {
		t.Errorf("changes %v; want all four readings", seen[0].SensorChanges)
	}
	if len(seen[1].SensorChanges) != 0 || seen[1].Sensors["q"].Time != 30 {
		t.Errorf("second snapshot: changes %v, current %+v; want no changes and the same current", seen[1].SensorChanges, seen[1].Sensors["q"])
	}
	h.restart()
	if got := h.domain().sensors["q"]; got.Time != 30 || got.Value != 3.0 {
		t.Errorf("reading after restart %+v; want time 30 value 3", got)
	}
}
