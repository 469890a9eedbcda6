package ec2test

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

var instanceIDRE = regexp.MustCompile(`^i-[0-9a-f]{8,17}$`)

// knownIDs checks InstanceId.N as EC2 does: one malformed or unknown id
// fails the whole call.
func (s *Server) knownIDs(form url.Values) ([]*instance, *apiError) {
	var out []*instance
	var missing []string
	for _, id := range list(form, "InstanceId") {
		if !instanceIDRE.MatchString(id) {
			return nil, errorf("InvalidInstanceID.Malformed", "Invalid id: \"%s\"", id)
		}
		in, ok := s.byID[id]
		if !ok {
			missing = append(missing, id)
			continue
		}
		out = append(out, in)
	}
	if len(missing) > 0 {
		return nil, errorf("InvalidInstanceID.NotFound", "The instance IDs '%s' do not exist", strings.Join(missing, ", "))
	}
	return out, nil
}

type filter struct {
	name   string
	values []string
}

func filters(form url.Values) []filter {
	var out []filter
	for i := 1; i <= count(form, "Filter"); i++ {
		p := fmt.Sprintf("Filter.%d.", i)
		out = append(out, filter{name: form.Get(p + "Name"), values: list(form, p+"Value")})
	}
	return out
}

// match reports whether in passes filter f; an unsupported filter name is
// an error as on EC2.
func (s *Server) match(in *instance, f filter, state string) (bool, *apiError) {
	switch {
	case f.name == "instance-id":
		return slices.Contains(f.values, in.id), nil
	case f.name == "instance-state-name":
		return slices.Contains(f.values, state), nil
	case f.name == "tag-key":
		for _, v := range f.values {
			if _, ok := in.tags[v]; ok {
				return true, nil
			}
		}
		return false, nil
	case strings.HasPrefix(f.name, "tag:"):
		v, ok := in.tags[strings.TrimPrefix(f.name, "tag:")]
		return ok && slices.Contains(f.values, v), nil
	}
	return false, errorf("InvalidParameterValue", "The filter '%s' is invalid", f.name)
}

func (s *Server) describeInstances(form url.Values) (any, *apiError) {
	now := s.o.Now()
	pool := s.instances
	if ids := list(form, "InstanceId"); len(ids) > 0 {
		if form.Get("MaxResults") != "" {
			return nil, errorf("InvalidParameterCombination", "The parameter instancesSet cannot be used with the parameter maxResults")
		}
		var aerr *apiError
		if pool, aerr = s.knownIDs(form); aerr != nil {
			return nil, aerr
		}
	}
	fs := filters(form)
	for _, f := range fs {
		if _, aerr := s.match(&instance{}, f, ""); aerr != nil {
			return nil, aerr // EC2 checks filter names even when nothing matches
		}
	}
	var hits []*instance
	for _, in := range pool {
		ok := true
		for _, f := range fs {
			m, aerr := s.match(in, f, in.state(s.o, now).Name)
			if aerr != nil {
				return nil, aerr
			}
			ok = ok && m
		}
		if ok {
			hits = append(hits, in)
		}
	}
	out := &describeResponse{}
	start, _ := strconv.Atoi(form.Get("NextToken"))
	if start < 0 || start > len(hits) {
		return nil, errorf("InvalidParameterValue", "bad NextToken")
	}
	hits = hits[start:]
	if m, _ := strconv.Atoi(form.Get("MaxResults")); m > 0 && m < len(hits) {
		hits = hits[:m]
		out.NextToken = strconv.Itoa(start + m)
	}
	// One reservation element per reservation, with the matching instances.
	var idx = map[string]int{}
	for _, in := range hits {
		i, ok := idx[in.res.id]
		if !ok {
			i = len(out.Reservations)
			idx[in.res.id] = i
			out.Reservations = append(out.Reservations, xReservation{ID: in.res.id, Owner: owner})
		}
		out.Reservations[i].Instances = append(out.Reservations[i].Instances, s.xml(in, now))
	}
	return out, nil
}

func (s *Server) terminateInstances(form url.Values) (any, *apiError) {
	ins, aerr := s.knownIDs(form)
	if aerr != nil {
		return nil, aerr
	}
	if len(ins) == 0 {
		return nil, errorf("MissingParameter", "The request must contain the parameter InstanceId")
	}
	now := s.o.Now()
	out := &terminateResponse{}
	for _, in := range ins {
		prev := in.state(s.o, now)
		if in.terminated == nil {
			t := now
			in.terminated = &t
		}
		out.Instances = append(out.Instances, xStateChange{ID: in.id, Previous: prev, Current: in.state(s.o, now)})
	}
	return out, nil
}
