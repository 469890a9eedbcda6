package local

import (
	"os"
	"path/filepath"
	"testing"
)

// serverExe picks ServerProgram beside the running executable only when it
// is a regular file someone may execute.
func TestServerExe(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, sibling string)
		want  string // "exe" or "sibling"
	}{
		{"no server program", func(*testing.T, string) {}, "exe"},
		{"an executable server program", func(t *testing.T, p string) { write(t, p, 0o755) }, "sibling"},
		{"not executable", func(t *testing.T, p string) { write(t, p, 0o644) }, "exe"},
		{"a directory", func(t *testing.T, p string) {
			if err := os.Mkdir(p, 0o755); err != nil {
				t.Fatal(err)
			}
		}, "exe"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			exe, sibling := filepath.Join(dir, "cloudinitd"), filepath.Join(dir, ServerProgram)
			write(t, exe, 0o755)
			tt.setup(t, sibling)
			want := map[string]string{"exe": exe, "sibling": sibling}[tt.want]
			if got := serverExe(exe); got != want {
				t.Errorf("serverExe(%s) = %s, want %s", exe, got, want)
			}
		})
	}
}

func write(t *testing.T, p string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"), mode); err != nil {
		t.Fatal(err)
	}
}

// A server told another protocol by its launcher refuses to serve.
func TestMaybeServeRefusesAnotherProtocol(t *testing.T) {
	t.Setenv(EnvInstance, t.TempDir())
	t.Setenv(envProtocol, "0")
	code, ok := MaybeServe()
	if !ok || code == 0 {
		t.Fatalf("MaybeServe() = %d, %v; want a non-zero exit code, true", code, ok)
	}
}
