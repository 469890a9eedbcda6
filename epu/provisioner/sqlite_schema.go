package provisioner

import (
	"context"
	"database/sql"
	"encoding/json"
)

const schema = `
CREATE TABLE IF NOT EXISTS launches (
	launch_id TEXT PRIMARY KEY,
	seq       INTEGER NOT NULL,
	state_num INTEGER NOT NULL,
	record    TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS nodes (
	node_id   TEXT PRIMARY KEY,
	launch_id TEXT NOT NULL,
	idx       INTEGER NOT NULL,
	state_num INTEGER NOT NULL,
	cloud     TEXT NOT NULL DEFAULT '',
	view      TEXT NOT NULL DEFAULT '',
	record    TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS nodes_launch ON nodes (launch_id, idx);
CREATE INDEX IF NOT EXISTS nodes_state ON nodes (state_num, cloud);
CREATE INDEX IF NOT EXISTS launches_state ON launches (state_num, seq);
CREATE INDEX IF NOT EXISTS launches_seq ON launches (seq);
CREATE TABLE IF NOT EXISTS tally (
	name TEXT PRIMARY KEY,
	n    INTEGER NOT NULL
);
INSERT OR IGNORE INTO tally (name, n) SELECT 'live', COUNT(*) FROM nodes WHERE state_num < 800 OR cloud IN ('intent', 'live');
CREATE TRIGGER IF NOT EXISTS nodes_live_insert AFTER INSERT ON nodes BEGIN
	UPDATE tally SET n = n + (NEW.state_num < 800 OR NEW.cloud IN ('intent', 'live')) WHERE name = 'live';
END;
CREATE TRIGGER IF NOT EXISTS nodes_live_update AFTER UPDATE OF state_num, cloud ON nodes BEGIN
	UPDATE tally SET n = n - (OLD.state_num < 800 OR OLD.cloud IN ('intent', 'live'))
		+ (NEW.state_num < 800 OR NEW.cloud IN ('intent', 'live')) WHERE name = 'live';
END;
CREATE TRIGGER IF NOT EXISTS nodes_live_delete AFTER DELETE ON nodes BEGIN
	UPDATE tally SET n = n - (OLD.state_num < 800 OR OLD.cloud IN ('intent', 'live')) WHERE name = 'live';
END;
CREATE TABLE IF NOT EXISTS flags (
	name  TEXT PRIMARY KEY,
	value INTEGER NOT NULL
);
`

// migrate creates the schema; a records file made before the cloud
// column existed gets it.
func migrate(ctx context.Context, db *sql.DB) error {
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM pragma_table_info('nodes')`).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		var has int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM pragma_table_info('nodes') WHERE name = 'cloud'`).Scan(&has); err != nil {
			return err
		}
		if has == 0 {
			if _, err := db.ExecContext(ctx, `ALTER TABLE nodes ADD COLUMN cloud TEXT NOT NULL DEFAULT ''`); err != nil {
				return err
			}
			if _, err := db.ExecContext(ctx, `UPDATE nodes SET cloud = COALESCE(json_extract(record, '$.cloud'), '')`); err != nil {
				return err
			}
		}
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM pragma_table_info('nodes') WHERE name = 'view'`).Scan(&has); err != nil {
			return err
		}
		if has == 0 {
			if _, err := db.ExecContext(ctx, `ALTER TABLE nodes ADD COLUMN view TEXT NOT NULL DEFAULT ''`); err != nil {
				return err
			}
			if err := fillViews(ctx, db); err != nil {
				return err
			}
		}
	}
	_, err := db.ExecContext(ctx, schema+hostKeysSchema)
	return err
}

// fillViews writes the view of every node of a file made before views.
func fillViews(ctx context.Context, db *sql.DB) error {
	rows, err := db.QueryContext(ctx, `SELECT record FROM nodes`)
	if err != nil {
		return err
	}
	var nodes []nodeRec
	for rows.Next() {
		var raw string
		var n nodeRec
		if err := rows.Scan(&raw); err != nil {
			rows.Close()
			return err
		}
		if err := json.Unmarshal([]byte(raw), &n); err != nil {
			rows.Close()
			return err
		}
		nodes = append(nodes, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, n := range nodes {
		if _, err := db.ExecContext(ctx, `UPDATE nodes SET view = ? WHERE node_id = ?`, n.view(), n.NodeID); err != nil {
			return err
		}
	}
	return nil
}
