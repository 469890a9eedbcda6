package store

import (
	"context"
	"fmt"
	"strings"
)

// A service column a write changes (servicePatch). Every runtime column
// of a service row is here; updated_at is set with any of them.
const (
	colState = iota
	colAttempt
	colInstanceID
	colDriver
	colHandle
	colHostKey
	colHostname
	colLastError
	numCols
)

// patchColumns are the names of the columns above, in their order.
var patchColumns = [numCols]string{"state", "attempt", "instance_id", "driver", "handle", "host_key", "hostname", "last_error"}

// column returns the patch column named name (setColumn's, a constant of
// this package).
func column(name string) (int, error) {
	for i, c := range patchColumns {
		if c == name {
			return i, nil
		}
	}
	return 0, fmt.Errorf("no service column %q", name)
}

// maxPatchK: a statement updates at most 2^maxPatchK service rows.
const maxPatchK = 7

// servicePatch is what the writes of a transaction change in one service
// row: the columns set (a bit each) and their values, the last write's.
type servicePatch struct {
	id   int64
	set  int
	vals [numCols]any
}

// patchUpdate returns the UPDATE of 2^k service rows, k = 0..7, that
// sets the columns of mask (a bit per column) from a VALUES list of (id,
// one value per column of mask), and updated_at: a batch's rows are
// updated by 128-row statements and at most one of each smaller size, for
// each set of columns its writes changed. Each statement is made once per
// DB (the leader's scratch keeps it) and kept prepared by the statement
// cache. A row binds only the columns it changes: the statement of every
// column with a CASE per column (10 parameters a row, 8 of them NULL for
// a state change) cost the single writer about a third more per row.
func (t *txn) patchUpdate(mask, k int) string {
	key := mask<<3 | k
	if q, ok := t.patchSQL[key]; ok {
		return q
	}
	var b strings.Builder
	b.WriteString(`UPDATE service SET updated_at = ?`)
	n := 1
	for i, c := range patchColumns {
		if mask&(1<<i) != 0 {
			n++
			fmt.Fprintf(&b, ", %s = v.column%d", c, n)
		}
	}
	b.WriteString(` FROM (VALUES `)
	row := "(?" + strings.Repeat(", ?", n-1) + ")"
	for i := range 1 << k {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	b.WriteString(`) AS v WHERE service.id = v.column1`)
	if t.patchSQL == nil {
		t.patchSQL = map[int]string{}
	}
	q := b.String()
	t.patchSQL[key] = q
	return q
}

// patch sets column col of service row id to v. The transaction writes
// the rows it changed together (flushPatches) before it commits: the
// services of a batch cost a few multi-row UPDATEs instead of one
// statement per change. id must be a service's (serviceID): nothing is
// checked when the row is written. Reads of a write must not depend on
// the columns it changed (none of this package's do: they read ids and
// names, which a patch never changes).
func (t *txn) patch(id int64, col int, v any) {
	i, ok := t.patchIdx[id]
	if !ok {
		if t.patchIdx == nil {
			t.patchIdx = map[int64]int{}
		}
		i = len(t.patches)
		t.patchIdx[id] = i
		t.patches = append(t.patches, servicePatch{id: id})
	}
	p := &t.patches[i]
	p.set |= 1 << col
	p.vals[col] = v
}

// dropPatches forgets every pending change.
func (t *txn) dropPatches() {
	clear(t.patches)
	t.patches = t.patches[:0]
	clear(t.patchIdx)
}

// flushPatches writes the pending changes, updated_at now with them,
// the rows of each set of columns together. On an error the caller rolls
// back what was written (the transaction or the write's savepoint).
func (t *txn) flushPatches(ctx context.Context, now string) error {
	for len(t.patches) > 0 {
		// The rows changing the first row's columns, in their order;
		// the others are left for the next round.
		mask := t.patches[0].set
		same, rest := t.patchSame[:0], t.patches[:0]
		for _, p := range t.patches {
			if p.set == mask {
				same = append(same, p)
			} else {
				rest = append(rest, p)
			}
		}
		t.patchSame = same // its buffer, grown
		for len(same) > 0 {
			k := 0
			for k < maxPatchK && 2<<k <= len(same) {
				k++
			}
			chunk := same[:1<<k]
			d := &t.drv.args
			d.add(now)
			for _, p := range chunk {
				d.add(p.id)
				for i, v := range p.vals {
					if mask&(1<<i) != 0 {
						d.add(v)
					}
				}
			}
			if err := t.execRows(ctx, t.patchUpdate(mask, k)); err != nil {
				return fmt.Errorf("services: %w", err)
			}
			same = same[len(chunk):]
		}
		clear(t.patchSame[:cap(t.patchSame)])
		clear(t.patches[len(rest):])
		t.patches = rest
	}
	t.dropPatches()
	return nil
}
