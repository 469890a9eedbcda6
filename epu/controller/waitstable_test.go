package controller

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/epu"
)

func TestWaitStable(t *testing.T) {
	tests := []struct {
		name      string
		command   string
		states    []epu.DEState // answered in turn, the last one from then on
		down      bool          // the controller does not answer
		wantErr   error
		wantCalls int
	}{
		{name: "not at boot: at once", command: "status", states: []epu.DEState{epu.DEPending}, wantCalls: 0},
		{name: "repair: at once", command: "repair", down: true, wantCalls: 0},
		{name: "stable after pending", command: "boot", states: []epu.DEState{epu.DEPending, epu.DEPending, epu.DEStable}, wantCalls: 3},
		{name: "devmode failed", command: "boot", states: []epu.DEState{epu.DEPending, epu.DEDevmodeFailed}, wantErr: ErrUnstable, wantCalls: 2},
		{name: "engine without the notion", command: "boot", states: []epu.DEState{epu.DEUnknown}, wantErr: ErrUnstable, wantCalls: 1},
		{name: "three failed queries", command: "boot", down: true, wantErr: ErrUnstable, wantCalls: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &scriptedEngine{}
			h := newHarness(t, testConfig(t.TempDir(), "scripted", nil), e)
			var calls atomic.Int32
			inner := h.c.Handler()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := int(calls.Add(1))
				if tt.down {
					http.Error(w, "down", http.StatusBadGateway)
					return
				}
				e.setDE(tt.states[min(n-1, len(tt.states)-1)])
				inner.ServeHTTP(w, r)
			}))
			defer srv.Close()
			c, _ := h.serve()
			c.BaseURL = srv.URL
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := WaitStable(ctx, c, "d", WaitOptions{Command: tt.command, Interval: time.Millisecond})
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Errorf("WaitStable = %v; want %v", err, tt.wantErr)
			}
			if int(calls.Load()) != tt.wantCalls {
				t.Errorf("queries %d; want %d", calls.Load(), tt.wantCalls)
			}
		})
	}
}

// The wait ends with its context, not with ErrUnstable.
func TestWaitStableContext(t *testing.T) {
	e := &scriptedEngine{de: epu.DEPending}
	h := newHarness(t, testConfig(t.TempDir(), "scripted", nil), e)
	c, _ := h.serve()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := WaitStable(ctx, c, "d", WaitOptions{Command: "boot", Interval: time.Millisecond})
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrUnstable) {
		t.Fatalf("WaitStable = %v; want the context's deadline", err)
	}
}
