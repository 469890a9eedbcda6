package main

import (
	"context"
	"strconv"
	"strings"

	cl "github.com/cloudinitd/cloudinitd/cmd/internal/cli"
	"github.com/cloudinitd/cloudinitd/epu/engine"
)

// ctlAutoscale is 'epu ctl autoscale DOMAIN [instancecount=N|corecount=N]
// [name=ARRAY]': the domain's arrays, after setting one array's target
// when a count is given (epumgmt autoscale runs it on the controller's
// host).
func ctlAutoscale(ctx context.Context, t ctlTarget, a []string) (any, error) {
	var instances, cores *int
	name := ""
	for _, kv := range a[1:] {
		k, v, ok := strings.Cut(kv, "=")
		n, err := strconv.Atoi(v)
		switch {
		case !ok:
			return nil, cl.Usagef("autoscale: %q is not KEY=VALUE (instancecount, corecount, name)", kv)
		case k == "name" && v != "":
			name = v
		case (k == "instancecount" || k == "corecount") && (err != nil || n < 0):
			return nil, cl.Usagef("autoscale: %s: want a whole number from 0, not %q", k, v)
		case k == "instancecount":
			instances = &n
		case k == "corecount":
			cores = &n
		default:
			return nil, cl.Usagef("autoscale: unknown key %q (instancecount, corecount, name)", k)
		}
	}
	switch {
	case instances != nil && cores != nil:
		return nil, cl.Usagef("autoscale: instancecount or corecount, not both")
	case instances == nil && cores == nil && name != "":
		return nil, cl.Usagef("autoscale: name= goes with instancecount= or corecount=")
	case instances == nil && cores == nil:
		return t.ctrl().AutoscaleStatus(ctx, a[0])
	}
	if name == "" {
		name = engine.DefaultArray
	}
	req := engine.AutoscaleRequest{Arrays: []engine.ArrayRequest{{Name: name, TargetCount: instances, TargetCoreCount: cores}}}
	return t.ctrl().Autoscale(ctx, a[0], req)
}
