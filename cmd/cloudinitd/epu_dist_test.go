package main

import (
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDist runs scripts/dist.sh for one architecture (this machine's, so
// the binary can be run) into a temporary directory: the tarball unpacks
// to cloudinitd-VERSION-linux-ARCH/ with static linux binaries of that
// architecture (cloudinitd and cloudinitd-instance, the local driver's
// instance server), the epu symlink that runs the epu program, and run.sh
// (the example's); SHA256SUMS holds its checksum. A cross build with only the
// Go toolchain, but a full link: skipped with -short.
func TestDist(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the release binary (a minute or more on a loaded machine)")
	}
	if runtime.GOOS != "linux" {
		t.Skip("dist builds linux tarballs; this test runs them")
	}
	out := t.TempDir()
	cmd := exec.Command("sh", filepath.Join("..", "..", "scripts", "dist.sh"), "v0.0.0-test")
	cmd.Env = append(os.Environ(), "DIST_ARCHS="+runtime.GOARCH, "DIST_DIR="+out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("dist.sh: %v\n%s", err, b)
	}
	name := "cloudinitd-v0.0.0-test-linux-" + runtime.GOARCH
	tarball := filepath.Join(out, name+".tar.gz")
	b, err := os.ReadFile(tarball)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	sums, err := os.ReadFile(filepath.Join(out, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	if want := hex.EncodeToString(sum[:]) + "  " + name + ".tar.gz\n"; string(sums) != want {
		t.Errorf("SHA256SUMS = %q, want %q", sums, want)
	}
	unpacked := t.TempDir()
	if b, err := exec.Command("tar", "-xzf", tarball, "-C", unpacked).CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, b)
	}
	dir := filepath.Join(unpacked, name)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if diff := cmp.Diff([]string{"cloudinitd", "cloudinitd-instance", "epu", "run.sh"}, names); diff != "" {
		t.Errorf("tarball contents (-want +got):\n%s", diff)
	}
	if l, err := os.Readlink(filepath.Join(dir, "epu")); err != nil || l != "cloudinitd" {
		t.Errorf("epu is not a symlink to cloudinitd: %q, %v", l, err)
	}
	runSh, _ := os.ReadFile(filepath.Join(dir, "run.sh"))
	src, _ := os.ReadFile(filepath.Join("..", "..", "examples", "epu", "src", "epu", "run.sh"))
	if !bytes.Equal(runSh, src) || len(src) == 0 {
		t.Error("run.sh is not examples/epu/src/epu/run.sh")
	}
	for _, bin := range []string{"cloudinitd", "cloudinitd-instance"} {
		checkStatic(t, filepath.Join(dir, bin))
	}
	help, err := exec.Command(filepath.Join(dir, "epu"), "help").Output()
	if err != nil || !strings.HasPrefix(string(help), "Usage: epu SUBCOMMAND") {
		t.Errorf("epu help from the tarball: %v\n%s", err, help)
	}
	// Run by hand, the server says what it is and exits 2.
	b, err = exec.Command(filepath.Join(dir, "cloudinitd-instance")).CombinedOutput()
	var xe *exec.ExitError
	if !errors.As(err, &xe) || xe.ExitCode() != 2 || !strings.Contains(string(b), "the local driver's instance server") {
		t.Errorf("cloudinitd-instance from the tarball, run by hand: %v\n%s", err, b)
	}
}

// checkStatic fails unless path is a static linux binary of this
// machine's architecture.
func checkStatic(t *testing.T, path string) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	machine := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[runtime.GOARCH]
	if f.Machine != machine {
		t.Errorf("%s: binary for %v, want %v", filepath.Base(path), f.Machine, machine)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("%s is dynamically linked (has an interpreter); want static (CGO_ENABLED=0)", filepath.Base(path))
		}
	}
}
