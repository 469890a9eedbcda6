package store

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// downgradeSettings turns the settings of a record of version 5 back into
// the service_setting table of version 4 (as 0001_init.sql made it).
const downgradeSettings = `
CREATE TABLE service_setting_v4 (
    service_id INTEGER NOT NULL REFERENCES service (id) ON DELETE CASCADE,
    key        TEXT NOT NULL,
    value      TEXT,
    source     TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (service_id, key)
) WITHOUT ROWID;
INSERT INTO service_setting_v4 SELECT service_id, key, value, source FROM service_setting;
DROP VIEW service_setting;
DROP TABLE service_config;
ALTER TABLE service_setting_v4 RENAME TO service_setting;
`

// schema4Rows is a record as the cloudinitd of schema version 4 wrote it:
// a run, two levels, three services (one without settings), settings with
// a secret and text that needs escaping in JSON, deps and bootout rows, a
// launched instance and its journal.
const schema4Rows = `
INSERT INTO run (id, name, topconf, created_at, updated_at, status, tool_version, incarnation, secret)
    VALUES (1, 'old', '/plans/top.conf', '2026-12-01T10:00:00.000000000Z', '2026-12-01T10:05:00.000000000Z',
            'up', 'v4', '0badcafe', '` + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" + `');
INSERT INTO level (id, number, key, conf_file, position) VALUES
    (1, 1, 'level1', '/plans/l1.conf', 0), (2, 2, 'level2', '/plans/l2.conf', 1);
INSERT INTO service (id, name, level_id, position, state, instance_id, hostname, driver, attempt, created_at, updated_at) VALUES
    (1, 'db', 1, 0, 'ready', 'i-1', 'db.example.org', 'fake', 1, '2026-12-01T10:00:00.000000000Z', '2026-12-01T10:04:00.000000000Z'),
    (2, 'web', 2, 0, 'new', NULL, NULL, NULL, 0, '2026-12-01T10:00:00.000000000Z', '2026-12-01T10:00:00.000000000Z'),
    (3, 'bare', 2, 1, 'new', NULL, NULL, NULL, 0, '2026-12-01T10:00:00.000000000Z', '2026-12-01T10:00:00.000000000Z');
INSERT INTO service_setting (service_id, key, value, source) VALUES
    (1, 'image', 'ami-1', '/plans/top.conf [defaults]'),
    (1, 'iaas_secret', NULL, '/plans/top.conf [defaults]'),
    (1, 'iaas_key', 'env.AWS_ACCESS_KEY_ID', '/plans/top.conf [defaults]'),
    (1, 'bootpgm_args', 'say "hi" \ then' || char(10) || 'tab' || char(9) || 'ü 世界', '/plans/l1.conf [svc-db]'),
    (2, 'image', 'ami-2', '/plans/l2.conf [svc-web]'),
    (2, 'allocation', '', '/plans/top.conf [defaults]');
INSERT INTO attrbag (service_id, seq, key, value, origin) VALUES
    (2, 1, 'db_host', '${db.hostname}', 'deps'), (1, 1, 'port', '5432', 'bootout');
INSERT INTO instance_history (service_id, attempt, client_token, driver, instance_id, requested_at, launched_at, state) VALUES
    (1, 1, 'old.0badcafe-db-1', 'fake', 'i-1', '2026-12-01T10:01:00.000000000Z', '2026-12-01T10:02:00.000000000Z', 'launched');
INSERT INTO event (time, level, service, event, state, detail) VALUES
    ('2026-12-01T10:01:00.000000000Z', 'INFO', 'db', 'launch', 'launching', 'attempt 1'),
    ('2026-12-01T10:04:00.000000000Z', 'INFO', 'db', 'state', 'ready', '');
