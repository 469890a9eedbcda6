package fake_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/fake"
)

// found is what a test compares of an instance FindByRun returned.
type found struct {
	ID, Service, Token string
	State              iaas.State
}

func findRun(t *testing.T, d *fake.Driver, run string) []found {
	t.Helper()
	is, err := d.FindByRun(context.Background(), iaas.RunID{Name: run})
	if err != nil {
		t.Fatalf("FindByRun(%q): %v", run, err)
	}
	var out []found
	for _, in := range is {
		out = append(out, found{in.ID, in.Service, in.ClientToken, in.State})
	}
	return out
}

// TestFindByRun: every instance of the run, and only those, from a fresh
// driver on the same directory (another process), terminated ones
// included, oldest first, each with its service and client token.
func TestFindByRun(t *testing.T) {
	clock := newManualClock()
	dir := t.TempDir()
	d, err := fake.New(fake.Options{Dir: dir, Clock: clock, LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	opts := map[string]string{fake.KeyRunningDelay: "0", fake.KeyTerminateDelay: "0"}
	var want []found
	for _, l := range []struct{ run, svc string }{{"r1", "db"}, {"r2", "db"}, {"r1", "web"}, {"r1", "web"}} {
		clock.Advance(time.Second)
		tok := iaas.ClientToken(l.run, l.svc, len(want)+1)
		in, err := d.Launch(context.Background(), iaas.LaunchSpec{Run: iaas.RunID{Name: l.run}, Service: l.svc, ClientToken: tok, Options: opts})
		if err != nil {
			t.Fatal(err)
		}
		if l.run == "r1" {
			want = append(want, found{in.ID, l.svc, tok, iaas.StateRunning})
		}
	}
	if err := d.Terminate(context.Background(), iaas.Ref{ID: want[1].ID}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Second)
	want[1].State = iaas.StateTerminated
	other, err := fake.New(fake.Options{Dir: dir, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, findRun(t, other, "r1")); diff != "" {
		t.Errorf("FindByRun(r1) (-want +got):\n%s", diff)
	}
	if got := findRun(t, other, "nope"); len(got) != 0 {
		t.Errorf("FindByRun(nope) = %v, want none", got)
	}
	if got := findRun(t, other, ""); len(got) != 0 {
		t.Errorf("FindByRun(\"\") = %v, want none", got)
	}
	// Describe carries the same service and token.
	is, err := other.Describe(context.Background(), iaas.Ref{ID: want[0].ID})
	if err != nil || is[0].Service != "db" || is[0].ClientToken != want[0].Token {
		t.Errorf("Describe: %+v, %v", is, err)
	}
}

func TestFindByRunMemoryAndCanceled(t *testing.T) {
	d, err := fake.New(fake.Options{Memory: true, Clock: newManualClock()})
	if err != nil {
		t.Fatal(err)
	}
	in, err := d.Launch(context.Background(), iaas.LaunchSpec{Run: iaas.RunID{Name: "m"}, Service: "s", ClientToken: "m-s-1"})
	if err != nil {
		t.Fatal(err)
	}
	got := findRun(t, d.Clone(), "m")
	if diff := cmp.Diff([]found{{in.ID, "s", "m-s-1", iaas.StatePending}}, got); diff != "" {
		t.Errorf("memory FindByRun (-want +got):\n%s", diff)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := d.FindByRun(ctx, iaas.RunID{Name: "m"}); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled FindByRun: %v", err)
	}
}
