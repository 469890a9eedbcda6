package store

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSecretsNeverInFile writes services and globals holding secrets marked
// Redacted and greps the raw bytes of the database and its WAL for them,
// both while the record is open and after it is closed.
func TestSecretsNeverInFile(t *testing.T) {
	const (
		secret    = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY"
		accessKey = "AKIAIOSFODNN7EXAMPLE"
		envSecret = "resolved-from-env-9f8e7d6c5b4a"
	)
	ctx := context.Background()
	db, dir := newRun(t)
	if err := db.PutLevels(ctx, []Level{{Number: 1}}); err != nil {
		t.Fatal(err)
	}
	err := db.PutServices(ctx, []Service{{Name: "web", Level: 1, Settings: []Setting{
		{Key: "iaas_secret", Value: secret, Source: "/p/l1.conf [svc-web]", Redacted: true},
		{Key: "iaas_key", Value: "env.AWS_ACCESS_KEY_ID", Source: "env.AWS_ACCESS_KEY_ID via /p/l1.conf [svc-web]"},
		{Key: "image", Value: "ami-1", Source: "/p/l1.conf [svc-web]"},
	}}, {Name: "db", Level: 1, Settings: []Setting{
		{Key: "iaas_secret", Value: envSecret, Source: "env.AWS_SECRET_ACCESS_KEY", Redacted: true},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	err = db.SaveGlobals(ctx, []Global{{Name: "iaas_secret", Value: secret, Rank: 3, Source: "-g", Redacted: true}})
	if err != nil {
		t.Fatal(err)
	}

	// What is stored instead: the reference, or nothing.
	s, err := db.Service(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	want := []Setting{
		{Key: "iaas_key", Value: "env.AWS_ACCESS_KEY_ID", Source: "env.AWS_ACCESS_KEY_ID via /p/l1.conf [svc-web]"},
		{Key: "iaas_secret", Source: "/p/l1.conf [svc-web]", Redacted: true},
		{Key: "image", Value: "ami-1", Source: "/p/l1.conf [svc-web]"},
	}
	if diff := cmp.Diff(want, s.Settings); diff != "" {
		t.Errorf("stored settings (-want +got):\n%s", diff)
	}
	gs, err := db.Globals(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(gs) != 1 || !gs[0].Redacted || gs[0].Value != "" {
		t.Errorf("stored globals = %+v, want the secret redacted", gs)
	}

	grep := func(when string) {
		t.Helper()
		files, _ := filepath.Glob(filepath.Join(dir, "cloudinitd-r1*"))
		if len(files) == 0 {
			t.Fatal("no record files")
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range []string{secret, accessKey, envSecret} {
				if bytes.Contains(b, []byte(s)) {
					t.Errorf("%s: %s holds the secret %q", when, filepath.Base(f), s)
				}
			}
		}
	}
	if _, err := os.Stat(Path(dir, "r1") + "-wal"); err != nil {
		t.Fatalf("expected a WAL file while open: %v", err)
	}
	grep("open")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	grep("closed")
}
