package bootlevel

import (
	"strings"
	"testing"

	"github.com/cloudinitd/cloudinitd/iaas"
)

// TestLegacyInstancesByToken: instances launched before full run ids were
// recorded carry the run's name only. The record claims the one whose
// client token its history holds (its lost launch is recorded and
// terminated); a legacy instance of the name with a token it never issued
// is another record's: history lists it so, terminate leaves it running.
func TestLegacyInstancesByToken(t *testing.T) {
	h := newHarness(t, threeLevels())
	ctx := testCtx(t)
	legacy := iaas.RunID{Name: testRun} // no incarnation: launched by an older cloudinitd
	mineTok := iaas.ClientToken(testRun, "one", 1)
	if _, err := h.db.LaunchIntent(ctx, "one", 1, mineTok, "fake"); err != nil {
		t.Fatal(err)
	}
	mine, err := h.cloud.Launch(ctx, iaas.LaunchSpec{Run: legacy, Service: "one", Attempt: 1, ClientToken: mineTok, Image: "img"})
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := h.cloud.Launch(ctx, iaas.LaunchSpec{Run: legacy, Service: "one", Attempt: 1,
		ClientToken: iaas.ClientToken(testRun+"-0badcafe", "one", 1), Image: "img"})
	if err != nil {
		t.Fatal(err)
	}
	eng := h.reopen()
	hs, err := eng.History(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	other := map[string]string{}
	for _, e := range hs {
		other[e.InstanceID] = e.OtherRun
	}
	if got, ok := other[mine.ID]; !ok || got != "" {
		t.Errorf("history: the record's legacy instance %s: listed %v, other run %q; want its own", mine.ID, ok, got)
	}
	if other[theirs.ID] != testRun {
		t.Errorf("history: the foreign legacy instance %s is listed as another record's %q, want %q (%+v)", theirs.ID, other[theirs.ID], testRun, hs)
	}
	if s := h.service("one"); s.InstanceID != mine.ID {
		t.Errorf("one's instance is %q, want the legacy instance its token found, %s", s.InstanceID, mine.ID)
	}
	if err := eng.Terminate(ctx); err != nil {
		t.Fatalf("terminate: %v", err)
	}
	if st := h.instanceState(mine.ID); !st.Final() && st != iaas.StateTerminating {
		t.Errorf("the record's legacy instance is %s after terminate", st)
	}
	if st := h.instanceState(theirs.ID); st != iaas.StateRunning {
		t.Errorf("another record's legacy instance is %s after terminate, want running", st)
	}
	for _, row := range historyRows(t, h) {
		if row.InstanceID == theirs.ID {
			t.Errorf("the foreign instance got into the record: %+v", row)
		}
	}
	if w := warnings(h); strings.Contains(w, theirs.ID) {
		t.Errorf("warnings mention the foreign instance:\n%s", w)
	}
}
