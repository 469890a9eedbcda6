package ec2

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/cloudinitd/cloudinitd/iaas"
)

// Name is the driver's registry name.
const Name = "ec2"

// DefaultRegion is the region of a plan whose iaas is empty, "ec2" or "aws".
const DefaultRegion = "us-east-1"

// Alias is another registry name for this driver, with what is special
// about the cloud it names.
type Alias struct {
	Name string
	// NeedsURL: the plan must set iaas_url.
	NeedsURL bool
	// Quirk says in one line what differs from EC2.
	Quirk string
}

// Aliases lists the names, besides [Name] and the regions, that select this
// driver. Register them with reg.Alias(a.Name, ec2.Name).
func Aliases() []Alias {
	return []Alias{
		{Name: "aws", Quirk: "same as ec2 (region us-east-1 unless iaas names another)"},
		{Name: "nimbus", NeedsURL: true, Quirk: "Nimbus does not support security groups: they are dropped with a warning"},
		{Name: "eucalyptus", NeedsURL: true, Quirk: "the signing region is \"eucalyptus\"; DryRun may be ignored, validation then lists instances"},
	}
}

var regionRE = regexp.MustCompile(`^(us|eu|ap|sa|ca|me|af|il|mx|cn)(-gov|-iso|-isob|-isoe|-isof)?-(north|south|east|west|central|northeast|northwest|southeast|southwest)-[0-9]{1,2}$`)

// IsRegion reports whether name has the form of an AWS region
// ("us-west-2", "eu-central-1", "us-gov-west-1"...), so that a plan's iaas
// value can select this driver by naming a region. It is a pattern, not a
// list, so new regions work without a release.
func IsRegion(name string) bool { return regionRE.MatchString(strings.ToLower(name)) }

// flavor of the cloud behind a scope.
const (
	flavorEC2        = ""
	flavorNimbus     = "nimbus"
	flavorEucalyptus = "eucalyptus"
)

// resolveRegion turns the plan's iaas value (and whether iaas_url is set)
// into the signing region and the cloud's flavor.
func resolveRegion(iaasName string, hasURL bool) (region, flavor string, err error) {
	n := strings.ToLower(strings.TrimSpace(iaasName))
	switch {
	case n == "" || n == Name || n == "aws":
		return DefaultRegion, flavorEC2, nil
	case n == flavorNimbus || n == flavorEucalyptus:
		if !hasURL {
			return "", "", &iaas.CloudError{Class: iaas.ErrPermanent, Code: "ec2.config",
				Message: fmt.Sprintf("iaas %q needs iaas_url (the cloud's EC2 endpoint)", iaasName),
				Hint:    "set iaas_url to the endpoint, e.g. https://cloud.example.org:8773/services/Eucalyptus"}
		}
		return n, n, nil
	case IsRegion(n):
		return n, flavorEC2, nil
	case hasURL && validRegionText(n):
		// A custom EC2-compatible cloud: the name is its signing region.
		return n, flavorEC2, nil
	}
	return "", "", &iaas.CloudError{Class: iaas.ErrPermanent, Code: "ec2.config",
		Message: fmt.Sprintf("iaas %q does not name an EC2 region", iaasName),
		Hint:    "use a region such as us-east-1, or set iaas_url for another EC2-compatible cloud"}
}

func validRegionText(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return s != ""
}

// Warnings returns what is questionable but not wrong in spec for this
// driver (today: security groups on Nimbus), for the engine to show. The
// driver also logs them at launch and validation.
func Warnings(spec iaas.LaunchSpec) []string {
	_, flavor, err := resolveRegion(spec.Region, spec.Endpoint != "")
	if err == nil && flavor == flavorNimbus && len(splitList(spec.SecurityGroups)) > 0 {
		return []string{fmt.Sprintf("service %q: the Nimbus IaaS platform does not support security groups; securitygroups is ignored", spec.Service)}
	}
	return nil
}

// splitList splits every element on commas and white space and drops empty
// pieces, so "a, b" "c" gives a, b, c.
func splitList(in []string) []string {
	var out []string
	for _, s := range in {
		out = append(out, strings.FieldsFunc(s, func(r rune) bool {
			return r == ',' || r == ' ' || r == '\t' || r == '\n'
		})...)
	}
	return out
}

// Entry is the driver's registry entry: its aliases, its factory, EC2's
// own wrappers ([Wrap]), and the values it serves besides its names: an
// empty iaas (the default region), a known AWS region ([IsRegion]), and,
// for a service with iaas_url, any value (a region of that
// EC2-compatible cloud).
func Entry() iaas.Entry {
	e := iaas.Entry{Name: Name, Factory: Factory,
		Wrap: func(d iaas.Driver, cfg iaas.Config) iaas.Driver { return Wrap(d, cfg.Clock) },
		Serves: func(value string, endpoint bool) bool {
			return endpoint || strings.TrimSpace(value) == "" || IsRegion(strings.TrimSpace(value))
		},
	}
	for _, a := range Aliases() {
		e.Aliases = append(e.Aliases, a.Name)
	}
	return e
}
