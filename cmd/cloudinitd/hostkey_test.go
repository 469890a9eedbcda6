package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/cloudinitd/cloudinitd/remote/remotetest"
	"github.com/cloudinitd/cloudinitd/store"
)

// TestHostKeyForget: a host behind hostname: whose SSH key changed (a
// rebuilt machine; here the record holds another key for the same address)
// fails status and every terminate the same way, with a hint naming
// 'cloudinitd hostkey forget RUN SERVICE'; after that command the host is
// checked again, its new key recorded, and terminate succeeds.
func TestHostKeyForget(t *testing.T) {
	signer, keyPath := remotetest.NewKey(t)
	srv := remotetest.NewServer(t, signer.PublicKey())
	dir, db := t.TempDir(), t.TempDir()
	writeFiles(t, dir, map[string]string{
		"top.conf": "[runlevels]\nlevel1: level1.conf\n",
		"level1.conf": fmt.Sprintf("[svc-web]\nhostname: %s\nssh_port: %d\nssh_username: me\nlocalsshkeypath: %s\nreadypgm: ok.sh\n",
			srv.Host(), srv.Port(), keyPath),
		"ok.sh": "#!/bin/sh\nexit 0\n",
	})
	work := t.TempDir()
	run := inProcess(t, db, work)
	cli := func(args ...string) (int, string) {
		code, out, errs := run(args...)
		return code, out + errs
	}
	if code, out := cli("boot", filepath.Join(dir, "top.conf"), "-n", "hk"); code != 0 {
		t.Fatalf("boot: exit %d\n%s", code, out)
	}
	recorded := hostKey(t, db)
	if !strings.HasSuffix(recorded, fmt.Sprintf(" [%s]:%d", srv.Host(), srv.Port())) {
		t.Fatalf("recorded host key %q does not name the host", recorded)
	}
	// The machine is rebuilt: the record's key is not the one it offers.
	other := otherKey(t)
	setHostKey(t, db, other+fmt.Sprintf(" [%s]:%d", srv.Host(), srv.Port()))

	hint := "cloudinitd hostkey forget hk web"
	code, out := cli("status", "hk")
	if code != 1 || !strings.Contains(out, "host key mismatch") || !strings.Contains(out, hint) {
		t.Fatalf("status after the rebuild: exit %d, want 1 with the mismatch and %q:\n%s", code, hint, out)
	}
	code, out = cli("hostkey", "forget", "hk", "web")
	if code != 0 || !strings.Contains(out, fmt.Sprintf("Forgot the host key of [%s]:%d (recorded for web)", srv.Host(), srv.Port())) {
		t.Fatalf("hostkey forget: exit %d\n%s", code, out)
	}
	if k := hostKey(t, db); k != "" {
		t.Fatalf("host key still recorded after forget: %q", k)
	}
	if code, out := cli("hostkey", "forget", "hk", "nosuch"); code != 1 || !strings.Contains(out, `no such service "nosuch"`) {
		t.Errorf("hostkey forget of an unknown service: exit %d\n%s", code, out)
	}
	if code, out := cli("status", "hk"); code != 0 {
		t.Fatalf("status after forget: exit %d\n%s", code, out)
	}
	if k := hostKey(t, db); k != recorded {
		t.Errorf("host key after forget and status = %q, want the host's %q", k, recorded)
	}

	// Rebuilt again: every terminate fails the same way (its host steps
	// are not skipped the second time) until the key is forgotten.
	setHostKey(t, db, other+fmt.Sprintf(" [%s]:%d", srv.Host(), srv.Port()))
	for i := range 2 {
		code, out := cli("terminate", "hk")
		if code != 1 || !strings.Contains(out, "host key mismatch") || !strings.Contains(out, hint) {
			t.Fatalf("terminate %d after the rebuild: exit %d, want 1 with the mismatch and %q:\n%s", i+1, code, hint, out)
		}
	}
	if code, out := cli("hostkey", "forget", "hk"); code != 0 || !strings.Contains(out, "(recorded for web)") {
		t.Fatalf("hostkey forget RUN: exit %d\n%s", code, out)
	}
	if code, out := cli("terminate", "hk"); code != 0 {
		t.Fatalf("terminate after forget: exit %d\n%s", code, out)
	}
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

func hostKey(t *testing.T, dbDir string) string {
	t.Helper()
	db, err := store.OpenReadOnly(context.Background(), dbDir, "hk")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	k, err := db.HostKey(context.Background(), "web")
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func setHostKey(t *testing.T, dbDir, line string) {
	t.Helper()
	db, err := store.Open(context.Background(), dbDir, "hk")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.SetHostKey(context.Background(), "web", line); err != nil {
		t.Fatal(err)
	}
}

// otherKey is an ed25519 public key in authorized_keys form, without comment.
func otherKey(t *testing.T) string {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k)))
}
