package ec2test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// checkAuth requires a SigV4 Authorization header; it checks the access
// key id when Options.AccessKeyID is set, and the signature itself when
// Options.SecretAccessKey is set too.
func (s *Server) checkAuth(r *http.Request, body []byte) *apiError {
	auth := r.Header.Get("Authorization")
	const algo = "AWS4-HMAC-SHA256 "
	if !strings.HasPrefix(auth, algo) {
		return errorf("MissingAuthenticationToken", "Request is missing Authentication Token")
	}
	var cred string
	for _, part := range strings.Split(strings.TrimPrefix(auth, algo), ",") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(part), "Credential="); ok {
			cred = v
		}
	}
	scope := strings.Split(cred, "/") // key/date/region/service/aws4_request
	if len(scope) != 5 || scope[0] == "" {
		return errorf("IncompleteSignature", "Authorization header has no valid Credential")
	}
	if s.o.AccessKeyID == "" {
		return nil
	}
	if scope[0] != s.o.AccessKeyID {
		return errorf("AuthFailure", "AWS was not able to validate the provided access credentials")
	}
	if s.o.SecretAccessKey == "" {
		return nil
	}
	return verify(r, body, scope[2], scope[3], auth, s.o.AccessKeyID, s.o.SecretAccessKey)
}

// verify signs a copy of r with the expected secret and compares.
func verify(r *http.Request, body []byte, region, service, auth, keyID, secret string) *apiError {
	t, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return errorf("IncompleteSignature", "missing or bad X-Amz-Date")
	}
	cp, err := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		return errorf("IncompleteSignature", "%v", err)
	}
	// Copy only the headers the client signed: transports add others
	// (Accept-Encoding) after signing.
	for _, part := range strings.Split(auth, ",") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(part), "SignedHeaders="); ok {
			for _, h := range strings.Split(v, ";") {
				if h != "host" && h != "content-length" {
					cp.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
				}
			}
		}
	}
	cp.ContentLength = r.ContentLength
	sum := sha256.Sum256(body)
	err = v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret},
		cp, hex.EncodeToString(sum[:]), service, region, t)
	if err != nil || cp.Header.Get("Authorization") != auth {
		return errorf("SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.")
	}
	return nil
}
