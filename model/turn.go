package model

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
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
		kind, retry, detail := classify(err, a)
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
// retrying, and a one-line detail holding the provider's message.
func classify(err error, a *attempt) (kind error, retry bool, detail string) {
	var apiErr *openai.APIError
	var reqErr *openai.RequestError
	switch {
	case errors.As(err, &apiErr):
		code, _ := apiErr.Code.(string)
		return classifyAPI(apiErr.HTTPStatusCode, code, apiErr.Type, apiErr.Message)
	case errors.As(err, &reqErr):
		body := strings.Join(strings.Fields(string(reqErr.Body)), " ")
		return classifyAPI(reqErr.HTTPStatusCode, "", "", redact.Clip(body, 200, "…"))
	case errors.Is(err, errAttemptTimeout), errors.Is(err, errIdleTimeout):
		return ErrUnavailable, true, err.Error()
	case errors.Is(err, errStreamCut), errors.Is(err, io.ErrUnexpectedEOF):
		return ErrUnavailable, true, errStreamCut.Error()
	case errors.Is(err, syscall.ECONNREFUSED):
		return ErrUnavailable, false, "connection refused: " + err.Error()
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

func classifyAPI(status int, code, typ, msg string) (error, bool, string) {
	detail := msg
	switch {
	case status != 0 && code != "":
		detail = fmt.Sprintf("%d %s: %s", status, code, msg)
	case status != 0:
		detail = fmt.Sprintf("%d: %s", status, msg)
	case code != "":
		detail = code + ": " + msg
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
	case status == http.StatusNotFound:
		return ErrBadRequest, false, detail + " (does the server offer this API? the chat engine suits servers without the Responses API)"
	case status >= 400:
		return ErrBadRequest, false, detail
	}
	return ErrUnavailable, false, detail
}
