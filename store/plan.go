package store

import (
	"context"
	"fmt"
)

// PutLevels records levels in one transaction. A level is matched by its
// number: an existing row is updated, a new one inserted. Levels not in ls
// are left alone (services may still refer to them).
func (db *DB) PutLevels(ctx context.Context, ls []Level) error {
	return db.write(ctx, "", "put levels", func(ctx context.Context, tx *txn, _ string) error {
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
	return db.write(ctx, "", "put services", func(ctx context.Context, tx *txn, now string) error {
		return putServices(ctx, tx, now, ss)
	})
}

// PutPlan records levels and services in one transaction: a plan load.
func (db *DB) PutPlan(ctx context.Context, ls []Level, ss []Service) error {
	return db.write(ctx, "", "put plan", func(ctx context.Context, tx *txn, now string) error {
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

func putServices(ctx context.Context, tx *txn, now string, ss []Service) error {
	levels, err := levelIDs(ctx, tx)
	if err != nil {
		return err
	}
	existing, err := serviceIDsByName(ctx, tx)
	if err != nil {
		return err
	}
	next, err := nextServiceID(ctx, tx)
	if err != nil {
		return err
	}
	update, err := tx.PrepareContext(ctx, `UPDATE service SET level_id = ?, position = ?, updated_at = ? WHERE id = ?`)
	if err != nil {
		return err
	}
	defer update.Close()
	clearSettings, err := tx.PrepareContext(ctx, `DELETE FROM service_config WHERE service_id = ?`)
	if err != nil {
		return err
	}
	defer clearSettings.Close()

	// The service rows first, new ones several to a statement with the
	// next ids of the table: their settings and deps rows refer to them.
	rows := newRowWriter(tx, "row", "service", "id", "name", "level_id", "position", "state", "created_at", "updated_at")
	ids := make([]int64, len(ss))
	seen := make(map[string]bool, len(ss))
	for i, s := range ss {
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
		id, ok := existing[s.Name]
		if !ok { // a new service, in state new
			id, next = next, next+1
			if err := rows.add(ctx, s.Name, id, s.Name, lid, s.Position, string(StateNew), now, now); err != nil {
				return err
			}
			ids[i] = id
			continue
		}
		// A reload: the row gets its level and position, its settings
		// are replaced.
		if _, err := update.ExecContext(ctx, lid, s.Position, now, id); err != nil {
			return fmt.Errorf("service %q: %w", s.Name, err)
		}
		if _, err := clearSettings.ExecContext(ctx, id); err != nil {
			return fmt.Errorf("service %q: %w", s.Name, err)
		}
		ids[i] = id
	}
	if err := rows.flush(ctx); err != nil {
		return err
	}

	// A service's settings are one row, their JSON form (settings.go),
	// which names a source text several settings share by its id.
	sources, err := shareSources(ctx, tx, ss)
	if err != nil {
		return err
	}
	settings := newRowWriter(tx, "settings", "service_config", "service_id", "settings")
	bag, err := newBagWriter(ctx, tx)
	if err != nil {
		return err
	}
	defer bag.close()
	var js []byte
	var sorted []Setting
	for i, s := range ss {
		_, old := existing[s.Name]
		if err := bag.put(ctx, s.Name, ids[i], old, s.Deps); err != nil {
			return err
		}
		if len(s.Settings) == 0 {
			continue
		}
		js, sorted, err = appendSettings(js[:0], sorted, s.Settings, sources)
		if err != nil {
			return fmt.Errorf("service %q: %w", s.Name, err)
		}
		if err := settings.add(ctx, s.Name, ids[i], string(js)); err != nil {
			return err
		}
	}
	if err := bag.flush(ctx); err != nil {
		return err
	}
	if err := settings.flush(ctx); err != nil {
		return err
	}
	// Every service's id is known now: the recorded ones and the new
	// ones. The DB keeps them once the transaction commits (serviceIDs),
	// so that the boot's first write does not read them all back.
	for i, s := range ss {
		existing[s.Name] = ids[i]
	}
	tx.planIDs = existing
	return nil
}

// serviceIDsByName returns the ids of the recorded services by name.
func serviceIDsByName(ctx context.Context, tx *txn) (map[string]int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT name, id FROM service`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	m := map[string]int64{}
	for rows.Next() {
		var n string
		var id int64
		if err := rows.Scan(&n, &id); err != nil {
			return nil, err
		}
		m[n] = id
	}
	return m, rows.Err()
}

// nextServiceID is the id the next new service gets: AUTOINCREMENT's
// rule, after both the largest row and the largest id ever given.
func nextServiceID(ctx context.Context, tx *txn) (int64, error) {
	var last int64
	err := tx.QueryRowContext(ctx, `SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'service'), 0),
		COALESCE((SELECT MAX(id) FROM service), 0))`).Scan(&last)
	return last + 1, err
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
