package mgmt

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cloudinitd/cloudinitd/store"
)

// TestLoadSystem: roles from epu_role in the bootout, else the original's
// names (exactly provisioner, epu-*); everything else is the base system.
func TestLoadSystem(t *testing.T) {
	dir := t.TempDir()
	fixture(t, dir, "r1", []svcFixture{
		{name: "web", host: "h0", level: 1},
		{name: "provisioner", host: "h1", level: 1, bootout: map[string]string{"epu_state_dir": "/s/p"}},
		{name: "provisioner-start", host: "h1", level: 1},
		{name: "epu-sleeper", host: "h2", level: 2},
		{name: "pool", host: "h3", level: 2, bootout: map[string]string{"epu_role": "Controller", "epu_state_dir": "/s/c", "api_url": "http://h3:1"}},
		{name: "odd", host: "h4", level: 3, bootout: map[string]string{"epu_role": "agent"}},
		{name: "epu-x", host: "h5", level: 3, settings: map[string]string{"iaas_launch": "true", "iaas": "us-east-1", "iaas_url": "http://127.0.0.1:9"}},
	})
	ctx := context.Background()
	db, err := store.OpenReadOnly(ctx, dir, "r1")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sys, err := LoadSystem(ctx, db, dir)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Name, Host, StateDir string
		Role                 Role
		From                 string
	}
	var got []row
	for _, s := range sys.Services {
		got = append(got, row{s.Name, s.Hostname, s.StateDir, s.Role, s.RoleFrom})
	}
	want := []row{
		{"web", "h0", "", RoleBase, ""},
		{"provisioner", "h1", "/s/p", RoleProvisioner, "name"},
		{"provisioner-start", "h1", "", RoleBase, ""},
		{"epu-sleeper", "h2", "", RoleController, "name"},
		{"pool", "h3", "/s/c", RoleController, "epu_role"},
		{"odd", "h4", "", RoleBase, ""},
		{"epu-x", "h5", "", RoleController, "name"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("services (-want +got):\n%s", diff)
	}
	if len(sys.Warnings) != 1 {
		t.Errorf("warnings = %q, want one about epu_role agent", sys.Warnings)
	}
	if diff := cmp.Diff([]Cloud{{IaaS: "us-east-1", IaaSURL: "http://127.0.0.1:9", StateDir: dir}}, sys.Clouds); diff != "" {
		t.Errorf("clouds (-want +got):\n%s", diff)
	}
}

// TestMissingRun: no record is store.ErrNoRun and nothing else is done
// (no engine, no channel, no driver).
func TestMissingRun(t *testing.T) {
	dir := t.TempDir()
	ch := &fakeChannel{answer: func(Service, []string) (any, error) { t.Error("a daemon was called"); return nil, nil }}
	m, _, _ := testManager(t, dir, ch, nil)
	m.NewEngine = nil // would panic if used
	m.OpenDriver = nil
	for _, a := range Actions() {
		o := Options{Action: a, Run: "nosuch", Controller: "c", KillNum: 1, NewN: []NewN{{"c", 1}}}
		if err := m.Do(context.Background(), o); !errors.Is(err, store.ErrNoRun) {
			t.Errorf("%s: %v, want ErrNoRun", a, err)
		}
	}
}
