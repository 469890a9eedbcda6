package ec2test

import (
	"encoding/base64"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

const owner = "123456789012"

type instance struct {
	id, image, typ, keyName, subnet, token string
	groups                                 []string // ids
	tags                                   map[string]string
	userData                               []byte
	rootGiB                                int
	spot                                   bool
	privateIP, publicIP                    string
	launched                               time.Time
	terminated                             *time.Time
	res                                    *reservation
}

type reservation struct {
	id        string
	signature string // what the client token was first used with
	instances []*instance
}

// state computes the EC2 state name and code now.
func (in *instance) state(o Options, now time.Time) xState {
	switch {
	case in.terminated != nil && now.Sub(*in.terminated) >= o.TerminateDelay:
		return xState{48, "terminated"}
	case in.terminated != nil:
		return xState{32, "shutting-down"}
	case now.Sub(in.launched) < o.RunningDelay:
		return xState{0, "pending"}
	}
	return xState{16, "running"}
}

func (in *instance) snapshot(o Options, now time.Time) Instance {
	return Instance{ID: in.id, Image: in.image, Type: in.typ, KeyName: in.keyName, Subnet: in.subnet,
		ClientToken: in.token, State: in.state(o, now).Name, PrivateIP: in.privateIP, PublicIP: in.publicIP,
		Groups: slices.Clone(in.groups), Tags: maps.Clone(in.tags), UserData: slices.Clone(in.userData),
		RootGiB: in.rootGiB, Spot: in.spot}
}

func (s *Server) xml(in *instance, now time.Time) xInstance {
	x := xInstance{ID: in.id, Image: in.image, State: in.state(s.o, now), KeyName: in.keyName, Type: in.typ,
		LaunchTime: in.launched.UTC().Format("2006-01-02T15:04:05.000Z"), Subnet: in.subnet,
		ClientToken: in.token, RootDevice: s.images[in.image]}
	if x.State.Name != "terminated" {
		x.PrivateIP, x.PublicIP = in.privateIP, in.publicIP
		x.PrivateDNS = "ip-" + strings.ReplaceAll(in.privateIP, ".", "-") + ".ec2.internal"
		if in.publicIP != "" && s.o.PublicDNS {
			x.DNSName = "ec2-" + strings.ReplaceAll(in.publicIP, ".", "-") + ".compute.ec2test.invalid"
		}
	} else {
		x.StateReason = &xReason{"Client.UserInitiatedShutdown", "Client.UserInitiatedShutdown: User initiated shutdown"}
	}
	if in.spot {
		x.Lifecycle = "spot"
	}
	for _, g := range in.groups {
		x.Groups = append(x.Groups, xGroup{ID: g, Name: s.groups[g]})
	}
	for _, k := range slices.Sorted(maps.Keys(in.tags)) {
		x.Tags = append(x.Tags, xTag{k, in.tags[k]})
	}
	return x
}

func (s *Server) reservationXML(r *reservation, now time.Time) xReservation {
	x := xReservation{ID: r.id, Owner: owner}
	for _, in := range r.instances {
		x.Instances = append(x.Instances, s.xml(in, now))
	}
	return x
}

var typeRE = regexp.MustCompile(`^[a-z0-9-]+\.[a-z0-9-]+$`)

func (s *Server) runInstances(form url.Values) (any, *apiError) {
	image, typ, key := form.Get("ImageId"), form.Get("InstanceType"), form.Get("KeyName")
	if typ == "" {
		typ = "m1.small"
	}
	token := form.Get("ClientToken")
	sig := image + "\x00" + typ + "\x00" + key
	if r, ok := s.tokens[token]; ok && token != "" {
		if r.signature != sig {
			return nil, errorf("IdempotentParameterMismatch", "The client token %s was used with different parameters", token)
		}
		return &runResponse{xReservation: s.reservationXML(r, s.o.Now())}, nil
	}
	minN, err1 := strconv.Atoi(form.Get("MinCount"))
	maxN, err2 := strconv.Atoi(form.Get("MaxCount"))
	switch {
	case image == "":
		return nil, errorf("MissingParameter", "The request must contain the parameter ImageId")
	case err1 != nil || err2 != nil || minN < 1 || maxN < minN:
		return nil, errorf("InvalidParameterValue", "MinCount and MaxCount must be whole numbers with 1 <= MinCount <= MaxCount")
	case !strings.HasPrefix(image, "ami-"):
		return nil, errorf("InvalidAMIID.Malformed", "Invalid id: \"%s\" (expecting \"ami-...\")", image)
	case s.images[image] == "":
		return nil, errorf("InvalidAMIID.NotFound", "The image id '[%s]' does not exist", image)
	case !typeRE.MatchString(typ):
		return nil, errorf("InvalidParameterValue", "Invalid value '%s' for InstanceType.", typ)
	case key != "" && !s.keyPairs[key]:
		return nil, errorf("InvalidKeyPair.NotFound", "The key pair '%s' does not exist", key)
	}
	groups, aerr := s.launchGroups(form)
	if aerr != nil {
		return nil, aerr
	}
	subnet := form.Get("SubnetId")
	if subnet != "" && !strings.HasPrefix(subnet, "subnet-") {
		return nil, errorf("InvalidSubnetID.NotFound", "The subnet ID '%s' does not exist", subnet)
	}
	var userData []byte
	if u := form.Get("UserData"); u != "" {
		b, err := base64.StdEncoding.DecodeString(u)
		if err != nil {
			return nil, errorf("InvalidUserData.Malformed", "Invalid BASE64 encoding of user data.")
		}
		userData = b
	}
	tags, aerr := launchTags(form)
	if aerr != nil {
		return nil, aerr
	}
	rootGiB, _ := strconv.Atoi(form.Get("BlockDeviceMapping.1.Ebs.VolumeSize"))
	r := &reservation{id: newID("r-"), signature: sig}
	now := s.o.Now()
	for range maxN {
		priv, pub, aerr := s.addresses()
		if aerr != nil {
			return nil, aerr
		}
		in := &instance{id: newID("i-"), image: image, typ: typ, keyName: key, subnet: subnet, token: token,
			groups: groups, tags: maps.Clone(tags), userData: userData, rootGiB: rootGiB,
			spot:      form.Get("InstanceMarketOptions.MarketType") == "spot",
			privateIP: priv, publicIP: pub, launched: now, res: r}
		r.instances = append(r.instances, in)
		s.instances = append(s.instances, in)
		s.byID[in.id] = in
	}
	if token != "" {
		s.tokens[token] = r
	}
	return &runResponse{xReservation: s.reservationXML(r, now)}, nil
}

// launchGroups resolves SecurityGroup.N (names) and SecurityGroupId.N.
func (s *Server) launchGroups(form url.Values) ([]string, *apiError) {
	var ids []string
	for _, name := range list(form, "SecurityGroup") {
		id := ""
		for gid, n := range s.groups {
			if n == name {
				id = gid
			}
		}
		if id == "" {
			return nil, errorf("InvalidGroup.NotFound", "The security group '%s' does not exist", name)
		}
		ids = append(ids, id)
	}
	for _, id := range list(form, "SecurityGroupId") {
		if _, ok := s.groups[id]; !ok {
			return nil, errorf("InvalidGroup.NotFound", "The security group '%s' does not exist", id)
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		ids = []string{DefaultGroupID}
	}
	return ids, nil
}

func launchTags(form url.Values) (map[string]string, *apiError) {
	tags := map[string]string{}
	for i := 1; i <= count(form, "TagSpecification"); i++ {
		p := fmt.Sprintf("TagSpecification.%d.", i)
		if rt := form.Get(p + "ResourceType"); rt != "instance" {
			continue
		}
		for j := 1; j <= count(form, p+"Tag"); j++ {
			k := form.Get(fmt.Sprintf("%sTag.%d.Key", p, j))
			if k == "" {
				return nil, errorf("InvalidParameterValue", "Tag key must not be empty")
			}
			tags[k] = form.Get(fmt.Sprintf("%sTag.%d.Value", p, j))
		}
	}
	return tags, nil
}

// addresses hands out the next private (and public) address.
func (s *Server) addresses() (string, string, *apiError) {
	s.next = s.next.Next()
	if !s.o.Subnet.Contains(s.next) {
		return "", "", errorf("InsufficientAddressCapacity", "no free addresses in %s", s.o.Subnet)
	}
	pub := ""
	if s.o.PublicSubnet.IsValid() {
		s.nextPub = s.nextPub.Next()
		if !s.o.PublicSubnet.Contains(s.nextPub) {
			return "", "", errorf("InsufficientAddressCapacity", "no free addresses in %s", s.o.PublicSubnet)
		}
		pub = s.nextPub.String()
	}
	return s.next.String(), pub, nil
}
