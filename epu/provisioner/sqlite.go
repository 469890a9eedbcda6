package provisioner

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"

	_ "modernc.org/sqlite" // the database/sql driver "sqlite"
)

// DBFile is the name of the records' database in the state directory.
const DBFile = "provisioner.db"

// sqliteStore is the Store in a SQLite file (modernc.org/sqlite), one
// connection, so transactions are serialized. Every write is durable in
// the file when its call returns; reads are answered from the image of
// the records kept in memory (sqlite_image.go), which a write joins once
// committed.
type sqliteStore struct {
	db     *sql.DB
	stmts  *stmtCache
	commit *committer // every transaction goes through it
	img    *image
	flagMu sync.Mutex // SetDisabled's write and its image, in one order
}

var _ Store = (*sqliteStore)(nil)

// OpenStore opens (creating) the records in dir/provisioner.db: the
// directory 0700, the file 0600.
func OpenStore(ctx context.Context, dir string) (Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	path := filepath.Join(dir, DBFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	f.Close()
	if err := os.Chmod(path, 0o600); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	db, err := sql.Open("sqlite", (&url.URL{Scheme: "file", Path: path, RawQuery: q.Encode()}).String())
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	db.SetMaxOpenConns(1)
	if err := migrate(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	img, err := loadImage(ctx, db)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: read the records: %w", path, err)
	}
	stmts := newStmtCache(db)
	return &sqliteStore{db: db, stmts: stmts, commit: newCommitter(db, stmts, img), img: img}, nil
}

func (s *sqliteStore) Close() error {
	s.commit.close()
	s.stmts.close()
	return s.db.Close()
}

func (s *sqliteStore) CreateLaunch(ctx context.Context, l launchRec, nodes []nodeRec) error {
	return s.tx(ctx, func(tx *sqlTx) error { return createLaunchTx(ctx, tx, l, nodes) })
}

func createLaunchTx(ctx context.Context, tx *sqlTx, l launchRec, nodes []nodeRec) error {
	seq := tx.nextSeq()
	b, err := json.Marshal(l)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO launches (launch_id, seq, state_num, record) VALUES (?, ?, ?, ?)`,
		l.LaunchID, seq, l.State.Number(), string(b)); err != nil {
		return conflict("launch "+l.LaunchID, err)
	}
	tx.wroteLaunch(l, seq)
	for _, n := range nodes {
		if err := insertNode(ctx, tx, n); err != nil {
			return err
		}
	}
	return nil
}

func (s *sqliteStore) InsertNode(ctx context.Context, n nodeRec) error {
	return s.tx(ctx, func(tx *sqlTx) error { return insertNode(ctx, tx, n) })
}

func insertNode(ctx context.Context, tx *sqlTx, n nodeRec) error {
	b, err := json.Marshal(n)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO nodes (node_id, launch_id, idx, state_num, cloud, record) VALUES (?, ?, ?, ?, ?, ?)`,
		n.NodeID, n.LaunchID, n.Index, n.State.Number(), string(n.Cloud), string(b)); err != nil {
		return conflict("node "+n.NodeID, err)
	}
	tx.wroteNode(n)
	return nil
}

// conflict reads a failed insert: a taken key is ErrExists.
func conflict(what string, err error) error {
	var taken bool
	var se interface{ Code() int }
	if errors.As(err, &se) {
		taken = se.Code()&0xff == 19 // SQLITE_CONSTRAINT
	}
	if taken {
		return fmt.Errorf("%s: %w", what, ErrExists)
	}
	return fmt.Errorf("%s: %w", what, err)
}

func (s *sqliteStore) UpdateLaunch(ctx context.Context, id string, f func(*launchRec) bool) (launchRec, bool, error) {
	return updateOne(ctx, s, id, f, updateLaunchTx)
}

func (s *sqliteStore) UpdateLaunches(ctx context.Context, ids []string, f func(*launchRec) bool) ([]launchRec, error) {
	return updateEach(ctx, s, ids, f, updateLaunchTx)
}

// updateLaunchTx applies f to launch id within tx; see Store.UpdateLaunch.
func updateLaunchTx(ctx context.Context, tx *sqlTx, id string, f func(*launchRec) bool) (launchRec, bool, error) {
	cur, ok := tx.launch(id)
	if !ok {
		return cur, false, fmt.Errorf("launch %q: %w", id, ErrNotFound)
	}
	next := cur.clone() // f cannot touch cur
	if !f(&next) {
		return cur, false, nil
	}
	if next.State.Before(cur.State) {
		next.State, next.StateDesc = cur.State, cur.StateDesc
	}
	b, err := json.Marshal(next)
	if err != nil {
		return cur, false, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE launches SET state_num = ?, record = ? WHERE launch_id = ?`, next.State.Number(), string(b), id); err != nil {
		return cur, false, err
	}
	tx.wroteLaunch(next, 0)
	return next, true, nil
}

func (s *sqliteStore) UpdateNode(ctx context.Context, id string, f func(*nodeRec) bool) (nodeRec, bool, error) {
	return updateOne(ctx, s, id, f, updateNodeTx)
}

func (s *sqliteStore) UpdateNodes(ctx context.Context, ids []string, f func(*nodeRec) bool) ([]nodeRec, error) {
	return updateEach(ctx, s, ids, f, updateNodeTx)
}

// updateNodeTx applies f to node id within tx; see Store.UpdateNode.
func updateNodeTx(ctx context.Context, tx *sqlTx, id string, f func(*nodeRec) bool) (nodeRec, bool, error) {
	cur, ok := tx.node(id)
	if !ok {
		return cur, false, fmt.Errorf("node %q: %w", id, ErrNotFound)
	}
	next := cur.clone() // f cannot touch cur
	if !f(&next) {
		return cur, false, nil
	}
	if next.State.Before(cur.State) {
		next.State, next.StateDesc, next.StateTime, next.StateChanges = cur.State, cur.StateDesc, cur.StateTime, cur.StateChanges
	}
	b, err := json.Marshal(next)
	if err != nil {
		return cur, false, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE nodes SET state_num = ?, cloud = ?, record = ? WHERE node_id = ?`,
		next.State.Number(), string(next.Cloud), string(b), id); err != nil {
		return cur, false, err
	}
	tx.wroteNode(next)
	return next, true, nil
}

func (s *sqliteStore) Disabled(ctx context.Context) (bool, error) {
	s.img.mu.RLock()
	defer s.img.mu.RUnlock()
	return s.img.disabled, ctx.Err()
}

func (s *sqliteStore) SetDisabled(ctx context.Context, disabled bool) error {
	v := 0
	if disabled {
		v = 1
	}
	s.flagMu.Lock() // not img.mu: a transaction holding the connection reads the image
	defer s.flagMu.Unlock()
	if _, err := s.db.ExecContext(ctx, `INSERT INTO flags (name, value) VALUES ('disabled', ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value`, v); err != nil {
		return err
	}
	s.img.mu.Lock()
	s.img.disabled = disabled
	s.img.mu.Unlock()
	return nil
}

// tx runs f in a transaction, which may carry concurrent callers' writes
// too (see committer); it returns once f's writes are committed or undone.
func (s *sqliteStore) tx(ctx context.Context, f func(*sqlTx) error) error {
	return s.commit.do(ctx, f)
}
