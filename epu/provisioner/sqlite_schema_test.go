package provisioner

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cloudinitd/cloudinitd/epu"
)

// schemaBefore is the schema as versions before the store's image wrote
// it: views, indexes by state, the tally and its triggers.
const schemaBefore = `
CREATE TABLE launches (launch_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, state_num INTEGER NOT NULL, record TEXT NOT NULL);
CREATE TABLE nodes (node_id TEXT PRIMARY KEY, launch_id TEXT NOT NULL, idx INTEGER NOT NULL, state_num INTEGER NOT NULL,
	cloud TEXT NOT NULL DEFAULT '', view TEXT NOT NULL DEFAULT '', record TEXT NOT NULL);
CREATE INDEX nodes_launch ON nodes (launch_id, idx);
CREATE INDEX nodes_state ON nodes (state_num, cloud);
CREATE INDEX launches_state ON launches (state_num, seq);
CREATE INDEX launches_seq ON launches (seq);
CREATE TABLE tally (name TEXT PRIMARY KEY, n INTEGER NOT NULL);
INSERT INTO tally VALUES ('live', 1);
CREATE TRIGGER nodes_live_update AFTER UPDATE OF state_num, cloud ON nodes BEGIN UPDATE tally SET n = n + 1 WHERE name = 'live'; END;
CREATE TABLE flags (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT INTO flags VALUES ('disabled', 1);
INSERT INTO launches VALUES ('l1', 1, 400, '{"launch_id":"l1","deployable_type":"w","state":"400-PENDING","node_ids":["n1"],"created":"2001-09-09T01:46:40Z"}');
INSERT INTO nodes VALUES ('n1', 'l1', 0, 400, 'live', '{"n":"n1"}',
	'{"node_id":"n1","launch_id":"l1","state":"400-PENDING","state_time":"2001-09-09T01:46:40Z","deployable_type":"w","site":"fake","allocation":"a","iaas_id":"i-1","index":0,"cloud":"live","driver":"fake"}');
`

// TestOpenFileBefore: a records file of a version before the image opens
// with its records, loses what nothing reads any more (so that no write
// maintains it), and takes writes.
func TestOpenFileBefore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, DBFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, schemaBefore); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s, err := OpenStore(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	n, err := s.Node(ctx, "n1")
	if err != nil || n.State != epu.Pending || n.IaaSID != "i-1" || n.Cloud != cloudLive {
		t.Errorf("node from the older file: %+v %v", n, err)
	}
	if live, err := s.CountLive(ctx); err != nil || live != 1 {
		t.Errorf("live nodes %d %v, want 1", live, err)
	}
	if d, err := s.Disabled(ctx); err != nil || !d {
		t.Errorf("disabled %v %v, want true", d, err)
	}
	if _, _, err := s.UpdateNode(ctx, "n1", func(r *nodeRec) bool { return r.setState(epu.Started, "", time.Unix(1e9, 0)) }); err != nil {
		t.Fatal(err)
	}
	var left []string
	rows, err := s.(*sqliteStore).db.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'
		UNION ALL SELECT 'nodes.' || name FROM pragma_table_info('nodes') ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		left = append(left, name)
	}
	want := []string{"flags", "host_keys", "launches", "nodes", "nodes.cloud", "nodes.idx", "nodes.launch_id",
		"nodes.node_id", "nodes.record", "nodes.state_num"}
	if diff := cmp.Diff(want, left); diff != "" {
		t.Errorf("schema after open (-want +got):\n%s", diff)
	}
}
