package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// PutLevels records levels in one transaction. A level is matched by its
// number: an existing row is updated, a new one inserted. Levels not in ls
// are left alone (services may still refer to them).
func (db *DB) PutLevels(ctx context.Context, ls []Level) error {
	return db.write(ctx, "put levels", func(ctx context.Context, tx *txn, _ string) error {
		return putLevels(ctx, tx, ls)
	})
}

// PutServices records the plan data of services (name, level, position,
// settings, deps rows) in one transaction with prepared statements. A
// service is matched by name: a new one is inserted in state new with its
// deps rows as its attribute bag; an existing one (reload) gets its level,
// position and settings replaced and its deps rows replaced by s.Deps
// (keys no longer in the plan are gone), while its state, instance id,
// hostname, history and bootout.json attributes are kept: the bag becomes
// the new deps rows followed by the bootout rows in their order, so a value
// its boot program gave still wins over a deps row of the same key, as it
// did before the reload. Every level must have been recorded. A setting
// marked Redacted is stored without its value.
func (db *DB) PutServices(ctx context.Context, ss []Service) error {
	return db.write(ctx, "put services", func(ctx context.Context, tx *txn, now string) error {
		return putServices(ctx, tx, now, ss)
	})
}

// PutPlan records levels and services in one transaction: a plan load.
func (db *DB) PutPlan(ctx context.Context, ls []Level, ss []Service) error {
	return db.write(ctx, "put plan", func(ctx context.Context, tx *txn, now string) error {
		if err := putLevels(ctx, tx, ls); err != nil {
			return err
		}
		return putServices(ctx, tx, now, ss)
	})
}

