package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
	"golang.org/x/sync/errgroup"
)

// floorContender is the least any SSH fan-out can cost: a bare
// golang.org/x/crypto/ssh program (this binary, re-executed as
// "child floor") that connects to every host at once and runs `true` —
// no upload, no second command.
func floorContender(h *Hosts, self string) contender {
	return contender{
		name: "floor",
		run: func(ctx context.Context) error {
			_, err := runTimed(command(ctx, self, "child", "floor",
				"-hosts", h.HostsFile, "-key", h.KeyPath, "-known", h.KnownHosts, "-user", h.User))
			return err
		},
	}
}

// floorMain is the child: dial every host of -hosts concurrently with the
// key -key, checking host keys against -known, and run `true` on each.
func floorMain(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("floor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	hostsFile := fs.String("hosts", "", "file of addr:port lines")
	keyPath := fs.String("key", "", "private key")
	known := fs.String("known", "", "known_hosts file")
	user := fs.String("user", "root", "ssh user")
	if err := fs.Parse(args); err != nil {
		return err
	}
	b, err := os.ReadFile(*hostsFile)
	if err != nil {
		return err
	}
	keyPEM, err := os.ReadFile(*keyPath)
	if err != nil {
		return err
	}
	signer, err := ssh.ParsePrivateKey(keyPEM)
	if err != nil {
		return fmt.Errorf("key: %w", err)
	}
	hostKeys, err := knownhosts.New(*known)
	if err != nil {
		return fmt.Errorf("known hosts: %w", err)
	}
	cfg := &ssh.ClientConfig{
		User:            *user,
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: hostKeys,
		Timeout:         30 * time.Second,
	}
	g, ctx := errgroup.WithContext(ctx)
	for _, addr := range strings.Fields(string(b)) {
		g.Go(func() error {
			if err := runTrue(ctx, addr, cfg); err != nil {
				return fmt.Errorf("%s: %w", addr, err)
			}
			return nil
		})
	}
	return g.Wait()
}

// runTrue connects to addr and runs `true` in one session.
func runTrue(ctx context.Context, addr string, cfg *ssh.ClientConfig) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	c, chans, reqs, err := ssh.NewClientConn(conn, addr, cfg)
	if err != nil {
		_ = conn.Close()
		return err
	}
	client := ssh.NewClient(c, chans, reqs)
	defer client.Close()
	s, err := client.NewSession()
	if err != nil {
		return err
	}
	defer s.Close()
	return s.Run("true")
}
