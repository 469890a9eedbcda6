package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/fake"
)

// killPlanServices are the services of testdata/killplan, every one launched.
var killPlanServices = []string{"app", "cache", "client", "store", "web", "worker"}

// TestKillDuringBoot SIGKILLs the real binary while it boots
// testdata/killplan (about 2.5 s: launch latency, then three levels of
// programs) at moments spread over launch, boot and ready, one run per
// moment, all in one database directory. After each kill, `terminate RUN`
// must leave no instance of the run that the fake cloud itself (read with
// a fresh fake driver on the same state directory) does not call
// terminated, and no service may ever have had two instances. For some
// moments `boot --resume RUN` first completes the killed boot, and the run
// must then have exactly one instance per service.
//
// The instances of a run come from the driver itself (fake.FindByRun), so
// an instance the killed boot never recorded the id of is counted too.
func TestKillDuringBoot(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped with -short: kills 28 boots of a 2.5 s plan (~25 s, ~60 s with -race)")
	}
	bin := cliBinary(t)
	plan, err := filepath.Abs("testdata/killplan/top.conf")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	db := filepath.Join(tmp, "db")

	// Moments in time, 0 to 2.52 s, and moments when the fake cloud has
	// saved the n-th instance of the run: right then the boot has not yet
	// recorded that instance's id, the narrowest window there is.
	var cases []killCase
	for i := range 22 {
		cases = append(cases, killCase{run: fmt.Sprintf("kill%02d", i), at: time.Duration(i) * 120 * time.Millisecond, resume: i%4 == 1})
	}
	for i, n := range []int{1, 1, 3, 3, 6, 6} {
		cases = append(cases, killCase{run: fmt.Sprintf("saved%d", i), instances: n, resume: i%2 == 1})
	}
	t.Run("moments", func(t *testing.T) {
		for _, k := range cases {
			k.bin, k.plan, k.db, k.tmp = bin, plan, db, tmp
			t.Run(k.run, func(t *testing.T) {
				t.Parallel()
				k.check(t)
			})
		}
	})
}

// killCase is one boot killed at one moment.
type killCase struct {
	bin, plan, db, tmp string
	run                string
	at                 time.Duration // after the start of boot, or
	instances          int           // when > 0: once the cloud has this many instances of the run
	resume             bool          // boot --resume before terminate
}

// moment names when k kills.
func (k killCase) moment() string {
	if k.instances > 0 {
		return fmt.Sprintf("at %d instance(s) saved", k.instances)
	}
	return fmt.Sprintf("at %v", k.at)
}

func (k killCase) check(t *testing.T) {
	phase, finished := k.bootAndKill(t)
	where := fmt.Sprintf("run %s killed %s after %q", k.run, k.moment(), phase)
	t.Logf("%s (boot finished first: %v)", where, finished)
	_, statErr := os.Stat(filepath.Join(k.db, "cloudinitd-"+k.run+".db"))
	recorded := statErr == nil
	if recorded {
		k.checkHistory(t, where)
	}
	if k.resume && recorded {
		k.checkResume(t, where)
	}
	code, out := k.cli(t, "terminate", k.run)
	if recorded && code != 0 {
		t.Errorf("%s: terminate: exit %d\n%s", where, code, out)
	}
	perService := map[string][]string{}
	for _, in := range fakeInstances(t, k.db, k.run) {
		perService[in.Service] = append(perService[in.Service], in.ID)
		if in.State != iaas.StateTerminated {
			t.Errorf("LEAK: %s: instance %s of service %q (token %s) is %s after terminate (exit %d)\n%s",
				where, in.ID, in.Service, in.ClientToken, in.State, code, out)
		}
	}
	for svc, ids := range perService {
		if len(ids) > 1 {
			t.Errorf("DUPLICATE: %s: service %q had instances %v", where, svc, ids)
		}
	}
	if !recorded && len(perService) > 0 {
		t.Errorf("%s, before its record existed, yet the cloud has instances %v", where, perService)
	}
}

// checkHistory checks that `history RUN` lists every instance the cloud
// has for the run, those the killed boot never recorded included.
func (k killCase) checkHistory(t *testing.T, where string) {
	code, out := k.cli(t, "history", k.run)
	if code != 0 {
		t.Errorf("%s: history: exit %d\n%s", where, code, out)
		return
	}
	for _, in := range fakeInstances(t, k.db, k.run) {
		if !strings.Contains(out, in.ID+" ") {
			t.Errorf("%s: history does not list instance %s of service %q:\n%s", where, in.ID, in.Service, out)
		}
	}
}

