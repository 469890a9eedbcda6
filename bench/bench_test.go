package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/bootlevel"
	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestMedian(t *testing.T) {
	s := time.Second
	tests := []struct {
		name string
		in   []time.Duration
		want time.Duration
	}{
		{"none", nil, 0},
		{"one", []time.Duration{3 * s}, 3 * s},
		{"odd unsorted", []time.Duration{5 * s, 1 * s, 3 * s}, 3 * s},
		{"even", []time.Duration{4 * s, 1 * s, 2 * s, 3 * s}, 2500 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := median(tt.in); got != tt.want {
				t.Errorf("median(%v) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestStatPPID(t *testing.T) {
	tests := []struct {
		stat string
		want int
		ok   bool
	}{
		{"123 (sshd) S 1 123 123 0", 1, true},
		{"77 (a) b) (c) R 4242 77 77 0", 4242, true},
		{"garbage", 0, false},
		{"5 (x)", 0, false},
	}
	for _, tt := range tests {
		got, ok := statPPID(tt.stat)
		if got != tt.want || ok != tt.ok {
			t.Errorf("statPPID(%q) = %d, %v; want %d, %v", tt.stat, got, ok, tt.want, tt.ok)
		}
	}
}

func TestChildPIDsFindsOwnChild(t *testing.T) {
	cmd := command(t.Context(), "sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	pids, err := childPIDs(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range pids {
		found = found || p == cmd.Process.Pid
	}
	if !found {
		t.Errorf("childPIDs(self) = %v, missing the child %d", pids, cmd.Process.Pid)
	}
}

func TestHostAddr(t *testing.T) {
	got := []string{hostAddr(0), hostAddr(1), hostAddr(249), hostAddr(250)}
	want := []string{"127.66.0.1", "127.66.0.2", "127.66.0.250", "127.66.1.1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("hostAddr (-want +got):\n%s", diff)
	}
}

func TestSSHDConfigHasPerHostStage(t *testing.T) {
	cfg := sshdConfig("127.66.0.3", 2222, "/k", "/a", "/s/3")
	for _, line := range []string{
		"ListenAddress 127.66.0.3:2222", "PidFile none", "StrictModes no", "UsePAM no",
		"PermitRootLogin yes", "AuthorizedKeysFile /a", "Subsystem sftp internal-sftp -d /s/3",
		"SetEnv BENCH_STAGE=/s/3", "MaxStartups 1000", "MaxSessions 1000",
	} {
		if !strings.Contains(cfg, line+"\n") {
			t.Errorf("sshd_config lacks %q:\n%s", line, cfg)
		}
	}
}

func TestParseOptions(t *testing.T) {
	o, err := parseOptions([]string{"-n", "5, 7", "-suites", "ssh", "-reps", "2"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{5, 7}, o.ns); diff != "" {
		t.Errorf("ns (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{10000}, o.epu); diff != "" {
		t.Errorf("epu (-want +got):\n%s", diff)
	}
	for _, bad := range [][]string{{"-n", "0"}, {"-suites", "nope"}, {"-reps", "0"}, {"extra"}, {"-epu-n", "x"}} {
		if _, err := parseOptions(bad, &bytes.Buffer{}); err == nil {
			t.Errorf("parseOptions(%q) succeeded, want an error", bad)
		}
	}
}

func TestCheckMarkers(t *testing.T) {
	dir := t.TempDir()
	ok, missing := filepath.Join(dir, "ok"), filepath.Join(dir, "missing")
	if err := os.MkdirAll(ok, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ok, markerName), []byte("booted\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := checkMarkers([]string{ok}); err != nil {
		t.Errorf("checkMarkers(ok) = %v", err)
	}
	if err := checkMarkers([]string{ok, missing}); err == nil || !strings.Contains(err.Error(), "1 of 2") {
		t.Errorf("checkMarkers(ok, missing) = %v, want 1 of 2 missing", err)
	}
}

func TestWritePlan(t *testing.T) {
	dir := t.TempDir()
	top, err := writePlan(dir, planSpec{
		Defaults: map[string]string{"ssh_username": "root", "bootpgm": "/b.sh"},
		Names:    [][]string{{"a", "b"}, {"c"}},
		Levels: [][]map[string]string{
			{{"hostname": "127.66.0.1", "iaas_launch": "false"}, {"hostname": "127.66.0.2", "iaas_launch": "false"}},
			{{}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, name := range []string{"top.conf", "level1.conf", "level2.conf"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		got[name] = string(b)
	}
	want := map[string]string{
		"top.conf":    "[runlevels]\nlevel1: level1.conf\nlevel2: level2.conf\n\n[defaults]\nbootpgm: /b.sh\nssh_username: root\n",
		"level1.conf": "[svc-a]\nhostname: 127.66.0.1\niaas_launch: false\n\n[svc-b]\nhostname: 127.66.0.2\niaas_launch: false\n\n",
		"level2.conf": "[svc-c]\n\n",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("plan files (-want +got):\n%s", diff)
	}
	if top != filepath.Join(dir, "top.conf") {
		t.Errorf("top = %q", top)
	}
}

func TestReportGolden(t *testing.T) {
	s := time.Second
	r := report{
		Date:    "2026-01-02 03:04 UTC",
		Machine: []string{"CPU: 2 × test"},
		LoadEnd: "0.50 0.40 0.30",
		Reps:    3,
		Fanout: []fanoutResult{
			{Login: "bench01", N: 20, Contender: "floor", Walls: []time.Duration{2 * s, 1 * s, 3 * s}, CPUs: []time.Duration{4 * s, 2 * s, 5 * s}},
			{Login: "bench01", N: 20, Contender: "samework", Walls: []time.Duration{2 * s, 2 * s, 2 * s}, RunCPUs: []time.Duration{2 * s, 3 * s, 4 * s}},
			{Login: "bench01", N: 20, Contender: "parallel-ssh", Walls: []time.Duration{8 * s, 8 * s, 8 * s}},
			{Login: "bench01", N: 20, Contender: "ansible", Err: "ansible-playbook: exit status 2\nmore"},
			{Login: "bench01", N: 20, Contender: "cloudinitd", Walls: []time.Duration{2 * s, 2 * s, 3 * s}, RunCPUs: []time.Duration{4 * s, 3 * s, 5 * s}, Detail: "cloudinitd steps: ssh 10/20 ms"},
			{Login: "bench01", N: 100, Contender: "hosts", Err: "host 127.66.0.77: sshd exited"},
			{Login: "root", N: 20, Contender: "floor", Walls: []time.Duration{4 * s}},
			{Login: "root", N: 20, Contender: "cloudinitd", Walls: []time.Duration{5 * s}},
		},
		Scale: []scaleResult{
			{Services: 1000, Levels: 10, Wall: s, CPU: s, MaxRSS: 50 << 20, RecordBytes: 3 << 20},
			{Services: 10000, Levels: 10, Wall: 6 * s, Walls: []time.Duration{7 * s, 6 * s, 5 * s}, BootWall: 5 * s, CPU: 8 * s, MaxRSS: 200 << 20, RecordBytes: 30 << 20, Status: s / 2, Terminate: 2 * s},
			{Services: 100000, Levels: 10, Wall: 60 * s, MaxRSS: 1 << 30, Err: "killed after 5m0s (-scale-timeout)"},
		},
		Overlap: []overlapResult{
			{Plan: "5 levels × 3, pre-launch", Wall: 7200 * time.Millisecond, Critical: 7 * s, Max: 1.05},
			{Plan: "5 levels × 3, no pre-launch", Wall: 16 * s, Critical: 15 * s},
		},
		EPU: []epuResult{
			{Workers: 1000, Up: 3 * s, FloorUp: s, Down: s, FloorDown: s, MaxRSS: 40 << 20, FloorRSS: 20 << 20, Launched: 1000},
			{Workers: 10000, Up: 30 * s, FloorUp: 10 * s, Down: 3 * s, FloorDown: 2 * s, MaxRSS: 250 << 20, FloorRSS: 60 << 20, Launched: 10000},
			{Workers: 10000, Err: "killed after 5m0s (-epu-timeout) with 2000 of 10000 provision requests answered\nmore", MaxRSS: 90 << 20, FloorRSS: 60 << 20},
		},
	}
	var b bytes.Buffer
	if err := r.write(&b); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "report.md")
	if *update {
		if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), b.String()); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
}

func TestCriticalPath(t *testing.T) {
	s := time.Second
	tests := []struct {
		name      string
		startup   []time.Duration
		work      []time.Duration
		prelaunch bool
		want      time.Duration
	}{
		{"pre-launch equal start-ups: max start-up plus all work", []time.Duration{2 * s, 2 * s, 2 * s}, []time.Duration{s, s, s}, true, 5 * s},
		{"no pre-launch: every level waits for its own start-up", []time.Duration{2 * s, 2 * s, 2 * s}, []time.Duration{s, s, s}, false, 9 * s},
		{"pre-launch, a late level's slow start-up dominates", []time.Duration{1 * s, 1 * s, 10 * s}, []time.Duration{s, s, s}, true, 11 * s},
		{"no levels", nil, nil, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := criticalPath(tt.startup, tt.work, tt.prelaunch); got != tt.want {
				t.Errorf("criticalPath = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestStepTimer(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	st := newStepTimer()
	for _, e := range []bootlevel.Event{
		{Service: "a", Kind: bootlevel.KindStep, Step: "ssh", Time: at(0)},
		{Service: "b", Kind: bootlevel.KindStep, Step: "ssh", Time: at(0)},
		{Service: "a", Kind: bootlevel.KindOutput, Time: at(5)}, // ignored
		{Service: "a", Kind: bootlevel.KindStep, Step: "bootpgm", Time: at(10)},
		{Service: "b", Kind: bootlevel.KindStep, Step: "bootpgm", Time: at(30)},
		{Service: "a", Kind: bootlevel.KindState, State: "ready", Time: at(110)},
		{Service: "b", Kind: bootlevel.KindState, State: "failed", Time: at(40)},
		{Kind: bootlevel.KindLevelDone, Time: at(200)}, // no service: ignored
	} {
		st.Event(e)
	}
	want := []stepStat{
		{Step: "ssh", Count: 2, MedianMS: 20, MaxMS: 30},
		{Step: "bootpgm", Count: 2, MedianMS: 55, MaxMS: 100},
	}
	if diff := cmp.Diff(want, st.Stats()); diff != "" {
		t.Errorf("Stats (-want +got):\n%s", diff)
	}
}
