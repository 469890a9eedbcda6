package local_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cloudinitd/cloudinitd/iaas"
)

// TestFindByRun: a fresh driver on the state directory (another process)
// finds every instance of the run and only those, terminated ones included,
// in launch order, with service and client token.
func TestFindByRun(t *testing.T) {
	dir := t.TempDir()
	d := newDriver(t, dir)
	a := launch(t, d, "fr", "a")
	launch(t, d, "other", "a")
	b := launch(t, d, "fr", "b")
	waitRunning(t, d, a)
	waitRunning(t, d, b)
	if err := d.Terminate(context.Background(), ref(a)); err != nil {
		t.Fatal(err)
	}
	type found struct {
		ID, Service, Token string
		State              iaas.State
	}
	fresh := newDriver(t, dir)
	is, err := fresh.FindByRun(context.Background(), iaas.RunID{Name: "fr"})
	if err != nil {
		t.Fatal(err)
	}
	var got []found
	for _, in := range is {
		got = append(got, found{in.ID, in.Service, in.ClientToken, in.State})
	}
	want := []found{
		{a.ID, "a", iaas.ClientToken("fr", "a", 1), iaas.StateTerminated},
		{b.ID, "b", iaas.ClientToken("fr", "b", 1), iaas.StateRunning},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("FindByRun (-want +got):\n%s", diff)
	}
	if len(is) == 2 && (is[1].SSH == nil || is[1].Hostname == "") {
		t.Errorf("found instance lacks its endpoint: %+v", is[1])
	}
	if none, err := fresh.FindByRun(context.Background(), iaas.RunID{Name: "nope"}); err != nil || len(none) != 0 {
		t.Errorf("FindByRun(nope) = %v, %v", none, err)
	}
	if !fresh.ProvidesSSHKey() {
		t.Error("ProvidesSSHKey is false")
	}
}