PRAGMA user_version = 4;
`

// writeSchema4Record makes the record of run "old" in dir with the
// migrations of versions 1 to 4 and the rows above.
func writeSchema4Record(t *testing.T, dir string) {
	t.Helper()
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	file := Path(dir, "old")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(file)
	sdb, err := sql.Open("sqlite", (&url.URL{Scheme: "file", Path: abs, RawQuery: "_pragma=foreign_keys(1)"}).String())
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	for _, m := range ms[:4] {
		if _, err := sdb.Exec(m.sql); err != nil {
			t.Fatalf("%s: %v", m.name, err)
		}
	}
	if _, err := sdb.Exec(schema4Rows); err != nil {
		t.Fatal(err)
	}
}

// recordReads is everything the commands read of a record.
type recordReads struct {
	Run      Run
	Levels   []Level
	Services []Service
	Web      Service
	Bags     map[string][]Attr
	History  []HistoryRow
	Events   []Event
	Rows     []settingRow // SELECT * FROM service_setting
}

type settingRow struct {
	ServiceID          int64
	Key, Value, Source string
	Null               bool
}

func readAll(t *testing.T, db *DB) recordReads {
	t.Helper()
	ctx := context.Background()
	var r recordReads
	var err error
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	r.Run, err = db.Run(ctx)
	must(err)
	r.Levels, err = db.Levels(ctx)
	must(err)
	r.Services, err = db.Services(ctx)
	must(err)
	r.Web, err = db.Service(ctx, "web")
	must(err)
	r.Bags, err = db.Bags(ctx)
	must(err)
	r.History, err = db.InstanceHistory(ctx)
	must(err)
	r.Events, err = db.Events(ctx, 0)
	must(err)
	rows, err := db.sql.QueryContext(ctx, `SELECT service_id, key, value, source FROM service_setting ORDER BY service_id, key`)
	must(err)
	defer rows.Close()
	for rows.Next() {
		var s settingRow
		var v sql.NullString
		must(rows.Scan(&s.ServiceID, &s.Key, &v, &s.Source))
		s.Value, s.Null = v.String, !v.Valid
		r.Rows = append(r.Rows, s)
	}
	must(rows.Err())
	return r
}

// TestSchema4Record: a record written by the cloudinitd of schema version
// 4 reads the same read-only (not upgraded), after a writing open has
// upgraded it to the newest version (5: service_setting rows moved to
// service_config, the view service_setting showing the same rows; 6:
// setting_source), and read-only again;
// the upgraded record takes a reload of the plan.
func TestSchema4Record(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	writeSchema4Record(t, dir)

	ro, err := OpenReadOnly(ctx, dir, "old")
	if err != nil {
		t.Fatalf("OpenReadOnly of a version 4 record: %v", err)
	}
	before := readAll(t, ro)
	ro.Close()
	if v := mustVersion(t, dir); v != 4 {
		t.Fatalf("a read-only open changed the schema version to %d", v)
	}
	if len(before.Services) != 3 || len(before.Rows) != 6 {
		t.Fatalf("the version 4 record reads %d services, %d setting rows; want 3, 6", len(before.Services), len(before.Rows))
	}
	wantDB := []Setting{
		{Key: "bootpgm_args", Value: "say \"hi\" \\ then\ntab\tü 世界", Source: "/plans/l1.conf [svc-db]"},
		{Key: "iaas_key", Value: "env.AWS_ACCESS_KEY_ID", Source: "/plans/top.conf [defaults]"},
		{Key: "iaas_secret", Redacted: true, Source: "/plans/top.conf [defaults]"},
		{Key: "image", Value: "ami-1", Source: "/plans/top.conf [defaults]"},
	}
	if diff := cmp.Diff(wantDB, before.Services[0].Settings); diff != "" {
		t.Errorf("db's settings from the version 4 record (-want +got):\n%s", diff)
	}

	db, err := Open(ctx, dir, "old")
	if err != nil {
		t.Fatalf("Open (upgrade) of a version 4 record: %v", err)
	}
	if v, _ := userVersion(ctx, db.sql); v != SchemaVersion() {
		t.Fatalf("after Open user_version = %d, want %d", v, SchemaVersion())
	}
	after := readAll(t, db)
	// Open gives nothing else: the run row's updated_at is not touched.
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("reads after the upgrade (-version 4 +version 5):\n%s", diff)
	}
	db.Close()
	ro, err = OpenReadOnly(ctx, dir, "old")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, readAll(t, ro)); diff != "" {
		t.Errorf("read-only reads of the upgraded record (-version 4 +version 5):\n%s", diff)
	}
	ro.Close()

	// A reload replaces the settings of an upgraded service, and gives
	// one without any its first.
	db, err = Open(ctx, dir, "old")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	reload := []Service{
		{Name: "db", Level: 1, Position: 0, Settings: []Setting{{Key: "image", Value: "ami-9", Source: "new"}}},
		{Name: "web", Level: 2, Position: 0},
		{Name: "bare", Level: 2, Position: 1, Settings: []Setting{{Key: "image", Value: "ami-3", Source: "new"}}},
	}
	if err := db.PutServices(ctx, reload); err != nil {
		t.Fatal(err)
	}
	ss, err := db.Services(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]Setting{}
	for _, s := range ss {
		got[s.Name] = s.Settings
	}
	want := map[string][]Setting{"db": reload[0].Settings, "web": nil, "bare": reload[2].Settings}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("settings after a reload (-want +got):\n%s", diff)
	}
}

func mustVersion(t *testing.T, dir string) int {
	t.Helper()
	abs, _ := filepath.Abs(Path(dir, "old"))
	sdb, err := sql.Open("sqlite", (&url.URL{Scheme: "file", Path: abs, RawQuery: "mode=ro"}).String())
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	v, err := userVersion(context.Background(), sdb)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
