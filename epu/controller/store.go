package controller

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/engine"
)

// StoreFile is the name of the controller's SQLite file in its state
// directory (mode 0600).
const StoreFile = "controller.db"

// store keeps what a controller must find again after a restart: each
// domain's instances, the current reading of each sensor and the
// reconfigurations in the order they were applied. It is narrow so that
// another database can take its place.
type store interface {
	// load returns what was stored for domain.
	load(ctx context.Context, domain string) (stored, error)
	// putInstance writes the latest record of an instance.
	putInstance(ctx context.Context, domain string, in engine.Instance) error
	// putSensor writes the current reading of a sensor.
	putSensor(ctx context.Context, domain string, s epu.Sensor) error
	// addReconfiguration appends an applied reconfiguration.
	addReconfiguration(ctx context.Context, domain string, conf engine.Conf, at time.Time) error
	close() error
}

// stored is one domain's stored state.
type stored struct {
	instances []engine.Instance
	sensors   []epu.Sensor
	reconfs   []engine.Conf // oldest first
}

const schema = `
CREATE TABLE IF NOT EXISTS instances (
	domain TEXT NOT NULL, instance_id TEXT NOT NULL, state TEXT NOT NULL, record TEXT NOT NULL,
	PRIMARY KEY (domain, instance_id));
CREATE TABLE IF NOT EXISTS sensors (
	domain TEXT NOT NULL, sensor_id TEXT NOT NULL, time INTEGER NOT NULL, value TEXT NOT NULL,
	PRIMARY KEY (domain, sensor_id));
CREATE TABLE IF NOT EXISTS reconfigurations (
	seq INTEGER PRIMARY KEY AUTOINCREMENT, domain TEXT NOT NULL, conf TEXT NOT NULL, applied_at TEXT NOT NULL);
`

type sqlStore struct{ db *sql.DB }

// openStore opens (creating it with mode 0600) the store in dir.
func openStore(ctx context.Context, dir string) (*sqlStore, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	file := filepath.Join(dir, StoreFile)
	f, err := os.OpenFile(file, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	f.Close()
	if err := os.Chmod(file, 0o600); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("mode", "rw")
	db, err := sql.Open("sqlite", (&url.URL{Scheme: "file", Path: abs, RawQuery: q.Encode()}).String())
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("store %s: %w", file, err)
	}
	return &sqlStore{db: db}, nil
}

func (s *sqlStore) close() error { return s.db.Close() }

func (s *sqlStore) load(ctx context.Context, domain string) (stored, error) {
	var out stored
	rows, err := s.db.QueryContext(ctx, `SELECT record FROM instances WHERE domain = ? ORDER BY instance_id`, domain)
	if err != nil {
		return out, fmt.Errorf("load instances: %w", err)
	}
	for rows.Next() {
		var rec string
		var in engine.Instance
		if err := rows.Scan(&rec); err != nil {
			rows.Close()
			return out, fmt.Errorf("load instances: %w", err)
		}
		if err := json.Unmarshal([]byte(rec), &in); err != nil {
			rows.Close()
			return out, fmt.Errorf("load instances: %w", err)
		}
		out.instances = append(out.instances, in)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("load instances: %w", err)
	}
	rows, err = s.db.QueryContext(ctx, `SELECT sensor_id, time, value FROM sensors WHERE domain = ? ORDER BY sensor_id`, domain)
	if err != nil {
		return out, fmt.Errorf("load sensors: %w", err)
	}
	for rows.Next() {
		var sn epu.Sensor
		var val string
		if err := rows.Scan(&sn.SensorID, &sn.Time, &val); err != nil {
			rows.Close()
			return out, fmt.Errorf("load sensors: %w", err)
		}
		if err := json.Unmarshal([]byte(val), &sn.Value); err != nil {
			rows.Close()
			return out, fmt.Errorf("load sensors: %w", err)
		}
		out.sensors = append(out.sensors, sn)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("load sensors: %w", err)
	}
	rows, err = s.db.QueryContext(ctx, `SELECT conf FROM reconfigurations WHERE domain = ? ORDER BY seq`, domain)
	if err != nil {
		return out, fmt.Errorf("load reconfigurations: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c string
		conf := engine.Conf{}
		if err := rows.Scan(&c); err != nil {
			return out, fmt.Errorf("load reconfigurations: %w", err)
		}
		if err := json.Unmarshal([]byte(c), &conf); err != nil {
			return out, fmt.Errorf("load reconfigurations: %w", err)
		}
		out.reconfs = append(out.reconfs, conf)
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("load reconfigurations: %w", err)
	}
	return out, nil
}

func (s *sqlStore) putInstance(ctx context.Context, domain string, in engine.Instance) error {
	rec, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("store instance %s: %w", in.InstanceID, err)
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO instances (domain, instance_id, state, record) VALUES (?, ?, ?, ?)
		ON CONFLICT (domain, instance_id) DO UPDATE SET state = excluded.state, record = excluded.record`,
		domain, in.InstanceID, string(in.State), string(rec))
	if err != nil {
		return fmt.Errorf("store instance %s: %w", in.InstanceID, err)
	}
	return nil
}

func (s *sqlStore) putSensor(ctx context.Context, domain string, sn epu.Sensor) error {
	val, err := json.Marshal(sn.Value)
	if err != nil {
		return fmt.Errorf("store sensor %s: %w", sn.SensorID, err)
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO sensors (domain, sensor_id, time, value) VALUES (?, ?, ?, ?)
		ON CONFLICT (domain, sensor_id) DO UPDATE SET time = excluded.time, value = excluded.value`,
		domain, sn.SensorID, sn.Time, string(val))
	if err != nil {
		return fmt.Errorf("store sensor %s: %w", sn.SensorID, err)
	}
	return nil
}

func (s *sqlStore) addReconfiguration(ctx context.Context, domain string, conf engine.Conf, at time.Time) error {
	c, err := json.Marshal(conf)
	if err != nil {
		return fmt.Errorf("store reconfiguration: %w", err)
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO reconfigurations (domain, conf, applied_at) VALUES (?, ?, ?)`,
		domain, string(c), at.UTC().Format(time.RFC3339Nano))
	if err != nil {
		return fmt.Errorf("store reconfiguration: %w", err)
	}
	return nil
}
