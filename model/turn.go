package model

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/git-codex/git-codex/redact"
)

// errStreamCut reports a stream that ended before the response completed.
var errStreamCut = errors.New("stream ended before the response completed")

// errAttemptTimeout is the cause set on an attempt's context by Config.Timeout.
var errAttemptTimeout = errors.New("request timed out")

// errIdleTimeout is the cause set on an attempt's context by
// Config.IdleTimeout: nothing arrived for that long.
var errIdleTimeout = errors.New("stream stalled")

// turn is the state of one Send, shared by both engines.
type turn struct {
	c        *client
	req      Request
	resp     Response
	model    string
	fellBack bool
	emitted  bool // text reached OnDelta during the current attempt
}

func newTurn(c *client, req Request) *turn {
	if req.MaxToolRounds <= 0 {
		req.MaxToolRounds = DefaultMaxToolRounds
	}
	return &turn{c: c, req: req, model: c.cfg.Model, resp: Response{Model: c.cfg.Model}}
}

// resolveTimeout bounds the look-up of the base URL's host: a name that
// does not resolve fails the turn at once instead of after the retries.
const resolveTimeout = 3 * time.Second

// checkBaseURL fails with ErrBaseURL when Config.BaseURL is not an http://
// or https:// URL or its host does not resolve (looked up once per client;
// IP addresses need no look-up).
func (t *turn) checkBaseURL(ctx context.Context) error {
	raw := t.c.cfg.BaseURL
	if raw == "" || t.c.resolved.Load() {
		return nil
	}
	src := t.c.cfg.BaseURLSource
	if src == "" {
		src = "the base URL"
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%w: %s %q is not an http:// or https:// URL", ErrBaseURL, src, t.redact(raw))
	}
	host := u.Hostname()
	if net.ParseIP(host) == nil {
		rctx, cancel := context.WithTimeout(ctx, resolveTimeout)
		defer cancel()
		if _, err := t.c.cfg.LookupHost(rctx, host); err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("resolve %s: %w", host, ctx.Err())
			}
			reason := err.Error()
			var dnsErr *net.DNSError
			switch {
			case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
				reason = "no such host"
			case errors.Is(err, context.DeadlineExceeded):
				reason = "no answer within " + resolveTimeout.String()
			}
			return fmt.Errorf("%w: the host %q of %s %s does not resolve (%s)", ErrBaseURL, host, src, t.redact(u.Redacted()), reason)
		}
	}
	t.c.resolved.Store(true)
	return nil
}

// checkKey refuses to call OpenAI itself without a key; local servers
// (a BaseURL is set) may need none.
func (t *turn) checkKey() error {
	if t.c.cfg.APIKey == "" && t.c.cfg.BaseURL == "" {
		return fmt.Errorf("%w: OPENAI_API_KEY is not set (set it, or point OPENAI_BASE_URL at a server that needs no key)", ErrAuth)
	}
	return nil
}

func (t *turn) delta(s string) {
	if s == "" {
		return
	}
	t.emitted = true
	t.resp.Text += s
	if t.req.OnDelta != nil {
		t.req.OnDelta(s)
	}
}

func (t *turn) event(e Event) {
	if t.req.OnEvent != nil {
		e.Detail = t.redact(e.Detail)
		t.req.OnEvent(e)
	}
}

func (t *turn) addUsage(in, cached, out int) {
	t.resp.Usage.Input += in
	t.resp.Usage.Cached += cached
	t.resp.Usage.Output += out
}

// redact removes the API key from text bound for errors and events.
func (t *turn) redact(s string) string {
	if k := t.c.cfg.APIKey; len(k) >= 4 {
		s = strings.ReplaceAll(s, k, "[redacted]")
	}
	return s
}

// tool answers one tool call; exhausted means the round limit is reached and
// the call is refused instead of run.
func (t *turn) tool(ctx context.Context, name, args string, exhausted bool) string {
	tc := ToolCall{Name: name, Args: args}
	var out string
	switch {
	case exhausted:
		tc.Error = "tool-call round limit reached"
		out = "error: tool-call round limit reached; answer now without tools, with what you have"
		t.event(Event{Kind: EventTool, Detail: "skipped " + name + " (round limit reached)"})
	case t.req.Call == nil:
		tc.Error = "no tools available"
		out = "error: no tools are available"
	default:
		t.event(Event{Kind: EventTool, Detail: name + " " + redact.Clip(args, 120, "…")})
		res, err := t.req.Call(ctx, name, args)
		if err != nil {
			tc.Error = err.Error()
			out = "error: " + err.Error()
		} else {
			tc.Result = res
			out = res
		}
	}
	t.resp.ToolCalls = append(t.resp.ToolCalls, tc)
	return out
}

