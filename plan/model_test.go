package plan

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// loadCase loads testdata/plans/<name> as TestPlans does.
func loadCase(t *testing.T, name string) (*Plan, error) {
	t.Helper()
	c := readPlanCase(t, filepath.Join("testdata", "plans", name))
	return Load(context.Background(), c.top, c.opts)
}

func mustLoad(t *testing.T, name string) *Plan {
	t.Helper()
	p, err := loadCase(t, name)
	if err != nil {
		t.Fatalf("Load %s: %v", name, err)
	}
	return p
}

func TestProblemError(t *testing.T) {
	tests := []struct {
		p    Problem
		want string
	}{
		{Problem{File: "l1.conf", Line: 12, Section: "svc-web", Key: "image", Msg: "bad"}, "l1.conf:12: [svc-web] image: bad"},
		{Problem{File: "top.conf", Msg: "missing"}, "top.conf: missing"},
		{Problem{File: "top.conf", Section: "runlevels", Line: 3, Msg: "no levels"}, "top.conf:3: [runlevels] no levels"},
		{Problem{Msg: "invalid global variable"}, "invalid global variable"},
		{Problem{File: "l.conf", Line: 2, Section: "svc-a", Key: "readpgm", Msg: "unknown", Warning: true}, "l.conf:2: [svc-a] readpgm: warning: unknown"},
	}
	for _, tt := range tests {
		if got := tt.p.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestInvalidErrorKeepsWarnings(t *testing.T) {
	_, err := loadCase(t, "bad-many")
	var ie *InvalidError
	if !errors.As(err, &ie) || !errors.Is(err, ErrInvalid) {
		t.Fatalf("err = %v, want *InvalidError matching ErrInvalid", err)
	}
	if len(ie.Problems) != 8 {
		t.Errorf("%d problems, want 8", len(ie.Problems))
	}
	if len(ie.Warnings) != 1 || ie.Warnings[0].Key != "readpgm" || !strings.Contains(ie.Warnings[0].Msg, `"readypgm"`) {
		t.Errorf("warnings = %v, want one for readpgm suggesting readypgm", ie.Warnings)
	}
	if !strings.HasPrefix(err.Error(), "invalid plan: 8 problems\n") {
		t.Errorf("Error() starts %q", strings.SplitN(err.Error(), "\n", 2)[0])
	}
}

func TestAccessors(t *testing.T) {
	p := mustLoad(t, "localexe")
	s := p.Service("localexe")
	if s == nil {
		t.Fatal("no service localexe")
	}
	if !s.LocalExe() || s.IaaSLaunch() || s.PgmTimeout() != 30*time.Second || s.SSHPort() != 22 {
		t.Errorf("LocalExe %v IaaSLaunch %v PgmTimeout %v SSHPort %d", s.LocalExe(), s.IaaSLaunch(), s.PgmTimeout(), s.SSHPort())
	}
	if got := s.BootPgm(); !filepath.IsAbs(got) || filepath.Base(got) != "bootpgm.sh" {
		t.Errorf("BootPgm() = %q, want absolute .../bootpgm.sh", got)
	}
	if s.ReadyPgm() != "" || s.TerminatePgm() != "" || s.Args(BootPgm) != "" {
		t.Errorf("unset programs: %q %q %q", s.ReadyPgm(), s.TerminatePgm(), s.Args(BootPgm))
	}
	if s2 := p.Service("nobootpgm"); s2.LocalExe() {
		t.Errorf("local_exe: yes must be false")
	}
	d := mustLoad(t, "driveropts")
	f := d.Service("fake")
	if f.PgmTimeout() != 1200*time.Second || f.SSHPort() != 2222 || f.IaaS() != "fake" || f.Image() != "ami-drv" {
		t.Errorf("fake: %v %d %q %q", f.PgmTimeout(), f.SSHPort(), f.IaaS(), f.Image())
	}
	want := map[string]string{"fake_capacity": "5", "fake_die_after": "60", "fake_error_rate": "0.1",
		"fake_launch_delay": "2", "fake_running_delay": "1", "ssh_check": "false"}
	if diff := cmp.Diff(want, f.DriverOptions()); diff != "" {
		t.Errorf("DriverOptions (-want +got):\n%s", diff)
	}
	c := mustLoad(t, "cloudconf").Service("sampleone")
	if !c.Secret("iaas_secret") || c.Secret("image") {
		t.Errorf("Secret wrong")
	}
	if v, _ := c.Get("iaas_secret"); v != "verysecret" {
		t.Errorf("iaas_secret = %q, want the env value", v)
	}
	if c.Cloud() != "cloud-basic" || c.SSHUser() != "ubuntu" || c.KeyName() != "basickey" {
		t.Errorf("cloud %q user %q key %q", c.Cloud(), c.SSHUser(), c.KeyName())
	}
}

func TestServicesOrderAndReplicas(t *testing.T) {
	p := mustLoad(t, "tenlevels")
	var names []string
	for _, s := range p.Services() {
		names = append(names, s.Name)
	}
	want := []string{"one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("services (-want +got):\n%s", diff)
	}
	r := mustLoad(t, "replicas")
	n1 := r.Service("cassandra-node-1")
	if n1 == nil || n1.Base != "cassandra-node" || n1.Replica != 1 || !n1.IsReplica() || n1.Level != 2 {
		t.Fatalf("cassandra-node-1 = %+v", n1)
	}
	if s := r.Service("single"); s == nil || s.IsReplica() {
		t.Errorf("replica_count 1 must keep the plain name: %+v", s)
	}
	if r.Service("cassandra-node") != nil {
		t.Errorf("a replicated service has no plain name")
	}
}

func TestReferences(t *testing.T) {
	p := mustLoad(t, "outputdep")
	want := []Reference{
		{From: "twolvl2", Key: "bootpgm_args", To: "onelvl1", Attr: "webmessage"},
		{From: "twolvl2", Key: "webmessage", Deps: true, To: "onelvl1", Attr: "webmessage"},
	}
	if diff := cmp.Diff(want, p.References()); diff != "" {
		t.Errorf("References (-want +got):\n%s", diff)
	}
	g := mustLoad(t, "globals").References()
	if len(g) != 4 || !g[0].Global || g[0].To != "" || g[0].Attr != "var1" {
		t.Errorf("global references = %+v", g)
	}
	tv := mustLoad(t, "terminate_variable").References()
	if len(tv) != 5 || tv[0].To != "sampleone" || tv[0].Attr != "testattr" {
		t.Errorf("self references = %+v", tv)
	}
}

func TestResolverExpands(t *testing.T) {
	p := mustLoad(t, "selfchain")
	r := p.Resolver("run1")
	tests := []struct{ s, self, want string }{
		{"${controller.vcap_config}", "tester", "/home/cfuser/cloudfoundry/vcap/config"},
		{"${controller.keyname}", "tester", "cfkey"},
		{"${.hostname}", "tester", "${.hostname}"},
		{"${controller.run_name}:${controller.state}:${controller.name}", "tester", "run1:0:controller"},
		{"${controller.vcap_domain}", "tester", "${.hostname}.example.org"}, // unset tokens stay as written
	}
	for _, tt := range tests {
		got, err := Expand(tt.s, tt.self, r)
		if err != nil || got != tt.want {
			t.Errorf("Expand(%q) = %q, %v; want %q", tt.s, got, err, tt.want)
		}
	}
	if _, err := Expand("${nobody.x}", "tester", r); !errors.Is(err, ErrUnknownService) {
		t.Errorf("unknown service: %v", err)
	}
	if _, err := Expand("${tester.nothing}", "tester", r); !errors.Is(err, ErrUnknownAttr) {
		t.Errorf("unknown attribute: %v", err)
	}
	if v, set, err := p.Resolver("").Field("controller", "whatever_bootout_writes"); err != nil || set || v != "" {
		t.Errorf("bootout attribute of a service with a bootpgm: %q %v %v", v, set, err)
	}
}

func TestLoadRelativeTopAndSuggest(t *testing.T) {
	p, err := Load(context.Background(), "testdata/plans/tenlevels/top.conf", Options{LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	if !filepath.IsAbs(p.TopFile) || !filepath.IsAbs(p.Levels[0].File) {
		t.Errorf("paths not absolute: %q %q", p.TopFile, p.Levels[0].File)
	}
	for key, want := range map[string]string{"readpgm": "readypgm", "keyname": "sshkeyname", "imgae": "image", "bootcnf": "bootconf", "frobnicate": ""} {
		if got := suggestKey(key, inService); got != want {
			t.Errorf("suggestKey(%q) = %q, want %q", key, got, want)
		}
	}
}

func TestSourceString(t *testing.T) {
	tests := []struct {
		s    Source
		want string
	}{
		{Source{Kind: SourceService, File: "/p/level1.conf", Section: "svc-web", Line: 12}, "/p/level1.conf:[svc-web]:12"},
		{Source{Kind: SourceDefaults, File: "/p/top.conf", Section: "defaults", Line: 3, Env: "FOO"}, "env.FOO via /p/top.conf:[defaults]:3"},
		{Source{Kind: SourceBuiltIn}, "built-in"},
		{Source{Kind: SourceDerived}, "derived"},
	}
	for _, tt := range tests {
		if got := tt.s.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

// BenchmarkSourceString formats the source of a service's own setting, as
// bootlevel.Record does once for every service of a plan.
func BenchmarkSourceString(b *testing.B) {
	s := Source{Kind: SourceService, File: "/tmp/bench-275065170/scale-10000/plan/level7.conf", Section: "svc-s06789", Line: 12345}
	b.ReportAllocs()
	for b.Loop() {
		_ = s.String()
	}
}

// TestSettingsGet: Get finds a key of the sorted settings, first, last
// or between, and none that is not there.
func TestSettingsGet(t *testing.T) {
	ss := Settings{{Key: "allocation", Value: "a"}, {Key: "iaas", Value: "i"}, {Key: "readypgm", Value: "r"}}
	for _, tc := range []struct {
		key    string
		want   string
		wantOK bool
	}{
		{"allocation", "a", true},
		{"iaas", "i", true},
		{"readypgm", "r", true},
		{"bootpgm", "", false},
		{"", "", false},
		{"zz", "", false},
	} {
		got, ok := ss.Get(tc.key)
		if got.Value != tc.want || ok != tc.wantOK {
			t.Errorf("Get(%q) = %q, %v; want %q, %v", tc.key, got.Value, ok, tc.want, tc.wantOK)
		}
	}
	if _, ok := Settings(nil).Get("iaas"); ok {
		t.Error("Get on no settings found one")
	}
}
