package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
)

// psshContender is parallel-ssh/parallel-scp (Debian package pssh) doing the
// upload-and-run on every host, -p N, with one ssh ControlMaster per host
// kept by the first call (ControlPersist) and reused by the next three:
//
//	parallel-ssh  mkdir -p "$BENCH_STAGE/pssh"
//	parallel-scp  boot.sh ready.sh pssh/     (relative to the sftp start dir)
//	parallel-ssh  cd "$BENCH_STAGE/pssh" && ./boot.sh
//	parallel-ssh  cd "$BENCH_STAGE/pssh" && ./ready.sh
func psshContender(h *Hosts, progs Programs, work string) contender {
	const sub = "pssh"
	cmDir := filepath.Join(work, "pssh-cm")
	common := []string{
		"-h", h.HostsFile, "-l", h.User, "-p", strconv.Itoa(len(h.Addrs)), "-t", "0",
		"-O", "ControlMaster=auto",
		"-O", "ControlPath=" + filepath.Join(cmDir, "%C"),
		"-O", "ControlPersist=60",
		"-O", "UserKnownHostsFile=" + h.KnownHosts,
		"-O", "StrictHostKeyChecking=yes",
		"-O", "IdentityFile=" + h.KeyPath,
		"-O", "IdentitiesOnly=yes",
		"-O", "BatchMode=yes",
	}
	steps := [][]string{
		slices.Concat([]string{"parallel-ssh"}, common, []string{`mkdir -p "$BENCH_STAGE/` + sub + `"`}),
		slices.Concat([]string{"parallel-scp"}, common, []string{progs.Boot, progs.Ready, sub + "/"}),
		slices.Concat([]string{"parallel-ssh"}, common, []string{`cd "$BENCH_STAGE/` + sub + `" && ./` + bootName}),
		slices.Concat([]string{"parallel-ssh"}, common, []string{`cd "$BENCH_STAGE/` + sub + `" && ./` + readyName}),
	}
	return contender{
		name:      "parallel-ssh",
		needs:     []string{"parallel-ssh", "parallel-scp"},
		stageDirs: subDirs(h, sub),
		prepare: func() error {
			return os.MkdirAll(cmDir, 0o700)
		},
		run: func(ctx context.Context) error {
			for _, argv := range steps {
				if _, err := runTimed(command(ctx, argv[0], argv[1:]...)); err != nil {
					return fmt.Errorf("%s: %w", argv[len(argv)-1], err)
				}
			}
			return nil
		},
	}
}

// subDirs is sub under every host's stage directory.
func subDirs(h *Hosts, sub string) []string {
	dirs := make([]string, len(h.Addrs))
	for i := range h.Addrs {
		dirs[i] = filepath.Join(h.Stage(i), sub)
	}
	return dirs
}
