// Package model is the client for OpenAI-compatible model APIs. It owns the
// wire protocol (the Responses API and Chat Completions, streamed), the
// tool-call loop, retries with backoff, model fallback and the translation of
// provider errors into this package's sentinel errors.
//
// It is the only package that imports github.com/sashabaranov/go-openai. It
// must not read git, the work tree, the environment or configuration files:
// the caller passes everything in Config and Request, and answers tool calls
// through Request.Call. It never logs, and never puts the API key into an
// error or event.
package model

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// Engine selects the wire protocol.
type Engine string

const (
	// EngineResponses uses the Responses API with server-side state
	// (store: true, previous_response_id): follow-ups send only new input.
	EngineResponses Engine = "responses"
	// EngineChat uses Chat Completions, replaying Request.History each turn.
	EngineChat Engine = "chat"
)

// Config configures a Client.
type Config struct {
	Engine Engine
	// BaseURL is OPENAI_BASE_URL or codex.baseURL; "" means OpenAI.
	BaseURL string
	// BaseURLSource names where BaseURL came from ("OPENAI_BASE_URL"), so
	// an ErrBaseURL error can say what to fix.
	BaseURLSource string
	// APIKey may be "" for local servers that need none.
	APIKey        string
	Model         string
	FallbackModel string
	// MaxRetries bounds the retries of one request (default 4).
	MaxRetries int
	// MaxBackoff caps every single wait, Retry-After included (default 30s).
	MaxBackoff time.Duration
	// Timeout bounds one HTTP request including its stream (default 10m).
	Timeout time.Duration
	// IdleTimeout bounds the silence between two reads of a response (the
	// headers, then every piece of the stream; default 90s). A stream that
	// stalls longer is treated as cut: retried when no text was streamed
	// yet, else the partial answer is returned Incomplete with an error.
	IdleTimeout time.Duration
	// Sleep waits between retries; tests inject it. The default sleeps and
	// returns ctx.Err() early when ctx ends.
	Sleep func(context.Context, time.Duration) error
	// HTTPClient, when set, carries the requests (its Transport is wrapped).
	HTTPClient *http.Client
	// LookupHost resolves BaseURL's host before the first request of a turn
	// (nil means net.DefaultResolver.LookupHost); tests inject it.
	LookupHost func(ctx context.Context, host string) ([]string, error)
}

// Role is a chat message role.
type Role string

// Message roles.
const (
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
)

// Message is one earlier turn replayed by the chat engine.
type Message struct {
	Role    Role
	Content string
}

// Tool describes a function the model may call.
type Tool struct {
	Name        string
	Description string
	// Parameters is the JSON schema of the arguments object.
	Parameters json.RawMessage
}

// ToolFunc answers one tool call; the returned string (or the error text)
// goes back to the model.
type ToolFunc func(ctx context.Context, name, args string) (string, error)

// PatchCall is one call of the edit tool: the operation the model asks for
// (the JSON object {"type", "path", "diff"}: a Responses API
// apply_patch_call's "operation", or the arguments of the chat engine's
// function) and the call's id.
type PatchCall struct {
	CallID    string
	Operation json.RawMessage
}

// The statuses of a PatchResult, as the Responses API's
// apply_patch_call_output spells them.
const (
	PatchCompleted = "completed"
	PatchFailed    = "failed"
)

// PatchResult answers a PatchCall: PatchCompleted or PatchFailed, and what
// the model is told (on the chat engine, Output alone is the tool message,
// so it should say that it failed).
type PatchResult struct {
	Status string
	Output string
}

// PatchFunc applies, or refuses, one patch call. It is called in the order
// the model made the calls, one at a time.
type PatchFunc func(ctx context.Context, call PatchCall) PatchResult

// Request is one user turn.
type Request struct {
	// Instructions must be identical byte for byte on every request of a
	// session (the Responses API does not carry them over; prompt caching).
	Instructions string
	// Input is the new user text only.
	Input string
	// PreviousResponseID chains server-side state (responses engine).
	PreviousResponseID string
	// History holds earlier turns, oldest first, excluding Input (chat engine).
	History []Message
	Tools   []Tool
	Call    ToolFunc
	// Patch, when set, offers the model the edit tool and answers its
	// calls: on the responses engine the native tool ({"type":
	// "apply_patch"}, whose apply_patch_call items are answered with
	// apply_patch_call_output items), on the chat engine PatchTool as a
	// function tool, whose calls go to Patch instead of Call.
	Patch     PatchFunc
	PatchTool Tool
	// MaxToolRounds bounds the rounds of tool calls (default 8); after that
	// the model is asked to answer without tools.
	MaxToolRounds int
	// OnDelta receives streamed answer text as it arrives (may be nil).
	OnDelta func(text string)
	// OnEvent receives progress: retries, fallback, tool calls (may be nil).
	OnEvent func(Event)
}

// Event kinds.
const (
	EventRetry    = "retry"
	EventFallback = "fallback"
	EventTool     = "tool"
)

