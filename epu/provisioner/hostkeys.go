package provisioner

import (
	"context"
	"database/sql"
	"errors"
)

// HostKeys is where the SSH host key of each worker is pinned: the
// provisioner's store, by node id. A key line is "<type> <base64> <host
// id>" (the line of package pipeline's KeyStore, which HostKeys
// satisfies): recorded on first contact, checked on every later one (a
// contextualization run again after a restart).
type HostKeys interface {
	// HostKey returns the line pinned for nodeID, "" for none.
	HostKey(ctx context.Context, nodeID string) (string, error)
	// SetHostKey pins line for nodeID ("" forgets it).
	SetHostKey(ctx context.Context, nodeID, line string) error
}

// HostKeyPinner is a Contextualizer that pins each worker's host key in
// the provisioner's store. New gives it the store once, before anything
// runs, and uses the contextualizer PinHostKeys returns.
type HostKeyPinner interface {
	Contextualizer
	PinHostKeys(keys HostKeys) Contextualizer
}

const hostKeysSchema = `
CREATE TABLE IF NOT EXISTS host_keys (
	node_id TEXT PRIMARY KEY,
	line    TEXT NOT NULL
);
`

func (s *sqliteStore) HostKey(ctx context.Context, nodeID string) (string, error) {
	var line string
	err := s.db.QueryRowContext(ctx, `SELECT line FROM host_keys WHERE node_id = ?`, nodeID).Scan(&line)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return line, err
}

func (s *sqliteStore) SetHostKey(ctx context.Context, nodeID, line string) error {
	if line == "" {
		_, err := s.db.ExecContext(ctx, `DELETE FROM host_keys WHERE node_id = ?`, nodeID)
		return err
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO host_keys (node_id, line) VALUES (?, ?)
		ON CONFLICT (node_id) DO UPDATE SET line = excluded.line`, nodeID, line)
	return err
}
