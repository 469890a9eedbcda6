package ec2test

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Namespace is the XML namespace of the EC2 API version the fake answers.
const Namespace = "http://ec2.amazonaws.com/doc/2016-11-15/"

// apiError is an EC2 error to send back.
type apiError struct{ code, msg string }

func (e *apiError) Error() string { return e.code + ": " + e.msg }

func errorf(code, format string, args ...any) *apiError {
	return &apiError{code: code, msg: fmt.Sprintf(format, args...)}
}

// Status returns the HTTP status EC2 answers an error code with.
func Status(code string) int {
	switch code {
	case "AuthFailure", "MissingAuthenticationToken":
		return http.StatusUnauthorized
	case "UnauthorizedOperation", "SignatureDoesNotMatch", "InvalidClientTokenId", "OptInRequired":
		return http.StatusForbidden
	case "DryRunOperation":
		return http.StatusPreconditionFailed
	case "RequestLimitExceeded", "Unavailable", "ServiceUnavailable":
		return http.StatusServiceUnavailable
	case "InternalError", "InsufficientInstanceCapacity":
		return http.StatusInternalServerError
	}
	return http.StatusBadRequest
}

type handler func(s *Server, form url.Values) (any, *apiError)

var actions = map[string]handler{
	"RunInstances":           (*Server).runInstances,
	"DescribeInstances":      (*Server).describeInstances,
	"TerminateInstances":     (*Server).terminateInstances,
	"DescribeImages":         (*Server).describeImages,
	"DescribeKeyPairs":       (*Server).describeKeyPairs,
	"DescribeSecurityGroups": (*Server).describeSecurityGroups,
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	reqID := newID("req-")
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil || r.Method != http.MethodPost {
		writeError(w, reqID, errorf("InvalidAction", "the fake accepts form-encoded POST only"))
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		writeError(w, reqID, errorf("MalformedQueryString", "%v", err))
		return
	}
	action := form.Get("Action")
	s.mu.Lock()
	s.requests[action] = append(s.requests[action], form)
	s.requests[""] = append(s.requests[""], form)
	s.mu.Unlock()
	if aerr := s.checkAuth(r, body); aerr != nil {
		writeError(w, reqID, aerr)
		return
	}
	h, ok := actions[action]
	switch {
	case !ok:
		writeError(w, reqID, errorf("InvalidAction", "The action %s is not valid for this web service.", action))
		return
	case form.Get("Version") == "":
		writeError(w, reqID, errorf("MissingParameter", "The request must contain the parameter Version"))
		return
	}
	if code := s.takeFault(action); code != "" {
		writeError(w, reqID, errorf(code, "ec2test: injected %s", code))
		return
	}
	if strings.EqualFold(form.Get("DryRun"), "true") {
		writeError(w, reqID, errorf("DryRunOperation", "Request would have succeeded, but DryRun flag is set."))
		return
	}
	s.mu.Lock()
	out, aerr := h(s, form)
	s.mu.Unlock()
	if aerr != nil {
		writeError(w, reqID, aerr)
		return
	}
	setRequestID(out, reqID)
	writeXML(w, http.StatusOK, out)
}

// takeFault pops the next injected fault for action, or for any action.
func (s *Server) takeFault(action string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range []string{action, ""} {
		if q := s.faults[a]; len(q) > 0 {
			s.faults[a] = q[1:]
			return q[0]
		}
	}
	return ""
}

type xmlError struct {
	XMLName   xml.Name `xml:"Response"`
	Code      string   `xml:"Errors>Error>Code"`
	Message   string   `xml:"Errors>Error>Message"`
	RequestID string   `xml:"RequestID"`
}

func writeError(w http.ResponseWriter, reqID string, e *apiError) {
	writeXML(w, Status(e.code), xmlError{Code: e.code, Message: e.msg, RequestID: reqID})
}

// writeXML sends v as an XML document with a Content-Length, as EC2 does.
func writeXML(w http.ResponseWriter, status int, v any) {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	if err := xml.NewEncoder(&b).Encode(v); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// list returns the values of a flattened query list: prefix.1, prefix.2...
func list(form url.Values, prefix string) []string {
	var out []string
	for i := 1; ; i++ {
		v, ok := form[fmt.Sprintf("%s.%d", prefix, i)]
		if !ok {
			return out
		}
		out = append(out, v[0])
	}
}

// count returns how many prefix.N.* groups the form has.
func count(form url.Values, prefix string) int {
	n := 0
	for i := 1; ; i++ {
		p := fmt.Sprintf("%s.%d.", prefix, i)
		found := false
		for k := range form {
			if strings.HasPrefix(k, p) {
				found = true
				break
			}
		}
		if !found {
			return n
		}
		n++
	}
}
