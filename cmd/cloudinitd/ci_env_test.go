package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestEnvName: the documented mapping of a service attribute to its
// variable (docs/cli.md, run).
func TestEnvName(t *testing.T) {
	for _, tc := range []struct{ svc, key, want string }{
		{"web", "hostname", "CLOUDINITD_WEB_HOSTNAME"},
		{"web-1", "db.url", "CLOUDINITD_WEB_1_DB_URL"},
		{"worker-0", "instance_id", "CLOUDINITD_WORKER_0_INSTANCE_ID"},
		{"a", "b_c", "CLOUDINITD_A_B_C"},
		{"a-b", "c", "CLOUDINITD_A_B_C"}, // a collision: runVars exports neither
		{"Svc", "Mixed.Case-key", "CLOUDINITD_SVC_MIXED_CASE_KEY"},
		{"run", "id", envRunID}, // maps to a fixed name: runVars leaves it out
	} {
		if got := envName(tc.svc, tc.key); got != tc.want {
			t.Errorf("envName(%q, %q) = %q, want %q", tc.svc, tc.key, got, tc.want)
		}
	}
}

// TestEnviron: the run's variables replace inherited ones of the same
// name; everything else is inherited.
func TestEnviron(t *testing.T) {
	v := ciVars{vars: map[string]string{envRun: "new", "CLOUDINITD_WEB_HOSTNAME": "h"}}
	got := v.environ([]string{"PATH=/bin", envRun + "=old", "CLOUDINITD_OTHER=x"})
	want := []string{"CLOUDINITD_OTHER=x", envRun + "=new", "CLOUDINITD_WEB_HOSTNAME=h", "PATH=/bin"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("environ (-want +got):\n%s", d)
	}
}
