package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// options are the harness's flags.
type options struct {
	suites     []string
	ns         []int
	contenders []string
	scale      []int
	localN     int
	levels     int
	reps       int
	warmup     int
	port       int
	runTimeout time.Duration
	scaleRSS   int64
	scaleLimit time.Duration
	epu        []int
	epuLimit   time.Duration
	epuProfile string
	out        string
	keep       bool
	users      []string // the accounts contenders log in to the hosts as, one setting each
}

func parseOptions(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: go run ./bench [flags]\n\nMeasures cloudinitd against its peers in one run; see docs/performance.md.\n\n")
		fs.PrintDefaults()
	}
	suites := fs.String("suites", "ssh,scale,overlap,local,epu", "suites to run: ssh, scale, overlap, local, epu")
	ns := fs.String("n", "20,50,100", "SSH fan-out sizes (hosts)")
	contenders := fs.String("contenders", "floor,samework,parallel-ssh,ansible,cloudinitd,cloudinitd-cli", "SSH fan-out contenders (cloudinitd-cli builds ./cmd/cloudinitd)")
	scale := fs.String("scale", "1000,10000,100000", "scale suite sizes (services)")
	epuN := fs.String("epu-n", "10000", "epu suite sizes (workers)")
	o := options{}
	fs.IntVar(&o.levels, "levels", 10, "levels of the scale plans")
	fs.IntVar(&o.localN, "local-n", localServices, "services of the local suite's boot")
	fs.IntVar(&o.reps, "reps", 3, "timed repetitions per contender (the median is reported)")
	fs.IntVar(&o.warmup, "warmup", 1, "untimed warm-up runs per contender")
	fs.IntVar(&o.port, "port", 0, "sshd port on every host address (0: the first free from 2222)")
	fs.DurationVar(&o.runTimeout, "run-timeout", 10*time.Minute, "limit for one contender run")
	scaleRSS := fs.Int64("scale-max-rss", 2048, "MiB: kill a scale child whose resident set grows past this")
	fs.DurationVar(&o.scaleLimit, "scale-timeout", 5*time.Minute, "kill a scale child that runs longer")
	fs.DurationVar(&o.epuLimit, "epu-timeout", 5*time.Minute, "kill an epu child (provisioner or floor) that runs longer")
	fs.StringVar(&o.epuProfile, "epu-cpuprofile", "", "write the CPU profile of the epu suite's provisioner to this file")
	users := fs.String("user", newLogin, "accounts the SSH contenders log in as, one setting each: "+newLogin+" (a throwaway ordinary account, made with useradd -m and removed after), root, or an existing account")
	fs.StringVar(&o.out, "o", "", "also write the report as markdown to this file")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary directory (configs, logs) for inspection")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	o.scaleRSS = *scaleRSS << 20
	o.suites = splitList(*suites)
	o.contenders = splitList(*contenders)
	o.users = splitList(*users)
	if len(o.users) == 0 {
		return o, errors.New("-user: name at least one account")
	}
	var err error
	if o.ns, err = intList("-n", *ns); err != nil {
		return o, err
	}
	if o.scale, err = intList("-scale", *scale); err != nil {
		return o, err
	}
	if o.epu, err = intList("-epu-n", *epuN); err != nil {
		return o, err
	}
	for _, s := range o.suites {
		if !slices.Contains([]string{"ssh", "scale", "overlap", "local", "epu"}, s) {
			return o, fmt.Errorf("-suites: unknown suite %q (want ssh, scale, overlap, local, epu)", s)
		}
	}
	if o.reps < 1 || o.warmup < 0 {
		return o, errors.New("-reps must be at least 1 and -warmup at least 0")
	}
	return o, nil
}

// run is the harness: the whole program but for os.Exit.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "child" {
		return childMain(args[1:], stdout, stderr)
	}
	o, err := parseOptions(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "bench: error: %v\n", err)
		return 2
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	stopSignals := handleSignals(cancel, stderr, &wg)
	defer stopSignals()
	if err := harness(ctx, o, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "bench: error: %v\n", err)
		if ctx.Err() != nil {
			return 130
		}
		return 1
	}
	return 0
}

// handleSignals cancels the run on the first SIGINT/SIGTERM, so every sshd
// and temporary directory is cleaned up, and exits at once on the second
// (the kernel then kills the sshd listeners: they have a parent-death
// signal). The returned function stops the handler.
func handleSignals(cancel context.CancelFunc, stderr io.Writer, wg *sync.WaitGroup) func() {
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	done := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case <-ch:
		case <-done:
			return
		}
		fmt.Fprintln(stderr, "bench: interrupted: stopping and cleaning up (again to quit at once)")
		cancel()
		select {
		case <-ch:
			fmt.Fprintln(stderr, "bench: quitting without clean-up")
			os.Exit(130)
		case <-done:
		}
	}()
	return func() {
		signal.Stop(ch)
		close(done)
	}
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func intList(flagName, s string) ([]int, error) {
	var out []int
	for _, f := range splitList(s) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%s: %q is not a positive number", flagName, f)
		}
		out = append(out, n)
	}
	return out, nil
}
