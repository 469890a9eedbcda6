//go:build !engine

package main

import (
	"context"
	"errors"
	"io"
)

// errNoEngine is what the engine-bound parts report until bootlevel has a
// working Boot; build with -tags engine to use it.
var errNoEngine = errors.New("cloudinitd engine not built in (TODO: bootlevel.Engine.Boot; -tags engine)")

func cloudinitdFanout(string) func(*Hosts, Programs, string) (contender, error) { return nil }

func runScale(_ context.Context, _, _ string, n, levels int, _ io.Writer) (scaleResult, error) {
	return scaleResult{Services: n, Levels: levels, Err: errNoEngine.Error()}, nil
}

func runOverlap(context.Context, string, string, io.Writer) ([]overlapResult, error) {
	return []overlapResult{{Plan: "5 levels", Err: errNoEngine.Error()}}, nil
}

func childEngine(context.Context, string, []string, io.Writer, io.Writer) error {
	return errNoEngine
}
