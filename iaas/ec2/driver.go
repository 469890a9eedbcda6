package ec2

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/cloudinitd/cloudinitd/iaas"
)

// api lists the only SDK calls the driver makes; *ec2.Client implements it.
type api interface {
	RunInstances(context.Context, *ec2.RunInstancesInput, ...func(*ec2.Options)) (*ec2.RunInstancesOutput, error)
	DescribeInstances(context.Context, *ec2.DescribeInstancesInput, ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error)
	TerminateInstances(context.Context, *ec2.TerminateInstancesInput, ...func(*ec2.Options)) (*ec2.TerminateInstancesOutput, error)
	DescribeImages(context.Context, *ec2.DescribeImagesInput, ...func(*ec2.Options)) (*ec2.DescribeImagesOutput, error)
	DescribeKeyPairs(context.Context, *ec2.DescribeKeyPairsInput, ...func(*ec2.Options)) (*ec2.DescribeKeyPairsOutput, error)
	DescribeSecurityGroups(context.Context, *ec2.DescribeSecurityGroupsInput, ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error)
}

var _ api = (*ec2.Client)(nil)

// Options configure [New]. The zero value is ready to use.
type Options struct {
	// Config supplies LookupEnv (the default credential chain's
	// AWS_* variables are read through it), Logger and Clock.
	Config iaas.Config
	// HTTPClient carries the SDK's requests (the SDK's default when nil).
	HTTPClient *http.Client
	// LoadOptions are added to config.LoadDefaultConfig for the default
	// credential chain (tests disable IMDS here, for example).
	LoadOptions []func(*config.LoadOptions) error
	// BatchSize caps the ids of one Describe or Terminate call (default 100).
	BatchSize int
	// NotFoundGrace is how long after launch an instance that Describe does
	// not see yet is reported pending rather than unknown: EC2 is
	// eventually consistent (default 5 minutes).
	NotFoundGrace time.Duration
	// ReadFile reads the userdata file (os.ReadFile when nil).
	ReadFile func(string) ([]byte, error)
}

// Driver launches, describes and terminates EC2 instances; see the package
// documentation. It is safe for concurrent use.
type Driver struct {
	o     Options
	log   *slog.Logger
	clock iaas.Clock

	mu      sync.Mutex
	clients map[string]api              // scope key + secret digest -> client
	creds   map[string]iaas.Credentials // access key id -> plan credentials seen
	scopes  map[string]scope            // scope key -> scope, for FindByRun
	order   []string                    // scope keys in the order first seen
}

var _ iaas.Driver = (*Driver)(nil)

// New returns a driver; it makes no network call until used.
func New(o Options) *Driver {
	if o.BatchSize < 1 {
		o.BatchSize = 100
	}
	if o.NotFoundGrace <= 0 {
		o.NotFoundGrace = 5 * time.Minute
	}
	if o.ReadFile == nil {
		o.ReadFile = os.ReadFile
	}
	return &Driver{o: o, log: o.Config.Log(), clock: o.Config.Time(),
		clients: map[string]api{}, creds: map[string]iaas.Credentials{}, scopes: map[string]scope{}}
}

// Factory builds the driver for the registry. It returns the bare driver;
// the caller adds retries and rate limits (see [Wrap]).
//
//	reg.Register(ec2.Name, ec2.Factory)
//	for _, a := range ec2.Aliases() { reg.Alias(a.Name, ec2.Name) }
func Factory(cfg iaas.Config) (iaas.Driver, error) { return New(Options{Config: cfg}), nil }

var _ iaas.Factory = Factory

// Wrap adds to d the wrappers suited to EC2's request-rate limits: a token
// bucket of 5 calls a second (bursts of 20) per credential and region, at
// most 8 calls in flight, and up to 6 attempts for throttled and transient
// failures, backing off from 500ms to 20s. clock may be nil.
func Wrap(d iaas.Driver, clock iaas.Clock) iaas.Driver {
	d = iaas.WithRateLimit(d, 5, 20, iaas.RateClock(clock))
	d = iaas.WithLimit(d, 8)
	return iaas.WithRetry(d, iaas.RetryPolicy{Attempts: 6, Base: 500 * time.Millisecond, Max: 20 * time.Second, Clock: clock})
}

// Name returns "ec2".
func (d *Driver) Name() string { return Name }

// AddScope tells the driver about the endpoint, region and credentials of
// spec without calling the cloud, so a process that did not launch (status,
// terminate, history) can describe instances launched with plan
// credentials, and FindByRun knows where to look.
func (d *Driver) AddScope(spec iaas.LaunchSpec) error {
	s, err := scopeOf(spec)
	if err != nil {
		return err
	}
	d.remember(s)
	return nil
}

func (d *Driver) remember(s scope) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if s.Creds.Key != "" {
		d.creds[keyHash(s.Creds.Key)] = s.Creds
	}
	k := s.key()
	if _, ok := d.scopes[k]; !ok {
		d.order = append(d.order, k)
	}
	d.scopes[k] = s
}

// knownScopes returns the scopes seen so far, in order.
func (d *Driver) knownScopes() []scope {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]scope, 0, len(d.order))
	for _, k := range d.order {
		out = append(out, d.scopes[k])
	}
	return out
}

// scopeOfHandle rebuilds the scope of a recorded instance; credentials of
// the plan are looked up by access key id among those seen.
func (d *Driver) scopeOfHandle(h Handle) scope {
	s := scope{Endpoint: h.Endpoint, Region: h.Region, Flavor: h.Flavor}
	if h.Credentials.Kind == sourcePlan {
		d.mu.Lock()
		s.Creds = d.creds[h.Credentials.KeyHash]
		d.mu.Unlock()
		if s.Creds.Key == "" {
			// Not seen: fall back to the default chain, which client checks
			// yields this very key.
			s.KeyHash = h.Credentials.KeyHash
		}
	}
	return s
}

