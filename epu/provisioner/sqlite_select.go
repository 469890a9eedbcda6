package provisioner

import (
	"context"
	"strings"

	"github.com/cloudinitd/cloudinitd/epu"
)

func (s *sqliteStore) NodesWhere(ctx context.Context, f NodeFilter) ([]nodeRec, error) {
	where, args := f.sql()
	return list[nodeRec](ctx, s.db, `SELECT record FROM nodes WHERE `+where+` ORDER BY launch_id, idx`, args...)
}

func (s *sqliteStore) CountNodes(ctx context.Context, f NodeFilter) (int, error) {
	where, args := f.sql()
	var n int
	err := s.stmts.queryRow(ctx, `SELECT COUNT(*) FROM nodes WHERE `+where, args...).Scan(&n)
	return n, err
}

func (s *sqliteStore) CountByState(ctx context.Context) (map[epu.State]int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT state_num, COUNT(*) FROM nodes GROUP BY state_num`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	byNum := map[int]epu.State{}
	for _, st := range epu.States {
		byNum[st.Number()] = st
	}
	out := map[epu.State]int{}
	for rows.Next() {
		var num, n int
		if err := rows.Scan(&num, &n); err != nil {
			return nil, err
		}
		out[byNum[num]] = n
	}
	return out, rows.Err()
}

func (s *sqliteStore) LaunchesIn(ctx context.Context, from, to epu.State) ([]launchRec, error) {
	hi := to.Number()
	if to == "" {
		hi = 1 << 30
	}
	return list[launchRec](ctx, s.db, `SELECT record FROM launches WHERE state_num >= ? AND state_num < ? ORDER BY seq`, from.Number(), hi)
}

func (s *sqliteStore) CountLaunches(ctx context.Context, from, to epu.State) (int, error) {
	hi := to.Number()
	if to == "" {
		hi = 1 << 30
	}
	var n int
	err := s.stmts.queryRow(ctx, `SELECT COUNT(*) FROM launches WHERE state_num >= ? AND state_num < ?`, from.Number(), hi).Scan(&n)
	return n, err
}

// sql is f as a WHERE clause and its arguments.
func (f NodeFilter) sql() (string, []any) {
	hi := f.To.Number()
	if f.To == "" {
		hi = 1 << 30
	}
	where, args := `state_num >= ? AND state_num < ?`, []any{f.From.Number(), hi}
	if f.LaunchID != "" {
		// A launch's few nodes by its index, not a range of states over
		// every launch ("+" keeps SQLite off the state index).
		where = `+state_num >= ? AND +state_num < ?`
	}
	if len(f.Clouds) > 0 {
		where += ` AND cloud IN (?` + strings.Repeat(`, ?`, len(f.Clouds)-1) + `)`
		for _, c := range f.Clouds {
			args = append(args, string(c))
		}
	}
	if f.LaunchID != "" {
		where += ` AND launch_id = ?`
		args = append(args, f.LaunchID)
	}
	return where, args
}

func (s *sqliteStore) SettledLaunches(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT launch_id FROM launches l WHERE state_num = ? AND NOT EXISTS
		(SELECT 1 FROM nodes n WHERE n.launch_id = l.launch_id AND (n.state_num < ? OR n.cloud IN (?, ?))) ORDER BY seq`,
		epu.Terminating.Number(), epu.Terminated.Number(), string(cloudIntent), string(cloudLive))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

func (s *sqliteStore) CountLive(ctx context.Context) (int, error) {
	var n int
	err := s.stmts.queryRow(ctx, `SELECT n FROM tally WHERE name = 'live'`).Scan(&n)
	return n, err
}
