package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// configSchema is the first schema version that keeps a service's
// settings in service_config (migrations/0005_service_config.sql).
const configSchema = 5

const serviceColumns = `s.id, s.name, l.number, s.position, s.state, s.instance_id, s.hostname,
	s.last_error, s.driver, s.handle, s.host_key, s.attempt, s.created_at, s.updated_at`

// Services returns every service ordered by level number, then position
// within the level, with its settings sorted by key.
func (db *DB) Services(ctx context.Context) ([]Service, error) {
	ss, ids, err := db.queryServices(ctx, `SELECT `+serviceColumns+`
		FROM service s JOIN level l ON l.id = s.level_id ORDER BY l.number, s.position, s.id`)
	if err != nil {
		return nil, fmt.Errorf("services: %w", err)
	}
	// Settings are read after the service rows are closed: a writing DB has
	// a single connection.
	if err := db.readSettings(ctx, ss, ids, ""); err != nil {
		return nil, fmt.Errorf("services: %w", err)
	}
	return ss, nil
}

// Service returns the service named name, or ErrNoService.
func (db *DB) Service(ctx context.Context, name string) (Service, error) {
	ss, ids, err := db.queryServices(ctx, `SELECT `+serviceColumns+`
		FROM service s JOIN level l ON l.id = s.level_id WHERE s.name = ?`, name)
	if err != nil {
		return Service{}, fmt.Errorf("service %q: %w", name, err)
	}
	if len(ss) == 0 {
		return Service{}, fmt.Errorf("%w %q", ErrNoService, name)
	}
	if err := db.readSettings(ctx, ss, ids, ` WHERE service_id = ?`, ids[0]); err != nil {
		return Service{}, fmt.Errorf("service %q: %w", name, err)
	}
	return ss[0], nil
}

