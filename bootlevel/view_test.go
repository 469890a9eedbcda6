package bootlevel

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/store"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestViewFollowsRecord runs commands on a command's image and checks that
// the image then equals the record read again, as a new process would:
// every write the engine makes reaches both.
func TestViewFollowsRecord(t *testing.T) {
	h := newHarness(t, threeLevels())
	steps := []struct {
		name string
		run  func(ctx context.Context, rn *run) error
	}{
		{"boot", func(ctx context.Context, rn *run) error { return rn.boot(ctx, rn.grouped(), true) }},
		{"status", func(ctx context.Context, rn *run) error {
			return rn.walk(ctx, rn.grouped(), false, true, rn.statusService)
		}},
		{"terminate", func(ctx context.Context, rn *run) error { return rn.terminate(ctx) }},
		{"boot again", func(ctx context.Context, rn *run) error { return rn.boot(ctx, rn.grouped(), false) }},
		{"history -k", func(ctx context.Context, rn *run) error {
			hl, r, err := rn.listHistory(ctx)
			for i := range hl.entries {
				if hl.entries[i].killable() {
					err = errors.Join(err, rn.killEntry(ctx, r, hl, i))
				}
			}
			return err
		}},
	}
	for _, st := range steps {
		rn := h.run()
		if err := st.run(testCtx(t), rn); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		got := rn.v
		want, err := loadView(context.Background(), h.db, nil)
		if err != nil {
			t.Fatal(err)
		}
		opts := cmp.Options{
			cmp.AllowUnexported(view{}, entry{}),
			cmpopts.IgnoreFields(view{}, "mu"),
			cmpopts.IgnoreFields(entry{}, "mu", "bootout"),              // bootout: this command's warnings, journaled as events
			cmpopts.IgnoreFields(store.Service{}, "HostKey", "Updated"), // host keys live in the record only
			cmpopts.EquateApproxTime(5 * time.Second),                   // written by the store's clock
			cmpopts.EquateEmpty(),
		}
		if d := cmp.Diff(want, got, opts); d != "" {
			t.Errorf("after %s, image differs from the record (-record +image):\n%s", st.name, d)
		}
	}
	if n := len(viewOfHistory(t, h.db, "two")); n != 2 {
		t.Errorf("two has %d history rows, want 2 (boot, boot again)", n)
	}
}

func viewOfHistory(t *testing.T, db *store.DB, svc string) []store.HistoryRow {
	t.Helper()
	v, err := loadView(context.Background(), db, nil)
	if err != nil {
		t.Fatal(err)
	}
	return v.serviceHistory(svc)
}

// serviceHistory returns a copy of svc's history rows, oldest first.
func (v *view) serviceHistory(svc string) []store.HistoryRow {
	en := v.find(svc)
	if en == nil {
		return nil
	}
	en.mu.Lock()
	defer en.mu.Unlock()
	return slices.Clone(en.history)
}

func TestLaunchHistory(t *testing.T) {
	intent := store.HistoryRow{ID: 3, Service: "a", Attempt: 2, State: store.HistoryIntent}
	for _, tc := range []struct {
		name    string
		rows    []store.HistoryRow
		want    store.HistoryRow
		wantOK  bool
		wantMax int
	}{
		{name: "none"},
		{name: "one", rows: []store.HistoryRow{intent}, want: intent, wantOK: true, wantMax: 2},
		{
			name: "newest is not the highest attempt",
			rows: []store.HistoryRow{
				{ID: 1, Service: "a", Attempt: 1, InstanceID: "i-1"},
				{ID: 2, Service: "a", Attempt: 4, InstanceID: "i-4"},
				intent,
			},
			want: intent, wantOK: true, wantMax: 4,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := &view{}
			for _, h := range tc.rows {
				v.addHistory(h)
			}
			got, ok, gotMax := v.launchHistory("a")
			if diff := cmp.Diff(tc.want, got); diff != "" || ok != tc.wantOK || gotMax != tc.wantMax {
				t.Errorf("launchHistory = ok %v, max %d, want ok %v, max %d; row (-want +got):\n%s", ok, gotMax, tc.wantOK, tc.wantMax, diff)
			}
			if tc.wantOK {
				got.Detail = "changed"
				if again, _, _ := v.launchHistory("a"); again.Detail == "changed" {
					t.Error("launchHistory returned the view's row, want a copy")
				}
			}
		})
	}
}
