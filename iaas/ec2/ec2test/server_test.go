package ec2test_test

import (
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/iaas/ec2/ec2test"
)

// post sends a form with a well-formed (unverified) SigV4 header and
// returns the status and body.
func post(t *testing.T, s *ec2test.Server, auth bool, kv ...string) (int, string) {
	t.Helper()
	f := url.Values{"Version": {"2016-11-15"}}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Add(kv[i], kv[i+1])
	}
	req, err := http.NewRequest(http.MethodPost, s.URL(), strings.NewReader(f.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if auth {
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDX/20260101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=00")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func code(t *testing.T, body string) string {
	t.Helper()
	var e struct {
		Code      string `xml:"Errors>Error>Code"`
		RequestID string `xml:"RequestID"`
	}
	if err := xml.Unmarshal([]byte(body), &e); err != nil || e.RequestID == "" {
		t.Fatalf("not an EC2 error document (%v): %s", err, body)
	}
	return e.Code
}

func TestErrorsAndStatuses(t *testing.T) {
	s := ec2test.New(ec2test.Options{AccessKeyID: "AKIDOTHER"})
	defer s.Close()
	tests := []struct {
		auth   bool
		kv     []string
		status int
		code   string
	}{
		{false, []string{"Action", "DescribeInstances"}, 401, "MissingAuthenticationToken"},
		{true, []string{"Action", "DescribeInstances"}, 401, "AuthFailure"},
	}
	for _, tc := range tests {
		st, body := post(t, s, tc.auth, tc.kv...)
		if st != tc.status || code(t, body) != tc.code {
			t.Errorf("%v: %d %s, want %d %s", tc.kv, st, code(t, body), tc.status, tc.code)
		}
	}
}

func TestInstances(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	clock := func() time.Time { return now }
	s := ec2test.New(ec2test.Options{RunningDelay: time.Minute, TerminateDelay: time.Minute, Now: clock})
	defer s.Close()
	run := []string{"Action", "RunInstances", "ImageId", ec2test.DefaultImage, "MinCount", "1", "MaxCount", "1",
		"ClientToken", "tok", "TagSpecification.1.ResourceType", "instance",
		"TagSpecification.1.Tag.1.Key", "cloudinitd:run", "TagSpecification.1.Tag.1.Value", "r1"}
	for _, tc := range []struct {
		kv     []string
		status int
		code   string
	}{
		{[]string{"Action", "DescribeInstances", "DryRun", "true"}, 412, "DryRunOperation"},
		{[]string{"Action", "DescribeInstances", "InstanceId.1", "bogus"}, 400, "InvalidInstanceID.Malformed"},
		{[]string{"Action", "DescribeInstances", "InstanceId.1", "i-0000000000000dead"}, 400, "InvalidInstanceID.NotFound"},
		{[]string{"Action", "TerminateInstances", "InstanceId.1", "i-0000000000000dead"}, 400, "InvalidInstanceID.NotFound"},
		{[]string{"Action", "RunInstances", "ImageId", "ami-0000000000000dead", "MinCount", "1", "MaxCount", "1"}, 400, "InvalidAMIID.NotFound"},
		{[]string{"Action", "DescribeInstances", "Filter.1.Name", "flavour", "Filter.1.Value.1", "x"}, 400, "InvalidParameterValue"},
		{[]string{"Action", "Nope"}, 400, "InvalidAction"},
	} {
		st, body := post(t, s, true, tc.kv...)
		if st != tc.status || code(t, body) != tc.code {
			t.Errorf("%v: %d %s, want %d %s", tc.kv, st, code(t, body), tc.status, tc.code)
		}
	}
	if st, body := post(t, s, true, run...); st != 200 {
		t.Fatalf("RunInstances: %d %s", st, body)
	}
	if st, _ := post(t, s, true, run...); st != 200 || len(s.Instances()) != 1 {
		t.Fatalf("repeated ClientToken: %d, %d instances, want 200 and 1", st, len(s.Instances()))
	}
	mismatch := append(append([]string{}, run...), "KeyName", ec2test.DefaultKeyPair)
	if _, body := post(t, s, true, mismatch...); code(t, body) != "IdempotentParameterMismatch" {
		t.Errorf("token with another key: %s", body)
	}
	in := s.Instances()[0]
	if in.State != "pending" || in.PrivateIP != "127.88.0.1" || in.Tags["cloudinitd:run"] != "r1" {
		t.Errorf("new instance %+v", in)
	}
	now = now.Add(time.Minute)
	if st := s.Instances()[0].State; st != "running" {
		t.Errorf("after RunningDelay: %s, want running", st)
	}
	_, body := post(t, s, true, "Action", "DescribeInstances", "Filter.1.Name", "tag:cloudinitd:run", "Filter.1.Value.1", "r1",
		"Filter.2.Name", "instance-state-name", "Filter.2.Value.1", "running")
	if !strings.Contains(body, in.ID) || !strings.Contains(body, "<reservationSet>") {
		t.Errorf("tag filter did not find %s: %s", in.ID, body)
	}
	s.Throttle("TerminateInstances", 1)
	if st, body := post(t, s, true, "Action", "TerminateInstances", "InstanceId.1", in.ID); st != 503 || code(t, body) != "RequestLimitExceeded" {
		t.Errorf("throttled terminate: %d %s", st, body)
	}
	post(t, s, true, "Action", "TerminateInstances", "InstanceId.1", in.ID)
	if st := s.Instances()[0].State; st != "shutting-down" {
		t.Errorf("after Terminate: %s, want shutting-down", st)
	}
	now = now.Add(time.Minute)
	if st := s.Instances()[0].State; st != "terminated" {
		t.Errorf("after TerminateDelay: %s, want terminated", st)
	}
}

func TestPagination(t *testing.T) {
	s := ec2test.New(ec2test.Options{})
	defer s.Close()
	for range 7 {
		post(t, s, true, "Action", "RunInstances", "ImageId", ec2test.DefaultImage, "MinCount", "1", "MaxCount", "1")
	}
	seen, token := 0, ""
	for pages := 0; ; pages++ {
		kv := []string{"Action", "DescribeInstances", "MaxResults", "5"}
		if token != "" {
			kv = append(kv, "NextToken", token)
		}
		_, body := post(t, s, true, kv...)
		var r struct {
			IDs  []string `xml:"reservationSet>item>instancesSet>item>instanceId"`
			Next string   `xml:"nextToken"`
		}
		if err := xml.Unmarshal([]byte(body), &r); err != nil {
			t.Fatal(err)
		}
		seen += len(r.IDs)
		if token = r.Next; token == "" {
			if pages != 1 || seen != 7 {
				t.Errorf("%d pages, %d instances, want 2 and 7", pages+1, seen)
			}
			return
		}
	}
}
