package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/sync/errgroup"
)

// The instance server's side of the local driver's launcher–server
// contract (iaas/local: driver.go, meta.go, spawn.go), which the local
// floor speaks without the driver: the instance directory in the
// environment, the bound listener as fd 3, a pipe on fd 4 on which the
// server writes one byte once it serves, and the protocol number. A
// server of another contract refuses to start or does not find its
// directory, and the floor then fails, saying so: it cannot silently
// measure something else.
const (
	floorEnvInstance = "CLOUDINITD_LOCAL_INSTANCE"
	floorEnvMarker   = "CLOUDINITD_LOCAL_INSTANCE_ID"
	floorEnvListen   = "CLOUDINITD_LOCAL_LISTEN_FD"
	floorEnvReady    = "CLOUDINITD_LOCAL_READY_FD"
	floorEnvProtocol = "CLOUDINITD_LOCAL_PROTOCOL"
	floorProtocol    = "1"
	floorStage       = "stage" // under the instance's work directory
	floorPIDFile     = "floor.pid"
)

// localFloorMain is the child "localfloor", the local floor: the least
// work -n local services need on this machine, with no plan, record,
// engine or events. For every service at once: an instance directory
// with what the server reads (a fresh ed25519 host key, the client's
// public key, the instance's address), a listener on 127.0.0.1, the
// instance server program -exe started on it as the driver starts it (its
// own session, GOMAXPROCS=1, waited for until it says it serves); then
// one SSH connection to it, and over it the plan's work: the stage
// directory and both programs uploaded over SFTP, the boot program run,
// bootout.json fetched, the ready program run. The servers keep running
// after the child exits, as a boot's instances do; each one's pid is in
// <dir>/<instance>/floor.pid for the harness to end.
func localFloorMain(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("localfloor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	exe := fs.String("exe", "", "the instance server program (cloudinitd-instance)")
	dir := fs.String("dir", "", "directory of the instances")
	n := fs.Int("n", localServices, "services")
	boot := fs.String("boot", "", "boot program")
	ready := fs.String("ready", "", "ready program")
	parallel := fs.Int("parallel", 0, "services at a time (0: all at once, as the suite runs it)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	progs, err := readPrograms(*boot, *ready)
	if err != nil {
		return err
	}
	// One client key for all, as the driver keeps one per run.
	_, clientKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	signer, err := ssh.NewSignerFromKey(clientKey)
	if err != nil {
		return err
	}
	authorized := ssh.MarshalAuthorizedKey(signer.PublicKey())
	g, ctx := errgroup.WithContext(ctx)
	if *parallel > 0 {
		g.SetLimit(*parallel)
	}
	for i := range *n {
		g.Go(func() error {
			inst := filepath.Join(*dir, fmt.Sprintf("f%03d", i+1))
			if err := floorService(ctx, *exe, inst, authorized, signer, progs); err != nil {
				return fmt.Errorf("%s: %w", filepath.Base(inst), err)
			}
			return nil
		})
	}
	return g.Wait()
}

// floorService starts one instance server in the new directory inst and
// does the plan's work on it over one connection.
func floorService(ctx context.Context, exe, inst string, authorized []byte, client ssh.Signer, progs [2]program) error {
	if err := os.MkdirAll(filepath.Join(inst, "work"), 0o700); err != nil {
		return err
	}
	_, hostKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	block, err := ssh.MarshalPrivateKey(hostKey, "")
	if err != nil {
		return err
	}
	hostSigner, err := ssh.NewSignerFromKey(hostKey)
	if err != nil {
		return err
	}
	ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return err
	}
	addr := ln.Addr().(*net.TCPAddr)
	meta, err := json.Marshal(map[string]any{
		"id": filepath.Base(inst), "addr": addr.IP.String(), "port": addr.Port, "state": "pending",
	})
	if err != nil {
		ln.Close()
		return err
	}
	for name, text := range map[string][]byte{
		"host_key": pem.EncodeToMemory(block), "authorized_keys": authorized, "meta.json": meta,
	} {
		if err := os.WriteFile(filepath.Join(inst, name), text, 0o600); err != nil {
			ln.Close()
			return err
		}
	}
	if err := startServer(ctx, exe, inst, ln); err != nil {
		return fmt.Errorf("start %s: %w", filepath.Base(exe), err)
	}
	cfg := &ssh.ClientConfig{
		User:            "bench",
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(client)},
		HostKeyCallback: ssh.FixedHostKey(hostSigner.PublicKey()),
		Timeout:         30 * time.Second,
	}
	c, closeClient, err := dial(ctx, addr.String(), cfg)
	if err != nil {
		return err
	}
	defer closeClient()
	return stageAndRun(c, floorStage, floorStage, progs)
}

