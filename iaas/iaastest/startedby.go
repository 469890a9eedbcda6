package iaastest

import (
	"context"
	"testing"

	"github.com/cloudinitd/cloudinitd/iaas"
)

// testFindStartedBy: an instance launched with a StartedBy and one
// without; FindStartedBy, from a fresh driver, returns the first with its
// StartedBy, run, service and launch time, and not the second.
func (s *suite) testFindStartedBy(t *testing.T) {
	d := s.h.NewDriver(t)
	if _, ok := iaas.As[iaas.StartedByFinder](d); !ok {
		t.Skip("driver without iaas.StartedByFinder")
	}
	by := "conformance-" + randomHex(t) // unique on a shared cloud
	tagged := s.spec("started-by")
	tagged.StartedBy = by
	in := s.launch(t, d, tagged)
	plain := s.launch(t, d, s.spec("not-started-by"))

	f, _ := iaas.As[iaas.StartedByFinder](s.h.NewDriver(t)) // a fresh process
	ctx, cancel := context.WithTimeout(context.Background(), s.h.Timeout)
	defer cancel()
	found, err := f.FindStartedBy(ctx, by)
	if err != nil {
		t.Fatalf("FindStartedBy(%q): %v", by, err)
	}
	var got *iaas.Instance
	for i := range found {
		switch found[i].ID {
		case in.ID:
			got = &found[i]
		case plain.ID:
			t.Errorf("FindStartedBy(%q) returned %s, launched without StartedBy", by, plain.ID)
		}
	}
	if got == nil {
		t.Fatalf("FindStartedBy(%q) did not return %s; got %d instances", by, in.ID, len(found))
	}
	if got.StartedBy != by || got.Run != tagged.Run || got.Service != tagged.Service || got.LaunchedAt.IsZero() {
		t.Errorf("FindStartedBy: %s has started-by %q run %q service %q launched %v; want %q %q %q and a launch time",
			got.ID, got.StartedBy, got.Run, got.Service, got.LaunchedAt, by, tagged.Run, tagged.Service)
	}
	if none, err := f.FindStartedBy(ctx, by+"-none"); err != nil || len(none) != 0 {
		t.Errorf("FindStartedBy of a value nothing was launched with = %d instances, %v; want none", len(none), err)
	}
}
