package store

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// columnWrite is a write that sets columns of svc (name, value pairs),
// then fails with fail (if not nil).
func columnWrite(svc string, fail error, kv ...any) *pendingWrite {
	return &pendingWrite{ctx: context.Background(), what: svc, wake: make(chan bool, 1),
		fn: func(ctx context.Context, tx *txn, _ string) error {
			for i := 0; i < len(kv); i += 2 {
				if err := setColumn(ctx, tx, svc, kv[i].(string), kv[i+1]); err != nil {
					return err
				}
			}
			return fail
		}}
}

// TestServicePatches commits batches of writes that change service rows,
// the same row several times, some writes failing: each row reads as if
// the writes that succeeded had run one after the other, a column no
// write set keeps its value, and a failed write changes nothing.
func TestServicePatches(t *testing.T) {
	errWrite := errors.New("write failed")
	many := make([]*pendingWrite, 0, 300)
	manyWant := map[string]Service{}
	for i := range 300 {
		name := fmt.Sprintf("s%03d", i)
		many = append(many, columnWrite(name, nil, "state", "running", "hostname", "h"+name, "host_key", "k2"))
		manyWant[name] = Service{Name: name, State: StateRunning, Hostname: "h" + name, InstanceID: "i-" + name, HostKey: "k2"}
	}
	// 300 services in one batch, changing one of three sets of columns
	// in turn: each set is written by its own statements, of several
	// sizes (every set has the state, NOT NULL: a row written with
	// another set's statement would lose its host key or its attempt,
	// not fail the batch).
	mixed := make([]*pendingWrite, 0, 300)
	mixedWant := map[string]Service{}
	for i := range 300 {
		name := fmt.Sprintf("s%03d", i)
		w := Service{Name: name, InstanceID: "i-" + name, HostKey: "key-" + name}
		switch i % 3 {
		case 0:
			mixed = append(mixed, columnWrite(name, nil, "state", "running", "host_key", "k"+name))
			w.State, w.HostKey = StateRunning, "k"+name
		case 1:
			mixed = append(mixed, columnWrite(name, nil, "state", "booting"))
			w.State = StateBooting
		case 2:
			mixed = append(mixed, columnWrite(name, nil, "state", "launched", "attempt", i, "instance_id", "j-"+name))
			w.State, w.Attempt, w.InstanceID = StateLaunched, i, "j-"+name
		}
		mixedWant[name] = w
	}
	tests := []struct {
		name   string
		batch  []*pendingWrite
		errs   map[int]error // by position in batch; others succeed
		want   map[string]Service
		before int // services
	}{
		{
			name: "one row, many writes",
			batch: []*pendingWrite{
				columnWrite("s000", nil, "state", "launching", "attempt", 2),
				columnWrite("s000", nil, "state", "launched", "instance_id", "i-new", "handle", []byte{1, 2}),
				columnWrite("s000", nil, "host_key", nil, "hostname", "h1"),
				columnWrite("s000", nil, "state", "running", "last_error", "x"),
			},
			before: 2,
			want: map[string]Service{
				"s000": {Name: "s000", State: StateRunning, Attempt: 2, InstanceID: "i-new", Handle: []byte{1, 2}, Hostname: "h1", LastError: "x"},
				"s001": {Name: "s001", State: StateNew, InstanceID: "i-s001", HostKey: "key-s001"},
			},
		},
		{
			name: "failures",
			batch: []*pendingWrite{
				columnWrite("s000", nil, "state", "booting"),
				columnWrite("s001", errWrite, "state", "failed", "last_error", "no"),
				columnWrite("s000", errWrite, "state", "failed"),
				columnWrite("ghost", nil, "state", "ready"),
				columnWrite("s001", nil, "hostname", "h1"),
			},
			errs:   map[int]error{1: errWrite, 2: errWrite, 3: ErrNoService},
			before: 2,
			want: map[string]Service{
				"s000": {Name: "s000", State: StateBooting, InstanceID: "i-s000", HostKey: "key-s000"},
				"s001": {Name: "s001", State: StateNew, InstanceID: "i-s001", HostKey: "key-s001", Hostname: "h1"},
			},
		},
		{name: "300 rows", batch: many, before: 300, want: manyWant},
		{name: "300 rows, three sets of columns", batch: mixed, before: 300, want: mixedWant},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			db, _ := newRun(t)
			var ss []Service
			for i := range tt.before {
				ss = append(ss, Service{Name: fmt.Sprintf("s%03d", i), Level: 1, Position: i})
			}
			if err := db.PutPlan(ctx, []Level{{Number: 1, Key: "level1"}}, ss); err != nil {
				t.Fatal(err)
			}
			for _, s := range ss {
				if err := db.SetHostKey(ctx, s.Name, "key-"+s.Name); err != nil {
					t.Fatal(err)
				}
				if _, err := db.sql.ExecContext(ctx, `UPDATE service SET instance_id = ? WHERE name = ?`, "i-"+s.Name, s.Name); err != nil {
					t.Fatal(err)
				}
			}
			db.commitBatch(tt.batch)
			for i, w := range tt.batch {
				if want := tt.errs[i]; !errors.Is(w.err, want) || (want == nil && w.err != nil) {
					t.Errorf("write %d: err = %v, want %v", i, w.err, want)
				}
			}
			got, err := db.Services(ctx)
			if err != nil {
				t.Fatal(err)
			}
			gotm := map[string]Service{}
			for _, s := range got {
				gotm[s.Name] = s
			}
			ignore := cmpopts.IgnoreFields(Service{}, "Level", "Position", "Created", "Updated")
			if diff := cmp.Diff(tt.want, gotm, ignore, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("services (-want +got):\n%s", diff)
			}
		})
	}
}
