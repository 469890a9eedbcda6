package ec2

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/cloudinitd/cloudinitd/iaas"
)

// Plan keys this driver reads from LaunchSpec.Options (docs/clouds.md).
const (
	KeySubnet         = "subnet"           // SubnetId
	KeyUserData       = "userdata"         // a file (resolved by the plan) sent as user data
	KeyTags           = "tags"             // k=v,k2=v2 added to the instance's tags
	KeyRootVolumeSize = "root_volume_size" // GiB of the root EBS volume
	KeySpot           = "spot"             // true: a spot instance
	KeyHostnameFrom   = "hostname_from"    // public-dns | public-ip | private-ip
	KeySSHCheck       = "ssh_check"        // false: no SSH wait; read by the engine
)

// Hostname sources for hostname_from.
const (
	HostPublicDNS = "public-dns"
	HostPublicIP  = "public-ip"
	HostPrivateIP = "private-ip"
)

// Tag keys set on every instance at launch. TagRun is the run's name, for
// people; TagRunID its full id (iaas.RunID, "name.incarnation"), which
// tells the run's instances from another record's of the same name.
// TagOwner is set only on instances a service's program launched for its
// run (LaunchSpec.Owner): the owning service. TagStartedBy is set only on
// the instances of a run that 'cloudinitd run' owns: "run".
const (
	TagRun     = "cloudinitd:run"
	TagRunID   = "cloudinitd:run-id"
	TagService = "cloudinitd:service"
	TagAttempt = "cloudinitd:attempt"
	TagOwner   = "cloudinitd:owner"
	// TagStartedBy is LaunchSpec.StartedBy ("run"), set only when given.
	TagStartedBy = "cloudinitd:started-by"
	// TagPrefix starts the key of each LaunchSpec.Tags entry
	// ("cloudinitd:tag:node_id").
	TagPrefix = "cloudinitd:tag:"
)

// maxUserData is EC2's limit on user data before base64.
const maxUserData = 16 << 10

// launchOptions are the parsed driver keys of one spec.
type launchOptions struct {
	Subnet       string
	UserData     []byte
	Tags         [][2]string
	RootGiB      int32
	Spot         bool
	HostnameFrom string
	SSHCheck     bool
}

// parseOptions reads the driver's keys; a bad value is ErrPermanent naming
// the key. readFile reads the userdata file (os.ReadFile in the driver).
func parseOptions(opts map[string]string, readFile func(string) ([]byte, error)) (launchOptions, error) {
	o := launchOptions{SSHCheck: true}
	bad := func(key, val, want string) error {
		return &iaas.CloudError{Class: iaas.ErrPermanent, Code: "ec2.option",
			Message: fmt.Sprintf("%s = %q: %s", key, val, want)}
	}
	o.Subnet = strings.TrimSpace(opts[KeySubnet])
	if p := strings.TrimSpace(opts[KeyUserData]); p != "" {
		if readFile == nil {
			readFile = os.ReadFile
		}
		b, err := readFile(p)
		if err != nil {
			return o, &iaas.CloudError{Class: iaas.ErrPermanent, Code: "ec2.option",
				Message: fmt.Sprintf("%s: %v", KeyUserData, err)}
		}
		if len(b) > maxUserData {
			return o, bad(KeyUserData, p, fmt.Sprintf("%d bytes, EC2 accepts at most %d", len(b), maxUserData))
		}
		o.UserData = b
	}
	if v := strings.TrimSpace(opts[KeyTags]); v != "" {
		for _, kv := range splitList([]string{v}) {
			k, val, ok := strings.Cut(kv, "=")
			k = strings.TrimSpace(k)
			if !ok || k == "" {
				return o, bad(KeyTags, v, "want key=value pairs separated by commas")
			}
			if strings.HasPrefix(strings.ToLower(k), "aws:") || strings.HasPrefix(k, "cloudinitd:") {
				return o, bad(KeyTags, v, fmt.Sprintf("tag key %q is reserved", k))
			}
			o.Tags = append(o.Tags, [2]string{k, strings.TrimSpace(val)})
		}
	}
	if v := strings.TrimSpace(opts[KeyRootVolumeSize]); v != "" {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil || n < 1 || n > 65536 {
			return o, bad(KeyRootVolumeSize, v, "want a whole number of GiB between 1 and 65536")
		}
		o.RootGiB = int32(n)
	}
	var err error
	if o.Spot, err = parseBool(opts, KeySpot, false); err != nil {
		return o, err
	}
	if o.SSHCheck, err = parseBool(opts, KeySSHCheck, true); err != nil {
		return o, err
	}
	switch v := strings.ToLower(strings.TrimSpace(opts[KeyHostnameFrom])); v {
	case "", HostPublicDNS, HostPublicIP, HostPrivateIP:
		o.HostnameFrom = v
	default:
		return o, bad(KeyHostnameFrom, v, "want public-dns, public-ip or private-ip")
	}
	return o, nil
}

func parseBool(opts map[string]string, key string, def bool) (bool, error) {
	v := strings.TrimSpace(opts[key])
	if v == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(strings.ToLower(v))
	if err != nil {
		return def, &iaas.CloudError{Class: iaas.ErrPermanent, Code: "ec2.option",
			Message: fmt.Sprintf("%s = %q: want true or false", key, v)}
	}
	return b, nil
}

// pickHostname chooses how the engine reaches an instance: the source named
// by hostname_from, or by default the public DNS name, else the public IP,
// else the private IP.
func pickHostname(from, publicDNS, publicIP, privateIP string) string {
	switch from {
	case HostPublicDNS:
		return publicDNS
	case HostPublicIP:
		return publicIP
	case HostPrivateIP:
		return privateIP
	}
	for _, h := range []string{publicDNS, publicIP, privateIP} {
		if h != "" {
			return h
		}
	}
	return ""
}
