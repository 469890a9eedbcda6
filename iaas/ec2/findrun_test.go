package ec2_test

import (
	"testing"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/ec2"
	"github.com/cloudinitd/cloudinitd/iaas/ec2/ec2test"
)

// TestFindByRun: a process launches and dies before recording the id; a
// later one finds the instance by its run tag and can terminate it.
func TestFindByRun(t *testing.T) {
	srv := newServer(t, ec2test.Options{})
	sp := spec(srv, "lost")
	if _, err := newDriver(nil).Launch(ctx(t), sp); err != nil { // id never recorded
		t.Fatal(err)
	}
	other := sp
	other.Run, other.Service, other.ClientToken = iaas.RunID{Name: "run2"}, "other", "run2-other-1"
	if _, err := newDriver(nil).Launch(ctx(t), other); err != nil {
		t.Fatal(err)
	}
	d := ec2.Wrap(newFresh(sp), nil)
	f, ok := iaas.As[iaas.RunFinder](d)
	if !ok {
		t.Fatal("the wrapped driver does not offer RunFinder")
	}
	found, err := f.FindByRun(ctx(t), iaas.RunID{Name: "run1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 1 || found[0].ID != srv.Instances()[0].ID {
		t.Fatalf("FindByRun(run1) = %+v, want the one lost instance %s", found, srv.Instances()[0].ID)
	}
	if found[0].Service != "lost" || found[0].ClientToken != sp.ClientToken {
		t.Errorf("found instance names service %q token %q, want %q %q (tag %s, ClientToken)",
			found[0].Service, found[0].ClientToken, "lost", sp.ClientToken, ec2.TagService)
	}
	w, ok := iaas.As[interface {
		Warnings(iaas.LaunchSpec) []string
	}](d)
	nimbus := iaas.LaunchSpec{Service: "s", Region: "nimbus", Endpoint: srv.URL(), SecurityGroups: []string{"default"}}
	if !ok || len(w.Warnings(nimbus)) != 1 || len(w.Warnings(sp)) != 0 {
		t.Errorf("Warnings method through wrappers: found %v", ok)
	}
	if err := d.Terminate(ctx(t), iaas.Ref{ID: found[0].ID, Handle: found[0].Handle}); err != nil {
		t.Fatal(err)
	}
	if st := srv.Instances()[0].State; st != "terminated" {
		t.Errorf("found instance is %s after Terminate, want terminated", st)
	}
	if st := srv.Instances()[1].State; st != "running" {
		t.Errorf("the other run's instance is %s, want running", st)
	}
}