// patch answers one patch call; exhausted means the round limit is
// reached and the call is refused instead of applied.
func (t *turn) patch(ctx context.Context, call PatchCall, exhausted bool) PatchResult {
	switch {
	case exhausted:
		t.event(Event{Kind: EventTool, Detail: "skipped apply_patch (round limit reached)"})
		return PatchResult{Status: PatchFailed, Output: "failed, nothing was changed: tool-call round limit reached; answer now without tools"}
	case t.req.Patch == nil:
		return PatchResult{Status: PatchFailed, Output: "failed, nothing was changed: no edit tool is available"}
	}
	r := t.req.Patch(ctx, call)
	if r.Status != PatchCompleted {
		r.Status = PatchFailed
	}
	return r
}

// do runs one round: fn makes a single HTTP attempt (streaming text through
// t.delta) for the given model, and do retries it with backoff, falls back to
// FallbackModel once, and maps the final failure to a sentinel error.
func (t *turn) do(ctx context.Context, fn func(ctx context.Context, model string) error) error {
	cfg := t.c.cfg
	for n := 0; ; n++ {
		tctx, cancel := context.WithTimeoutCause(ctx, cfg.Timeout, errAttemptTimeout)
		actx, cancelIdle := context.WithCancelCause(tctx)
		idle := time.AfterFunc(cfg.IdleTimeout, func() { cancelIdle(errIdleTimeout) })
		var over atomic.Bool // a late read (Close draining the body) must not re-arm the watchdog
		a := &attempt{touch: func() {
			if !over.Load() {
				idle.Reset(cfg.IdleTimeout)
			}
		}}
		t.emitted = false
		err := fn(withAttempt(actx, a), t.model)
		over.Store(true)
		idle.Stop()
		cause := context.Cause(actx)
		cancelIdle(nil)
		cancel()
		t.resp.BytesSent += a.bytes
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			t.resp.Incomplete = true
			return fmt.Errorf("request interrupted: %w", ctx.Err())
		}
		switch {
		case errors.Is(cause, errAttemptTimeout):
			err = fmt.Errorf("%w after %s", errAttemptTimeout, cfg.Timeout)
		case errors.Is(cause, errIdleTimeout):
			err = fmt.Errorf("%w: nothing received for %s", errIdleTimeout, cfg.IdleTimeout)
		}
		kind, retry, detail := classify(err, a, cfg.Engine)
		detail = strings.TrimRight(t.redact(detail), ". ")
		if t.emitted {
			// Text already reached the user: a retry would repeat it.
			t.resp.Incomplete = true
			if kind == ErrRateLimited {
				kind = ErrUnavailable
			}
			return fmt.Errorf("%w: %s; the answer is incomplete", kind, detail)
		}
		if kind == ErrModelNotFound && cfg.FallbackModel != "" && !t.fellBack && cfg.FallbackModel != t.model {
			t.event(Event{Kind: EventFallback, Detail: fmt.Sprintf("model %s not found; using %s", t.model, cfg.FallbackModel)})
			t.model, t.resp.Model, t.fellBack = cfg.FallbackModel, cfg.FallbackModel, true
			n = -1
			continue
		}
		switch {
		case kind == ErrAuth:
			return fmt.Errorf("%w: %s; set OPENAI_API_KEY to a valid key", kind, detail)
		case !retry:
			return fmt.Errorf("%w: %s", kind, detail)
		case n >= cfg.MaxRetries:
			return fmt.Errorf("%w: %s (gave up after %d retries)", kind, detail, n)
		}
		wait := t.backoff(n, a.header)
		t.event(Event{Kind: EventRetry, Detail: fmt.Sprintf("%s; retry %d of %d", detail, n+1, cfg.MaxRetries), Wait: wait})
		if err := cfg.Sleep(ctx, wait); err != nil {
			t.resp.Incomplete = true
			return fmt.Errorf("wait before retry: %w", err)
		}
	}
}

// backoff returns the wait before retry n (0-based): the server's
// retry-after-ms or Retry-After when given, otherwise exponential from 1s
// with up to 25% jitter; always capped at MaxBackoff.
func (t *turn) backoff(n int, h http.Header) time.Duration {
	d, ok := retryAfter(h, time.Now())
	if !ok {
		d = baseBackoff << min(n, 20)
		d += rand.N(d/4 + 1)
	}
	return min(d, t.c.cfg.MaxBackoff)
}

// retryAfter reads retry-after-ms (OpenAI's millisecond hint) or
// Retry-After (seconds or an HTTP date).
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	if h == nil {
		return 0, false
	}
	if v := h.Get("retry-after-ms"); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms >= 0 {
			return time.Duration(ms * float64(time.Millisecond)), true
		}
	}
	v := h.Get("Retry-After")
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 {
		return time.Duration(s * float64(time.Second)), true
	}
	if when, err := http.ParseTime(v); err == nil {
		return max(when.Sub(now), 0), true
	}
	return 0, false
}

