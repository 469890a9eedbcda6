package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// makeSQLite writes a SQLite database at file by running stmts through a
// plain connection (rollback journal unless a statement changes it).
func makeSQLite(t *testing.T, file string, stmts ...string) {
	t.Helper()
	sdb, err := sql.Open("sqlite", file)
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	sdb.SetMaxOpenConns(1)
	for _, s := range stmts {
		if _, err := sdb.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// originalRecord is the schema SQLAlchemy made for the Python cloudinit.d.
var originalRecord = []string{
	`CREATE TABLE boot (id INTEGER PRIMARY KEY, topconf TEXT, timestamp TIMESTAMP, status INTEGER)`,
	`CREATE TABLE level (id INTEGER PRIMARY KEY, "order" INTEGER, conf_file TEXT, name TEXT, boot_id INTEGER REFERENCES boot (id))`,
	`CREATE TABLE service (id INTEGER PRIMARY KEY, name TEXT, level_id INTEGER REFERENCES level (id), image TEXT, iaas TEXT, instance_id TEXT, hostname TEXT, state INTEGER DEFAULT 0)`,
	`CREATE TABLE attrbag (id INTEGER PRIMARY KEY, key TEXT, value TEXT, service_id INTEGER REFERENCES service (id))`,
	`CREATE TABLE iaas_history (id INTEGER PRIMARY KEY, instance_id TEXT, timestamp TIMESTAMP, service_id INTEGER REFERENCES service (id))`,
	`INSERT INTO boot VALUES (1, '/plans/top.conf', '2011-05-06 07:08:09', 0)`,
	`INSERT INTO level VALUES (1, 1, '/plans/level1.conf', 'level1', 1)`,
	`INSERT INTO service VALUES (1, 'web', 1, 'ami-1', 'us-east-1', 'i-0123', 'web.example.com', 4)`,
	`INSERT INTO iaas_history VALUES (1, 'i-0123', '2011-05-06 07:08:09', 1)`,
}

func TestForeignFileRefusedUnchanged(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		make func(t *testing.T, file string)
		want string // in the error
	}{
		{"empty file", func(t *testing.T, f string) { write(t, f, "") }, "is an empty file"},
		{"text file", func(t *testing.T, f string) { write(t, f, "not a database\n") }, "is not a SQLite database"},
		{"short file", func(t *testing.T, f string) { write(t, f, "SQLite") }, "is not a SQLite database"},
		{"empty database", func(t *testing.T, f string) {
			makeSQLite(t, f, `CREATE TABLE x (a)`, `DROP TABLE x`)
		}, "is an empty SQLite database"},
		{"version 0", func(t *testing.T, f string) {
			makeSQLite(t, f, `CREATE TABLE notes (body TEXT)`, `INSERT INTO notes VALUES ('keep me')`)
		}, `another program's SQLite database (schema version 0, tables: "notes")`},
		{"negative version", func(t *testing.T, f string) {
			makeSQLite(t, f, `CREATE TABLE notes (body TEXT)`, `PRAGMA user_version = -3`)
		}, "schema version -3"},
		{"our version, other tables", func(t *testing.T, f string) {
			makeSQLite(t, f, `CREATE TABLE run (x)`, `CREATE TABLE notes (body TEXT)`, `PRAGMA user_version = 1`)
		}, "another program's SQLite database (schema version 1"},
		{"foreign WAL database", func(t *testing.T, f string) {
			makeSQLite(t, f, `PRAGMA journal_mode = WAL`, `CREATE TABLE notes (body TEXT)`, `INSERT INTO notes VALUES ('x')`)
		}, "another program's SQLite database"},
		{"original cloudinit.d record", func(t *testing.T, f string) {
			makeSQLite(t, f, originalRecord...)
		}, "record of the original cloudinit.d (Python)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			file := Path(dir, "r1")
			tc.make(t, file)
			before := snapshot(t, dir)
			for name, open := range map[string]func() error{
				"Open":         func() error { _, err := Open(ctx, dir, "r1"); return err },
				"OpenReadOnly": func() error { _, err := OpenReadOnly(ctx, dir, "r1"); return err },
				"Remove":       func() error { return Remove(dir, "r1") },
			} {
				err := open()
				if !errors.Is(err, ErrNotRecord) {
					t.Errorf("%s: %v, want ErrNotRecord", name, err)
					continue
				}
				if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), file) {
					t.Errorf("%s: %q does not name the file and say %q", name, err, tc.want)
				}
			}
			if after := snapshot(t, dir); !equalSnap(before, after) {
				t.Errorf("directory changed:\nbefore %v\nafter  %v", names(before), names(after))
			}
		})
	}
}

// TestCrashedRecordStillOpens: a writer killed before any checkpoint leaves
// the main file empty and everything in the -wal; that is still our record.
func TestCrashedRecordStillOpens(t *testing.T) {
	ctx := context.Background()
	db, dir := newRun(t)
	twoLevels(t, db)
	// A SIGKILL freezes the files at one instant; copies made one after
	// the other do so only while no checkpoint copies the WAL back.
	db.ckpt.close()
	crashed := t.TempDir()
	for _, suffix := range []string{"", "-wal", "-shm"} {
		b, err := os.ReadFile(Path(dir, "r1") + suffix)
		if err != nil {
			t.Fatal(err)
		}
		write(t, Path(crashed, "r1")+suffix, string(b))
	}
	if fi, _ := os.Stat(Path(crashed, "r1")); fi.Size() != 0 {
		t.Logf("main file has %d bytes (a checkpoint ran)", fi.Size())
	}
	for name, open := range map[string]func(context.Context, string, string) (*DB, error){
		"OpenReadOnly": OpenReadOnly, "Open": Open,
	} {
		c, err := open(ctx, crashed, "r1")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		svcs, err := c.Services(ctx)
		c.Close()
		if err != nil || len(svcs) != 4 {
			t.Errorf("%s: services %d, %v; want 4", name, len(svcs), err)
		}
	}
}

func write(t *testing.T, file, content string) {
	t.Helper()
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// snapshot returns every file of dir with its content.
func snapshot(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string][]byte{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		m[e.Name()] = b
	}
	return m
}

func equalSnap(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || !bytes.Equal(v, w) {
			return false
		}
	}
	return true
}

func names(m map[string][]byte) []string {
	var n []string
	for k, v := range m {
		n = append(n, fmt.Sprintf("%s (%d bytes)", k, len(v)))
	}
	return n
}

// TestCreateAtomic: Create builds the record under a temporary name, so a
// leftover of a killed Create is replaced and no half-made file is ever at
// the record path.
func TestCreateAtomic(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	tmp := filepath.Join(dir, ".cloudinitd-r1.db.new")
	write(t, tmp, "half a record")
	db, err := Create(ctx, dir, "r1", Run{TopConf: "/plans/top.conf"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := os.Stat(tmp); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("leftover %s: %v, want it gone", tmp, err)
	}
	fi, err := os.Stat(Path(dir, "r1"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("record: %v, %v; want mode 0600", fi, err)
	}
	r, err := db.Run(ctx)
	if err != nil || r.Name != "r1" || r.Incarnation == "" || r.Incarnation != db.Incarnation() {
		t.Errorf("run row %+v, %v; incarnation %q", r, err, db.Incarnation())
	}
}
