package remote_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/remote"
	"github.com/cloudinitd/cloudinitd/remote/remotetest"
)

// BenchmarkServiceSteps is the remote work of one service's boot, as the
// engine's pipeline does it, over a new pooled connection each time: the
// SSH check (`true`), Prepare, the boot program uploaded and run,
// bootout.json fetched (absent), Prepare again and the ready program
// uploaded and run. The host is the in-process server with sftp, which
// starts every shell and program as a child of this process, so besides
// the usual figures it reports host-ms/op: the CPU time of the programs
// the host started (the shells, the programs, whatever the commands
// started), the cost that decides a fan-out over many hosts sharing a
// machine's CPUs; execs/op, the exec sessions the host served;
// sftp-req/op, the SFTP requests it answered; and cpu-ms/op, this
// process's own CPU time: the client, and the server's SSH and SFTP
// (in-process here, sshd and its sftp server on a real host).
func BenchmarkServiceSteps(b *testing.B) {
	signer, keyPath := remotetest.NewKey(b)
	srv := remotetest.NewServer(b, signer.PublicKey())
	srv.ServeSFTP()
	dir := b.TempDir()
	boot := writeProgram(b, dir, "boot.sh", "echo \"booted $(date +%s.%N)\" > booted\necho boot done\n")
	ready := writeProgram(b, dir, "ready.sh", "test -s booted\n")
	pool := newPool(nil, nil)
	defer pool.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	execs0, req0 := srv.Execs(), srv.SFTPRequests()
	host0, self0 := childrenCPU(), selfCPU()
	b.ResetTimer()
	for i := range b.N {
		stage := remote.StageDir(filepath.Join(dir, "work"), "svc"+strconv.Itoa(i))
		ex, err := pool.Get(ctx, remote.Target{Host: srv.Host(), Port: srv.Port(), KeyPath: keyPath})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := ex.Run(ctx, remote.Cmd{Argv: []string{"true"}}); err != nil {
			b.Fatal(err)
		}
		for j, prog := range []string{boot, ready} {
			if err := ex.Prepare(ctx, stage); err != nil {
				b.Fatal(err)
			}
			if _, err := remote.RunProgram(ctx, ex, remote.Program{Path: prog, StageDir: stage}); err != nil {
				b.Fatal(err)
			}
			if j == 0 {
				if _, err := ex.Fetch(ctx, path.Join(stage, "bootout.json")); !errors.Is(err, fs.ErrNotExist) {
					b.Fatalf("fetch bootout.json: %v, want fs.ErrNotExist", err)
				}
			}
		}
		if err := ex.Close(); err != nil {
			b.Fatal(err)
		}
	}
	// The host's shells end with their connection; their CPU time is
	// counted once they have been waited for.
	for deadline := time.Now().Add(10 * time.Second); hasChildren() && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	b.StopTimer()
	b.ReportMetric(float64(childrenCPU()-host0)/float64(time.Millisecond)/float64(b.N), "host-ms/op")
	b.ReportMetric(float64(srv.Execs()-execs0)/float64(b.N), "execs/op")
	b.ReportMetric(float64(srv.SFTPRequests()-req0)/float64(b.N), "sftp-req/op")
	b.ReportMetric(float64(selfCPU()-self0)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
}

// writeProgram writes a shell program into dir.
func writeProgram(b *testing.B, dir, name, body string) string {
	b.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		b.Fatal(err)
	}
	return p
}

// childrenCPU is the user and system time of this process's children
// that have been waited for.
func childrenCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// selfCPU is the user and system time of this process.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// hasChildren reports whether a child of this process still runs (or
// waits to be reaped).
func hasChildren() bool {
	tasks, _ := filepath.Glob("/proc/self/task/*/children")
	for _, f := range tasks {
		if b, err := os.ReadFile(f); err == nil && strings.TrimSpace(string(b)) != "" {
			return true
		}
	}
	return false
}
