package provisioner

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
)

// image is the store's records in memory, as the database holds them:
// loaded when the store opens and changed only once a transaction that
// wrote them has committed (until then the transaction keeps its writes
// in a txChanges). Every read is answered from it, so the database is
// written, and read only at open; the provisioner's hot paths read a node
// or a launch several times per transition, and decoding the records
// out of SQLite was most of its CPU at 10,000 workers. One process owns
// a state directory, so nothing else writes the file meanwhile.
//
// A record in the image is never changed in place (a write stores a new
// one), so a reader takes the pointers it wants under the read lock and
// copies the records after: the committer, whose transactions read the
// image, never waits behind a reader's copying.
type image struct {
	mu       sync.RWMutex
	nodes    map[string]*nodeRec // never handed out: readers get clones
	launches map[string]*launchEntry
	byLaunch map[string][]nodeKey // launch id -> its nodes, by index
	order    []nodeKey            // every node; sorted when sorted is true
	sorted   bool
	lorder   []*launchEntry // every launch; by seq when lsorted is true
	lsorted  bool
	maxSeq   int64
	live     int         // nodes that have, or may get, an instance
	byNum    map[int]int // nodes per state number
	disabled bool
}

// launchEntry is a launch and its position (the seq column).
type launchEntry struct {
	rec *launchRec // replaced, never changed, by a write
	seq int64
}

// nodeKey orders the nodes as the store lists them: by launch, then index
// (the launch_id and idx columns, fixed when a node is inserted).
type nodeKey struct {
	launchID string
	idx      int
	id       string
}

func newImage() *image {
	return &image{nodes: map[string]*nodeRec{}, launches: map[string]*launchEntry{},
		byLaunch: map[string][]nodeKey{}, byNum: map[int]int{}, sorted: true, lsorted: true}
}

// loadImage reads every record of db.
func loadImage(ctx context.Context, db *sql.DB) (*image, error) {
	img := newImage()
	rows, err := db.QueryContext(ctx, `SELECT seq, record FROM launches`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		e := launchEntry{rec: &launchRec{}}
		var raw string
		if err := rows.Scan(&e.seq, &raw); err != nil {
			rows.Close()
			return nil, err
		}
		if err := json.Unmarshal([]byte(raw), e.rec); err != nil {
			rows.Close()
			return nil, fmt.Errorf("launch record: %w", err)
		}
		img.putLaunch(&e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if rows, err = db.QueryContext(ctx, `SELECT launch_id, idx, record FROM nodes`); err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var k nodeKey
		var raw string
		var n nodeRec
		if err := rows.Scan(&k.launchID, &k.idx, &raw); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(raw), &n); err != nil {
			return nil, fmt.Errorf("node record: %w", err)
		}
		k.id = n.NodeID
		img.putNode(k, &n)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var v int
	err = db.QueryRowContext(ctx, `SELECT value FROM flags WHERE name = 'disabled'`).Scan(&v)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	img.disabled = v != 0
	return img, nil
}

// isLive is the tally's rule (schema: nodes_live_*).
func isLive(n *nodeRec) bool { return n.State.Number() < 800 || n.Cloud.mayExist() }

// putNode stores n (img.mu held or not yet shared); k is used for a new node.
func (img *image) putNode(k nodeKey, n *nodeRec) {
	if old, ok := img.nodes[n.NodeID]; ok {
		img.count(old, -1)
	} else {
		img.order = append(img.order, k)
		img.sorted = false
		ks := append(img.byLaunch[k.launchID], k)
		if len(ks) > 1 && ks[len(ks)-2].idx > k.idx { // nodes usually come in order
			slices.SortStableFunc(ks, func(a, b nodeKey) int { return cmp.Compare(a.idx, b.idx) })
		}
		img.byLaunch[k.launchID] = ks
	}
	img.nodes[n.NodeID] = n
	img.count(n, 1)
}

func (img *image) count(n *nodeRec, d int) {
	if isLive(n) {
		img.live += d
	}
	img.byNum[n.State.Number()] += d
}

func (img *image) putLaunch(e *launchEntry) {
	if old, ok := img.launches[e.rec.LaunchID]; ok {
		old.rec = e.rec // keeps its place in lorder
		return
	}
	img.launches[e.rec.LaunchID] = e
	img.lorder = append(img.lorder, e)
	img.lsorted = img.lsorted && (len(img.lorder) < 2 || img.lorder[len(img.lorder)-2].seq < e.seq)
	img.maxSeq = max(img.maxSeq, e.seq)
}

// apply makes a committed transaction's writes visible.
func (img *image) apply(c *txChanges) {
	if c.empty() {
		return
	}
	img.mu.Lock()
	defer img.mu.Unlock()
	for _, e := range c.launchList {
		img.putLaunch(&launchEntry{rec: e.rec, seq: e.seq}) // not e: the transaction changes its own
	}
	for _, k := range c.nodeList {
		img.putNode(k, c.nodes[k.id])
	}
}

// sortedNodes returns every node in the store's order; img.mu held for
// writing.
func (img *image) sortedNodes() []nodeKey {
	if !img.sorted {
		slices.SortFunc(img.order, func(a, b nodeKey) int {
			return cmp.Or(cmp.Compare(a.launchID, b.launchID), cmp.Compare(a.idx, b.idx))
		})
		img.sorted = true
	}
	return img.order
}

// sortedLaunches returns every launch by seq; img.mu held for writing.
func (img *image) sortedLaunches() []*launchEntry {
	if !img.lsorted {
		slices.SortFunc(img.lorder, func(a, b *launchEntry) int { return cmp.Compare(a.seq, b.seq) })
		img.lsorted = true
	}
	return img.lorder
}

// rlockSorted takes the read lock with the nodes (nodes) or the launches
// sorted, sorting them first under the write lock when a write added some.
func (img *image) rlockSorted(nodes bool) {
	for {
		img.mu.RLock()
		if (nodes && img.sorted) || (!nodes && img.lsorted) {
			return
		}
		img.mu.RUnlock()
		img.mu.Lock()
		if nodes {
			img.sortedNodes()
		} else {
			img.sortedLaunches()
		}
		img.mu.Unlock()
	}
}

// reload reads the image again from db (after a commit whose outcome is
// not known).
func (img *image) reload(ctx context.Context, db *sql.DB) error {
	fresh, err := loadImage(ctx, db)
	if err != nil {
		return err
	}
	img.mu.Lock()
	defer img.mu.Unlock()
	img.nodes, img.launches, img.byLaunch = fresh.nodes, fresh.launches, fresh.byLaunch
	img.order, img.sorted, img.lorder, img.lsorted = fresh.order, fresh.sorted, fresh.lorder, fresh.lsorted
	img.maxSeq, img.live, img.byNum, img.disabled = fresh.maxSeq, fresh.live, fresh.byNum, fresh.disabled
	return nil
}

// node returns the image's record of node id, taken under the read lock;
// a record in the image is never changed in place, so the caller copies
// it after the lock is let go.
func (img *image) node(id string) (*nodeRec, bool) {
	img.mu.RLock()
	defer img.mu.RUnlock()
	n, ok := img.nodes[id]
	return n, ok
}

// launch is node for launch id.
func (img *image) launch(id string) (*launchRec, bool) {
	img.mu.RLock()
	defer img.mu.RUnlock()
	e, ok := img.launches[id]
	if !ok {
		return nil, false
	}
	return e.rec, true
}
