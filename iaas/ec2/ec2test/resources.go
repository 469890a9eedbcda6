package ec2test

import (
	"maps"
	"net/url"
	"slices"
	"strings"
)

func (s *Server) describeImages(form url.Values) (any, *apiError) {
	ids := list(form, "ImageId")
	if len(ids) == 0 {
		ids = slices.Sorted(maps.Keys(s.images))
	}
	out := &imagesResponse{}
	for _, id := range ids {
		switch {
		case !strings.HasPrefix(id, "ami-"):
			return nil, errorf("InvalidAMIID.Malformed", "Invalid id: \"%s\" (expecting \"ami-...\")", id)
		case s.images[id] == "":
			return nil, errorf("InvalidAMIID.NotFound", "The image id '[%s]' does not exist", id)
		}
		out.Images = append(out.Images, xImage{ID: id, State: "available", RootDevice: s.images[id], RootType: "ebs"})
	}
	return out, nil
}

func (s *Server) describeKeyPairs(form url.Values) (any, *apiError) {
	names := list(form, "KeyName")
	if len(names) == 0 {
		names = slices.Sorted(maps.Keys(s.keyPairs))
	}
	out := &keyPairsResponse{}
	for _, n := range names {
		if !s.keyPairs[n] {
			return nil, errorf("InvalidKeyPair.NotFound", "The key pair '%s' does not exist", n)
		}
		out.Keys = append(out.Keys, xKeyPair{Name: n, Fingerprint: "00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00"})
	}
	return out, nil
}

func (s *Server) describeSecurityGroups(form url.Values) (any, *apiError) {
	out := &groupsResponse{}
	add := func(id string) {
		out.Groups = append(out.Groups, xSecurityGroup{ID: id, Name: s.groups[id], Owner: owner, Description: "ec2test group"})
	}
	names, ids := list(form, "GroupName"), list(form, "GroupId")
	if len(names) == 0 && len(ids) == 0 {
		for _, id := range slices.Sorted(maps.Keys(s.groups)) {
			add(id)
		}
		return out, nil
	}
	for _, n := range names {
		found := false
		for _, id := range slices.Sorted(maps.Keys(s.groups)) {
			if s.groups[id] == n {
				add(id)
				found = true
			}
		}
		if !found {
			return nil, errorf("InvalidGroup.NotFound", "The security group '%s' does not exist in default VPC", n)
		}
	}
	for _, id := range ids {
		if _, ok := s.groups[id]; !ok {
			return nil, errorf("InvalidGroup.NotFound", "The security group '%s' does not exist", id)
		}
		add(id)
	}
	return out, nil
}
