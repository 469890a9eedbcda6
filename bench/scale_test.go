package main

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestScaleFromBoots: the reported run is the one of median wall (the
// lower middle of an even number), its boot, CPU and record size with it;
// every wall in order; the largest peak RSS of all runs.
func TestScaleFromBoots(t *testing.T) {
	s := time.Second
	boot := func(wall, cpu time.Duration, rss, rec int64, bootMS float64) scaleBoot {
		return scaleBoot{stats: bootStats{BootMS: bootMS}, run: runResult{Wall: wall, CPU: cpu, MaxRSS: rss}, recordBytes: rec}
	}
	tests := []struct {
		name  string
		boots []scaleBoot
		want  scaleResult
	}{
		{"one run", []scaleBoot{boot(2*s, 3*s, 10, 100, 1500)},
			scaleResult{Wall: 2 * s, Walls: []time.Duration{2 * s}, CPU: 3 * s, MaxRSS: 10, RecordBytes: 100, BootWall: 1500 * time.Millisecond}},
		{"three runs: the middle wall, the largest RSS", []scaleBoot{boot(3*s, 5*s, 10, 100, 2500), boot(1*s, 2*s, 30, 101, 800), boot(2*s, 4*s, 20, 102, 1700)},
			scaleResult{Wall: 2 * s, Walls: []time.Duration{3 * s, 1 * s, 2 * s}, CPU: 4 * s, MaxRSS: 30, RecordBytes: 102, BootWall: 1700 * time.Millisecond}},
		{"two runs: the lower", []scaleBoot{boot(4*s, 6*s, 10, 100, 3000), boot(3*s, 5*s, 5, 100, 2000)},
			scaleResult{Wall: 3 * s, Walls: []time.Duration{4 * s, 3 * s}, CPU: 5 * s, MaxRSS: 10, RecordBytes: 100, BootWall: 2 * s}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got scaleResult
			got.fromBoots(tt.boots)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("fromBoots (-want +got):\n%s", diff)
			}
		})
	}
}
