package model

import (
	"context"
	"io"
	"net/http"
)

// attempt is filled by transport for one HTTP request. go-openai's APIError
// hides the response headers (Retry-After) and nothing reports the body
// size, so the request's context carries this record to the transport.
type attempt struct {
	bytes  int
	status int
	header http.Header
	// touch, when set, tells the idle watchdog that data arrived.
	touch func()
}

type attemptKey struct{}

func withAttempt(ctx context.Context, a *attempt) context.Context {
	return context.WithValue(ctx, attemptKey{}, a)
}

// transport records request-body size and response status/headers.
type transport struct {
	base http.RoundTripper
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	a, _ := req.Context().Value(attemptKey{}).(*attempt)
	if a == nil {
		return base.RoundTrip(req)
	}
	if req.Body != nil && req.Body != http.NoBody {
		if req.ContentLength > 0 {
			a.bytes += int(req.ContentLength)
		} else {
			req = req.Clone(req.Context())
			req.Body = &countingBody{rc: req.Body, n: &a.bytes}
		}
	}
	resp, err := base.RoundTrip(req)
	if resp != nil {
		a.status = resp.StatusCode
		a.header = resp.Header.Clone()
		if a.touch != nil {
			a.touch()
			resp.Body = &touchingBody{rc: resp.Body, touch: a.touch}
		}
	}
	return resp, err
}

// touchingBody reports every read that brought data to the idle watchdog.
type touchingBody struct {
	rc    io.ReadCloser
	touch func()
}

func (b *touchingBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if n > 0 {
		b.touch()
	}
	return n, err
}

func (b *touchingBody) Close() error { return b.rc.Close() }

type countingBody struct {
	rc io.ReadCloser
	n  *int
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.rc.Read(p)
	*c.n += n
	return n, err
}

func (c *countingBody) Close() error { return c.rc.Close() }
