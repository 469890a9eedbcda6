package mgmt

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseAction(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Action
		err  bool
	}{
		{"status", ActionStatus, false},
		{"  Inspect ", ActionStatus, false},
		{"KILLALL", ActionKillRun, false},
		{"killrun", ActionKillRun, false},
		{"fetchkill", ActionFetchKill, false},
		{"reconfigure-n", ActionReconfigureN, false},
		{"find-workers", ActionFindWorkers, false},
		{"logfetch", ActionLogFetch, false},
		{"enable", ActionEnable, false},
		{"load", "", true},
		{"frob", "", true},
		{"", "", true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseAction(tc.in)
			if (err != nil) != tc.err || got != tc.want {
				t.Fatalf("ParseAction(%q) = %q, %v; want %q, error %v", tc.in, got, err, tc.want, tc.err)
			}
			if err != nil && !errors.Is(err, ErrUsage) {
				t.Errorf("error %v is not ErrUsage", err)
			}
		})
	}
}

func TestParseNewN(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []NewN
	}{
		{"epu-sleeper:5", []NewN{{"epu-sleeper", 5}}},
		{"a:1, b/d:0", []NewN{{"a", 1}, {"b/d", 0}}},
		{"a", nil},
		{"a:1:2", nil},
		{":3", nil},
		{"a:-1", nil},
		{"a:x", nil},
		{"", nil},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseNewN(tc.in)
			if tc.want == nil {
				if !errors.Is(err, ErrUsage) {
					t.Fatalf("ParseNewN(%q) = %v, %v; want a usage error", tc.in, got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	for name, tc := range map[string]struct {
		o  Options
		ok bool
	}{
		"no name":             {Options{Action: ActionStatus}, false},
		"status":              {Options{Action: ActionStatus, Run: "r"}, true},
		"fetchkill no ctrl":   {Options{Action: ActionFetchKill, Run: "r", KillNum: 1}, false},
		"fetchkill no k":      {Options{Action: ActionFetchKill, Run: "r", Controller: "c"}, false},
		"fetchkill":           {Options{Action: ActionFetchKill, Run: "r", Controller: "c", KillNum: 2}, true},
		"reconfigure no newn": {Options{Action: ActionReconfigureN, Run: "r"}, false},
		"reconfigure":         {Options{Action: ActionReconfigureN, Run: "r", NewN: []NewN{{"c", 1}}}, true},
		"negative timeout":    {Options{Action: ActionKillRun, Run: "r", Timeout: -time.Second}, false},
	} {
		t.Run(name, func(t *testing.T) {
			err := tc.o.Validate()
			if (err == nil) != tc.ok {
				t.Fatalf("Validate() = %v, want ok %v", err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrUsage) {
				t.Errorf("%v is not ErrUsage", err)
			}
		})
	}
}
