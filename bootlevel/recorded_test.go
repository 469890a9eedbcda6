package bootlevel

import (
	"context"
	"os"
	"testing"

	"github.com/cloudinitd/cloudinitd/plan"
	"github.com/cloudinitd/cloudinitd/store"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// recordedPlan is threeLevels with a global and a secret deps row read
// from the environment.
func recordedPlan() map[string]string {
	files := threeLevels()
	files["top.conf"] += "[globals]\nregion: here\n"
	files["two-deps.conf"] += "db_password: env.DBPW\n"
	return files
}

// TestRecordedImageIsTheRecord: the image a boot starts from when it is
// given what RecordImage wrote equals the image read from the record,
// before the boot and after it; Engine.Boot takes the image once, and
// only on its own record.
func TestRecordedImageIsTheRecord(t *testing.T) {
	h := newHarness(t, recordedPlan(), map[string]string{"DBPW": "pw-31337"})
	if h.recorded == nil {
		t.Fatal("RecordImage on a new record returned no image")
	}
	ctx := testCtx(t)
	if rows := h.recorded.take(nil); rows != nil {
		t.Fatal("the image was taken for another record")
	}
	rows := h.recorded.take(h.db)
	if rows == nil {
		t.Fatal("the image was not taken for its record")
	}
	if again := h.recorded.take(h.db); again != nil {
		t.Fatal("the image was taken twice")
	}
	rn, err := h.eng.beginFrom(ctx, CommandBoot, rows)
	if err != nil {
		t.Fatal(err)
	}
	opts := cmp.Options{cmp.AllowUnexported(view{}, entry{}), cmpopts.IgnoreFields(view{}, "mu"), cmpopts.IgnoreFields(entry{}, "mu")}
	read, err := loadView(ctx, h.db, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(read, rn.v, opts); d != "" {
		t.Errorf("image as recorded differs from the record (-record +image):\n%s", d)
	}
	if !rn.secrets().Contains("pw-31337") {
		t.Error("the secret deps row's value was not learnt from the recorded image")
	}
	if err := rn.boot(ctx, rn.grouped(), true); err != nil {
		t.Fatalf("boot: %v", err)
	}
	if read, err = loadView(ctx, h.db, nil); err != nil {
		t.Fatal(err)
	}
	after := cmp.Options{opts, cmpopts.IgnoreFields(entry{}, "bootout"), cmpopts.IgnoreFields(store.Service{}, "HostKey", "Updated")}
	if d := cmp.Diff(read, rn.v, after); d != "" {
		t.Errorf("after the boot, the image differs from the record (-record +image):\n%s", d)
	}
}

// TestBootRecorded: Engine.Boot with the recorded image boots the plan as
// it does from the record, and uses the image up.
func TestBootRecorded(t *testing.T) {
	h := newHarness(t, recordedPlan(), map[string]string{"DBPW": "pw-31337"})
	if err := h.eng.Boot(testCtx(t), BootOptions{Prelaunch: true, Recorded: h.recorded}); err != nil {
		t.Fatalf("boot: %v", err)
	}
	args, err := os.ReadFile(h.stage("three", "args.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("got-tok-123\na b\n7\n", string(args)); diff != "" {
		t.Errorf("level 3 args (-want +got):\n%s", diff)
	}
	for _, name := range []string{"one", "two", "three"} {
		if s := h.service(name); s.State != store.StateReady || s.Attempt != 1 {
			t.Errorf("%s: state %s attempt %d, want ready, 1", name, s.State, s.Attempt)
		}
	}
	if h.recorded.take(h.db) != nil {
		t.Error("Boot left the recorded image to be taken again")
	}
}

// TestRecordImageReload: on a record that holds the plan already,
// RecordImage records it again (a reload) and returns no image.
func TestRecordImageReload(t *testing.T) {
	h := newHarness(t, recordedPlan(), map[string]string{"DBPW": "pw-31337"})
	p, err := plan.Load(context.Background(), h.dir+"/top.conf", plan.Options{LookupEnv: h.lookup})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := RecordImage(context.Background(), h.db, p)
	if err != nil {
		t.Fatal(err)
	}
	if rec != nil {
		t.Error("RecordImage on a record with services returned an image")
	}
}