// checkResume completes the killed boot with boot --resume and checks the
// cloud then holds exactly one instance per service.
func (k killCase) checkResume(t *testing.T, where string) {
	code, out := k.cli(t, "boot", "--resume", k.run, "-q")
	if code != 0 && strings.Contains(out, "holds no plan") {
		// Killed between creating the record and writing the plan into it:
		// resume refuses, and nothing may have been launched.
		if is := fakeInstances(t, k.db, k.run); len(is) > 0 {
			t.Errorf("%s: the record holds no plan, yet the cloud has instances %v", where, is)
		}
		return
	}
	if code != 0 {
		t.Errorf("%s: boot --resume: exit %d\n%s", where, code, out)
	}
	var svcs []string
	for _, in := range fakeInstances(t, k.db, k.run) {
		svcs = append(svcs, in.Service)
	}
	slices.Sort(svcs)
	if !slices.Equal(svcs, killPlanServices) {
		t.Errorf("%s, then boot --resume: the cloud has instances for services %v, want one each for %v",
			where, svcs, killPlanServices)
	}
}

// bootAndKill starts `boot` with line progress to a file and SIGKILLs it
// k.at later. It returns the last progress line written before the kill
// and whether the boot ended by itself first.
func (k killCase) bootAndKill(t *testing.T) (phase string, finished bool) {
	t.Helper()
	errPath := filepath.Join(k.tmp, k.run+".stderr")
	f, err := os.Create(errPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command(k.bin, "boot", k.plan, "-n", k.run, "-d", k.db, "-vvv")
	cmd.Env = k.env()
	cmd.Stdout, cmd.Stderr = f, f // files: no copying goroutine kept alive by orphaned programs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	ctx, cancel := context.WithCancel(context.Background())
	fire := k.trigger(ctx, t)
	select {
	case <-done:
		finished = true
	case <-fire:
		if err := cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
			t.Error(err)
		}
		<-done
	}
	cancel()
	<-fire
	return lastProgress(t, errPath), finished
}

// trigger returns a channel closed at k's moment, or when ctx ends. The
// count of instances is polled through the driver (fake.FindByRun).
func (k killCase) trigger(ctx context.Context, t *testing.T) <-chan struct{} {
	fire := make(chan struct{})
	go func() {
		defer close(fire)
		if k.instances == 0 {
			select {
			case <-time.After(k.at):
			case <-ctx.Done():
			}
			return
		}
		d, err := fake.New(fake.Options{Dir: filepath.Join(k.db, fake.Name)})
		if err != nil {
			t.Error(err)
			return
		}
		for ctx.Err() == nil {
			if is, err := d.FindByRun(ctx, iaas.RunID{Name: k.run}); err == nil && len(is) >= k.instances {
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	return fire
}

// cli runs the binary to completion on k's database and returns its exit
// code and combined output.
func (k killCase) cli(t *testing.T, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, k.bin, append(args, "-d", k.db)...)
	cmd.Env = k.env()
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, string(out)
	case errors.As(err, &ee) && ctx.Err() == nil:
		return ee.ExitCode(), string(out)
	}
	t.Fatalf("cloudinitd %s: %v\n%s", strings.Join(args, " "), err, out)
	return 0, ""
}

// env is the child's environment: ours without cloudinitd's variables,
// instances terminated at once, and a stage directory for this run only
// (services of different runs share names).
func (k killCase) env() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CLOUDINITD_") && !strings.HasPrefix(kv, "REMOTE_WORKING_DIR_ENV=") {
			env = append(env, kv)
		}
	}
	return append(env, fake.EnvVar(fake.KeyTerminateDelay)+"=0",
		"REMOTE_WORKING_DIR_ENV="+filepath.Join(k.tmp, "stage", k.run))
}

// lastProgress is the last line of a boot's progress that is not program
// output, or "" before the first.
func lastProgress(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	last := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := sc.Text(); line != "" && !strings.Contains(line, ": | ") {
			last = line
		}
	}
	return last
}

// cliBinary returns a path named cloudinitd to this test binary: TestMain
// hands it to testscript.Main, which runs Main when the binary is called
// cloudinitd. So the kills hit the real command, built as this test was
// (with -race when the test is), without invoking the go tool.
func cliBinary(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "cloudinitd")
	if err := os.Symlink(exe, bin); err != nil {
		t.Fatal(err)
	}
	return bin
}

// fakeInstances returns every instance the fake cloud under db has ever
// launched for run, as a fresh fake driver on that cloud (a process of its
// own, as far as the driver knows) finds them.
func fakeInstances(t *testing.T, db, run string) []iaas.Instance {
	t.Helper()
	d, err := fake.New(fake.Options{Dir: filepath.Join(db, fake.Name)})
	if err != nil {
		t.Fatal(err)
	}
	is, err := d.FindByRun(context.Background(), iaas.RunID{Name: run})
	if err != nil {
		t.Fatal(err)
	}
	return is
}
