package provisioner

import (
	"context"
	"encoding/json"
	"sync"
)

// viewCache keeps the nodeViews decoded by the last ViewsWhere, by their
// JSON text: a view is a function of its text, and from one query period
// to the next most nodes' views have not changed, so each period decodes
// only the changed ones (decoding every view every period was a tenth of
// the provisioner's CPU at 10,000 workers). Only the last call's views
// are kept, so the cache holds no node it did not just read.
type viewCache struct {
	mu   sync.Mutex
	last map[string]nodeView
}

func (s *sqliteStore) ViewsWhere(ctx context.Context, f NodeFilter) ([]nodeView, error) {
	where, args := f.sql()
	rows, err := s.db.QueryContext(ctx, `SELECT view FROM nodes WHERE `+where+` ORDER BY launch_id, idx`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var raws []string
	for rows.Next() {
		var raw string
		if err := rows.Scan(&raw); err != nil {
			return nil, err
		}
		raws = append(raws, raw)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close() // the connection is free while the views are decoded
	s.views.mu.Lock()
	defer s.views.mu.Unlock()
	next := make(map[string]nodeView, len(raws))
	var out []nodeView
	for _, raw := range raws {
		v, ok := s.views.last[raw]
		if !ok {
			if err := json.Unmarshal([]byte(raw), &v); err != nil {
				return nil, err
			}
		}
		next[raw] = v
		v.Handle = append([]byte(nil), v.Handle...) // the caller's own
		out = append(out, v)
	}
	s.views.last = next
	return out, nil
}
