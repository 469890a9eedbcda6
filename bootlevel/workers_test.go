package bootlevel

import (
	"sync"
	"sync/atomic"
	"testing"
)

// TestWorkers: every piece runs once, no more than the bound at once
// (pieces that wait for each other prove the bound is reached), on no more
// goroutines than the bound; without a bound all of a wave's pieces run at
// once; wait returns once the pieces handed out are done, in every wave.
func TestWorkers(t *testing.T) {
	for _, tc := range []struct {
		name         string
		limit, n     int
		waves        int
		wantParallel int
	}{
		{"bounded", 4, 40, 3, 4},
		{"one at a time", 1, 10, 2, 1},
		{"unbounded", 0, 16, 3, 16},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorkers(tc.limit)
			var ran, running, most atomic.Int64
			for range tc.waves {
				// The first wantParallel pieces of a wave wait for each
				// other: they must run at once.
				var gate sync.WaitGroup
				gate.Add(tc.wantParallel)
				for i := range tc.n {
					w.run(func() {
						now := running.Add(1)
						for m := most.Load(); now > m && !most.CompareAndSwap(m, now); m = most.Load() {
						}
						if i < tc.wantParallel {
							gate.Done()
							gate.Wait()
						}
						running.Add(-1)
						ran.Add(1)
					})
				}
				w.wait()
				if r := running.Load(); r != 0 {
					t.Fatalf("wait returned with %d pieces running", r)
				}
			}
			w.close()
			if got, want := ran.Load(), int64(tc.n*tc.waves); got != want {
				t.Errorf("ran %d pieces, want %d", got, want)
			}
			if tc.limit > 0 && (most.Load() > int64(tc.limit) || w.started > tc.limit) {
				t.Errorf("%d pieces at once on %d goroutines, bound %d", most.Load(), w.started, tc.limit)
			}
		})
	}
}
