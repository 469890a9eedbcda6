package bootlevel

import (
	"context"
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
		run  func(ctx context.Context, ls []level) error
	}{
		{"boot", func(ctx context.Context, ls []level) error { return h.eng.boot(ctx, ls, true) }},
		{"status", func(ctx context.Context, ls []level) error {
			return h.eng.walk(ctx, ls, false, true, h.eng.statusService)
		}},
		{"terminate", func(ctx context.Context, ls []level) error {
			return h.eng.walk(ctx, ls, true, true, h.eng.terminateService)
		}},
		{"boot again", func(ctx context.Context, ls []level) error { return h.eng.boot(ctx, ls, false) }},
	}
	for _, st := range steps {
		ctx, ls, err := h.eng.begin(testCtx(t))
		if err != nil {
			t.Fatal(err)
		}
		if err := st.run(ctx, ls); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		got := viewOf(ctx)
		want, err := loadView(context.Background(), h.db)
		if err != nil {
			t.Fatal(err)
		}
		opts := cmp.Options{
			cmp.AllowUnexported(view{}),
			cmpopts.IgnoreFields(view{}, "mu", "bootout"),               // bootout: this command's warnings, journaled as events
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
	v, err := loadView(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	return v.serviceHistory(svc)
}
