package ec2test

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"sync"
	"time"
)

// Seeded resources every server starts with.
const (
	DefaultImage      = "ami-0ec2test00000001"
	DefaultRootDevice = "/dev/xvda"
	DefaultKeyPair    = "ec2test"
	DefaultGroupID    = "sg-0ec2test00000001"
	DefaultGroupName  = "default"
)

// Options configure [New]. The zero value gives a cloud whose instances are
// running at once, on 127.88.0.0/16, with no public addresses and any
// signing key accepted.
type Options struct {
	// RunningDelay is how long an instance stays pending.
	RunningDelay time.Duration
	// TerminateDelay is how long a terminated instance stays shutting-down.
	TerminateDelay time.Duration
	// Subnet hands out private addresses (default 127.88.0.0/16; the
	// network address itself is skipped).
	Subnet netip.Prefix
	// PublicSubnet, when valid, hands out public addresses too.
	PublicSubnet netip.Prefix
	// PublicDNS gives instances with a public address a public DNS name
	// (ec2-a-b-c-d.compute.ec2test.invalid, which does not resolve).
	PublicDNS bool
	// AccessKeyID, when set, is the only key id accepted (AuthFailure).
	AccessKeyID string
	// SecretAccessKey, when set with AccessKeyID, makes the server verify
	// the SigV4 signature (SignatureDoesNotMatch).
	SecretAccessKey string
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Server is the fake EC2; see the package documentation.
type Server struct {
	o   Options
	srv *httptest.Server

	mu        sync.Mutex
	instances []*instance          // in launch order
	byID      map[string]*instance //
	tokens    map[string]*reservation
	images    map[string]string // id -> root device
	keyPairs  map[string]bool
	groups    map[string]string // id -> name
	next      netip.Addr
	nextPub   netip.Addr
	faults    map[string][]string // action ("" = any) -> codes of the next calls to fail
	requests  map[string][]url.Values
}

// New starts a fake EC2 on a loopback port; call Close when done (tests:
// t.Cleanup(s.Close)).
func New(o Options) *Server {
	if !o.Subnet.IsValid() {
		o.Subnet = netip.MustParsePrefix("127.88.0.0/16")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &Server{o: o,
		byID: map[string]*instance{}, tokens: map[string]*reservation{},
		images: map[string]string{DefaultImage: DefaultRootDevice}, keyPairs: map[string]bool{DefaultKeyPair: true},
		groups: map[string]string{DefaultGroupID: DefaultGroupName},
		next:   o.Subnet.Masked().Addr(), faults: map[string][]string{}, requests: map[string][]url.Values{}}
	if o.PublicSubnet.IsValid() {
		s.nextPub = o.PublicSubnet.Masked().Addr()
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// URL is the endpoint to give the driver (iaas_url).
func (s *Server) URL() string { return s.srv.URL }

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// AddImage registers an AMI with its root device name.
func (s *Server) AddImage(id, rootDevice string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.images[id] = rootDevice
}

// AddKeyPair registers a key pair name.
func (s *Server) AddKeyPair(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keyPairs[name] = true
}

// AddSecurityGroup registers a security group.
func (s *Server) AddSecurityGroup(id, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groups[id] = name
}

// Fail makes the next n calls of action ("" for any action) fail with the
// EC2 error code given, with its usual HTTP status (see [Status]).
func (s *Server) Fail(action string, n int, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults[action] = append(s.faults[action], code)
	}
}

// Throttle makes the next n calls of action ("" for any) fail with
// RequestLimitExceeded.
func (s *Server) Throttle(action string, n int) { s.Fail(action, n, "RequestLimitExceeded") }

// NoCapacity makes the next n RunInstances calls fail with
// InsufficientInstanceCapacity.
func (s *Server) NoCapacity(n int) { s.Fail("RunInstances", n, "InsufficientInstanceCapacity") }

// Requests returns the forms received for action ("" for all), in order.
func (s *Server) Requests(action string) []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]url.Values(nil), s.requests[action]...)
}

// Calls returns how many requests of action ("" for all) arrived.
func (s *Server) Calls(action string) int { return len(s.Requests(action)) }

// Instance is a snapshot of one fake instance.
type Instance struct {
	ID, Image, Type, KeyName, Subnet, ClientToken string
	State                                         string
	PrivateIP, PublicIP                           string
	Groups                                        []string // ids
	Tags                                          map[string]string
	UserData                                      []byte
	RootGiB                                       int
	Spot                                          bool
}

// Instances returns every instance the server knows, in launch order.
func (s *Server) Instances() []Instance {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.o.Now()
	out := make([]Instance, 0, len(s.instances))
	for _, in := range s.instances {
		out = append(out, in.snapshot(s.o, now))
	}
	return out
}

func newID(prefix string) string {
	b := make([]byte, 8)
	rand.Read(b)
	return prefix + "0" + hex.EncodeToString(b)
}
