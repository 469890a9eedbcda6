package store

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// newPlan is a plan whose rows exercise every rule of the reads: levels
// and positions out of order, settings out of key order, a redacted
// setting (given with a value, which is never stored), services without
// settings or deps, deps rows with repeated keys, and values that JSON
// escapes.
func newPlan() ([]Level, []Service) {
	ls := []Level{
		{Number: 2, Key: "level2", ConfFile: "/plans/l2.conf", Position: 1},
		{Number: 1, Key: "level1", ConfFile: "/plans/l1.conf", Position: 0},
	}
	ss := []Service{
		{Name: "web", Level: 2, Position: 1, Settings: []Setting{
			{Key: "ssh_username", Value: "ubuntu", Source: "l2.conf [svc-web]"},
			{Key: "image", Value: "ami-\"1\"\\\n\tü", Source: "l2.conf [svc-web]"},
			{Key: "iaas_secret", Value: "s3cret", Source: "top.conf [defaults]", Redacted: true},
			{Key: "iaas_key", Value: "env.KEY", Source: "top.conf [defaults]"},
		}, Deps: []Attr{{Key: "url", Value: "http://${db.hostname}/"}, {Key: "url", Value: "second"}, {Key: "a", Value: ""}}},
		{Name: "app", Level: 2, Position: 0, Settings: []Setting{{Key: "image", Value: "ami-2", Source: "l2.conf [svc-app]"}}},
		{Name: "db", Level: 1, Position: 1, Settings: []Setting{}, Deps: []Attr{{Key: "port", Value: "5432"}}},
		{Name: "cache", Level: 1, Position: 0},
	}
	return ls, ss
}

// TestPutNewPlanRows: the rows PutNewPlan returns are the rows the reads
// return, stamps included.
func TestPutNewPlanRows(t *testing.T) {
	ctx := context.Background()
	db, _ := newRun(t)
	ls, ss := newPlan()
	got, err := db.PutNewPlan(ctx, ls, ss)
	if err != nil {
		t.Fatal(err)
	}
	if got == nil {
		t.Fatal("PutNewPlan on a new record returned no rows")
	}
	services, err := db.Services(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(services, got.Services); diff != "" {
		t.Errorf("services (-read +returned):\n%s", diff)
	}
	bags, err := db.Bags(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(bags, got.Bags); diff != "" {
		t.Errorf("bags (-read +returned):\n%s", diff)
	}
}

// TestPutNewPlanReload: on a record that holds services PutNewPlan is
// PutPlan (a reload keeps the services' state), returns no rows and
// leaves the services it was given as they were.
func TestPutNewPlanReload(t *testing.T) {
	ctx := context.Background()
	db, _ := newRun(t)
	ls, ss := newPlan()
	if _, err := db.PutNewPlan(ctx, ls, ss); err != nil {
		t.Fatal(err)
	}
	if err := db.SetState(ctx, "web", StateReady, ""); err != nil {
		t.Fatal(err)
	}
	_, ss = newPlan()
	ss[0].Settings = []Setting{{Key: "image", Value: "ami-3", Source: "l2.conf [svc-web]"}}
	_, given := newPlan()
	given[0].Settings = ss[0].Settings
	got, err := db.PutNewPlan(ctx, ls, ss)
	if err != nil {
		t.Fatal(err)
	}
	if got != nil {
		t.Errorf("PutNewPlan on a record with services returned rows: %+v", got)
	}
	if diff := cmp.Diff(given, ss); diff != "" {
		t.Errorf("PutNewPlan on a reload changed the services it was given (-before +after):\n%s", diff)
	}
	web, err := db.Service(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	if web.State != StateReady {
		t.Errorf("state of web after the reload: %s, want %s", web.State, StateReady)
	}
	if diff := cmp.Diff(ss[0].Settings, web.Settings); diff != "" {
		t.Errorf("settings of web after the reload (-want +got):\n%s", diff)
	}
}

// BenchmarkNewPlanRows10k is what PutNewPlan does besides PutPlan's
// writes for 10,000 services: the rows it returns (BenchmarkServices10k
// is the read they replace).
func BenchmarkNewPlanRows10k(b *testing.B) {
	now := time.Now()
	b.ReportAllocs()
	var cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		_, ss := planOf(10000) // newPlanRows works in place
		b.StartTimer()
		cpu0 := cpuTime(b)
		got := newPlanRows(ss, now)
		cpu += cpuTime(b) - cpu0
		if len(got.Services) != len(ss) {
			b.Fatal(len(got.Services))
		}
	}
	b.ReportMetric(float64(cpu)/float64(b.N)/1e6, "cpu-ms/op")
}
