package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"golang.org/x/crypto/ssh"
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
	cfg, addrs, err := clientConfig(*hostsFile, *keyPath, *known, *user)
	if err != nil {
		return err
	}
	g, ctx := errgroup.WithContext(ctx)
	for _, addr := range addrs {
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
	client, closeClient, err := dial(ctx, addr, cfg)
	if err != nil {
		return err
	}
	defer closeClient()
	s, err := client.NewSession()
	if err != nil {
		return err
	}
	defer s.Close()
	return s.Run("true")
}
