package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMigrationsFromEmpty(t *testing.T) {
	ctx := context.Background()
	db, _ := newRun(t)
	v, err := userVersion(ctx, db.sql)
	if err != nil {
		t.Fatal(err)
	}
	if v != SchemaVersion() || v < 1 {
		t.Errorf("user_version = %d, want %d", v, SchemaVersion())
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	want := []string{"attrbag", "event", "globals", "instance_history", "level", "run", "service", "service_config", "setting_source"}
	if diff := cmp.Diff(want, tables); diff != "" {
		t.Errorf("tables (-want +got):\n%s", diff)
	}
	var views []string
	rows, err = db.sql.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'view' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		rows.Scan(&n)
		views = append(views, n)
	}
	rows.Close()
	if diff := cmp.Diff([]string{"service_setting"}, views); diff != "" {
		t.Errorf("views (-want +got):\n%s", diff)
	}
	var mode string
	var fk, busy int
	db.sql.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode)
	db.sql.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk)
	db.sql.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&busy)
	if mode != "wal" || fk != 1 || busy != busyTimeoutMS {
		t.Errorf("journal_mode=%s foreign_keys=%d busy_timeout=%d, want wal 1 %d", mode, fk, busy, busyTimeoutMS)
	}
}

// setUserVersion rewrites the schema version of a closed record.
func setUserVersion(t *testing.T, dir, run string, v int) {
	t.Helper()
	name, err := dsn(Path(dir, run), false)
	if err != nil {
		t.Fatal(err)
	}
	sdb, err := sql.Open("sqlite", name)
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	if _, err := sdb.Exec("PRAGMA user_version = " + strconv.Itoa(v)); err != nil {
		t.Fatal(err)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	ctx := context.Background()
	db, dir := newRun(t)
	db.Close()
	newer := SchemaVersion() + 1
	setUserVersion(t, dir, "r1", newer)
	for name, open := range map[string]func(context.Context, string, string) (*DB, error){
		"Open": Open, "OpenReadOnly": OpenReadOnly,
	} {
		_, err := open(ctx, dir, "r1")
		if !errors.Is(err, ErrNewerSchema) {
			t.Errorf("%s: %v, want ErrNewerSchema", name, err)
			continue
		}
		if !strings.Contains(err.Error(), "schema version "+strconv.Itoa(newer)) || !strings.Contains(err.Error(), "newer cloudinitd") {
			t.Errorf("%s: error %q does not say which version and what to do", name, err)
		}
	}
	// The refused open released the lock: a later open (after a downgrade
	// of the version, as a newer tool would never do) succeeds.
	setUserVersion(t, dir, "r1", SchemaVersion())
	db, err := Open(ctx, dir, "r1")
	if err != nil {
		t.Fatalf("Open after a refused open: %v", err)
	}
	db.Close()
}

func TestOlderSchemaUpgradedByWriter(t *testing.T) {
	ctx := context.Background()
	db, dir := newRun(t)
	db.Close()
	// Pretend the record predates the last migration: reset the version
	// and drop what the migrations after version 1 create (v2 the run's
	// incarnation, v3 its owner, v4 its secret, v5 service_config instead
	// of the service_setting table, v6 setting_source).
	name, _ := dsn(Path(dir, "r1"), false)
	sdb, err := sql.Open("sqlite", name)
	if err != nil {
		t.Fatal(err)
	}
	for _, col := range []string{"incarnation", "owner_command", "owner_host", "owner_pid", "owner_start", "secret"} {
		if _, err := sdb.Exec("ALTER TABLE run DROP COLUMN " + col); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := sdb.Exec(downgradeSettings + `DROP TABLE setting_source;`); err != nil {
		t.Fatal(err)
	}
	sdb.Exec("PRAGMA user_version = 1")
	sdb.Close()

	if _, err := OpenReadOnly(ctx, dir, "r1"); !errors.Is(err, ErrOlderSchema) {
		t.Errorf("OpenReadOnly of an old record: %v, want ErrOlderSchema", err)
	}
	db, err = Open(ctx, dir, "r1")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, _ := userVersion(ctx, db.sql); v != SchemaVersion() {
		t.Errorf("after Open user_version = %d, want %d", v, SchemaVersion())
	}
	if _, err := db.AppendEvent(ctx, Event{Event: "x"}); err != nil {
		t.Errorf("migrated record is not usable: %v", err)
	}
	// A record from before incarnations gets its own when first opened for
	// writing, and keeps it.
	inc, secret := db.Incarnation(), db.RunSecret()
	if !isHex(secret, 64) {
		t.Errorf("a record from before run secrets has secret of %d bytes after Open, want 64 hex digits", len(secret))
	}
	if len(inc) != 8 {
		t.Errorf("a record from before incarnations has incarnation %q after Open, want 8 hex digits", inc)
	}
	db.Close()
	if db, err = Open(ctx, dir, "r1"); err != nil {
		t.Fatal(err)
	}
	if got := db.Incarnation(); got != inc {
		t.Errorf("reopened: incarnation %q, want the one given at the first open %q", got, inc)
	}
	if db.RunSecret() != secret {
		t.Errorf("reopened: the run secret changed; want the one given at the first open")
	}
}
