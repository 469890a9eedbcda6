package bootlevel

import (
	"context"
	"errors"
	"testing"

	"github.com/cloudinitd/cloudinitd/store"
)

// TestBootRefusesRecordWithoutPlan: a record created by a boot that was
// killed before it wrote the plan holds no levels; booting or resuming it
// is ErrNoPlan (a resume used to "succeed" with nothing launched).
func TestBootRefusesRecordWithoutPlan(t *testing.T) {
	ctx := context.Background()
	db, err := store.Create(ctx, t.TempDir(), testRun, store.Run{TopConf: "top.conf"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	e := &Engine{DB: db}
	for _, resume := range []bool{false, true} {
		err := e.Boot(ctx, BootOptions{Resume: resume})
		if !errors.Is(err, ErrNoPlan) {
			t.Errorf("Boot(resume %v) of a record without a plan: %v, want ErrNoPlan", resume, err)
		}
	}
}
