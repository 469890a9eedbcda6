package store

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var ignoreTimes = cmpopts.IgnoreFields(Service{}, "Created", "Updated")

func TestOrdering(t *testing.T) {
	ctx := context.Background()
	db, _ := newRun(t)
	twoLevels(t, db)

	ls, err := db.Levels(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantLevels := []Level{
		{Number: 1, Key: "level1", ConfFile: "/plans/l1.conf", Position: 0},
		{Number: 2, Key: "level2", ConfFile: "/plans/l2.conf", Position: 1},
	}
	if diff := cmp.Diff(wantLevels, ls); diff != "" {
		t.Errorf("Levels (-want +got):\n%s", diff)
	}

	ss, err := db.Services(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range ss {
		names = append(names, s.Name)
	}
	if diff := cmp.Diff([]string{"cache", "db", "web", "app"}, names); diff != "" {
		t.Errorf("service order (-want +got):\n%s", diff)
	}

	if _, err := db.AppendAttrs(ctx, "web", OriginDeps, []Attr{{Key: "z", Value: "1"}, {Key: "a", Value: "2"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AppendAttrs(ctx, "db", OriginDeps, []Attr{{Key: "other", Value: "x"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AppendAttrs(ctx, "web", OriginBootout, []Attr{{Key: "z", Value: "3"}}); err != nil {
		t.Fatal(err)
	}
	as, err := db.Attrs(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	wantAttrs := []Attr{
		{Seq: 1, Key: "z", Value: "1", Origin: OriginDeps},
		{Seq: 2, Key: "a", Value: "2", Origin: OriginDeps},
		{Seq: 3, Key: "z", Value: "3", Origin: OriginBootout},
	}
	if diff := cmp.Diff(wantAttrs, as); diff != "" {
		t.Errorf("Attrs (-want +got):\n%s", diff)
	}
	if _, err := db.AppendAttrs(ctx, "web", "other", nil); err == nil {
		t.Error("AppendAttrs accepted an unknown origin")
	}
	if _, err := db.AppendAttrs(ctx, "ghost", OriginDeps, nil); !errors.Is(err, ErrNoService) {
		t.Errorf("AppendAttrs to an unknown service: %v", err)
	}
}

func TestServiceRuntimeColumns(t *testing.T) {
	ctx := context.Background()
	db, _ := newRun(t)
	twoLevels(t, db)
	for _, step := range []error{
		db.SetState(ctx, "web", StateRunning, "vm up"),
		db.SetHostname(ctx, "web", "web.example.org"),
		db.SetLastError(ctx, "web", "bootpgm: exit status 3"),
		db.SetHostKey(ctx, "web", "ssh-ed25519 AAAAC3Nz"),
	} {
		if step != nil {
			t.Fatal(step)
		}
	}
	got, err := db.Service(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	want := Service{
		Name: "web", Level: 2, Position: 0,
		Settings:  []Setting{{Key: "image", Value: "ami-1", Source: "l2.conf [svc-web]"}},
		State:     StateRunning,
		Hostname:  "web.example.org",
		LastError: "bootpgm: exit status 3",
		HostKey:   "ssh-ed25519 AAAAC3Nz",
	}
	if diff := cmp.Diff(want, got, ignoreTimes); diff != "" {
		t.Errorf("Service (-want +got):\n%s", diff)
	}
	if err := db.SetHostname(ctx, "web", ""); err != nil {
		t.Fatal(err)
	}
	var isNull bool
	db.sql.QueryRowContext(ctx, `SELECT hostname IS NULL FROM service WHERE name = 'web'`).Scan(&isNull)
	if !isNull {
		t.Error("SetHostname(\"\") did not store NULL")
	}

	for _, tc := range []struct {
		name string
		err  error
		want error
	}{
		{"unknown service", db.SetState(ctx, "ghost", StateReady, ""), ErrNoService},
		{"unknown hostname service", db.SetHostname(ctx, "ghost", "h"), ErrNoService},
		{"unknown Service", func() error { _, err := db.Service(ctx, "ghost"); return err }(), ErrNoService},
	} {
		if !errors.Is(tc.err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, tc.err, tc.want)
		}
	}
	if err := db.SetState(ctx, "web", "sleeping", ""); err == nil {
		t.Error("SetState accepted an invalid state")
	}

	// SetState journals the transition in the same transaction.
	es, err := db.Events(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 || es[0].Service != "web" || es[0].Event != "state" || es[0].State != StateRunning || es[0].Detail != "vm up" {
		t.Errorf("events after SetState = %+v", es)
	}
}

func TestReloadKeepsRuntime(t *testing.T) {
	ctx := context.Background()
	db, _ := newRun(t)
	twoLevels(t, db)
	in, err := db.LaunchIntent(ctx, "web", 1, "tok-1", "fake")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.LaunchDone(ctx, in.ID, "i-1", []byte("h")); err != nil {
		t.Fatal(err)
	}
	// Reload: web moves to level 1 with new settings; state and instance stay.
	err = db.PutServices(ctx, []Service{{Name: "web", Level: 1, Position: 5,
		Settings: []Setting{{Key: "allocation", Value: "m1.small"}}}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := db.Service(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	want := Service{Name: "web", Level: 1, Position: 5, Settings: []Setting{{Key: "allocation", Value: "m1.small"}},
		State: StateLaunched, InstanceID: "i-1", Driver: "fake", Handle: []byte("h"), Attempt: 1}
	if diff := cmp.Diff(want, got, ignoreTimes); diff != "" {
		t.Errorf("reloaded service (-want +got):\n%s", diff)
	}
	if err := db.PutServices(ctx, []Service{{Name: "x", Level: 9}}); err == nil {
		t.Error("PutServices accepted an unrecorded level")
	}
	if err := db.PutServices(ctx, []Service{{Name: "x", Level: 1}, {Name: "x", Level: 1}}); err == nil {
		t.Error("PutServices accepted a duplicate name")
	}
	if _, err := db.Service(ctx, "x"); !errors.Is(err, ErrNoService) {
		t.Errorf("a failed PutServices left rows behind: %v", err)
	}
}

func TestGlobals(t *testing.T) {
	ctx := context.Background()
	db, _ := newRun(t)
	in := []Global{
		{Name: "var1", Value: "world", Rank: 3, Source: "-g"},
		{Name: "var1", Value: "hello", Rank: 1, Source: "/p/top.conf [globals]"},
		{Name: "b", Value: "2", Rank: 1, Source: "/p/top.conf [globals]"},
	}
	if err := db.SaveGlobals(ctx, in); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveGlobals(ctx, in); err != nil { // replaces, no duplicates
		t.Fatal(err)
	}
	got, err := db.Globals(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []Global{in[2], in[1], in[0]}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Globals (-want +got):\n%s", diff)
	}
}

// TestPutServicesManySettings writes more settings than one INSERT holds
// (settingRows) and reads every one back on its service.
func TestPutServicesManySettings(t *testing.T) {
	db, _ := newRun(t)
	ctx := context.Background()
	var ss []Service
	for i := range 70 {
		s := Service{Name: fmt.Sprintf("s%02d", i), Level: 1, Position: i}
		for k := range 5 {
			s.Settings = append(s.Settings, Setting{Key: fmt.Sprintf("k%d", k), Value: fmt.Sprintf("v%d-%d", i, k), Source: "l1.conf"})
		}
		ss = append(ss, s)
	}
	if err := db.PutPlan(ctx, []Level{{Number: 1, Key: "level1"}}, ss); err != nil {
		t.Fatal(err)
	}
	got, err := db.Services(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(ss) {
		t.Fatalf("%d services, want %d", len(got), len(ss))
	}
	for i := range ss {
		if d := cmp.Diff(ss[i].Settings, got[i].Settings); d != "" {
			t.Errorf("%s settings (-want +got):\n%s", ss[i].Name, d)
		}
	}
}

func TestHostKey(t *testing.T) {
	ctx := context.Background()
	db, _ := newRun(t)
	twoLevels(t, db)
	if got, err := db.HostKey(ctx, "web"); err != nil || got != "" {
		t.Fatalf("HostKey before any contact = %q, %v; want \"\", nil", got, err)
	}
	if err := db.SetHostKey(ctx, "web", "ssh-ed25519 AAAAC3Nz 127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	if got, err := db.HostKey(ctx, "web"); err != nil || got != "ssh-ed25519 AAAAC3Nz 127.0.0.1" {
		t.Errorf("HostKey = %q, %v; want the recorded line", got, err)
	}
	if _, err := db.HostKey(ctx, "ghost"); !errors.Is(err, ErrNoService) {
		t.Errorf("HostKey of an unknown service: %v; want ErrNoService", err)
	}
}
