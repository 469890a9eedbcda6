package ec2

import (
	"bytes"
	"io"
	"net/http"
)

// httpDoer is what the SDK needs of an HTTP client.
type httpDoer interface {
	Do(*http.Request) (*http.Response, error)
}

// bufferBodies hands the transport a private copy of each request body.
// smithy-go closes the request body as soon as Do returns; when the
// response arrives before net/http's write loop has seen the body's end
// (a fast server, a body of a few KiB), the loop's next read fails and the
// transport closes the connection under the response being read ("use of
// closed network connection"). EC2 requests are small forms, so a copy is
// cheap.
type bufferBodies struct{ next httpDoer }

func (b bufferBodies) Do(r *http.Request) (*http.Response, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return b.next.Do(r)
	}
	data, err := io.ReadAll(r.Body)
	r.Body.Close()
	if err != nil {
		return nil, err
	}
	c := r.Clone(r.Context())
	c.ContentLength = int64(len(data))
	c.Body = io.NopCloser(bytes.NewReader(data))
	c.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	return b.next.Do(c)
}
