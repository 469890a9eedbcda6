package local_test

import (
	"path/filepath"
	"testing"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/local"
)

func TestFactory(t *testing.T) {
	needProc(t)
	dir := t.TempDir()
	reg := iaas.NewRegistry()
	reg.Register(local.Entry())
	d, err := reg.Open("LOCAL", iaas.Config{StateDir: dir, LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	ld, ok := d.(*local.Driver)
	if !ok {
		t.Fatalf("Open returned %T", d)
	}
	if got, want := ld.StateDir(), filepath.Join(dir, "local"); got != want || d.Name() != "local" {
		t.Errorf("state dir %q name %q, want %q local", got, d.Name(), want)
	}
}
