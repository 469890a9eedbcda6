package provisioner

import (
	"maps"
	"slices"
)

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
	if n, ok := t.img.node(id); ok {
		return n.clone(), true
	}
	return nodeRec{}, false
}

func (t *sqlTx) launch(id string) (launchRec, bool) {
	for _, c := range []*txChanges{&t.op, &t.done} {
		if e, ok := c.launches[id]; ok {
			return e.rec.clone(), true
		}
	}
	if l, ok := t.img.launch(id); ok {
		return l.clone(), true
	}
	return launchRec{}, false
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
