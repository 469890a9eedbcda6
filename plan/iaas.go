package plan

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// IaaS describes the iaas values a program's drivers serve, for [Load] to
// check every service's value before anything calls a cloud.
type IaaS struct {
	// Names are the driver names and their aliases (local, fake, ec2,
	// aws, ...): what a typo is compared with.
	Names []string
	// Known reports whether value selects a driver; endpoint says the
	// service sets iaas_url (an EC2-compatible cloud names its own
	// regions).
	Known func(value string, endpoint bool) bool
}

// checkIaaS reports every service whose iaas value no driver serves, at
// the key that set it, with the closest driver name or alias. A value with
// ${} tokens is checked as it expands at load; one that stays unknown
// until run time (an unset token) is not.
func (l *loader) checkIaaS(ctx context.Context, p *Plan) {
	if l.opts.IaaS == nil || l.opts.IaaS.Known == nil {
		return
	}
	x := NewExpander(p.Resolver(""))
	for _, s := range p.Services() {
		if ctx.Err() != nil {
			return
		}
		st, ok := s.Settings.Get("iaas")
		if !ok {
			continue
		}
		v := st.Value
		if strings.Contains(v, "${") {
			var err error
			if v, err = x.Expand(v, s.Name); err != nil || strings.Contains(v, "${") {
				continue // reported by checkRefs, or known only when it runs
			}
		}
		_, endpoint := s.Settings.Get("iaas_url")
		if !l.opts.IaaS.Known(v, endpoint) {
			l.ps.errorf(st.Source.File, st.Source.Section, "iaas", st.Source.Line, "%s", l.opts.IaaS.unknown(v))
		}
	}
}

// unknown explains an iaas value no driver serves.
func (n *IaaS) unknown(value string) string {
	msg := fmt.Sprintf("iaas %q names no driver, alias or EC2 region", value)
	if c := closest(strings.ToLower(strings.TrimSpace(value)), n.Names); c != "" {
		return msg + fmt.Sprintf("; did you mean %q?", c)
	}
	names := slices.Sorted(slices.Values(n.Names))
	return msg + fmt.Sprintf("; use %s, an EC2 region such as us-east-1, or set iaas_url for another EC2-compatible cloud",
		strings.Join(names, ", "))
}
