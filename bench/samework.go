package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
	"golang.org/x/sync/errgroup"
)

// sameworkSub is the same-work floor's directory under each host's stage.
const sameworkSub = "samework"

// sameworkContender is the same-work floor: a bare program on
// golang.org/x/crypto/ssh and pkg/sftp (this binary, re-executed as
// "child samework") doing on every host, at once, exactly the remote work
// the plan asks of it — one connection; the stage directory; both programs
// uploaded; the boot program run; bootout.json fetched; the ready program
// run — with no plan, record, engine or events. The least this work can
// cost here.
func sameworkContender(h *Hosts, progs Programs, self string) contender {
	return contender{
		name:      "samework",
		stageDirs: subDirs(h, sameworkSub),
		run: func(ctx context.Context) error {
			_, err := runTimed(command(ctx, self, "child", "samework",
				"-hosts", h.HostsFile, "-key", h.KeyPath, "-known", h.KnownHosts, "-user", h.User,
				"-boot", progs.Boot, "-ready", progs.Ready))
			return err
		},
	}
}

// sameworkMain is the child: the same work on every host of -hosts.
func sameworkMain(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("samework", flag.ContinueOnError)
	fs.SetOutput(stderr)
	hostsFile := fs.String("hosts", "", "file of addr:port lines")
	keyPath := fs.String("key", "", "private key")
	known := fs.String("known", "", "known_hosts file")
	user := fs.String("user", "root", "ssh user")
	boot := fs.String("boot", "", "boot program")
	ready := fs.String("ready", "", "ready program")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, addrs, err := clientConfig(*hostsFile, *keyPath, *known, *user)
	if err != nil {
		return err
	}
	progs, err := readPrograms(*boot, *ready)
	if err != nil {
		return err
	}
	g, ctx := errgroup.WithContext(ctx)
	for _, addr := range addrs {
		g.Go(func() error {
			if err := sameWork(ctx, addr, cfg, progs); err != nil {
				return fmt.Errorf("%s: %w", addr, err)
			}
			return nil
		})
	}
	return g.Wait()
}

// program is a program to upload: its name and its bytes.
type program struct {
	name string
	text []byte
}

// readPrograms reads the boot and the ready program, in that order.
func readPrograms(boot, ready string) ([2]program, error) {
	var progs [2]program
	for i, p := range []string{boot, ready} {
		b, err := os.ReadFile(p)
		if err != nil {
			return progs, err
		}
		progs[i] = program{name: filepath.Base(p), text: b}
	}
	return progs, nil
}

// sameWork does the plan's work on one host: connect; over one SFTP
// session create the stage directory and upload both programs (mode 0755);
// run the boot program there; fetch bootout.json (absent here: the
// benchmark's boot program writes none, which is not an error); run the
// ready program. The stage is sameworkSub under the sftp server's start
// directory, which the host's sshd exports as $BENCH_STAGE.
func sameWork(ctx context.Context, addr string, cfg *ssh.ClientConfig, progs [2]program) error {
	client, closeClient, err := dial(ctx, addr, cfg)
	if err != nil {
		return err
	}
	defer closeClient()
	return stageAndRun(client, sameworkSub, `"$BENCH_STAGE/`+sameworkSub+`"`, progs)
}

// stageAndRun is the plan's work on one connected host: over one SFTP
// session create the stage directory stage (relative to the SFTP server's
// start directory) and upload both programs (mode 0755); run the boot
// program there (cdTo: the stage directory as a shell word, for `cd`);
// fetch bootout.json (absent is no error); run the ready program.
func stageAndRun(client *ssh.Client, stage, cdTo string, progs [2]program) error {
	sc, err := sftp.NewClient(client)
	if err != nil {
		return fmt.Errorf("sftp: %w", err)
	}
	defer sc.Close()
	if err := sc.MkdirAll(stage); err != nil {
		return fmt.Errorf("stage: %w", err)
	}
	for _, p := range progs {
		if err := upload(sc, path.Join(stage, p.name), p.text); err != nil {
			return fmt.Errorf("upload %s: %w", p.name, err)
		}
	}
	run := func(name string) error {
		s, err := client.NewSession()
		if err != nil {
			return err
		}
		defer s.Close()
		return s.Run(`cd ` + cdTo + ` && ./` + name)
	}
	if err := run(progs[0].name); err != nil {
		return fmt.Errorf("boot program: %w", err)
	}
	if err := fetch(sc, path.Join(stage, "bootout.json")); err != nil {
		return fmt.Errorf("fetch bootout.json: %w", err)
	}
	if err := run(progs[1].name); err != nil {
		return fmt.Errorf("ready program: %w", err)
	}
	return nil
}

// upload writes text to p with mode 0755.
func upload(sc *sftp.Client, p string, text []byte) error {
	f, err := sc.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
	if err != nil {
		return err
	}
	if _, err := f.Write(text); err != nil {
		return errors.Join(err, f.Close())
	}
	if err := f.Chmod(0o755); err != nil {
		return errors.Join(err, f.Close())
	}
	return f.Close()
}

// fetch reads p; a file that does not exist is no error.
func fetch(sc *sftp.Client, p string) error {
	f, err := sc.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, f)
	return errors.Join(err, f.Close())
}

// clientConfig reads the hosts file, the client key and the known hosts.
func clientConfig(hostsFile, keyPath, known, user string) (*ssh.ClientConfig, []string, error) {
	b, err := os.ReadFile(hostsFile)
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, nil, err
	}
	signer, err := ssh.ParsePrivateKey(keyPEM)
	if err != nil {
		return nil, nil, fmt.Errorf("key: %w", err)
	}
	hostKeys, err := knownhosts.New(known)
	if err != nil {
		return nil, nil, fmt.Errorf("known hosts: %w", err)
	}
	cfg := &ssh.ClientConfig{
		User:            user,
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: hostKeys,
		Timeout:         30 * time.Second,
	}
	return cfg, strings.Fields(string(b)), nil
}

// dial connects to addr; the connection closes when ctx ends or when the
// returned close function is called.
func dial(ctx context.Context, addr string, cfg *ssh.ClientConfig) (*ssh.Client, func() error, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	c, chans, reqs, err := ssh.NewClientConn(conn, addr, cfg)
	if err != nil {
		stop()
		_ = conn.Close()
		return nil, nil, err
	}
	client := ssh.NewClient(c, chans, reqs)
	return client, func() error {
		stop()
		return client.Close()
	}, nil
}
