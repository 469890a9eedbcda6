package provisioner

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
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

// txChanges are a transaction's writes, visible to its own later reads,
// made visible to everyone by image.apply once it commits.
type txChanges struct {
	nodes      map[string]*nodeRec
	nodeList   []nodeKey // each node once, in the order first written
	launches   map[string]*launchEntry
	launchList []*launchEntry
	seq        int64 // the last launch seq given; 0 for none
}

func (c *txChanges) empty() bool { return len(c.nodeList) == 0 && len(c.launchList) == 0 }

func (c *txChanges) putNode(k nodeKey, n *nodeRec) {
	if c.nodes == nil {
		c.nodes = map[string]*nodeRec{}
	}
	if _, ok := c.nodes[n.NodeID]; !ok {
		c.nodeList = append(c.nodeList, k)
	}
	c.nodes[n.NodeID] = n
}

func (c *txChanges) putLaunch(e *launchEntry) {
	if c.launches == nil {
		c.launches = map[string]*launchEntry{}
	}
	if old, ok := c.launches[e.rec.LaunchID]; ok {
		old.rec = e.rec
		return
	}
	c.launches[e.rec.LaunchID] = &launchEntry{rec: e.rec, seq: e.seq}
	c.launchList = append(c.launchList, e)
	c.seq = max(c.seq, e.seq)
}

// merge adds o's writes (a savepoint released) to c.
func (c *txChanges) merge(o *txChanges) {
	for _, e := range o.launchList {
		c.putLaunch(e)
	}
	for _, k := range o.nodeList {
		c.putNode(k, o.nodes[k.id])
	}
}

// The transaction's view of the records: its own writes, else the image.

func (t *sqlTx) node(id string) (nodeRec, bool) {
	for _, c := range []*txChanges{&t.op, &t.done} {
		if n, ok := c.nodes[id]; ok {
			return n.clone(), true
		}
	}
	t.img.mu.RLock()
	n, ok := t.img.nodes[id]
	t.img.mu.RUnlock()
	if !ok {
		return nodeRec{}, false
	}
	return n.clone(), true
}

func (t *sqlTx) launch(id string) (launchRec, bool) {
	for _, c := range []*txChanges{&t.op, &t.done} {
		if e, ok := c.launches[id]; ok {
			return e.rec.clone(), true
		}
	}
	t.img.mu.RLock()
	e, ok := t.img.launches[id]
	var l *launchRec
	if ok {
		l = e.rec
	}
	t.img.mu.RUnlock()
	if !ok {
		return launchRec{}, false
	}
	return l.clone(), true
}

// nextSeq is the seq of a launch inserted now.
func (t *sqlTx) nextSeq() int64 {
	t.img.mu.RLock()
	seq := t.img.maxSeq
	t.img.mu.RUnlock()
	return max(seq, t.done.seq, t.op.seq) + 1
}

// wroteNode keeps n (a copy) as written by the transaction's current write.
func (t *sqlTx) wroteNode(n nodeRec) {
	c := n.clone()
	t.op.putNode(nodeKey{launchID: n.LaunchID, idx: n.Index, id: n.NodeID}, &c)
}

func (t *sqlTx) wroteLaunch(l launchRec, seq int64) {
	c := l.clone()
	t.op.putLaunch(&launchEntry{rec: &c, seq: seq})
}

// clone is a deep copy of l.
func (l launchRec) clone() launchRec {
	l.NodeIDs = slices.Clone(l.NodeIDs)
	l.Subscribers = slices.Clone(l.Subscribers)
	l.Vars = maps.Clone(l.Vars)
	return l
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