// defaultScope is where refs without a handle go: the first scope seen,
// else us-east-1 with the default chain.
func (d *Driver) defaultScope() scope {
	if s := d.knownScopes(); len(s) > 0 {
		return s[0]
	}
	return scope{Region: DefaultRegion}
}

// client returns the cached SDK client of s, making it on first use.
func (d *Driver) client(ctx context.Context, s scope) (api, error) {
	sum := sha256.Sum256([]byte(s.Creds.Secret))
	ck := s.key() + "|" + hex.EncodeToString(sum[:8])
	d.mu.Lock()
	c, ok := d.clients[ck]
	d.mu.Unlock()
	if ok {
		return c, nil
	}
	cfg, err := d.loadConfig(ctx, s)
	if err != nil {
		return nil, err
	}
	cl := ec2.NewFromConfig(cfg, func(o *ec2.Options) {
		if s.Endpoint != "" {
			o.BaseEndpoint = aws.String(s.Endpoint)
		}
		o.Retryer = aws.NopRetryer{} // retries are iaas.WithRetry's
		if d.o.HTTPClient != nil {
			o.HTTPClient = d.o.HTTPClient
		}
		o.HTTPClient = bufferBodies{next: o.HTTPClient}
	})
	d.mu.Lock()
	defer d.mu.Unlock()
	if c, ok := d.clients[ck]; ok {
		return c, nil
	}
	d.clients[ck] = cl
	return cl, nil
}

// loadConfig builds the SDK configuration of s: static plan credentials, or
// the default chain fed with the AWS_* variables read through LookupEnv.
func (d *Driver) loadConfig(ctx context.Context, s scope) (aws.Config, error) {
	opts := []func(*config.LoadOptions) error{config.WithRegion(s.Region)}
	env := d.o.Config.Env
	if s.Creds.Secret != "" {
		opts = append(opts, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(s.Creds.Key, s.Creds.Secret, "")))
	} else {
		opts = append(opts, d.envOptions(env)...)
	}
	if f, _ := env("AWS_CA_BUNDLE"); f != "" {
		// A private CA for iaas_url, whatever the credentials.
		b, err := d.o.ReadFile(f)
		if err != nil {
			return aws.Config{}, permanent("connect", "ec2.config", fmt.Sprintf("AWS_CA_BUNDLE: %v", err), "")
		}
		opts = append(opts, config.WithCustomCABundle(bytes.NewReader(b)))
	}
	opts = append(opts, d.o.LoadOptions...)
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, permanent("connect", "ec2.credentials",
			fmt.Sprintf("loading the AWS configuration for %s: %v", s.where(), err), credHint)
	}
	if s.Creds == (iaas.Credentials{}) && s.KeyHash == "" {
		// The default chain: ask it now, so that finding no credentials
		// is one permanent error with a hint, not retried transient
		// request failures ending in an instance-metadata timeout.
		if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
			if ctx.Err() != nil {
				return aws.Config{}, fmt.Errorf("connect: %w", ctx.Err())
			}
			return aws.Config{}, permanent("connect", "ec2.credentials",
				fmt.Sprintf("no AWS credentials for %s: the plan gives no iaas_key/iaas_secret and the default chain found none", s.where()),
				noCredsHint)
		}
	}
	if s.Creds.Secret == "" && s.KeyHash != "" {
		// A handle names plan credentials this process has not been given:
		// use the default chain only if it holds the same key.
		got, err := cfg.Credentials.Retrieve(ctx)
		if err != nil || keyHash(got.AccessKeyID) != s.KeyHash {
			return aws.Config{}, permanent("connect", "ec2.credentials",
				fmt.Sprintf("the instance was launched with the plan's access key (fingerprint %s), whose secret this process does not have", s.KeyHash),
				"export the variables the plan's iaas_key/iaas_secret name (env.NAME), or set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY for that key; "+
					"a key's fingerprint is: printf %s \"$AWS_ACCESS_KEY_ID\" | sha256sum | cut -c1-16")
		}
	}
	return cfg, nil
}

// envOptions reads the AWS_* variables of the default chain through the
// injected environment and turns them into config options. (The SDK reads
// the process environment as well; these take precedence.)
func (d *Driver) envOptions(env func(string) (string, bool)) []func(*config.LoadOptions) error {
	get := func(k string) string { v, _ := env(k); return strings.TrimSpace(v) }
	var opts []func(*config.LoadOptions) error
	if id, secret := get("AWS_ACCESS_KEY_ID"), get("AWS_SECRET_ACCESS_KEY"); id != "" && secret != "" {
		opts = append(opts, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(id, secret, get("AWS_SESSION_TOKEN"))))
	}
	if p := get("AWS_PROFILE"); p != "" {
		opts = append(opts, config.WithSharedConfigProfile(p))
	}
	if f := get("AWS_CONFIG_FILE"); f != "" {
		opts = append(opts, config.WithSharedConfigFiles([]string{f}))
	}
	if f := get("AWS_SHARED_CREDENTIALS_FILE"); f != "" {
		opts = append(opts, config.WithSharedCredentialsFiles([]string{f}))
	}
	if strings.EqualFold(get("AWS_EC2_METADATA_DISABLED"), "true") {
		opts = append(opts, config.WithEC2IMDSClientEnableState(imds.ClientDisabled))
	}
	return opts
}
