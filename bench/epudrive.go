package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/api"
	"github.com/cloudinitd/cloudinitd/epu/provisioner"
	"github.com/cloudinitd/cloudinitd/iaas"
)

// driveProvisioner waits for the provisioner's API, asks for n workers
// (one launch of one node each, as a controller does, 16 requests at
// once), polls health (counts per state) until all are RUNNING, then polls
// terminate_all until it answers done. It fills res.Up and res.Down.
func driveProvisioner(ctx context.Context, stateDir string, n int, res *epuResult, exited <-chan struct{}) error {
	c, err := waitAPI(ctx, stateDir, exited)
	if err != nil {
		return err
	}
	t0 := time.Now()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(epuClients)
	var answered atomic.Int64
	for i := range n {
		g.Go(func() error {
			_, err := c.Provision(gctx, epu.ProvisionRequest{
				LaunchID: fmt.Sprintf("l-%05d", i), DeployableType: epuWorkerType, NodeIDs: []string{fmt.Sprintf("n-%05d", i)},
			})
			if err == nil {
				answered.Add(1)
			}
			return err
		})
	}
	err = g.Wait()
	res.Answered = int(answered.Load())
	if err != nil {
		return fmt.Errorf("provision: %w", err)
	}
	for {
		h, err := c.Health(ctx)
		if err != nil {
			return fmt.Errorf("health: %w", err)
		}
		if h.Nodes[string(epu.Running)] == n {
			break
		}
		for s, count := range h.Nodes {
			if st := epu.State(s); st.After(epu.Running) && count > 0 {
				return fmt.Errorf("%d nodes are %s", count, st)
			}
		}
		if err := iaas.SystemClock().Sleep(ctx, epuPoll); err != nil {
			return err
		}
	}
	res.Up = time.Since(t0)
	t1 := time.Now()
	for {
		r, err := c.TerminateAll(ctx)
		if err != nil {
			return fmt.Errorf("terminate_all: %w", err)
		}
		if r.Done {
			break
		}
		if err := iaas.SystemClock().Sleep(ctx, epuPoll); err != nil {
			return err
		}
	}
	res.Down = time.Since(t1)
	return nil
}

// waitAPI waits until the provisioner wrote its api_url and token, or
// exited.
func waitAPI(ctx context.Context, stateDir string, exited <-chan struct{}) (*provisioner.Client, error) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, err := os.ReadFile(filepath.Join(stateDir, "api_url"))
		if err == nil {
			tok, err := api.ReadToken(stateDir)
			if err != nil {
				return nil, err
			}
			// As many idle connections kept as requests in flight: the
			// default keeps 2, so 14 of every 16 requests would open a new
			// connection, a cost of the harness, not of the provisioner.
			hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: epuClients}}
			return provisioner.NewClient(string(bytes.TrimSpace(b)), tok, hc), nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("the provisioner wrote no api_url in 30s")
		}
		select {
		case <-exited:
			return nil, fmt.Errorf("the provisioner exited before it served")
		default:
		}
		if err := iaas.SystemClock().Sleep(ctx, 20*time.Millisecond); err != nil {
			return nil, err
		}
	}
}
