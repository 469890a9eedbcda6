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

// servicePatch is what the writes of a transaction change in one service
// row: the columns set (a bit each) and their values, the last write's.
type servicePatch struct {
	id   int64
	set  int
	vals [numCols]any
}

// patchUpdates[k] updates 2^k service rows, k = 0..7, from a VALUES list
// of (id, columns set, one value per column): each column becomes its
// value where its bit is set and stays as it is elsewhere. At most 128
// rows of 10 parameters; every size is kept prepared by the statement
// cache.
var patchUpdates = func() (qs [8]string) {
	var set strings.Builder
	set.WriteString(`UPDATE service SET updated_at = ?`)
	for i, c := range patchColumns {
		fmt.Fprintf(&set, ", %s = CASE WHEN v.column2 & %d THEN v.column%d ELSE %s END", c, 1<<i, i+3, c)
	}
	set.WriteString(` FROM (VALUES `)
	row := "(?" + strings.Repeat(", ?", numCols+1) + ")"
	for k := range qs {
		var b strings.Builder
		b.WriteString(set.String())
		for i := range 1 << k {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(row)
		}
		b.WriteString(`) AS v WHERE service.id = v.column1`)
		qs[k] = b.String()
	}
	return qs
}()

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

// flushPatches writes the pending changes, updated_at now with them. On
// an error the caller rolls back what was written (the transaction or the
// write's savepoint).
func (t *txn) flushPatches(ctx context.Context, now string) error {
	rest := t.patches
	for len(rest) > 0 {
		k := 0
		for k < len(patchUpdates)-1 && 2<<k <= len(rest) {
			k++
		}
		chunk := rest[:1<<k]
		t.args = append(t.args[:0], now)
		for _, p := range chunk {
			t.args = append(t.args, p.id, p.set)
			t.args = append(t.args, p.vals[:]...)
		}
		_, err := t.ExecContext(ctx, patchUpdates[k], t.args...)
		clear(t.args)
		if err != nil {
			return fmt.Errorf("services: %w", err)
		}
		rest = rest[len(chunk):]
	}
	t.dropPatches()
	return nil
}
