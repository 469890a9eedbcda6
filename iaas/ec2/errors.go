package ec2

import (
	"context"
	"errors"
	"fmt"
	"strings"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"

	"github.com/cloudinitd/cloudinitd/iaas"
)

const credHint = "check iaas_key/iaas_secret (or the AWS default chain: AWS_ACCESS_KEY_ID, AWS_PROFILE, " +
	"~/.aws/credentials) and that the key may call EC2 in this region"

const noCredsHint = "set iaas_key: env.NAME and iaas_secret: env.NAME in the plan and export them, " +
	"or give the AWS default chain credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, ~/.aws/credentials)"

// codeClass maps EC2 error codes to a class and a hint.
var codeClass = map[string]struct {
	class error
	hint  string
}{
	"RequestLimitExceeded":     {iaas.ErrThrottled, ""},
	"Throttling":               {iaas.ErrThrottled, ""},
	"ThrottlingException":      {iaas.ErrThrottled, ""},
	"RequestThrottled":         {iaas.ErrThrottled, ""},
	"TooManyRequestsException": {iaas.ErrThrottled, ""},
	"PriorRequestNotComplete":  {iaas.ErrThrottled, ""},
	"InternalError":            {iaas.ErrTransient, ""},
	"InternalFailure":          {iaas.ErrTransient, ""},
	"ServiceUnavailable":       {iaas.ErrTransient, ""},
	"Unavailable":              {iaas.ErrTransient, ""},
	"InsufficientInstanceCapacity": {iaas.ErrCapacity,
		"this instance type is out of stock here: try another allocation, zone (subnet) or later"},
	"InsufficientHostCapacity":    {iaas.ErrCapacity, "no dedicated host capacity: try later"},
	"InsufficientAddressCapacity": {iaas.ErrCapacity, "no free addresses in the subnet: use another subnet"},
	"InstanceLimitExceeded": {iaas.ErrCapacity,
		"the account's instance quota is reached: terminate instances or ask AWS for a higher limit"},
	"VcpuLimitExceeded": {iaas.ErrCapacity,
		"the account's vCPU quota is reached: terminate instances or ask AWS for a higher limit"},
	"MaxSpotInstanceCountExceeded": {iaas.ErrCapacity, "the spot instance quota is reached: set spot = false or ask for more"},
	"InvalidKeyPair.NotFound":      {iaas.ErrPermanent, "sshkeyname must name a key pair of this region (aws ec2 describe-key-pairs)"},
	"InvalidGroup.NotFound":        {iaas.ErrPermanent, "securitygroups must name groups of this region (or of the subnet's VPC)"},
	"InvalidSecurityGroupID.NotFound": {iaas.ErrPermanent,
		"securitygroups must name groups of this region (or of the subnet's VPC)"},
	"InvalidSubnetID.NotFound":    {iaas.ErrPermanent, "subnet must name a subnet of this region"},
	"InvalidParameterValue":       {iaas.ErrPermanent, "check allocation (instance type), subnet and the other plan values"},
	"InvalidParameterCombination": {iaas.ErrPermanent, "these plan values cannot go together (e.g. security group names with a non-default VPC subnet: use sg- ids)"},
	"InvalidParameter":            {iaas.ErrPermanent, "check the plan values of this service"},
	"MissingParameter":            {iaas.ErrPermanent, "a required value is missing (image? allocation?)"},
	"VPCIdNotSpecified":           {iaas.ErrPermanent, "the account has no default VPC: set subnet"},
	"Unsupported":                 {iaas.ErrPermanent, "the region or zone does not support this request (instance type?)"},
	"IdempotentParameterMismatch": {iaas.ErrPermanent, "the client token was used with other values: the plan changed between attempts; relaunch as a new attempt"},
	"InvalidUserData.Malformed":   {iaas.ErrPermanent, "userdata must be a file of at most 16 KiB"},
	"InvalidInstanceID.NotFound":  {iaas.ErrNotFound, ""},
	"InvalidInstanceID.Malformed": {iaas.ErrNotFound, ""},
	"AuthFailure":                 {iaas.ErrPermanent, credHint},
	"UnauthorizedOperation":       {iaas.ErrPermanent, "the credentials lack an IAM permission for this EC2 action: " + credHint},
	"InvalidClientTokenId":        {iaas.ErrPermanent, "the access key id is unknown: " + credHint},
	"SignatureDoesNotMatch":       {iaas.ErrPermanent, "the secret does not match the access key id: " + credHint},
	"IncompleteSignature":         {iaas.ErrPermanent, credHint},
	"MissingAuthenticationToken":  {iaas.ErrPermanent, credHint},
	"ExpiredToken":                {iaas.ErrPermanent, "the session token expired: refresh the credentials (aws sso login...)"},
	"RequestExpired":              {iaas.ErrPermanent, "the request is too old: check this machine's clock"},
	"OptInRequired":               {iaas.ErrPermanent, "the account is not subscribed to EC2 in this region (opt-in region?)"},
	"Blocked":                     {iaas.ErrPermanent, "the account is blocked: contact AWS support"},
}

// classOf returns the class and hint of an EC2 error code and HTTP status.
func classOf(code string, status int) (error, string) {
	if c, ok := codeClass[code]; ok {
		return c.class, c.hint
	}
	switch {
	case strings.HasPrefix(code, "InvalidAMIID."):
		return iaas.ErrPermanent, "image must name an AMI visible to this account in this region (aws ec2 describe-images)"
	case strings.HasSuffix(code, ".NotFound"), strings.HasSuffix(code, ".Malformed"):
		return iaas.ErrPermanent, "check the plan value this error names"
	case status >= 500:
		return iaas.ErrTransient, ""
	}
	return iaas.ErrPermanent, ""
}

// classify turns an SDK error of op into an *iaas.CloudError (or a wrapped
// context error). The credentials' secret and access key id are scrubbed
// from the message (the id becomes its fingerprint, see keyHash).
func classify(op string, err error, creds iaas.Credentials) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", op, err)
	}
	status := 0
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		class, hint := classOf(ae.ErrorCode(), status)
		return &iaas.CloudError{Class: class, Op: op, Code: ae.ErrorCode(),
			Message: scrub(ae.ErrorMessage(), creds), Hint: hint}
	}
	// No API error document: the network, a proxy, or a body we cannot read.
	class := iaas.ErrTransient
	if status >= 400 && status < 500 {
		class = iaas.ErrPermanent
	}
	return &iaas.CloudError{Class: class, Op: op, Message: scrub(err.Error(), creds)}
}

// scrub removes the secret and the access key id of creds from msg.
func scrub(msg string, creds iaas.Credentials) string {
	if creds.Secret != "" {
		msg = strings.ReplaceAll(msg, creds.Secret, "****")
	}
	if creds.Key != "" {
		msg = strings.ReplaceAll(msg, creds.Key, "key:"+keyHash(creds.Key))
	}
	return msg
}

// permanent is an ErrPermanent CloudError of this driver's own making.
func permanent(op, code, msg, hint string) error {
	return &iaas.CloudError{Class: iaas.ErrPermanent, Op: op, Code: code, Message: msg, Hint: hint}
}
