package store

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestScrub(t *testing.T) {
	for _, tc := range []struct {
		key, value, source string
		want               string
		ok                 bool
	}{
		{"image", "ami-1", "l1.conf", "ami-1", true},
		{"iaas_key", "env.AWS_ACCESS_KEY_ID", "l1.conf", "env.AWS_ACCESS_KEY_ID", true},
		{"iaas_secret", "profile.prod", "top.conf [defaults]", "profile.prod", true},
		{"IAAS_SECRET", "s3cr3t", "env.AWS_SECRET_ACCESS_KEY", "env.AWS_SECRET_ACCESS_KEY", true},
		{"iaas_secret", "s3cr3t", "l1.conf [svc-web]", "", false},
		{"iaas_key", "env.", "l1.conf", "", false},
		{"iaas_key", "env.A B", "l1.conf", "", false},
	} {
		got, ok := scrub(tc.key, tc.value, tc.source)
		if got != tc.want || ok != tc.ok {
			t.Errorf("scrub(%q, %q, %q) = %q, %v; want %q, %v", tc.key, tc.value, tc.source, got, ok, tc.want, tc.ok)
		}
	}
}

// TestSecretsNeverInFile writes services and globals holding literal
// credentials and greps the raw bytes of the database and its WAL for them,
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
		{Key: "iaas_secret", Value: secret, Source: "/p/l1.conf [svc-web]"},
		{Key: "iaas_key", Value: accessKey, Source: "env.AWS_ACCESS_KEY_ID"},
		{Key: "image", Value: "ami-1", Source: "/p/l1.conf [svc-web]"},
	}}, {Name: "db", Level: 1, Settings: []Setting{
		{Key: "iaas_secret", Value: envSecret, Source: "env.AWS_SECRET_ACCESS_KEY"},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	err = db.SaveGlobals(ctx, []Global{{Name: "iaas_secret", Value: secret, Rank: 3, Source: "-g"}})
	if err != nil {
		t.Fatal(err)
	}

	// What is stored instead: the reference, or nothing.
	s, err := db.Service(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	want := []Setting{
		{Key: "iaas_key", Value: "env.AWS_ACCESS_KEY_ID", Source: "env.AWS_ACCESS_KEY_ID"},
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
