package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// sshdPath is where Debian's openssh-server installs sshd.
const sshdPath = "/usr/sbin/sshd"

// Hosts are N OpenSSH servers, one sshd process per loopback address, all
// accepting the same generated client key for one account (root unless
// -user says otherwise).
type Hosts struct {
	Dir        string   // everything of the hosts lives here
	Addrs      []string // 127.66.0.1, 127.66.0.2, ...
	Port       int      // the same port on every address
	User       string   // the login account (-user)
	KeyPath    string   // the client's private key
	KnownHosts string   // a known_hosts file naming every host key
	HostsFile  string   // "addr:port" lines, for parallel-ssh and the floor

	login  login // who User is
	procs  []*exec.Cmd
	exited []chan struct{}
}

// hostAddr is the loopback address of host i (0-based): 127.66.0.1 upward.
func hostAddr(i int) string {
	return fmt.Sprintf("127.66.%d.%d", i/250, i%250+1)
}

// Stage is host i's own directory: the sshd sets BENCH_STAGE to it in every
// session and starts its sftp server there, so tools that send one command
// to all hosts (parallel-ssh, parallel-scp) still write per-host files.
func (h *Hosts) Stage(i int) string {
	return filepath.Join(h.Dir, h.Addrs[i], "stage")
}

// Endpoint is "addr:port" of host i.
func (h *Hosts) Endpoint(i int) string {
	return net.JoinHostPort(h.Addrs[i], strconv.Itoa(h.Port))
}

// sshdConfig renders the configuration of one host.
func sshdConfig(addr string, port int, hostKey, authorized, stage string) string {
	return fmt.Sprintf(`ListenAddress %s:%d
HostKey %s
PidFile none
StrictModes no
UsePAM no
PermitRootLogin yes
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
AuthorizedKeysFile %s
Subsystem sftp internal-sftp -d %s
SetEnv BENCH_STAGE=%s
MaxStartups 1000
MaxSessions 1000
LogLevel ERROR
`, addr, port, hostKey, authorized, stage, stage)
}

// startHosts starts n sshd processes under dir. port 0 picks one port free
// on every address. On error every sshd already started is stopped.
func startHosts(ctx context.Context, dir string, n, port int, acct login) (_ *Hosts, err error) {
	if _, err := os.Stat(sshdPath); err != nil {
		return nil, fmt.Errorf("openssh-server is not installed (apt-get install openssh-server): %w", err)
	}
	// sshd started as root wants its privilege separation directory, which
	// systemd creates on a normal system.
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		return nil, fmt.Errorf("create /run/sshd: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	h := &Hosts{Dir: dir, User: acct.Name, login: acct}
	for i := range n {
		h.Addrs = append(h.Addrs, hostAddr(i))
	}
	if port == 0 {
		if port, err = freePort(h.Addrs); err != nil {
			return nil, err
		}
	}
	h.Port = port
	h.KeyPath = filepath.Join(dir, "client_key")
	clientPub, err := writeKey(h.KeyPath, "bench-client")
	if err != nil {
		return nil, fmt.Errorf("client key: %w", err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, h.Stop())
		}
	}()
	var known, endpoints strings.Builder
	for i, addr := range h.Addrs {
		hostDir := filepath.Join(dir, addr)
		if err := acct.own(h.Stage(i)); err != nil {
			return nil, fmt.Errorf("host %s: %w", addr, err)
		}
		hostKey := filepath.Join(hostDir, "ssh_host_ed25519_key")
		hostPub, err := writeKey(hostKey, "bench-host-"+addr)
		if err != nil {
			return nil, fmt.Errorf("host %s: %w", addr, err)
		}
		known.WriteString(knownhosts.Line([]string{h.Endpoint(i)}, hostPub) + "\n")
		endpoints.WriteString(h.Endpoint(i) + "\n")
		authorized := filepath.Join(hostDir, "authorized_keys")
		if err := os.WriteFile(authorized, ssh.MarshalAuthorizedKey(clientPub), 0o600); err != nil {
			return nil, fmt.Errorf("host %s: %w", addr, err)
		}
		// sshd reads the authorized keys with the account's rights.
		if acct.UID != 0 {
			if err := os.Chown(authorized, acct.UID, acct.GID); err != nil {
				return nil, fmt.Errorf("host %s: %w", addr, err)
			}
		}
		cfg := filepath.Join(hostDir, "sshd_config")
		if err := os.WriteFile(cfg, []byte(sshdConfig(addr, port, hostKey, authorized, h.Stage(i))), 0o600); err != nil {
			return nil, fmt.Errorf("host %s: %w", addr, err)
		}
		if err := h.start(ctx, cfg, filepath.Join(hostDir, "sshd.log")); err != nil {
			return nil, fmt.Errorf("host %s: %w", addr, err)
		}
	}
	h.KnownHosts = filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(h.KnownHosts, []byte(known.String()), 0o644); err != nil {
		return nil, fmt.Errorf("known_hosts: %w", err)
	}
	h.HostsFile = filepath.Join(dir, "hosts.txt")
	if err := os.WriteFile(h.HostsFile, []byte(endpoints.String()), 0o644); err != nil {
		return nil, fmt.Errorf("hosts file: %w", err)
	}
	for i := range h.Addrs {
		if err := h.waitGreeting(ctx, i); err != nil {
			return nil, err
		}
	}
	return h, nil
}

