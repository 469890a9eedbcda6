package store

import (
	"context"
	"fmt"
	"testing"
)

// scalePlanOf returns n services over 10 levels shaped as the bench scale
// suite's plan records them (bench/scale.go): 11 settings a service, most
// from [defaults] and the built-ins, each with its source text (a file
// path and line), so that a service's settings row is as long as in the
// scale boot (about 840 bytes).
func scalePlanOf(n int) ([]Level, []Service) {
	const dir = "/tmp/bench-2478539718/scale-10000"
	var ls []Level
	for i := 1; i <= 10; i++ {
		ls = append(ls, Level{Number: i, Key: fmt.Sprintf("level%d", i), ConfFile: fmt.Sprintf("%s/plan/level%d.conf", dir, i), Position: i - 1})
	}
	top := dir + "/plan/top.conf:[defaults]:"
	ss := make([]Service, n)
	for i := range ss {
		lv := i%10 + 1
		ss[i] = Service{Name: fmt.Sprintf("s%05d", i), Level: lv, Position: i / 10, Settings: []Setting{
			{Key: "allocation", Value: "bench.small", Source: fmt.Sprintf("%s/plan/level%d.conf:[svc-s%05d]:%d", dir, lv, i, 2+3*(i/10))},
			{Key: "bootpgm", Value: dir + "/programs/boot.sh", Source: top + "14"},
			{Key: "fake_launch_delay", Value: "0", Source: top + "15"},
			{Key: "fake_running_delay", Value: "0", Source: top + "16"},
			{Key: "iaas", Value: "fake", Source: top + "17"},
			{Key: "iaas_launch", Value: "true", Source: "derived"},
			{Key: "image", Value: "bench-image", Source: top + "18"},
			{Key: "local_exe", Value: "false", Source: "built-in"},
			{Key: "pgm_timeout", Value: "1200", Source: "built-in"},
			{Key: "readypgm", Value: dir + "/programs/ready.sh", Source: top + "19"},
			{Key: "ssh_port", Value: "22", Source: "built-in"},
		}}
	}
	return ls, ss
}

// BenchmarkPutPlanScale10k is recording the scale suite's plan of 10,000
// services (bootlevel.Record's PutPlan, a single-threaded phase before the
// boot): levels, service rows and settings rows in one transaction, on a
// new record.
func BenchmarkPutPlanScale10k(b *testing.B) {
	ls, ss := scalePlanOf(10000)
	benchPut(b, nil, func(ctx context.Context, db *DB) error { return db.PutPlan(ctx, ls, ss) })
}

// BenchmarkServicesScale10k is the image read at the start of every
// command (store.Services) of the scale suite's record of 10,000
// services.
func BenchmarkServicesScale10k(b *testing.B) {
	ls, ss := scalePlanOf(10000)
	benchServices(b, ls, ss)
}

// BenchmarkPrelaunchWrites10k is the pre-launch's share of the writer:
// 10,000 services' launch intents and their results (LaunchIntent, then
// LaunchDone), concurrent as the pre-launch makes them, on the scale
// plan's record.
func BenchmarkPrelaunchWrites10k(b *testing.B) {
	ls, ss := scalePlanOf(10000)
	benchPut(b, putPlan(ls, ss), func(ctx context.Context, db *DB) error {
		return eachService(ss, 1024, func(s Service) error { // the pre-launch's bound (bootlevel)
			in, err := db.LaunchIntent(ctx, s.Name, 1, "bench-5fab3d63-"+s.Name+"-1", "fake")
			if err == nil {
				_, err = db.LaunchDone(ctx, in.ID, "fake-"+s.Name, []byte(`{"dry_run":false}`))
			}
			return err
		})
	})
}

// BenchmarkCreate is making a new record (store.Create: the lock, the
// schema and run row under a temporary name, the rename, the open that
// switches it to WAL) and closing it, before any plan is recorded: its
// time is mostly the disk's (fsync), so ns/op is the figure here.
func BenchmarkCreate(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	for i := 0; b.Loop(); i++ {
		db, err := Create(ctx, dir, fmt.Sprintf("b%d", i), Run{})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		db.Delete()
		b.StartTimer()
	}
}
