package main

import (
	"context"
	"os"
	"os/user"
	"strings"
	"testing"
)

func TestLookupLogin(t *testing.T) {
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	l, err := lookupLogin(me.Username)
	if err != nil {
		t.Fatal(err)
	}
	if l.UID != os.Getuid() || l.Home != me.HomeDir || l.Shell == "" {
		t.Errorf("lookupLogin(%q) = %+v; want uid %d, home %s and a shell", me.Username, l, os.Getuid(), me.HomeDir)
	}
	d, err := l.shellStartup(context.Background())
	if err != nil {
		t.Fatalf("shellStartup: %v", err)
	}
	if d <= 0 {
		t.Errorf("shellStartup = %v, want a positive duration", d)
	}
}

func TestLookupLoginMissing(t *testing.T) {
	_, err := lookupLogin("cloudinitd-no-such-account")
	if err == nil || !strings.Contains(err.Error(), "useradd -m -s /bin/bash cloudinitd-no-such-account") {
		t.Fatalf("err = %v, want one that says how to create the account", err)
	}
}

func TestOwnMakesDirectory(t *testing.T) {
	dir := t.TempDir() + "/a/b"
	l := login{Name: "self", UID: os.Getuid(), GID: os.Getgid()}
	if err := l.own(dir); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(dir)
	if err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o755 {
		t.Fatalf("own(%s): %v, %v; want a 0755 directory", dir, fi, err)
	}
}

func TestBusyCPU(t *testing.T) {
	a := busyCPU()
	if a <= 0 {
		t.Fatalf("busyCPU = %v; want the positive busy time since boot from /proc/stat", a)
	}
	if b := busyCPU(); b < a {
		t.Errorf("busyCPU went back from %v to %v", a, b)
	}
}
