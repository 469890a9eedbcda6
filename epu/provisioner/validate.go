package provisioner

import (
	"fmt"
	"maps"
	"net/url"
	"strings"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/api"
	"github.com/cloudinitd/cloudinitd/plan"
)

// maxID is the longest launch or node id accepted.
const maxID = 200

// validate checks a provision request; the error is a 400 naming the
// field. Nothing is stored for an invalid request.
func (p *Provisioner) validate(req epu.ProvisionRequest) error {
	if err := checkID("launch_id", req.LaunchID); err != nil {
		return err
	}
	if strings.TrimSpace(req.DeployableType) == "" {
		return api.BadField("deployable_type", "required")
	}
	if len(req.NodeIDs) == 0 {
		return api.BadField("node_ids", "required: at least one node id")
	}
	seen := map[string]bool{}
	for i, id := range req.NodeIDs {
		field := fmt.Sprintf("node_ids[%d]", i)
		if err := checkID(field, id); err != nil {
			return err
		}
		if seen[id] {
			return api.BadField(field, "node id %q given twice", id)
		}
		seen[id] = true
	}
	if req.Site != "" {
		if _, err := p.drivers.resolve(req.Site, ""); err != nil {
			return api.BadField("site", "%v", err)
		}
	}
	for k := range req.Vars {
		if k == "" {
			return api.BadField("vars", "a var needs a name")
		}
		if plan.IsSecret(k) {
			return api.BadField("vars."+k, "a secret-named var is not accepted (records and pushes never hold secrets): give secrets to workers through the deployable type's deps in the provisioner's configuration")
		}
	}
	for i, s := range req.Subscribers {
		if err := checkSubscriber(fmt.Sprintf("subscribers[%d]", i), s); err != nil {
			return err
		}
	}
	return nil
}

// checkSubscriber checks one subscriber of a request.
func checkSubscriber(field string, s epu.Subscriber) error {
	if strings.TrimSpace(s.Service) == "" {
		return api.BadField(field+".service", "required")
	}
	u, err := url.Parse(s.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return api.BadField(field+".url", "want an http:// or https:// URL with a host")
	}
	return nil
}

// checkID checks a launch or node id: printable ASCII without spaces.
func checkID(field, id string) error {
	if id == "" {
		return api.BadField(field, "required")
	}
	if len(id) > maxID {
		return api.BadField(field, "longer than %d characters", maxID)
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] >= 0x7f {
			return api.BadField(field, "only printable ASCII characters without spaces")
		}
	}
	return nil
}

// publicVars is vars without the secret-named ones.
func publicVars(vars map[string]string) map[string]string {
	if len(vars) == 0 {
		return nil
	}
	out := maps.Clone(vars)
	maps.DeleteFunc(out, func(k, _ string) bool { return plan.IsSecret(k) })
	return out
}
