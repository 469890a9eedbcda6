package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// login is the account every contender logs in to the hosts as (-user).
// root is the default; any other account must exist with a home directory
// and a login shell (the harness does not create accounts), and the
// harness hands it the directories its sessions write to.
type login struct {
	Name     string
	UID, GID int
	Home     string
	Shell    string
}

// lookupLogin resolves name from the password database.
func lookupLogin(name string) (login, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return login{}, fmt.Errorf("-user %s: %w (create it: useradd -m -s /bin/bash %s && usermod -p '*' %s)", name, err, name, name)
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return login{}, fmt.Errorf("-user %s: uid %q: %w", name, u.Uid, err)
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return login{}, fmt.Errorf("-user %s: gid %q: %w", name, u.Gid, err)
	}
	l := login{Name: name, UID: uid, GID: gid, Home: u.HomeDir, Shell: loginShell(name)}
	if l.Shell == "" {
		return login{}, fmt.Errorf("-user %s: no login shell in /etc/passwd", name)
	}
	return l, nil
}

// loginShell is the seventh field of name's /etc/passwd line ("" if none).
func loginShell(name string) string {
	b, err := os.ReadFile("/etc/passwd")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Split(line, ":")
		if len(f) == 7 && f[0] == name {
			return f[6]
		}
	}
	return ""
}

// own creates dir (0755) if needed and gives it to the login account, so
// its SSH sessions can write there. A no-op for root.
func (l login) own(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if l.UID == 0 {
		return nil
	}
	return os.Chown(dir, l.UID, l.GID)
}

// shellStartup times `SHELL -c true` run the way sshd runs a command for
// this account (its uid, HOME, SSH_CLIENT set, so Debian's bash reads
// ~/.bashrc): the least every SSH command costs a host. The median of
// five runs.
func (l login) shellStartup(ctx context.Context) (time.Duration, error) {
	var ds []time.Duration
	for range 5 {
		cmd := exec.CommandContext(ctx, l.Shell, "-c", "true")
		cmd.Dir = l.Home
		cmd.Env = []string{
			"HOME=" + l.Home, "USER=" + l.Name, "LOGNAME=" + l.Name, "SHELL=" + l.Shell,
			"PATH=/usr/local/bin:/usr/bin:/bin", "SSH_CLIENT=127.0.0.1 50000 22",
		}
		if l.UID != os.Getuid() {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(l.UID), Gid: uint32(l.GID)}}
		}
		t := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			return 0, fmt.Errorf("%s -c true as %s: %w%s", l.Shell, l.Name, err, tail(string(out), 5))
		}
		ds = append(ds, time.Since(t))
	}
	return median(ds), nil
}

// describe is the report's line about the login account.
func (l login) describe(ctx context.Context) string {
	d, err := l.shellStartup(ctx)
	if err != nil {
		return fmt.Sprintf("SSH login: %s (%s); shell start-up not measured: %v", l.Name, l.Shell, err)
	}
	return fmt.Sprintf("SSH login: %s (%s); `%s -c true` as sshd starts it: %.1f ms", l.Name, l.Shell, l.Shell, float64(d.Microseconds())/1000)
}
