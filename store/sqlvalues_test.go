package store

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestStamp: stamp is time.Format's timeLayout in UTC, for times in and
// out of UTC, with and without nanoseconds, and years Format writes
// otherwise (before 0, after 9999).
func TestStamp(t *testing.T) {
	east := time.FixedZone("east", 5*3600+1800)
	times := []time.Time{
		{},
		time.Date(2026, 12, 6, 11, 32, 18, 988073431, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		time.Date(2026, 12, 31, 23, 59, 59, 999999999, east),
		time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 6, 1, 0, 0, 0, 0, time.UTC),
		time.Now(),
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 1000 {
		times = append(times, time.Unix(r.Int64N(300e9)-100e9, r.Int64N(1e9)).In(east))
	}
	for _, tm := range times {
		if got, want := stamp(tm), tm.UTC().Format(timeLayout); got != want {
			t.Errorf("stamp(%v) = %q, want %q", tm, got, want)
		}
	}
}

func BenchmarkStamp(b *testing.B) {
	tm := time.Date(2026, 12, 6, 11, 32, 18, 988073431, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		stamp(tm)
	}
}

// BenchmarkStampFormat is what stamp replaced, for comparison.
func BenchmarkStampFormat(b *testing.B) {
	tm := time.Date(2026, 12, 6, 11, 32, 18, 988073431, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		_ = tm.UTC().Format(timeLayout)
	}
}
