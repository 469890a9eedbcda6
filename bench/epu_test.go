package main

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestEPUFloor runs the floor child in process on a few workers: every
// worker launched once through the driver, none left live, six rows each.
func TestEPUFloor(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := epuFloorMain(t.Context(), []string{"-n", "50", "-dir", t.TempDir(), "-concurrency", "4"}, &out, &errOut); err != nil {
		t.Fatalf("floor: %v\n%s", err, errOut.String())
	}
	var st epuChildStats
	if err := json.Unmarshal(out.Bytes(), &st); err != nil {
		t.Fatal(err)
	}
	got := []int{st.Launched, st.Live, st.Rows}
	if diff := cmp.Diff([]int{50, 0, 300}, got); diff != "" {
		t.Errorf("(launched, live, rows) (-want +got):\n%s", diff)
	}
	if st.UpMS <= 0 || st.DownMS <= 0 || st.VmHWM <= 0 {
		t.Errorf("stats missing: %+v", st)
	}
}
