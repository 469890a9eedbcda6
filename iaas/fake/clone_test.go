package fake_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/fake"
)

// TestCloneStateDirGone: a clone of a disk cloud whose state directory can
// no longer be made (a file stands in its place) fails its calls with an
// error naming the cause; it does not panic on a store it never had.
func TestCloneStateDirGone(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cloud")
	d, err := fake.New(fake.Options{Dir: dir, LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, []byte("not a directory"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = d.Clone().Launch(context.Background(), iaas.LaunchSpec{Service: "s", ClientToken: "t1"})
	if err == nil {
		t.Fatal("launch on a clone whose state directory is a file: no error")
	}
}