// readSettings reads the settings of services ss (row ids ids) selected
// by where (a WHERE clause over service_id, or "" for all). Services of
// one plan repeat the same keys, sources and most values ([defaults]):
// one copy of each string keeps a large run small.
func (db *DB) readSettings(ctx context.Context, ss []Service, ids []int64, where string, args ...any) error {
	byID := make(map[int64]int, len(ids))
	for i, id := range ids {
		byID[id] = i
	}
	strs := map[string]string{}
	intern := func(s string) string {
		if v, ok := strs[s]; ok {
			return v
		}
		c := strings.Clone(s)
		strs[c] = c
		return c
	}
	if db.schema < configSchema {
		return db.readSettingRows(ctx, ss, byID, intern, where, args...)
	}
	// Before the settings rows, which hold a writing DB's one connection.
	sources, err := db.readSources(ctx, intern)
	if err != nil {
		return err
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT service_id, settings FROM service_config`+where+` ORDER BY service_id`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	r := settingsReader{intern: intern, sources: sources}
	var scratch []Setting
	for rows.Next() {
		var id int64
		var js string
		if err := rows.Scan(&id, &js); err != nil {
			return err
		}
		i, ok := byID[id]
		if !ok {
			continue
		}
		if scratch, err = r.read(scratch[:0], js); err != nil {
			return fmt.Errorf("service %q: settings: %w", ss[i].Name, err)
		}
		ss[i].Settings = slices.Clone(scratch)
	}
	return rows.Err()
}

// readSettingRows reads settings from the service_setting rows of a
// record of schema version 4, opened read-only (a writing open upgrades
// it).
func (db *DB) readSettingRows(ctx context.Context, ss []Service, byID map[int64]int, intern func(string) string, where string, args ...any) error {
	rows, err := db.sql.QueryContext(ctx, `SELECT service_id, key, value, source FROM service_setting`+where+` ORDER BY service_id, key`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var st Setting
		var v sql.NullString
		if err := rows.Scan(&id, &st.Key, &v, &st.Source); err != nil {
			return err
		}
		st.Key, st.Value, st.Source, st.Redacted = intern(st.Key), intern(v.String), intern(st.Source), !v.Valid
		if i, ok := byID[id]; ok {
			ss[i].Settings = append(ss[i].Settings, st)
		}
	}
	return rows.Err()
}

func (db *DB) queryServices(ctx context.Context, query string, args ...any) ([]Service, []int64, error) {
	rows, err := db.sql.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var ss []Service
	var ids []int64
	for rows.Next() {
		var s Service
		var id int64
		var state string
		var inst, host, lastErr, driver, hostKey, created, updated sql.NullString
		if err := rows.Scan(&id, &s.Name, &s.Level, &s.Position, &state, &inst, &host,
			&lastErr, &driver, &s.Handle, &hostKey, &s.Attempt, &created, &updated); err != nil {
			return nil, nil, err
		}
		s.State = State(state)
		s.InstanceID, s.Hostname, s.LastError = inst.String, host.String, lastErr.String
		s.Driver, s.HostKey = driver.String, hostKey.String
		s.Created, s.Updated = parseStamp(created), parseStamp(updated)
		ss = append(ss, s)
		ids = append(ids, id)
	}
	return ss, ids, rows.Err()
}

// SetState sets the state of service svc and journals it as a "state" event
// with detail, in one transaction. A failed state is journalled at level
// ERROR.
func (db *DB) SetState(ctx context.Context, svc string, state State, detail string) error {
	if err := state.check(); err != nil {
		return fmt.Errorf("service %q: %w", svc, err)
	}
	return db.write(ctx, svc, "set state "+string(state), func(ctx context.Context, tx *txn, now string) error {
		if err := setColumn(ctx, tx, svc, "state", string(state)); err != nil {
			return err
		}
		level := "INFO"
		if state == StateFailed {
			level = "ERROR"
		}
		tx.journal(Event{Level: level, Service: svc, Event: "state", State: state, Detail: detail}, now, nil)
		return nil
	})
}

// SetRunning records the hostname of svc and its state running, journaled
// as a "state" event with detail, in one transaction: SetHostname and
// SetState in one write.
func (db *DB) SetRunning(ctx context.Context, svc, hostname, detail string) error {
	return db.write(ctx, svc, "set running", stateHostname(svc, StateRunning, hostname, detail))
}

// SetStateHostname records the state of svc and its hostname ("" clears
// it), journaled as SetState journals, in one transaction: SetHostname
// and SetState in one write (terminate clears the hostname of a
// terminated instance with its state).
func (db *DB) SetStateHostname(ctx context.Context, svc string, state State, hostname, detail string) error {
	if err := state.check(); err != nil {
		return fmt.Errorf("service %q: %w", svc, err)
	}
	return db.write(ctx, svc, "set state "+string(state), stateHostname(svc, state, hostname, detail))
}

func stateHostname(svc string, state State, hostname, detail string) func(context.Context, *txn, string) error {
	return func(ctx context.Context, tx *txn, now string) error {
		sid, err := serviceID(ctx, tx, svc)
		if err != nil {
			return err
		}
		tx.patch(sid, colHostname, null(hostname))
		tx.patch(sid, colState, string(state))
		level := "INFO"
		if state == StateFailed {
			level = "ERROR"
		}
		tx.journal(Event{Level: level, Service: svc, Event: "state", State: state, Detail: detail}, now, nil)
		return nil
	}
}

// SetHostname records the hostname of svc; "" clears it (NULL).
func (db *DB) SetHostname(ctx context.Context, svc, hostname string) error {
	return db.setColumn(ctx, svc, "hostname", null(hostname))
}

// SetLastError records the last error of svc; "" clears it (NULL).
func (db *DB) SetLastError(ctx context.Context, svc, msg string) error {
	return db.setColumn(ctx, svc, "last_error", null(msg))
}

// HostKey returns the SSH host key recorded for svc ("" if none yet), or
// ErrNoService. Connecting looks it up for every host: it reads one column,
// not the whole service.
func (db *DB) HostKey(ctx context.Context, svc string) (string, error) {
	var key sql.NullString
	err := db.sql.QueryRowContext(ctx, `SELECT host_key FROM service WHERE name = ?`, svc).Scan(&key)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("%w %q", ErrNoService, svc)
	}
	if err != nil {
		return "", fmt.Errorf("service %q: host key: %w", svc, err)
	}
	return key.String, nil
}

// SetHostKey records the SSH host key seen on the host of svc, in
// authorized_keys format; "" clears it (NULL).
func (db *DB) SetHostKey(ctx context.Context, svc, key string) error {
	return db.setColumn(ctx, svc, "host_key", null(key))
}

func (db *DB) setColumn(ctx context.Context, svc, column string, v any) error {
	return db.write(ctx, svc, "set "+column, func(ctx context.Context, tx *txn, _ string) error {
		return setColumn(ctx, tx, svc, column, v)
	})
}

// setColumn updates one runtime column of a service (written when the
// transaction flushes, see txn.patch). name is always a constant of this
// package, never user input.
func setColumn(ctx context.Context, tx *txn, svc, name string, v any) error {
	col, err := column(name)
	if err != nil {
		return err
	}
	sid, err := serviceID(ctx, tx, svc)
	if err != nil {
		return err
	}
	tx.patch(sid, col, v)
	return nil
}
