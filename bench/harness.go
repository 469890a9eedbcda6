package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"
)

// harness runs the chosen suites in one temporary directory, prints the
// report to stdout (and to -o), and removes every process and file it made,
// also when it fails or is interrupted.
func harness(ctx context.Context, o options, stdout, stderr io.Writer) (err error) {
	if err := becomeSubreaper(); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find own executable: %w", err)
	}
	work, err := os.MkdirTemp("", "bench-")
	if err != nil {
		return err
	}
	// The hosts' sessions run as the login accounts and must reach their
	// directories.
	if err := os.Chmod(work, 0o755); err != nil {
		return err
	}
	defer func() {
		err = errors.Join(err, reapStrays(nil))
		if o.keep {
			fmt.Fprintf(stderr, "bench: kept %s\n", work)
			return
		}
		err = errors.Join(err, os.RemoveAll(work))
	}()
	r := report{
		Date:    time.Now().UTC().Format("2006-01-02 15:04 UTC"),
		Machine: describeMachine(ctx),
		Reps:    o.reps,
		Warmup:  o.warmup,
	}
	defer func() {
		// A partial report is still worth printing.
		r.LoadEnd = loadAverage()
		err = errors.Join(err, writeReport(r, o.out, stdout))
	}()
	var accts []login
	if slices.Contains(o.suites, "ssh") {
		for _, u := range o.users {
			if u != newLogin {
				l, err := lookupLogin(u)
				if err != nil {
					return err
				}
				accts = append(accts, l)
				continue
			}
			l, remove, err := makeLogin(ctx)
			if err != nil {
				return err
			}
			defer func() {
				// No process of the account may be left for userdel.
				err = errors.Join(err, reapStrays(nil), remove())
			}()
			fmt.Fprintf(stderr, "bench: made the throwaway account %s (removed at the end)\n", l.Name)
			accts = append(accts, l)
		}
		for _, l := range accts {
			r.Machine = append(r.Machine, l.describe(ctx))
		}
	}
	var bin string // the cloudinitd program, built once when a suite needs it
	cli := func() (string, error) {
		if bin != "" {
			return bin, nil
		}
		b, err := buildCLI(ctx, work)
		bin = b
		return b, err
	}
	for _, suite := range o.suites {
		switch suite {
		case "ssh":
			env := fanoutEnv{
				work: work, self: self, contenders: o.contenders,
				reps: o.reps, warmup: o.warmup, port: o.port,
				runTimeout: o.runTimeout, progress: stderr,
				cloudinitd: cloudinitdFanout(self),
			}
			if slices.Contains(o.contenders, "cloudinitd-cli") {
				bin, err := cli()
				if err != nil {
					return err
				}
				env.cli = cloudinitdCLI(bin)
			}
			for _, l := range accts {
				env.login = l
				for _, n := range o.ns {
					res, err := runFanout(ctx, env, n)
					r.Fanout = append(r.Fanout, res...)
					if err != nil {
						return err
					}
					if len(res) == 1 && res[0].Contender == hostsContender {
						break // the machine holds no more hosts: larger N neither
					}
				}
			}
		case "scale":
			env := scaleEnv{self: self, work: work, levels: o.levels, reps: o.reps, maxRSS: o.scaleRSS, timeout: o.scaleLimit, progress: stderr}
			for _, n := range o.scale {
				res, err := runScale(ctx, env, n)
				r.Scale = append(r.Scale, res)
				if err != nil {
					return err
				}
			}
		case "epu":
			env := epuEnv{self: self, work: work, timeout: o.epuLimit, cpuProfile: o.epuProfile, progress: stderr}
			for _, n := range o.epu {
				res, err := runEPU(ctx, env, n)
				r.EPU = append(r.EPU, res)
				if err != nil {
					return err
				}
			}
		case "local":
			b, err := cli()
			if err != nil {
				return err
			}
			res, err := runLocal(ctx, localEnv{work: work, self: self, cli: b, n: o.localN, progress: stderr})
			r.Local = append(r.Local, res)
			if err != nil {
				return err
			}
		case "overlap":
			res, err := runOverlap(ctx, self, work, stderr)
			r.Overlap = append(r.Overlap, res...)
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// writeReport prints r to stdout and, when path is set, to that file.
func writeReport(r report, path string, stdout io.Writer) error {
	if err := r.write(stdout); err != nil {
		return err
	}
	if path == "" {
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	return errors.Join(r.write(f), f.Close())
}

// childMain dispatches the child modes the harness re-executes itself in.
func childMain(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "bench child: mode missing")
		return 2
	}
	ctx := context.Background()
	var err error
	switch args[0] {
	case "floor":
		err = floorMain(ctx, args[1:], stderr)
	case "epu-provisioner":
		err = epuProvisionerMain(ctx, args[1:], stdout, stderr)
	case "epu-floor":
		err = epuFloorMain(ctx, args[1:], stdout, stderr)
	case "samework":
		err = sameworkMain(ctx, args[1:], stderr)
	case "localfloor":
		err = localFloorMain(ctx, args[1:], stderr)
	default:
		err = childEngine(ctx, args[0], args[1:], stdout, stderr)
	}
	if err != nil {
		fmt.Fprintf(stderr, "bench child %s: %v\n", args[0], err)
		return 1
	}
	return 0
}