// start runs one sshd in the foreground (-D), logging to logPath.
func (h *Hosts) start(ctx context.Context, cfg, logPath string) error {
	log, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer log.Close() // the child keeps its own descriptor
	// Not bound to ctx: Stop ends sshd, after the contenders are gone.
	cmd := command(context.WithoutCancel(ctx), sshdPath, "-D", "-e", "-f", cfg)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start sshd: %w", err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	h.procs = append(h.procs, cmd)
	h.exited = append(h.exited, done)
	return nil
}

// waitGreeting waits until host i answers with an SSH banner.
func (h *Hosts) waitGreeting(ctx context.Context, i int) error {
	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case <-h.exited[i]:
			log, _ := os.ReadFile(filepath.Join(h.Dir, h.Addrs[i], "sshd.log"))
			return fmt.Errorf("host %s: sshd exited:%s", h.Addrs[i], tail(string(log), 10))
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		if c, err := net.DialTimeout("tcp", h.Endpoint(i), time.Second); err == nil {
			_ = c.SetDeadline(time.Now().Add(2 * time.Second))
			line, _ := bufio.NewReader(c).ReadString('\n')
			_ = c.Close()
			if strings.HasPrefix(line, "SSH-") {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("host %s: sshd does not answer on %s", h.Addrs[i], h.Endpoint(i))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// PIDs are the sshd listener processes, which reapStrays must leave alone.
func (h *Hosts) PIDs() map[int]bool {
	m := make(map[int]bool, len(h.procs))
	for _, c := range h.procs {
		m[c.Process.Pid] = true
	}
	return m
}

// Stop ends every sshd (SIGTERM, then SIGKILL after 5s) and waits for it.
// Their session processes, adopted by the harness, are left to reapStrays.
// Stop is idempotent.
func (h *Hosts) Stop() error {
	for _, c := range h.procs {
		_ = c.Process.Signal(syscall.SIGTERM)
	}
	timer := time.NewTimer(5 * time.Second)
	defer timer.Stop()
	killed := false
	for _, done := range h.exited {
		select {
		case <-done:
		case <-timer.C:
			killed = true
		}
		if killed {
			break
		}
	}
	if killed {
		for _, c := range h.procs {
			_ = c.Process.Kill()
		}
		for _, done := range h.exited {
			<-done
		}
	}
	h.procs, h.exited = nil, nil
	if killed {
		return errors.New("sshd did not stop on SIGTERM within 5s; killed")
	}
	return nil
}

// freePort finds a port in 2200..2999 that every address can listen on.
func freePort(addrs []string) (int, error) {
	for port := 2222; port < 3000; port++ {
		var ls []net.Listener
		ok := true
		for _, a := range addrs {
			l, err := net.Listen("tcp", net.JoinHostPort(a, strconv.Itoa(port)))
			if err != nil {
				ok = false
				break
			}
			ls = append(ls, l)
		}
		for _, l := range ls {
			_ = l.Close()
		}
		if ok {
			return port, nil
		}
	}
	return 0, errors.New("no port in 2222..2999 is free on every host address")
}
