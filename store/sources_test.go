package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// sourceTexts returns the texts of setting_source, by id.
func sourceTexts(t *testing.T, db *DB) map[int64]string {
	t.Helper()
	rows, err := db.sql.QueryContext(context.Background(), `SELECT id, text FROM setting_source`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	m := map[int64]string{}
	for rows.Next() {
		var id int64
		var text string
		if err := rows.Scan(&id, &text); err != nil {
			t.Fatal(err)
		}
		m[id] = text
	}
	return m
}

// storedSources returns the third element of each setting of svc's
// settings row as stored: a text (string) or an id (float64).
func storedSources(t *testing.T, db *DB, svc string) map[string]any {
	t.Helper()
	var js string
	err := db.sql.QueryRowContext(context.Background(), `SELECT c.settings FROM service_config c JOIN service s ON s.id = c.service_id WHERE s.name = ?`, svc).Scan(&js)
	if err != nil {
		t.Fatal(err)
	}
	var arr [][]any
	if err := json.Unmarshal([]byte(js), &arr); err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	m := map[string]any{}
	for _, st := range arr {
		m[st[0].(string)] = st[2]
	}
	return m
}

func settingsByService(t *testing.T, db *DB) map[string][]Setting {
	t.Helper()
	ss, err := db.Services(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	m := map[string][]Setting{}
	for _, s := range ss {
		m[s.Name] = s.Settings
	}
	return m
}

// TestSharedSources: a source text that two settings or more give is
// stored once in setting_source and named by its id in the settings rows,
// a text given once stays in its row; the reads and the view
// service_setting give every text back; a reload reuses the stored texts
// and adds the new shared ones once.
func TestSharedSources(t *testing.T) {
	ctx := context.Background()
	db, _ := newRun(t)
	const top = "/plans/top.conf [defaults]"
	odd := `/plans/a "b".conf` + "\t[svc-x] ü"
	ls := []Level{{Number: 1, Key: "level1"}}
	ss := []Service{
		{Name: "a", Level: 1, Position: 0, Settings: []Setting{
			{Key: "image", Value: "ami-1", Source: top},
			{Key: "iaas_secret", Redacted: true, Source: top},
			{Key: "allocation", Value: "small", Source: "/plans/l1.conf [svc-a]"},
			{Key: "ssh_port", Value: "22", Source: ""},
			{Key: "odd", Value: "1", Source: odd},
		}},
		{Name: "b", Level: 1, Position: 1, Settings: []Setting{
			{Key: "image", Value: "ami-2", Source: top},
			{Key: "ssh_port", Value: "22", Source: ""},
			{Key: "odd", Value: "2", Source: odd},
			{Key: "allocation", Value: "big", Source: "/plans/l1.conf [svc-b]"},
		}},
		{Name: "c", Level: 1, Position: 2},
	}
	if err := db.PutPlan(ctx, ls, ss); err != nil {
		t.Fatal(err)
	}
	texts := sourceTexts(t, db)
	if diff := cmp.Diff(map[int64]string{1: top, 2: "", 3: odd}, texts); diff != "" {
		t.Errorf("setting_source (-want +got):\n%s", diff)
	}
	wantStored := map[string]any{"image": 1.0, "iaas_secret": 1.0, "allocation": "/plans/l1.conf [svc-a]", "ssh_port": 2.0, "odd": 3.0}
	if diff := cmp.Diff(wantStored, storedSources(t, db, "a")); diff != "" {
		t.Errorf("a's settings row, sources as stored (-want +got):\n%s", diff)
	}
	want := map[string][]Setting{"a": sortedCopy(ss[0].Settings), "b": sortedCopy(ss[1].Settings), "c": nil}
	want["a"][1].Value = "" // iaas_secret: never stored
	if diff := cmp.Diff(want, settingsByService(t, db)); diff != "" {
		t.Errorf("settings read back (-want +got):\n%s", diff)
	}
	got, err := db.Service(ctx, "b")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want["b"], got.Settings); diff != "" {
		t.Errorf("Service(b) settings (-want +got):\n%s", diff)
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT s.name, v.key, v.value, v.source FROM service_setting v JOIN service s ON s.id = v.service_id ORDER BY s.name, v.key`)
	if err != nil {
		t.Fatal(err)
	}
	view := map[string][]Setting{"c": nil}
	for rows.Next() {
		var name string
		var st Setting
		var v sql.NullString
		if err := rows.Scan(&name, &st.Key, &v, &st.Source); err != nil {
			t.Fatal(err)
		}
		st.Value, st.Redacted = v.String, !v.Valid
		view[name] = append(view[name], st)
	}
	rows.Close()
	if diff := cmp.Diff(want, view); diff != "" {
		t.Errorf("view service_setting (-want +got):\n%s", diff)
	}

	// A reload: a stored text, a text given once before and twice now, a
	// new text given twice, a new text given once.
	reload := []Service{
		{Name: "a", Level: 1, Position: 0, Settings: []Setting{
			{Key: "image", Value: "ami-3", Source: top},
			{Key: "allocation", Value: "small", Source: "/plans/l1.conf [svc-b]"},
			{Key: "cloud", Value: "x", Source: "/plans/top.conf [cloud-x]"},
		}},
		{Name: "b", Level: 1, Position: 1, Settings: []Setting{
			{Key: "allocation", Value: "small", Source: "/plans/l1.conf [svc-b]"},
			{Key: "cloud", Value: "x", Source: "/plans/top.conf [cloud-x]"},
			{Key: "ssh_port", Value: "2222", Source: "-g"},
		}},
	}
	if err := db.PutServices(ctx, reload); err != nil {
		t.Fatal(err)
	}
	wantTexts := map[int64]string{1: top, 2: "", 3: odd, 4: "/plans/l1.conf [svc-b]", 5: "/plans/top.conf [cloud-x]"}
	if diff := cmp.Diff(wantTexts, sourceTexts(t, db)); diff != "" {
		t.Errorf("setting_source after a reload (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"allocation": 4.0, "cloud": 5.0, "ssh_port": "-g"}, storedSources(t, db, "b")); diff != "" {
		t.Errorf("b's settings row after a reload, sources as stored (-want +got):\n%s", diff)
	}
	want = map[string][]Setting{"a": sortedCopy(reload[0].Settings), "b": sortedCopy(reload[1].Settings), "c": nil}
	if diff := cmp.Diff(want, settingsByService(t, db)); diff != "" {
		t.Errorf("settings after a reload (-want +got):\n%s", diff)
	}
}

// TestSettingsSourceIDs: a source given as an id reads as the text of
// setting_source; an id it does not hold, or a number that is not one,
// is refused.
func TestSettingsSourceIDs(t *testing.T) {
	r := settingsReader{sources: map[int64]string{1: "/plans/top.conf [defaults]", 12: ""}}
	got, err := r.read(nil, `[["a","x",1], ["b",null,"inline"],["c","y", 12 ]]`)
	if err != nil {
		t.Fatal(err)
	}
	want := []Setting{{Key: "a", Value: "x", Source: "/plans/top.conf [defaults]"}, {Key: "b", Redacted: true, Source: "inline"}, {Key: "c", Value: "y"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("read (-want +got):\n%s", diff)
	}
	for _, bad := range []string{`[["a","x",2]]`, `[["a","x",-1]]`, `[["a","x",1.5]]`, `[["a","x",1e3]]`, `[["a","x",99999999999999999999]]`} {
		if _, err := r.read(nil, bad); !errors.Is(err, errSettings) {
			t.Errorf("read(%q): %v, want errSettings", bad, err)
		}
	}
	var none settingsReader // a record of version 5 has no setting_source
	if _, err := none.read(nil, `[["a","x",1]]`); !errors.Is(err, errSettings) {
		t.Errorf("read of an id without setting_source: %v, want errSettings", err)
	}
}

// TestSchema5Record: a record of schema version 5 (every source text in
// its settings rows, no setting_source) reads the same read-only (not
// upgraded), and after a writing open has upgraded it.
func TestSchema5Record(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	writeSchema4Record(t, dir)
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(Path(dir, "old"))
	sdb, err := sql.Open("sqlite", (&url.URL{Scheme: "file", Path: abs, RawQuery: "_pragma=foreign_keys(1)"}).String())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sdb.Exec(ms[4].sql + `; PRAGMA user_version = 5`); err != nil {
		t.Fatalf("%s: %v", ms[4].name, err)
	}
	sdb.Close()

	ro, err := OpenReadOnly(ctx, dir, "old")
	if err != nil {
		t.Fatalf("OpenReadOnly of a version 5 record: %v", err)
	}
	before := readAll(t, ro)
	ro.Close()
	if v := mustVersion(t, dir); v != 5 {
		t.Fatalf("a read-only open changed the schema version to %d", v)
	}
	if len(before.Services) != 3 || len(before.Rows) != 6 || before.Services[0].Settings[0].Source != "/plans/l1.conf [svc-db]" {
		t.Fatalf("the version 5 record reads %+v", before)
	}
	db, err := Open(ctx, dir, "old")
	if err != nil {
		t.Fatalf("Open (upgrade) of a version 5 record: %v", err)
	}
	defer db.Close()
	if diff := cmp.Diff(before, readAll(t, db)); diff != "" {
		t.Errorf("reads after the upgrade (-version 5 +version %d):\n%s", SchemaVersion(), diff)
	}
}
