package iaastest

import (
	"context"
	"maps"
	"testing"

	"github.com/cloudinitd/cloudinitd/iaas"
)

// testFindByRun: two records of one run name (two incarnations) and an
// owned instance. FindByRun of either id, from a fresh driver, returns
// every instance of the name with its full id, service, token and owner;
// RunID.Claims keeps each record's own and leaves the other's; another
// name's instance is not returned.
func (s *suite) testFindByRun(t *testing.T) {
	d := s.h.NewDriver(t)
	if _, ok := iaas.As[iaas.RunFinder](d); !ok {
		if s.h.RunFinder {
			t.Fatal("the driver does not offer iaas.RunFinder (through its wrappers)")
		}
		t.Skip("driver without iaas.RunFinder")
	}
	a := s.run
	b := iaas.RunID{Name: a.Name, Incarnation: randomHex(t)}
	other := randomRun(t)
	specFor := func(run iaas.RunID, svc, owner string) iaas.LaunchSpec {
		sp := s.spec(svc)
		sp.Run, sp.Owner = run, owner
		sp.ClientToken = iaas.ClientToken(run.String(), svc, 1)
		return sp
	}
	ia := s.launch(t, d, specFor(a, "find-a", ""))
	ib := s.launch(t, d, specFor(b, "find-b", ""))
	ownedSpec := specFor(a, "find-owned", "find-a")
	ownedSpec.Tags = map[string]string{"launch_id": "l-1", "node_id": "n-1"}
	io := s.launch(t, d, ownedSpec)
	ix := s.launch(t, d, specFor(other, "find-a", ""))

	f, _ := iaas.As[iaas.RunFinder](s.h.NewDriver(t)) // a fresh process
	ctx, cancel := context.WithTimeout(context.Background(), s.h.Timeout)
	defer cancel()
	found, err := f.FindByRun(ctx, a)
	if err != nil {
		t.Fatalf("FindByRun(%s): %v", a, err)
	}
	byID := map[string]iaas.Instance{}
	for _, in := range found {
		byID[in.ID] = in
	}
	if _, ok := byID[ix.ID]; ok {
		t.Errorf("FindByRun(%s) returned %s, launched under another name (%s)", a, ix.ID, other)
	}
	want := []struct {
		inst           iaas.Instance
		run            iaas.RunID
		svc, owner     string
		claimA, claimB bool
	}{
		{ia, a, "find-a", "", true, false},
		{ib, b, "find-b", "", false, true},
		{io, a, "find-owned", "find-a", true, false},
	}
	for _, w := range want {
		got, ok := byID[w.inst.ID]
		if !ok {
			t.Errorf("FindByRun(%s) did not return %s (service %s, run %s); got %d instances", a, w.inst.ID, w.svc, w.run, len(found))
			continue
		}
		if got.Run != w.run || got.Service != w.svc || got.Owner != w.owner || got.ClientToken != iaas.ClientToken(w.run.String(), w.svc, 1) {
			t.Errorf("FindByRun: %s has run %q service %q owner %q token %q; want %q %q %q %q", got.ID,
				got.Run, got.Service, got.Owner, got.ClientToken, w.run, w.svc, w.owner, iaas.ClientToken(w.run.String(), w.svc, 1))
		}
		if w.owner != "" && !maps.Equal(got.Tags, ownedSpec.Tags) {
			t.Errorf("FindByRun: %s has tags %v; want %v", got.ID, got.Tags, ownedSpec.Tags)
		}
		if c := a.Claims(got, nil); c != w.claimA {
			t.Errorf("%s.Claims(%s of %s) = %v, want %v", a, got.ID, got.Run, c, w.claimA)
		}
		if c := b.Claims(got, nil); c != w.claimB {
			t.Errorf("%s.Claims(%s of %s) = %v, want %v", b, got.ID, got.Run, c, w.claimB)
		}
	}
	if got, err := f.FindByRun(ctx, iaas.RunID{Name: a.Name + "-none", Incarnation: a.Incarnation}); err != nil || len(got) != 0 {
		t.Errorf("FindByRun of a name nothing was launched under = %d instances, %v; want none", len(got), err)
	}
}
