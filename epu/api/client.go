package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Client calls one daemon.
type Client struct {
	BaseURL string // "http://host:port"
	Token   string
	HTTP    *http.Client // nil: http.DefaultClient
}

// Call sends in (nil: no body) as JSON to method path and decodes the
// answer into out (nil: discarded). An answer in the error shape is
// returned as *Error; a transport failure as the error it is.
func (c *Client) Call(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(c.BaseURL, "/")+path, body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	b, err := c.do(req, maxAnswer)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
	}
	return nil
}

// Retryable reports whether err is worth another try: a transport error,
// 429 or 5xx; never a 4xx, which the same request will meet again.
func Retryable(err error) bool {
	var e *Error
	if errors.As(err, &e) {
		return e.Status == http.StatusTooManyRequests || e.Status >= 500
	}
	return err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// maxAnswer bounds an answer read by Call or Get.
const maxAnswer = 64 << 20

// Get sends GET path and returns the answer's body as it is (a tar
// stream, for example), at most limit bytes (more is an error); an
// answer in the error shape is returned as *Error.
func (c *Client) Get(ctx context.Context, path string, limit int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(c.BaseURL, "/")+path, nil)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	b, err := c.do(req, limit)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	return b, nil
}

// do sends req with the token and reads the answer, at most limit
// bytes; a status of 300 or more is an *Error.
func (c *Client) do(req *http.Request, limit int64) ([]byte, error) {
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read answer: %w", err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("answer over %d bytes", limit)
	}
	if resp.StatusCode >= 300 {
		var shape struct {
			Error *Error `json:"error"`
		}
		if json.Unmarshal(b, &shape) == nil && shape.Error != nil {
			shape.Error.Status = resp.StatusCode
			return nil, shape.Error
		}
		return nil, &Error{Status: resp.StatusCode, Code: CodeInternal, Message: strings.TrimSpace(string(b))}
	}
	return b, nil
}
