package mgmt

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/controller"
	"github.com/cloudinitd/cloudinitd/epu/provisioner"
)

// ctl calls svc's daemon and decodes its JSON answer into out.
func ctl(ctx context.Context, ch Channel, svc Service, out any, args ...string) error {
	b, err := ch.Ctl(ctx, svc, args...)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, out); err != nil {
		return &CtlError{Service: svc.Name, Call: args[0], Err: fmt.Errorf("decode the answer: %w", err)}
	}
	return nil
}

// nodes is the provisioner's describe_nodes.
func nodes(ctx context.Context, ch Channel, prov Service) ([]epu.Node, error) {
	var a struct {
		Nodes []epu.Node `json:"nodes"`
	}
	err := ctl(ctx, ch, prov, &a, "nodes")
	return a.Nodes, err
}

// provHealth is the provisioner's health (its clouds included).
func provHealth(ctx context.Context, ch Channel, prov Service) (provisioner.Health, error) {
	var h provisioner.Health
	err := ctl(ctx, ch, prov, &h, "health")
	return h, err
}

// terminateAll asks once (no waiting on the host: KillRun polls).
func terminateAll(ctx context.Context, ch Channel, prov Service) (epu.TerminateAllResult, error) {
	var r epu.TerminateAllResult
	err := ctl(ctx, ch, prov, &r, "terminate-all")
	return r, err
}

// terminateNodes terminates nodes by node id.
func terminateNodes(ctx context.Context, ch Channel, prov Service, ids []string) ([]epu.Node, error) {
	var a struct {
		Nodes []epu.Node `json:"nodes"`
	}
	err := ctl(ctx, ch, prov, &a, append([]string{"terminate-nodes"}, ids...)...)
	return a.Nodes, err
}

// enable enables provisioning again.
func enable(ctx context.Context, ch Channel, prov Service) error {
	var a map[string]any
	return ctl(ctx, ch, prov, &a, "enable")
}

// domains lists a controller's domains.
func domains(ctx context.Context, ch Channel, c Service) ([]controller.DomainSummary, error) {
	var ds []controller.DomainSummary
	err := ctl(ctx, ch, c, &ds, "domains")
	return ds, err
}

// wholeState is a domain's whole state.
func wholeState(ctx context.Context, ch Channel, c Service, domain string) (controller.WholeState, error) {
	var w controller.WholeState
	err := ctl(ctx, ch, c, &w, "whole-state", domain)
	return w, err
}

// reconfigureN sets a domain's preserve_n.
func reconfigureN(ctx context.Context, ch Channel, c Service, domain string, n int) (controller.DEStateAnswer, error) {
	var a controller.DEStateAnswer
	err := ctl(ctx, ch, c, &a, "reconfigure", domain, "preserve_n="+strconv.Itoa(n))
	return a, err
}
