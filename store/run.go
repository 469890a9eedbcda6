package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"sync"
)

// ErrNoService is returned for a service name the record does not hold.
var ErrNoService = errors.New("no such service")

// serviceID returns the row id of the service named name, or ErrNoService
// (callers name the service in their error prefix). A service row is never
// deleted and its id never changes, so ids read in a committed transaction
// are kept (serviceIDs): the first look-up of a DB reads every service's
// id at once, and the writes of each service do not look its id up again.
func serviceID(ctx context.Context, tx *txn, name string) (int64, error) {
	if id, ok := tx.ids.get(name); ok {
		return id, nil
	}
	if id, ok := tx.seen[name]; ok {
		return id, nil
	}
	if !tx.ids.complete() && !tx.seenAll {
		if err := allServiceIDs(ctx, tx); err != nil {
			return 0, err
		}
		if id, ok := tx.seen[name]; ok {
			return id, nil
		}
	}
	// A service recorded since, or none.
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM service WHERE name = ?`, name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNoService
	}
	if err == nil {
		tx.seen[name] = id
	}
	return id, err
}

// allServiceIDs reads the id of every service into tx.seen: one statement
// instead of one per service.
func allServiceIDs(ctx context.Context, tx *txn) error {
	ids, err := serviceIDsByName(ctx, tx)
	if err != nil {
		return err
	}
	maps.Copy(tx.seen, ids)
	tx.seenAll = true
	return nil
}

// serviceIDs are the ids of services read by committed transactions.
type serviceIDs struct {
	mu  sync.RWMutex
	m   map[string]int64
	all bool // every service recorded when they were read is in m
}

func (c *serviceIDs) get(name string) (int64, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	id, ok := c.m[name]
	return id, ok
}

// complete reports whether the ids of every service were read once.
func (c *serviceIDs) complete() bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.all
}

// keep adds the ids a transaction read or wrote, once it has committed: a
// row inserted by a transaction that rolled back must not be remembered.
// all says that they were every service's. The first map kept becomes
// the DB's: the transaction hands it over rather than have the single
// writer copy every service's id.
func (c *serviceIDs) keep(seen map[string]int64, all bool) {
	if len(seen) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m, c.all = seen, all
		return
	}
	for k, v := range seen {
		c.m[k] = v
	}
	c.all = c.all || all
}

// Run returns the run row.
func (db *DB) Run(ctx context.Context) (Run, error) {
	var r Run
	var created, updated sql.NullString
	var status string
	err := db.sql.QueryRowContext(ctx,
		`SELECT name, topconf, created_at, updated_at, status, tool_version, incarnation,
		        owner_command, owner_host, owner_pid, owner_start FROM run WHERE id = 1`).
		Scan(&r.Name, &r.TopConf, &created, &updated, &status, &r.ToolVersion, &r.Incarnation,
			&r.Owner.Command, &r.Owner.Host, &r.Owner.PID, &r.Owner.Start)
	if err != nil {
		return Run{}, fmt.Errorf("run %s: %w", db.run, err)
	}
	r.Created, r.Updated, r.Status = parseStamp(created), parseStamp(updated), RunStatus(status)
	return r, nil
}

// SetRunStatus records the status of the run as a whole.
func (db *DB) SetRunStatus(ctx context.Context, status RunStatus) error {
	return db.write(ctx, "", "set run status", func(ctx context.Context, tx *txn, _ string) error {
		_, err := tx.ExecContext(ctx, `UPDATE run SET status = ? WHERE id = 1`, string(status))
		return err
	})
}

// SetTopConf records a new top-level plan file (reload).
func (db *DB) SetTopConf(ctx context.Context, topconf string) error {
	return db.write(ctx, "", "set top conf", func(ctx context.Context, tx *txn, _ string) error {
		_, err := tx.ExecContext(ctx, `UPDATE run SET topconf = ? WHERE id = 1`, topconf)
		return err
	})
}

// SaveGlobals replaces the stored globals with gs, in one transaction.
// A global marked Redacted (a secret, see plan.IsSecret) is stored without
// its value (NULL) and reads back Redacted.
func (db *DB) SaveGlobals(ctx context.Context, gs []Global) error {
	return db.write(ctx, "", "save globals", func(ctx context.Context, tx *txn, _ string) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM globals`); err != nil {
			return err
		}
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO globals (name, value, rank, source) VALUES (?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, g := range gs {
			var val any = g.Value
			if g.Redacted {
				val = nil // a secret: never stored
			}
			if _, err := stmt.ExecContext(ctx, g.Name, val, g.Rank, g.Source); err != nil {
				return fmt.Errorf("global %q rank %d: %w", g.Name, g.Rank, err)
			}
		}
		return nil
	})
}

// Globals returns the stored globals ordered by rank, then name.
func (db *DB) Globals(ctx context.Context) ([]Global, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT name, value, rank, source FROM globals ORDER BY rank, name`)
	if err != nil {
		return nil, fmt.Errorf("globals: %w", err)
	}
	defer rows.Close()
	var gs []Global
	for rows.Next() {
		var g Global
		var v sql.NullString
		if err := rows.Scan(&g.Name, &v, &g.Rank, &g.Source); err != nil {
			return nil, fmt.Errorf("globals: %w", err)
		}
		g.Value, g.Redacted = v.String, !v.Valid
		gs = append(gs, g)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("globals: %w", err)
	}
	return gs, nil
}
