package eventlog

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the flusher and the test at once.
type syncBuffer struct {
	mu     sync.Mutex
	b      bytes.Buffer
	writes int
	fail   error
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return 0, s.fail
	}
	s.writes++
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestLinesInOrderNoneLost: lines written by many goroutines reach the
// underlying writer whole, each writer's in its order, none lost, in
// fewer writes than lines; a line written after Close follows them.
func TestLinesInOrderNoneLost(t *testing.T) {
	var out syncBuffer
	l := New(&out, time.Millisecond)
	const writers, lines = 8, 500
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range lines {
				fmt.Fprintf(l, "w%d %04d\n", w, i)
			}
		}()
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(l, "after close\n")
	got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(got) != writers*lines+1 || got[len(got)-1] != "after close" {
		t.Fatalf("%d lines, last %q; want %d, the last \"after close\"", len(got), got[len(got)-1], writers*lines+1)
	}
	next := make([]int, writers)
	for _, line := range got[:len(got)-1] {
		var w, i int
		if _, err := fmt.Sscanf(line, "w%d %d", &w, &i); err != nil || w >= writers || i != next[w] {
			t.Fatalf("line %q: want w%d %04d next", line, w, next[min(w, writers-1)])
		}
		next[w]++
	}
	if out.writes >= writers*lines {
		t.Errorf("%d writes for %d lines: not buffered", out.writes, writers*lines)
	}
}

// TestFlushedWithoutClose: a line is written out by the flusher without
// Close or a full buffer.
func TestFlushedWithoutClose(t *testing.T) {
	var out syncBuffer
	l := New(&out, time.Millisecond)
	defer l.Close()
	fmt.Fprintf(l, "one\n")
	deadline := time.Now().Add(10 * time.Second)
	for out.String() != "one\n" {
		if time.Now().After(deadline) {
			t.Fatalf("after 10 s the writer holds %q, want the line", out.String())
		}
		time.Sleep(time.Millisecond)
	}
}

// TestWriteError: a failed write is returned by the next Write and by
// Close.
func TestWriteError(t *testing.T) {
	boom := errors.New("disk full")
	out := syncBuffer{fail: boom}
	l := New(&out, time.Hour)
	fmt.Fprintf(l, "lost\n")
	if err := l.Flush(); !errors.Is(err, boom) {
		t.Errorf("Flush = %v, want %v", err, boom)
	}
	if _, err := fmt.Fprintf(l, "next\n"); !errors.Is(err, boom) {
		t.Errorf("Write after a failed flush = %v, want %v", err, boom)
	}
	if err := l.Close(); !errors.Is(err, boom) {
		t.Errorf("Close = %v, want %v", err, boom)
	}
}
