package ec2

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/cloudinitd/cloudinitd/iaas"
)

// scope is where calls go: one endpoint and region, with one credential.
// One SDK client is cached per scope.
type scope struct {
	Endpoint string // "" for AWS's own endpoints
	Region   string
	Flavor   string
	Creds    iaas.Credentials // zero: the default chain
	// KeyHash, with no Creds, names the plan credentials an instance was
	// launched with (keyHash of the access key id): the default chain is
	// used only if it holds that key.
	KeyHash string
}

// scopeOf derives the scope of a launch spec, checking iaas and iaas_url.
func scopeOf(spec iaas.LaunchSpec) (scope, error) {
	ep, err := checkEndpoint(spec.Endpoint)
	if err != nil {
		return scope{}, err
	}
	region, flavor, err := resolveRegion(spec.Region, ep != "")
	if err != nil {
		return scope{}, err
	}
	if (spec.Credentials.Key == "") != (spec.Credentials.Secret == "") {
		return scope{}, &iaas.CloudError{Class: iaas.ErrPermanent, Code: "ec2.config",
			Message: "iaas_key and iaas_secret must be given together",
			Hint:    "set both (usually from env.NAME), or neither to use the AWS default credential chain"}
	}
	return scope{Endpoint: ep, Region: region, Flavor: flavor, Creds: spec.Credentials}, nil
}

// checkEndpoint validates iaas_url: scheme http or https (https when
// missing) and a host.
func checkEndpoint(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", nil
	}
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	bad := func(why string) error {
		return &iaas.CloudError{Class: iaas.ErrPermanent, Code: "ec2.config",
			Message: fmt.Sprintf("iaas_url %q: %s", raw, why),
			Hint:    "iaas_url must look like https://host[:port][/path]"}
	}
	switch {
	case err != nil:
		return "", bad("not a URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return "", bad(fmt.Sprintf("scheme %q is not http or https", u.Scheme))
	case u.Hostname() == "":
		return "", bad("no host")
	case u.User != nil:
		return "", bad("user information is not allowed (put credentials in iaas_key and iaas_secret)")
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// source is the credential source, without any secret.
func (s scope) source() credSource {
	switch {
	case s.Creds.Key != "":
		return credSource{Kind: sourcePlan, KeyHash: keyHash(s.Creds.Key)}
	case s.KeyHash != "":
		return credSource{Kind: sourcePlan, KeyHash: s.KeyHash}
	}
	return credSource{Kind: sourceDefault}
}

// keyHash is the fingerprint of an access key id that handles, scope keys
// and messages carry instead of the id: the first 16 hex digits of its
// SHA-256 (printf %s "$AWS_ACCESS_KEY_ID" | sha256sum | cut -c1-16).
func keyHash(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:8])
}

// key identifies the scope without its secret: endpoint, region, source.
func (s scope) key() string { return s.Endpoint + "|" + s.Region + "|" + s.source().String() }

// where names the scope in messages.
func (s scope) where() string {
	if s.Endpoint != "" {
		return s.Endpoint + " (region " + s.Region + ")"
	}
	return s.Region
}

const (
	sourcePlan    = "plan"    // iaas_key/iaas_secret from the plan
	sourceDefault = "default" // the SDK's default chain
)

// credSource says where a scope's credentials come from; it never holds a
// secret, nor the access key id: for the plan it keeps the key id's
// fingerprint (keyHash), so a later process can find the matching
// credentials. KeyID is read from handles written before, never written.
type credSource struct {
	Kind    string `json:"kind"`
	KeyHash string `json:"key_sha256,omitempty"`
	KeyID   string `json:"key_id,omitempty"`
}

func (c credSource) String() string {
	if c.KeyHash != "" {
		return c.Kind + ":" + c.KeyHash
	}
	return c.Kind
}

// Handle is what the driver records with each instance so that a later
// process can reattach: where it lives and where the credentials come from,
// never a secret.
type Handle struct {
	Endpoint     string     `json:"endpoint,omitempty"`
	Region       string     `json:"region"`
	Flavor       string     `json:"flavor,omitempty"`
	Credentials  credSource `json:"credentials"`
	HostnameFrom string     `json:"hostname_from,omitempty"`
	LaunchedAt   time.Time  `json:"launched_at,omitzero"`
}

// DecodeHandle parses an instance handle written by this driver.
func DecodeHandle(b []byte) (Handle, error) {
	var h Handle
	if err := json.Unmarshal(b, &h); err != nil {
		return Handle{}, fmt.Errorf("ec2: bad instance handle: %w", err)
	}
	if c := &h.Credentials; c.KeyID != "" {
		c.KeyHash, c.KeyID = keyHash(c.KeyID), ""
	}
	return h, nil
}

func (h Handle) encode() []byte {
	b, _ := json.Marshal(h) // plain strings and a time: cannot fail
	return b
}

func handleFor(s scope, hostnameFrom string, launched time.Time) Handle {
	return Handle{Endpoint: s.Endpoint, Region: s.Region, Flavor: s.Flavor,
		Credentials: s.source(), HostnameFrom: hostnameFrom, LaunchedAt: launched}
}
