package epu

import "testing"

func TestStateOrderByNumber(t *testing.T) {
	for i := 1; i < len(States); i++ {
		if !States[i-1].Before(States[i]) || !States[i].After(States[i-1]) {
			t.Errorf("%s should come before %s", States[i-1], States[i])
		}
	}
	// As strings, "1000-X" < "650-…"; by number it is after.
	if State("1000-LATER").Before(RunningFailed) {
		t.Error("a four-digit state compared as a string")
	}
	if !Pending.Between(Pending, Terminated) || Terminated.Between(Pending, Terminated) {
		t.Error("Between is lo ≤ s < hi")
	}
}

func TestParseState(t *testing.T) {
	for in, want := range map[string]State{"600-RUNNING": Running, "running": Running, "650": RunningFailed, " TERMINATED ": Terminated} {
		got, err := ParseState(in)
		if err != nil || got != want {
			t.Errorf("ParseState(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseState("700-TERMINATE"); err == nil {
		t.Error("ParseState accepted a misspelt state")
	}
}