// classify maps an attempt's error to a sentinel, whether it is worth
// retrying, and a one-line detail that always holds the HTTP status (when
// there was a response) and the server's message. engine tells which
// endpoint was asked, so a 404 or 405 from a server without the Responses
// API can be told apart from any other rejection.
//
//lint:ignore ST1008 the first result is the kind of failure, a sentinel, not an error of classify
func classify(err error, a *attempt, engine Engine) (kind error, retry bool, detail string) {
	var reqErr *openai.RequestError
	var apiErr *openai.APIError
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &reqErr):
		// The body was not an OpenAI error object: Ollama's {"error": "…"},
		// FastAPI's {"detail": …}, plain text, HTML or nothing. go-openai may
		// wrap an empty APIError here; the status and the body are what count.
		code, typ, msg := "", "", ""
		if errors.As(reqErr.Err, &apiErr) {
			code, _ = apiErr.Code.(string)
			typ, msg = apiErr.Type, apiErr.Message
		}
		if msg == "" {
			msg = bodyMessage(reqErr.Body)
		}
		return classifyAPI(engine, reqErr.HTTPStatusCode, code, typ, msg)
	case errors.As(err, &apiErr):
		code, _ := apiErr.Code.(string)
		return classifyAPI(engine, apiErr.HTTPStatusCode, code, apiErr.Type, apiErr.Message)
	case errors.Is(err, errAttemptTimeout), errors.Is(err, errIdleTimeout):
		return ErrUnavailable, true, err.Error()
	case errors.Is(err, errStreamCut), errors.Is(err, io.ErrUnexpectedEOF):
		return ErrUnavailable, true, errStreamCut.Error()
	case errors.Is(err, syscall.ECONNREFUSED):
		return ErrUnavailable, false, "connection refused: " + err.Error()
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return ErrBaseURL, false, fmt.Sprintf("host %q does not resolve", dnsErr.Name)
	}
	var netErr net.Error
	if errors.As(err, &netErr) || errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) {
		return ErrUnavailable, true, err.Error()
	}
	if a != nil && a.status >= 500 {
		return ErrUnavailable, true, err.Error()
	}
	return ErrUnavailable, false, err.Error()
}

// bodyMessage finds the message in an error body that is not an OpenAI
// error object: {"error": "…"}, {"detail": …}, {"message": "…"}, or the text
// itself (whitespace folded, clipped).
func bodyMessage(body []byte) string {
	var m map[string]any
	if json.Unmarshal(body, &m) == nil {
		for _, k := range []string{"error", "message", "detail"} {
			switch v := m[k].(type) {
			case string:
				if v != "" {
					return redact.Clip(v, 200, "…")
				}
			case nil:
			default:
				if b, err := json.Marshal(v); err == nil {
					return redact.Clip(string(b), 200, "…")
				}
			}
		}
	}
	return redact.Clip(strings.Join(strings.Fields(string(body)), " "), 200, "…")
}

//lint:ignore ST1008 as classify: the first result is the kind of failure
func classifyAPI(engine Engine, status int, code, typ, msg string) (error, bool, string) {
	msg = strings.TrimSpace(msg)
	var detail string
	switch {
	case status != 0 && code != "":
		detail = fmt.Sprintf("%d %s", status, code)
	case status != 0:
		detail = strings.TrimSpace(fmt.Sprintf("%d %s", status, http.StatusText(status)))
	case code != "":
		detail = code
	}
	switch {
	case detail == "":
		detail = msg
	case msg != "":
		detail += ": " + msg
	}
	if detail == "" {
		detail = "the server gave no reason"
	}
	lower := strings.ToLower(msg)
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden || code == "invalid_api_key":
		return ErrAuth, false, detail
	case code == "previous_response_not_found":
		return ErrPreviousNotFound, false, detail
	case code == "model_not_found" || (status == http.StatusNotFound && strings.Contains(lower, "model")):
		return ErrModelNotFound, false, detail
	case code == "insufficient_quota" || typ == "insufficient_quota":
		return ErrQuota, false, detail
	case status == http.StatusTooManyRequests || code == "rate_limit_exceeded":
		return ErrRateLimited, true, detail
	case status >= 500 || code == "server_error" || (status == 0 && typ == "server_error"):
		return ErrUnavailable, true, detail
	case status == http.StatusRequestTimeout || status == http.StatusConflict:
		return ErrUnavailable, true, detail
	case (status == http.StatusNotFound || status == http.StatusMethodNotAllowed) && engine != EngineChat:
		return ErrNoResponsesAPI, false, detail
	case status == http.StatusNotFound || status == http.StatusMethodNotAllowed:
		return ErrBadRequest, false, detail + " (is the base URL right? it usually ends in /v1)"
	case status >= 400:
		return ErrBadRequest, false, detail
	}
	return ErrUnavailable, false, detail
}
