package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// ErrNotRecord is returned when the file at a run's record path is not a
// cloudinitd record: an empty file, not SQLite at all, a record of the
// original (Python) cloudinit.d, or another program's database. Such a file
// is never modified: not migrated, not switched to WAL, not deleted.
var ErrNotRecord = errors.New("not a cloudinitd record")

// sqliteMagic starts every SQLite 3 database file.
const sqliteMagic = "SQLite format 3\x00"

// recordTables are the tables every schema version of ours has
// (service_setting was a table up to version 4, a view since).
var recordTables = []string{"attrbag", "event", "globals", "instance_history", "level", "run", "service"}

// inspect checks, without writing anything, that file is a cloudinitd
// record this package may open: it returns an error wrapping ErrNotRecord
// that says what the file is and what to do, or ErrNewerSchema. Only then
// do the opens of Open and OpenReadOnly, which may migrate or switch the
// journal, touch it.
//
// A record without a -wal file was closed cleanly (or never written): its
// main file is read with immutable=1, which creates no -wal, -shm or
// -journal file and takes no lock. With a -wal file (a writer is at work or
// one crashed) the main file may even be empty, and only SQLite itself,
// read-only, can tell what the record holds.
func inspect(ctx context.Context, file string) error {
	fi, err := os.Lstat(file)
	if err != nil {
		return fmt.Errorf("inspect %s: %w", file, err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%w: %s is not a regular file (%s); move it away or choose another run name",
			ErrNotRecord, file, fi.Mode().Type())
	}
	wal, err := os.Stat(file + "-wal")
	hasWAL := err == nil && wal.Size() > 0
	if !hasWAL {
		if err := checkHeader(file, fi.Size()); err != nil {
			return err
		}
	}
	v, tables, err := readSchema(ctx, file, !hasWAL)
	if err != nil {
		return fmt.Errorf("%w: %s cannot be read as a SQLite database (%v); move it away or choose another run name",
			ErrNotRecord, file, err)
	}
	return classify(file, v, tables)
}

// checkHeader refuses an empty file and a file that is not SQLite.
func checkHeader(file string, size int64) error {
	if size == 0 {
		return fmt.Errorf("%w: %s is an empty file; remove it if nothing else uses it, or choose another run name",
			ErrNotRecord, file)
	}
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("inspect %s: %w", file, err)
	}
	defer f.Close()
	hdr := make([]byte, len(sqliteMagic))
	if _, err := io.ReadFull(f, hdr); err != nil || !bytes.Equal(hdr, []byte(sqliteMagic)) {
		return fmt.Errorf("%w: %s is not a SQLite database; move it away or choose another run name",
			ErrNotRecord, file)
	}
	return nil
}

// readSchema returns the schema version and the tables of file, opened
// read-only (and immutable, see inspect).
func readSchema(ctx context.Context, file string, immutable bool) (int, []string, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return 0, nil, err
	}
	q := url.Values{}
	q.Add("mode", "ro")
	if immutable {
		q.Add("immutable", "1")
	}
	u := url.URL{Scheme: "file", Path: abs, RawQuery: q.Encode()}
	sdb, err := sql.Open("sqlite", u.String())
	if err != nil {
		return 0, nil, err
	}
	defer sdb.Close()
	sdb.SetMaxOpenConns(1)
	v, err := userVersion(ctx, sdb)
	if err != nil {
		return 0, nil, err
	}
	rows, err := sdb.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	if err != nil {
		return 0, nil, err
	}
	defer rows.Close()
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return 0, nil, err
		}
		tables = append(tables, n)
	}
	return v, tables, rows.Err()
}

// classify decides from the schema version and the tables whose file it is.
func classify(file string, v int, tables []string) error {
	has := func(names ...string) bool {
		for _, n := range names {
			if !slices.Contains(tables, n) {
				return false
			}
		}
		return true
	}
	switch {
	case has("boot", "iaas_history") && !has("run"):
		return fmt.Errorf("%w: %s is a record of the original cloudinit.d (Python), which cloudinitd does not read; "+
			"take that run down with the original cloudinit.d, or move the file away to use this name",
			ErrNotRecord, file)
	case v == 0 && len(tables) == 0:
		return fmt.Errorf("%w: %s is an empty SQLite database; remove it if nothing else uses it, or choose another run name",
			ErrNotRecord, file)
	case v > SchemaVersion() && has("run"):
		return fmt.Errorf("%w: %s has schema version %d, this cloudinitd knows up to %d; use a newer cloudinitd",
			ErrNewerSchema, file, v, SchemaVersion())
	case v <= 0 || !has(recordTables...):
		return fmt.Errorf("%w: %s is another program's SQLite database (schema version %d, tables: %s); move it away or use another record directory (-d)",
			ErrNotRecord, file, v, tableList(tables))
	}
	return nil
}

func tableList(tables []string) string {
	if len(tables) == 0 {
		return "none"
	}
	const most = 8
	var q []string
	for _, t := range tables[:min(len(tables), most)] {
		q = append(q, strconv.Quote(t))
	}
	if len(tables) > most {
		q = append(q, fmt.Sprintf("and %d more", len(tables)-most))
	}
	return strings.Join(q, ", ")
}
