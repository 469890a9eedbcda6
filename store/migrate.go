package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// migrations holds the schema, one file per version: NNNN_what.sql. The
// schema version of a record is kept in PRAGMA user_version.
//
//go:embed migrations/*.sql
var migrations embed.FS

// ErrNewerSchema is returned when a record was written by a newer cloudinitd
// whose schema this one does not know.
var ErrNewerSchema = errors.New("record written by a newer cloudinitd")

// ErrOlderSchema is returned by OpenReadOnly for a record whose schema must
// be upgraded first, which only a writing open does.
var ErrOlderSchema = errors.New("record needs a schema upgrade")

// oldestReadable is the oldest schema version OpenReadOnly reads as it is:
// version 5 only moved the services' settings into service_config, and a
// version 4 record's are read from its service_setting rows (see
// DB.Services); version 6 added setting_source, which a record of version
// 5 or older does not need (its settings rows give every source text), and
// version 7 changed an index. So listing or showing the history of a run
// recorded by the previous cloudinitd does not need a writing command
// first.
const oldestReadable = 4

type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations returns the embedded migrations in version order and checks
// that versions run 1, 2, 3... without gaps.
func loadMigrations() ([]migration, error) {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, n := range names {
		base := path.Base(n)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must be NNNN_what.sql", base)
		}
		b, err := migrations.ReadFile(n)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: base, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: expected version %d", m.name, i+1)
		}
	}
	return ms, nil
}

// SchemaVersion is the schema version this package writes.
func SchemaVersion() int {
	ms, err := loadMigrations()
	if err != nil {
		return 0
	}
	return len(ms)
}

func userVersion(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (int, error) {
	var v int
	if err := q.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}

// migrate brings the record to the newest schema in one transaction and
// returns the record's schema version. It refuses a record written by a
// newer schema. With readOnly it only checks: a version from
// oldestReadable on is read as it is.
func migrate(ctx context.Context, db *sql.DB, file string, readOnly bool) (int, error) {
	ms, err := loadMigrations()
	if err != nil {
		return 0, err
	}
	latest := len(ms)
	cur, err := userVersion(ctx, db)
	if err != nil {
		return 0, err
	}
	switch {
	case cur < 0:
		return 0, fmt.Errorf("%w: %s has schema version %d", ErrNotRecord, file, cur)
	case cur > latest:
		return 0, fmt.Errorf("%w: %s has schema version %d, this cloudinitd knows up to %d; use a newer cloudinitd",
			ErrNewerSchema, file, cur, latest)
	case cur == latest:
		return cur, nil
	case readOnly && cur >= oldestReadable:
		return cur, nil
	case readOnly:
		return 0, fmt.Errorf("%w: %s has schema version %d, this cloudinitd writes %d; open it once with a writing command (status, repair)",
			ErrOlderSchema, file, cur, latest)
	}
	if err := upgrade(ctx, db, file, ms); err != nil {
		return 0, err
	}
	return latest, nil
}

// upgrade applies the migrations the record lacks, in one transaction.
func upgrade(ctx context.Context, db *sql.DB, file string, ms []migration) error {
	latest := len(ms)
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback()
	// Re-read inside the transaction: another writer may have migrated.
	cur, err := userVersion(ctx, tx)
	if err != nil {
		return err
	}
	if cur < 0 || cur > latest {
		return fmt.Errorf("migrate: %s changed to schema version %d meanwhile", file, cur)
	}
	for _, m := range ms[min(cur, latest):] {
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("migrate: %s: %w", m.name, err)
		}
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", latest)); err != nil {
		return fmt.Errorf("migrate: set schema version: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}