// runLocalFloor runs the local floor's child for env.n services, checks
// that every boot program ran in its instance's stage directory, ends the
// servers and records the child's wall time (or why it failed) in res. It
// returns an error only when ctx ended or the servers could not be ended.
func runLocalFloor(ctx context.Context, env localEnv, res *localResult, progs Programs) error {
	dir := filepath.Join(env.work, "local", "floor")
	exe := filepath.Join(filepath.Dir(env.cli), "cloudinitd-instance")
	rr, err := runTimed(command(ctx, env.self, "child", "localfloor",
		"-exe", exe, "-dir", dir, "-n", strconv.Itoa(env.n), "-boot", progs.Boot, "-ready", progs.Ready))
	if err == nil {
		var stages []string
		for i := range env.n {
			stages = append(stages, filepath.Join(dir, fmt.Sprintf("f%03d", i+1), "work", floorStage))
		}
		err = checkMarkers(stages)
	}
	if eerr := endFloorServers(dir); eerr != nil {
		return fmt.Errorf("local floor: end its servers: %w", eerr)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	res.Floor = rr.Wall
	if err != nil {
		res.FloorErr = err.Error()
		fmt.Fprintf(env.progress, "  floor FAILED after %.2fs: %v\n", rr.Wall.Seconds(), err)
		return nil
	}
	fmt.Fprintf(env.progress, "  floor %.2fs (CPU of its own process %.2fs)\n", rr.Wall.Seconds(), rr.CPU.Seconds())
	return nil
}

// startServer starts exe as inst's instance server on ln (closed here), as
// iaas/local's spawn does, records its pid in inst/floor.pid and waits for
// its ready byte.
func startServer(ctx context.Context, exe, inst string, ln *net.TCPListener) error {
	lnf, err := ln.File()
	ln.Close()
	if err != nil {
		return err
	}
	defer lnf.Close()
	logf, err := os.OpenFile(filepath.Join(inst, "server.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	null, err := os.Open(os.DevNull)
	if err != nil {
		return err
	}
	defer null.Close()
	readyR, readyW, err := os.Pipe()
	if err != nil {
		return err
	}
	defer readyR.Close()
	var env []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); k == "PATH" || k == "HOME" || k == "USER" || k == "LOGNAME" || k == "SHELL" {
			env = append(env, kv)
		}
	}
	env = append(env, floorEnvInstance+"="+inst, floorEnvMarker+"="+filepath.Base(inst),
		floorEnvListen+"=3", floorEnvReady+"=4", floorEnvProtocol+"="+floorProtocol, "GOMAXPROCS=1")
	p, err := os.StartProcess(exe, []string{exe}, &os.ProcAttr{
		Dir:   inst,
		Env:   env,
		Files: []*os.File{null, logf, logf, lnf, readyW},
		Sys:   &syscall.SysProcAttr{Setsid: true},
	})
	readyW.Close()
	if err != nil {
		return err
	}
	pid := p.Pid
	if err := p.Release(); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(inst, floorPIDFile), []byte(strconv.Itoa(pid)+"\n"), 0o600); err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { _ = readyR.SetReadDeadline(time.Now()) })
	defer stop()
	var b [1]byte
	if n, err := readyR.Read(b[:]); n == 0 {
		log, _ := os.ReadFile(filepath.Join(inst, "server.log"))
		return fmt.Errorf("the server did not say it was ready (%w)%s", err, tail(string(log), 5))
	}
	return nil
}

// endFloorServers kills the servers the local floor left under dir (their
// pids in */floor.pid) and reaps them: they are the harness's children
// (the child subreaper) once the floor's child has exited.
func endFloorServers(dir string) error {
	files, err := filepath.Glob(filepath.Join(dir, "*", floorPIDFile))
	if err != nil {
		return err
	}
	var errs []error
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid <= 0 {
			errs = append(errs, fmt.Errorf("%s: bad pid %q", f, b))
			continue
		}
		if st, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err != nil || !childOfSelf(string(st)) {
			continue // gone and reaped: the pid may be another process's now
		}
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			errs = append(errs, fmt.Errorf("kill %d: %w", pid, err))
			continue
		}
		var ws syscall.WaitStatus
		if _, err := syscall.Wait4(pid, &ws, 0, nil); err != nil && !errors.Is(err, syscall.ECHILD) {
			errs = append(errs, fmt.Errorf("wait for %d: %w", pid, err))
		}
	}
	return errors.Join(errs...)
}

// childOfSelf tells whether a /proc/PID/stat line is of a child of this
// process (its fourth field, after the parenthesised name, is the ppid).
func childOfSelf(stat string) bool {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return false
	}
	f := strings.Fields(stat[i+1:])
	return len(f) > 1 && f[1] == strconv.Itoa(os.Getpid())
}
