package store

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestPutServicesReplacesDeps: a plan load writes each service's deps rows;
// a reload replaces them (a key no longer in the plan is gone, a changed
// one has its new value) and keeps the bootout.json rows after them, so a
// value the boot program gave still wins over a deps row of the same key.
func TestPutServicesReplacesDeps(t *testing.T) {
	ctx := context.Background()
	db, _ := newRun(t)
	if err := db.PutLevels(ctx, []Level{{Number: 1, Key: "level1"}}); err != nil {
		t.Fatal(err)
	}
	load := func(deps ...Attr) {
		t.Helper()
		if err := db.PutServices(ctx, []Service{{Name: "web", Level: 1, Deps: deps}}); err != nil {
			t.Fatal(err)
		}
	}
	bag := func() []Attr {
		t.Helper()
		as, err := db.Attrs(ctx, "web")
		if err != nil {
			t.Fatal(err)
		}
		return as
	}
	load(Attr{Key: "greeting", Value: "from deps"}, Attr{Key: "old", Value: "1"})
	if _, err := db.AppendAttrs(ctx, "web", OriginBootout, []Attr{{Key: "greeting", Value: "from boot"}, {Key: "token", Value: "t"}}); err != nil {
		t.Fatal(err)
	}
	load(Attr{Key: "greeting", Value: "new deps"}, Attr{Key: "new", Value: "2"}, Attr{Key: "ref", Value: "${db.hostname}"})
	want := []Attr{
		{Seq: 1, Key: "greeting", Value: "new deps", Origin: OriginDeps},
		{Seq: 2, Key: "new", Value: "2", Origin: OriginDeps},
		{Seq: 3, Key: "ref", Value: "${db.hostname}", Origin: OriginDeps},
		{Seq: 4, Key: "greeting", Value: "from boot", Origin: OriginBootout},
		{Seq: 5, Key: "token", Value: "t", Origin: OriginBootout},
	}
	if diff := cmp.Diff(want, bag()); diff != "" {
		t.Errorf("bag after reload (-want +got):\n%s", diff)
	}
	// A reload without deps leaves only the bootout rows.
	load()
	want = []Attr{
		{Seq: 1, Key: "greeting", Value: "from boot", Origin: OriginBootout},
		{Seq: 2, Key: "token", Value: "t", Origin: OriginBootout},
	}
	if diff := cmp.Diff(want, bag()); diff != "" {
		t.Errorf("bag after a reload without deps (-want +got):\n%s", diff)
	}
}
