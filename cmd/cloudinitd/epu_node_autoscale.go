package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/cloudinitd/cloudinitd/epu/engine"
)

func nodeAutoscale(ctx context.Context, v nodeRun) error {
	instances := v.fs.Int("instancecount", -1, "")
	cores := v.fs.Int("corecount", -1, "")
	name := v.fs.String("name", "", "")
	file := v.fs.String("file", "", "")
	if _, err := v.parse(0, 0); err != nil {
		return err
	}
	req, err := autoscaleRequest(*instances, *cores, *name, *file)
	if err != nil {
		return epuUsage(v.self, "%s node autoscale: %v", v.self, err)
	}
	n, err := v.open()
	if err != nil {
		return err
	}
	st, err := n.Autoscale(ctx, req)
	if err != nil {
		return err
	}
	return v.printJSON(st)
}

// autoscaleRequest builds the request of 'epu node autoscale': a count
// for one array (the domain's default without --name), or a file holding
// a request object or a JSON list of array definitions (CycleCloud's
// --file).
func autoscaleRequest(instances, cores int, name, file string) (engine.AutoscaleRequest, error) {
	counts := 0
	for _, c := range []int{instances, cores} {
		if c >= 0 {
			counts++
		}
	}
	switch {
	case file != "" && (counts > 0 || name != ""):
		return engine.AutoscaleRequest{}, errors.New("--file takes the whole request: no --instancecount, --corecount or --name with it")
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return engine.AutoscaleRequest{}, err
		}
		return parseAutoscaleFile(file, b)
	case counts != 1:
		return engine.AutoscaleRequest{}, errors.New("give one of --instancecount N, --corecount N or --file JSON")
	case instances < -1 || cores < -1:
		return engine.AutoscaleRequest{}, errors.New("counts are not negative")
	}
	if name == "" {
		name = engine.DefaultArray
	}
	ar := engine.ArrayRequest{Name: name}
	if instances >= 0 {
		ar.TargetCount = &instances
	} else {
		ar.TargetCoreCount = &cores
	}
	return engine.AutoscaleRequest{Arrays: []engine.ArrayRequest{ar}}, nil
}

// parseAutoscaleFile reads a request object or a list of array
// definitions; unknown keys are errors naming them.
func parseAutoscaleFile(name string, b []byte) (engine.AutoscaleRequest, error) {
	var req engine.AutoscaleRequest
	trimmed := strings.TrimSpace(string(b))
	dec := json.NewDecoder(strings.NewReader(trimmed))
	dec.DisallowUnknownFields()
	var err error
	if strings.HasPrefix(trimmed, "[") {
		err = dec.Decode(&req.Arrays)
	} else {
		err = dec.Decode(&req)
	}
	if err != nil {
		return req, fmt.Errorf("%s: %w", name, err)
	}
	if req.Arrays == nil {
		req.Arrays = []engine.ArrayRequest{}
	}
	return req, nil
}
