package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
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
// The standard setting is an ordinary login account, as on a cloud image:
// by default (newLogin) the harness makes a throwaway one and removes it
// at the end. root, or any existing account with a home directory and a
// login shell, can be named instead; the harness hands the account the
// directories its sessions write to.
type login struct {
	Name     string
	UID, GID int
	Home     string
	Shell    string
}

// newLogin is the -user value of a throwaway ordinary account.
const newLogin = "new"

// makeLogin makes a throwaway ordinary account as a cloud image has one:
// `useradd -m -s /bin/bash` (Debian's skeleton .bashrc, which returns at
// once when not interactive), unlocked for key login with `usermod -p
// '*'`. remove deletes it with its home directory (userdel -r); call it
// once no process of the account is left.
func makeLogin(ctx context.Context) (l login, remove func() error, err error) {
	if os.Geteuid() != 0 {
		return login{}, nil, fmt.Errorf("-user %s: making an account needs root; name an existing one with -user", newLogin)
	}
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return login{}, nil, err
	}
	name := "bench" + hex.EncodeToString(b[:])
	if out, err := command(ctx, "useradd", "-m", "-s", "/bin/bash", name).CombinedOutput(); err != nil {
		return login{}, nil, fmt.Errorf("useradd %s: %w%s", name, err, tail(string(out), 5))
	}
	remove = func() error {
		// Not bound to ctx: the account goes also after an interrupt.
		out, err := command(context.WithoutCancel(ctx), "userdel", "-r", name).CombinedOutput()
		if err != nil {
			return fmt.Errorf("userdel -r %s: %w%s", name, err, tail(string(out), 5))
		}
		return nil
	}
	if out, err := command(ctx, "usermod", "-p", "*", name).CombinedOutput(); err != nil {
		return login{}, nil, errors.Join(fmt.Errorf("usermod -p '*' %s: %w%s", name, err, tail(string(out), 5)), remove())
	}
	if l, err = lookupLogin(name); err != nil {
		return login{}, nil, errors.Join(err, remove())
	}
	return l, remove, nil
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
