package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// daemonSignalContext returns a context cancelled by the first SIGTERM or
// SIGINT: the epu daemons drain on it and exit 0. Later ones are dropped:
// they do not cut the drain short.
//
// stop ends the watching goroutine, but the signals stay caught (and
// dropped) until the process exits, as cloudinitd's own (cl.SignalContext):
// signal.NotifyContext's stop calls signal.Stop, after which a SIGTERM or
// SIGINT between the daemon's return and os.Exit met the default action
// and ended the process by the signal instead of with the daemon's exit
// code. For a process's main, once.
func daemonSignalContext(parent context.Context) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancel(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGTERM, os.Interrupt)
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		select {
		case <-ch:
			cancel()
		case <-done:
		}
	}()
	return ctx, func() {
		// No signal.Stop(ch): ch is buffered and unread from now on, and
		// the signal package drops what does not fit.
		close(done)
		<-finished
		cancel()
	}
}