func putLevels(ctx context.Context, tx *txn, ls []Level) error {
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO level (number, key, conf_file, position) VALUES (?, ?, ?, ?)
		ON CONFLICT (number) DO UPDATE SET key = excluded.key, conf_file = excluded.conf_file, position = excluded.position`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, l := range ls {
		if _, err := stmt.ExecContext(ctx, l.Number, l.Key, l.ConfFile, l.Position); err != nil {
			return fmt.Errorf("level %d: %w", l.Number, err)
		}
	}
	return nil
}

// settingRows is how many service_setting rows one INSERT writes (4
// parameters each, far below SQLite's limit of 32766).
const settingRows = 128

func putServices(ctx context.Context, tx *txn, now string, ss []Service) error {
	levels, err := levelIDs(ctx, tx)
	if err != nil {
		return err
	}
	existing, err := serviceNames(ctx, tx)
	if err != nil {
		return err
	}
	upsert, err := tx.PrepareContext(ctx, `INSERT INTO service (name, level_id, position, state, created_at, updated_at)
		VALUES (?, ?, ?, 'new', ?, ?)
		ON CONFLICT (name) DO UPDATE SET level_id = excluded.level_id, position = excluded.position, updated_at = excluded.updated_at
		RETURNING id`)
	if err != nil {
		return err
	}
	defer upsert.Close()
	clearSettings, err := tx.PrepareContext(ctx, `DELETE FROM service_setting WHERE service_id = ?`)
	if err != nil {
		return err
	}
	defer clearSettings.Close()
	rows := &settingWriter{tx: tx}
	defer rows.close()
	bag, err := newBagWriter(ctx, tx)
	if err != nil {
		return err
	}
	defer bag.close()

	seen := make(map[string]bool, len(ss))
	for _, s := range ss {
		if seen[s.Name] {
			return fmt.Errorf("service %q: given twice", s.Name)
		}
		seen[s.Name] = true
		if s.Name == "" {
			return fmt.Errorf("service with an empty name")
		}
		lid, ok := levels[s.Level]
		if !ok {
			return fmt.Errorf("service %q: level %d is not recorded", s.Name, s.Level)
		}
		var id int64
		if err := upsert.QueryRowContext(ctx, s.Name, lid, s.Position, now, now).Scan(&id); err != nil {
			return fmt.Errorf("service %q: %w", s.Name, err)
		}
		if existing[s.Name] { // a reload: its settings are replaced
			if _, err := clearSettings.ExecContext(ctx, id); err != nil {
				return fmt.Errorf("service %q: %w", s.Name, err)
			}
		}
		if err := bag.put(ctx, id, existing[s.Name], s.Deps); err != nil {
			return fmt.Errorf("service %q: deps: %w", s.Name, err)
		}
		for _, st := range s.Settings {
			var val any = st.Value
			if st.Redacted {
				val = nil // a secret: never stored
			}
			if err := rows.add(ctx, s.Name, id, st.Key, val, st.Source); err != nil {
				return err
			}
		}
	}
	return rows.flush(ctx)
}

// settingWriter inserts service_setting rows settingRows at a time: one
// statement per row costs more than the row.
type settingWriter struct {
	tx       *txn
	full     *sql.Stmt // settingRows rows
	args     []any
	services []string // of the pending rows, for errors
}

func (w *settingWriter) add(ctx context.Context, svc string, id int64, key string, val any, source string) error {
	w.args = append(w.args, id, key, val, source)
	w.services = append(w.services, svc)
	if len(w.services) < settingRows {
		return nil
	}
	if w.full == nil {
		var err error
		if w.full, err = w.tx.PrepareContext(ctx, insertSettings(settingRows)); err != nil {
			return err
		}
	}
	return w.exec(ctx, w.full)
}

// flush writes the pending rows.
func (w *settingWriter) flush(ctx context.Context) error {
	if len(w.services) == 0 {
		return nil
	}
	return w.exec(ctx, nil)
}

func (w *settingWriter) exec(ctx context.Context, stmt *sql.Stmt) error {
	var err error
	if stmt != nil {
		_, err = stmt.ExecContext(ctx, w.args...)
	} else {
		_, err = w.tx.tx.ExecContext(ctx, insertSettings(len(w.services)), w.args...) // not cached: its length varies
	}
	if err != nil {
		first, last := w.services[0], w.services[len(w.services)-1]
		if first == last {
			return fmt.Errorf("service %q: settings: %w", first, err)
		}
		return fmt.Errorf("services %q to %q: settings: %w", first, last, err)
	}
	w.args, w.services = w.args[:0], w.services[:0]
	return nil
}

func (w *settingWriter) close() {
	if w.full != nil {
		w.full.Close()
	}
}

// insertSettings is the INSERT of n service_setting rows.
func insertSettings(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO service_setting (service_id, key, value, source) VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?, ?, ?, ?)")
	}
	return b.String()
}

// serviceNames returns the names of the recorded services.
func serviceNames(ctx context.Context, tx *txn) (map[string]bool, error) {
	rows, err := tx.QueryContext(ctx, `SELECT name FROM service`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	m := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		m[n] = true
	}
	return m, rows.Err()
}

func levelIDs(ctx context.Context, tx *txn) (map[int]int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT number, id FROM level`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	m := map[int]int64{}
	for rows.Next() {
		var n int
		var id int64
		if err := rows.Scan(&n, &id); err != nil {
			return nil, err
		}
		m[n] = id
	}
	return m, rows.Err()
}

// Levels returns the recorded levels ordered by number.
func (db *DB) Levels(ctx context.Context) ([]Level, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT number, key, conf_file, position FROM level ORDER BY number`)
	if err != nil {
		return nil, fmt.Errorf("levels: %w", err)
	}
	defer rows.Close()
	var ls []Level
	for rows.Next() {
		var l Level
		if err := rows.Scan(&l.Number, &l.Key, &l.ConfFile, &l.Position); err != nil {
			return nil, fmt.Errorf("levels: %w", err)
		}
		ls = append(ls, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("levels: %w", err)
	}
	return ls, nil
}
