package provisioner

import (
	"context"
	"database/sql"
	"fmt"
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
	record    TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS flags (
	name  TEXT PRIMARY KEY,
	value INTEGER NOT NULL
);
` + dropped

// dropped is what versions before the store's image kept for their SQL
// reads, which the image now answers: indexes by state, launch and seq,
// and the tally of live nodes with its triggers. Kept, every write would
// still maintain them. A version before creates them again when it opens
// the file (CREATE … IF NOT EXISTS, and its tally counted afresh), and
// the node views likewise (migrate drops the column; such a version adds
// and fills it).
const dropped = `
DROP INDEX IF EXISTS nodes_launch;
DROP INDEX IF EXISTS nodes_state;
DROP INDEX IF EXISTS launches_state;
DROP INDEX IF EXISTS launches_seq;
DROP TRIGGER IF EXISTS nodes_live_insert;
DROP TRIGGER IF EXISTS nodes_live_update;
DROP TRIGGER IF EXISTS nodes_live_delete;
DROP TABLE IF EXISTS tally;
`

// migrate creates the schema: a records file made before the cloud
// column existed gets it; one made with the view column loses it.
func migrate(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx, schema+hostKeysSchema); err != nil {
		return err
	}
	for _, c := range []struct {
		name, change string
		want         bool
	}{
		{"cloud", `ALTER TABLE nodes ADD COLUMN cloud TEXT NOT NULL DEFAULT ''; UPDATE nodes SET cloud = COALESCE(json_extract(record, '$.cloud'), '')`, true},
		{"view", `ALTER TABLE nodes DROP COLUMN view`, false},
	} {
		var has int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM pragma_table_info('nodes') WHERE name = ?`, c.name).Scan(&has); err != nil {
			return err
		}
		if (has > 0) != c.want {
			if _, err := db.ExecContext(ctx, c.change); err != nil {
				return fmt.Errorf("column %s: %w", c.name, err)
			}
		}
	}
	return nil
}