// Event is progress worth showing on stderr.
type Event struct {
	Kind   string // EventRetry, EventFallback or EventTool
	Detail string
	Wait   time.Duration // for EventRetry: how long the client waits
}

// Usage is the token count of a turn, summed over its rounds.
type Usage struct {
	Input, Cached, Output int
}

// ToolCall records one tool call made during a turn.
type ToolCall struct {
	Name, Args, Result, Error string
}

// Response is the outcome of one turn.
type Response struct {
	// ID is the provider's id of the last response (chain the next turn from
	// it). It is "" when the turn ended while that response still waited for
	// tool output (interrupted or failed between tool rounds, or
	// ErrToolLimit): such a response cannot be chained from.
	ID string
	// Model is the configured model name actually used (FallbackModel after a fallback).
	Model     string
	Text      string
	ToolCalls []ToolCall
	Usage     Usage
	// BytesSent counts request-body bytes of every HTTP attempt of the turn.
	BytesSent int
	// Incomplete is set when the stream was cut, ctx cancelled or a timeout
	// hit: Text then holds the partial answer.
	Incomplete bool
}

// Client sends one turn. On error Send still returns what it has: the partial
// Response (Text so far, Incomplete where relevant) together with the error.
type Client interface {
	Send(ctx context.Context, req Request) (Response, error)
}

// Sentinel errors; compare with errors.Is. The error text carries the
// provider's message (with the API key redacted).
var (
	// ErrAuth: 401/403, or no API key where the server requires one.
	ErrAuth = errors.New("model API authentication failed")
	// ErrPreviousNotFound: the server no longer knows PreviousResponseID.
	ErrPreviousNotFound = errors.New("previous response not found")
	// ErrModelNotFound: the model (and FallbackModel, when set) does not exist.
	ErrModelNotFound = errors.New("model not found")
	// ErrQuota: the account is out of quota (429 insufficient_quota); never retried.
	ErrQuota = errors.New("model API quota exceeded")
	// ErrRateLimited: still rate limited after the retries.
	ErrRateLimited = errors.New("model API rate limited")
	// ErrUnavailable: 5xx, timeouts or cut streams after the retries.
	ErrUnavailable = errors.New("model API unavailable")
	// ErrBadRequest: the server rejected the request as invalid.
	ErrBadRequest = errors.New("model API rejected the request")
	// ErrNoResponsesAPI: the server answered 404 or 405 on the Responses
	// endpoint (and not because of the model): it offers Chat Completions
	// only, so the chat engine is needed.
	ErrNoResponsesAPI = errors.New("the server does not speak the Responses API")
	// ErrBaseURL: Config.BaseURL is not an http:// or https:// URL, or its
	// host does not resolve. Never retried.
	ErrBaseURL = errors.New("model API base URL unusable")
	// ErrToolLimit: the model kept calling tools after it was asked to answer
	// without them.
	ErrToolLimit = errors.New("model kept calling tools past the round limit")
)

// Defaults applied by New for zero Config fields.
const (
	DefaultMaxRetries    = 4
	DefaultMaxBackoff    = 30 * time.Second
	DefaultTimeout       = 10 * time.Minute
	DefaultIdleTimeout   = 90 * time.Second
	DefaultMaxToolRounds = 8
	baseBackoff          = time.Second
)

// New returns a Client for cfg.Engine ("" means responses). It returns an
// error for an unknown engine or an empty model name.
func New(cfg Config) (Client, error) {
	if cfg.Engine == "" {
		cfg.Engine = EngineResponses
	}
	if cfg.Engine != EngineResponses && cfg.Engine != EngineChat {
		return nil, fmt.Errorf("create model client: unknown engine %q (want %q or %q)", cfg.Engine, EngineResponses, EngineChat)
	}
	if cfg.Model == "" {
		return nil, errors.New("create model client: no model configured")
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = DefaultMaxRetries
	}
	if cfg.MaxRetries < 0 {
		cfg.MaxRetries = 0
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = DefaultMaxBackoff
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleep
	}
	if cfg.LookupHost == nil {
		cfg.LookupHost = net.DefaultResolver.LookupHost
	}
	oc := openai.DefaultConfig(cfg.APIKey)
	if cfg.BaseURL != "" {
		oc.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	}
	hc := &http.Client{}
	if cfg.HTTPClient != nil {
		c := *cfg.HTTPClient
		hc = &c
	}
	hc.Transport = &transport{base: hc.Transport}
	oc.HTTPClient = hc
	// SSE "event:" lines count as empty messages for go-openai's reader.
	oc.EmptyMessagesLimit = 10000
	c := &client{cfg: cfg, api: openai.NewClientWithConfig(oc)}
	if cfg.Engine == EngineChat {
		return &chatClient{c}, nil
	}
	return &responsesClient{c}, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// client holds what both engines share.
type client struct {
	cfg Config
	api *openai.Client
	// resolved is set once BaseURL's host resolved (checkBaseURL).
	resolved atomic.Bool
}
