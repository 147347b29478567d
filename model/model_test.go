package model_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/git-codex/git-codex/internal/openaitest"
	"github.com/git-codex/git-codex/model"
)

const testKey = "sk-test-SECRETKEY0123456789"

var engines = []model.Engine{model.EngineResponses, model.EngineChat}

// harness records the sleeps and events of one client.
type harness struct {
	mu     sync.Mutex
	sleeps []time.Duration
	events []model.Event
}

func (h *harness) sleep(ctx context.Context, d time.Duration) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.sleeps = append(h.sleeps, d)
	return ctx.Err()
}

func (h *harness) onEvent(e model.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events = append(h.events, e)
}

func (h *harness) kinds() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var k []string
	for _, e := range h.events {
		k = append(k, e.Kind)
	}
	return k
}

func newClient(t testing.TB, srv *openaitest.Server, engine model.Engine, h *harness, mod func(*model.Config)) model.Client {
	t.Helper()
	cfg := model.Config{
		Engine: engine, BaseURL: srv.URL(), APIKey: testKey, Model: "gpt-test",
		MaxRetries: 3, Sleep: h.sleep,
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := model.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

//lint:ignore ST1008 the stream's text comes last, after the error it may explain
func send(t testing.TB, c model.Client, h *harness, req model.Request) (model.Response, error, string) {
	t.Helper()
	var streamed strings.Builder
	req.OnDelta = func(s string) { streamed.WriteString(s) }
	if h != nil {
		req.OnEvent = h.onEvent
	}
	resp, err := c.Send(context.Background(), req)
	if err != nil && strings.Contains(err.Error(), testKey) {
		t.Fatalf("error leaks the API key: %v", err)
	}
	return resp, err, streamed.String()
}

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		cfg     model.Config
		wantErr bool
	}{
		{"responses", model.Config{Engine: model.EngineResponses, Model: "m"}, false},
		{"chat", model.Config{Engine: model.EngineChat, Model: "m"}, false},
		{"default engine", model.Config{Model: "m"}, false},
		{"unknown engine", model.Config{Engine: "completions", Model: "m"}, true},
		{"no model", model.Config{Engine: model.EngineChat}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := model.New(tc.cfg)
			if (err != nil) != tc.wantErr || (err == nil) == (c == nil) {
				t.Fatalf("New() = %v, %v; wantErr %v", c, err, tc.wantErr)
			}
		})
	}
}

func TestStreamingTextAndUsage(t *testing.T) {
	for _, engine := range engines {
		t.Run(string(engine), func(t *testing.T) {
			srv := openaitest.New(t)
			srv.Enqueue(openaitest.Reply{Text: "Hello, wörld! This streams in pieces.", Usage: &openaitest.Usage{Input: 120, Cached: 64, Output: 9}})
			h := &harness{}
			c := newClient(t, srv, engine, h, nil)
			resp, err, streamed := send(t, c, h, model.Request{Instructions: "be brief", Input: "say hello"})
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			if resp.Text != "Hello, wörld! This streams in pieces." || streamed != resp.Text {
				t.Errorf("Text = %q, streamed %q", resp.Text, streamed)
			}
			if want := (model.Usage{Input: 120, Cached: 64, Output: 9}); resp.Usage != want {
				t.Errorf("Usage = %+v, want %+v", resp.Usage, want)
			}
			if resp.ID == "" || resp.Model != "gpt-test" || resp.Incomplete {
				t.Errorf("ID %q Model %q Incomplete %v", resp.ID, resp.Model, resp.Incomplete)
			}
			reqs := srv.Requests()
			if len(reqs) != 1 {
				t.Fatalf("requests = %d, want 1", len(reqs))
			}
			if resp.BytesSent != len(reqs[0].Body) {
				t.Errorf("BytesSent = %d, body = %d", resp.BytesSent, len(reqs[0].Body))
			}
			if !reqs[0].HasAuth || reqs[0].JSON["stream"] != true {
				t.Errorf("request lacks auth or stream: %+v", reqs[0].JSON)
			}
		})
	}
}

func TestResponsesRequestShape(t *testing.T) {
	srv := openaitest.New(t)
	h := &harness{}
	c := newClient(t, srv, model.EngineResponses, h, nil)
	tools := []model.Tool{{Name: "read_file", Description: "read a file", Parameters: json.RawMessage(`{"type":"object","properties":{"path":{"type":"string"}}}`)}}
	first, err, _ := send(t, c, h, model.Request{Instructions: "INSTR", Input: "first", Tools: tools})
	if err != nil {
		t.Fatalf("first: %v", err)
	}
	if _, err, _ := send(t, c, h, model.Request{Instructions: "INSTR", Input: "second", PreviousResponseID: first.ID, Tools: tools}); err != nil {
		t.Fatalf("second: %v", err)
	}
	reqs := srv.Requests()
	if len(reqs) != 2 {
		t.Fatalf("requests = %d", len(reqs))
	}
	got := reqs[1].JSON
	checks := map[string]any{
		"input": "second", "instructions": "INSTR", "previous_response_id": first.ID,
		"store": true, "model": "gpt-test", "stream": true,
	}
	for k, want := range checks {
		if got[k] != want {
			t.Errorf("%s = %v, want %v", k, got[k], want)
		}
	}
	tool := got["tools"].([]any)[0].(map[string]any)
	if tool["type"] != "function" || tool["name"] != "read_file" {
		t.Errorf("tool not in the flat Responses shape: %v", tool)
	}
	if reqs[0].Path != "/v1/responses" {
		t.Errorf("path = %s", reqs[0].Path)
	}
}

func TestChatRequestShape(t *testing.T) {
	srv := openaitest.New(t)
	h := &harness{}
	c := newClient(t, srv, model.EngineChat, h, nil)
	hist := []model.Message{{Role: model.RoleUser, Content: "q1"}, {Role: model.RoleAssistant, Content: "a1"}}
	if _, err, _ := send(t, c, h, model.Request{Instructions: "INSTR", Input: "q2", History: hist}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	r := srv.Requests()[0]
	if r.Path != "/v1/chat/completions" {
		t.Errorf("path = %s", r.Path)
	}
	var body struct {
		Messages []struct{ Role, Content string }
		Stream   bool
		Options  struct {
			IncludeUsage bool `json:"include_usage"`
		} `json:"stream_options"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range body.Messages {
		got = append(got, m.Role+":"+m.Content)
	}
	if want := "system:INSTR user:q1 assistant:a1 user:q2"; strings.Join(got, " ") != want {
		t.Errorf("messages = %v, want %s", got, want)
	}
	if !body.Stream || !body.Options.IncludeUsage {
		t.Errorf("stream %v include_usage %v", body.Stream, body.Options.IncludeUsage)
	}
}

func readFileTool() []model.Tool {
	return []model.Tool{{Name: "read_file", Parameters: json.RawMessage(`{"type":"object","properties":{"path":{"type":"string"}},"required":["path"]}`)}}
}

func TestToolLoop(t *testing.T) {
	for _, engine := range engines {
		t.Run(string(engine), func(t *testing.T) {
			srv := openaitest.New(t)
			srv.Enqueue(
				openaitest.Reply{Text: "Let me look. ", ToolCalls: []openaitest.ToolCall{
					{Name: "read_file", Arguments: `{"path":"README.md"}`},
					{Name: "read_file", Arguments: `{"path":"missing.go"}`},
				}},
				openaitest.Reply{Text: "The README says hi."},
			)
			h := &harness{}
			c := newClient(t, srv, engine, h, nil)
			var calls []string
			call := func(_ context.Context, name, args string) (string, error) {
				calls = append(calls, name+" "+args)
				if strings.Contains(args, "missing") {
					return "", errors.New("no such file")
				}
				return "hi", nil
			}
			resp, err, streamed := send(t, c, h, model.Request{Instructions: "I", Input: "what does the README say?", Tools: readFileTool(), Call: call})
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			if len(calls) != 2 {
				t.Fatalf("tool calls = %v", calls)
			}
			if resp.Text != "Let me look. The README says hi." || streamed != resp.Text {
				t.Errorf("Text = %q streamed %q", resp.Text, streamed)
			}
			want := []model.ToolCall{
				{Name: "read_file", Args: `{"path":"README.md"}`, Result: "hi"},
				{Name: "read_file", Args: `{"path":"missing.go"}`, Error: "no such file"},
			}
			if len(resp.ToolCalls) != 2 || resp.ToolCalls[0] != want[0] || resp.ToolCalls[1] != want[1] {
				t.Errorf("ToolCalls = %+v", resp.ToolCalls)
			}
			reqs := srv.Requests()
			if len(reqs) != 2 {
				t.Fatalf("requests = %d", len(reqs))
			}
			second := string(reqs[1].Body)
			if !strings.Contains(second, `"hi"`) || !strings.Contains(second, "error: no such file") {
				t.Errorf("tool outputs missing from follow-up: %s", second)
			}
			if engine == model.EngineResponses {
				in := reqs[1].JSON["input"].([]any)
				if len(in) != 2 || in[0].(map[string]any)["type"] != "function_call_output" {
					t.Errorf("input = %v", in)
				}
				if reqs[1].JSON["previous_response_id"] == nil || reqs[1].JSON["instructions"] != "I" {
					t.Errorf("follow-up lost chain or instructions: %v", reqs[1].JSON)
				}
			}
			if resp.BytesSent != len(reqs[0].Body)+len(reqs[1].Body) {
				t.Errorf("BytesSent = %d", resp.BytesSent)
			}
			if k := h.kinds(); len(k) != 2 || k[0] != model.EventTool {
				t.Errorf("events = %v", k)
			}
		})
	}
}

func TestToolRoundBound(t *testing.T) {
	for _, engine := range engines {
		t.Run(string(engine), func(t *testing.T) {
			srv := openaitest.New(t)
			for range 6 {
				srv.Enqueue(openaitest.Reply{ToolCalls: []openaitest.ToolCall{{Name: "read_file", Arguments: `{"path":"a"}`}}})
			}
			h := &harness{}
			c := newClient(t, srv, engine, h, nil)
			n := 0
			call := func(context.Context, string, string) (string, error) { n++; return "x", nil }
			resp, err, _ := send(t, c, h, model.Request{Input: "loop", Tools: readFileTool(), Call: call, MaxToolRounds: 2})
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			if n != 2 {
				t.Errorf("tool ran %d times, want 2", n)
			}
			reqs := srv.Requests()
			if len(reqs) != 4 {
				t.Fatalf("requests = %d, want 4", len(reqs))
			}
			if reqs[3].JSON["tool_choice"] != "none" || reqs[2].JSON["tool_choice"] != nil {
				t.Errorf("tool_choice: third %v, last %v", reqs[2].JSON["tool_choice"], reqs[3].JSON["tool_choice"])
			}
			if len(resp.ToolCalls) != 3 || resp.ToolCalls[2].Error == "" || resp.Text == "" {
				t.Errorf("ToolCalls = %+v Text %q", resp.ToolCalls, resp.Text)
			}
		})
	}
}

func TestFaults(t *testing.T) {
	future := time.Now().Add(20 * time.Second).UTC().Format(http.TimeFormat)
	tests := []struct {
		name      string
		faults    []openaitest.Fault
		cfg       func(*model.Config)
		wantErr   error
		wantReqs  int
		wantSleep []time.Duration // exact waits; nil = do not check
		checkWait func(time.Duration) bool
		wantKinds string
	}{
		{name: "rate limit honours Retry-After seconds", faults: []openaitest.Fault{{Kind: openaitest.FaultRateLimit, RetryAfter: "7"}},
			wantReqs: 2, wantSleep: []time.Duration{7 * time.Second}, wantKinds: "retry"},
		{name: "rate limit honours retry-after-ms", faults: []openaitest.Fault{{Kind: openaitest.FaultRateLimit, RetryAfter: "9", RetryAfterMS: 1500}},
			wantReqs: 2, wantSleep: []time.Duration{1500 * time.Millisecond}, wantKinds: "retry"},
		{name: "rate limit honours Retry-After date", faults: []openaitest.Fault{{Kind: openaitest.FaultRateLimit, RetryAfter: future}},
			wantReqs: 2, checkWait: func(d time.Duration) bool { return d > 15*time.Second && d <= 20*time.Second }, wantKinds: "retry"},
		{name: "rate limit capped by MaxBackoff then exhausted", faults: []openaitest.Fault{{Kind: openaitest.FaultRateLimit, RetryAfter: "120", Count: -1}},
			cfg: func(c *model.Config) { c.MaxBackoff = 5 * time.Second }, wantErr: model.ErrRateLimited, wantReqs: 4,
			wantSleep: []time.Duration{5 * time.Second, 5 * time.Second, 5 * time.Second}, wantKinds: "retry retry retry"},
		{name: "exponential backoff without Retry-After", faults: []openaitest.Fault{{Kind: openaitest.FaultServerError, Count: 2}},
			wantReqs: 3, checkWait: func(d time.Duration) bool { return d >= time.Second && d <= 2500*time.Millisecond }, wantKinds: "retry retry"},
		{name: "quota never retried", faults: []openaitest.Fault{{Kind: openaitest.FaultQuota, Count: -1}},
			wantErr: model.ErrQuota, wantReqs: 1},
		{name: "503 retried then unavailable", faults: []openaitest.Fault{{Kind: openaitest.FaultUnavailable, Count: -1}},
			wantErr: model.ErrUnavailable, wantReqs: 4, wantKinds: "retry retry retry"},
		{name: "401 invalid key", faults: []openaitest.Fault{{Kind: openaitest.FaultAuth}}, wantErr: model.ErrAuth, wantReqs: 1},
		{name: "403 forbidden", faults: []openaitest.Fault{{Kind: openaitest.FaultForbidden}}, wantErr: model.ErrAuth, wantReqs: 1},
		{name: "400 bad request", faults: []openaitest.Fault{{Kind: openaitest.FaultBadRequest}}, wantErr: model.ErrBadRequest, wantReqs: 1},
		{name: "stream cut before text is retried", faults: []openaitest.Fault{{Kind: openaitest.FaultCut, AfterDeltas: 0}},
			wantReqs: 2, wantKinds: "retry"},
		{name: "retries zero", faults: []openaitest.Fault{{Kind: openaitest.FaultServerError}},
			cfg: func(c *model.Config) { c.MaxRetries = -1 }, wantErr: model.ErrUnavailable, wantReqs: 1},
	}
	for _, engine := range engines {
		for _, tc := range tests {
			t.Run(string(engine)+"/"+tc.name, func(t *testing.T) {
				srv := openaitest.New(t)
				srv.Inject(tc.faults...)
				h := &harness{}
				c := newClient(t, srv, engine, h, tc.cfg)
				resp, err, _ := send(t, c, h, model.Request{Input: "hello"})
				if tc.wantErr == nil && err != nil {
					t.Fatalf("Send: %v", err)
				}
				if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
					t.Fatalf("Send error = %v, want %v", err, tc.wantErr)
				}
				if tc.wantErr == nil && !strings.HasPrefix(resp.Text, "answer ") {
					t.Errorf("Text = %q", resp.Text)
				}
				if tc.wantErr == model.ErrAuth && !strings.Contains(err.Error(), "OPENAI_API_KEY") {
					t.Errorf("auth error does not name OPENAI_API_KEY: %v", err)
				}
				if n := len(srv.Requests()); n != tc.wantReqs {
					t.Errorf("requests = %d, want %d", n, tc.wantReqs)
				}
				if tc.wantSleep != nil && !equalDurations(h.sleeps, tc.wantSleep) {
					t.Errorf("sleeps = %v, want %v", h.sleeps, tc.wantSleep)
				}
				for _, d := range h.sleeps {
					if tc.checkWait != nil && !tc.checkWait(d) {
						t.Errorf("wait %v out of range", d)
					}
				}
				if got := strings.Join(h.kinds(), " "); got != tc.wantKinds {
					t.Errorf("events = %q, want %q", got, tc.wantKinds)
				}
				var total int
				for _, r := range srv.Requests() {
					total += len(r.Body)
				}
				if resp.BytesSent != total {
					t.Errorf("BytesSent = %d, server got %d", resp.BytesSent, total)
				}
			})
		}
	}
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestAuthKeyHandling(t *testing.T) {
	tests := []struct {
		name    string
		server  string // key the server requires
		client  string
		noBase  bool
		wantErr error
	}{
		{name: "right key", server: testKey, client: testKey},
		{name: "wrong key", server: "sk-other-KEY00000000000", client: testKey, wantErr: model.ErrAuth},
		{name: "missing key at a server that needs one", server: testKey, client: "", wantErr: model.ErrAuth},
		{name: "no key, local server needs none", client: ""},
		{name: "no key and no base URL", client: "", noBase: true, wantErr: model.ErrAuth},
	}
	for _, engine := range engines {
		for _, tc := range tests {
			t.Run(string(engine)+"/"+tc.name, func(t *testing.T) {
				srv := openaitest.New(t)
				srv.RequireKey(tc.server)
				h := &harness{}
				c := newClient(t, srv, engine, h, func(c *model.Config) {
					c.APIKey = tc.client
					if tc.noBase {
						c.BaseURL = ""
					}
				})
				_, err, _ := send(t, c, h, model.Request{Input: "hi"})
				if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				if err != nil && !strings.Contains(err.Error(), "OPENAI_API_KEY") {
					t.Errorf("error does not name OPENAI_API_KEY: %v", err)
				}
				if tc.noBase && len(srv.Requests()) != 0 {
					t.Errorf("a request was sent without a key")
				}
				if rs := srv.Requests(); len(rs) > 0 && rs[0].HasAuth != (tc.client != "") {
					t.Errorf("HasAuth = %v with client key %q", rs[0].HasAuth, tc.client)
				}
			})
		}
	}
}

// TestKeyRedacted uses a server that echoes the full key in its error
// message: the client must not pass it on.
func TestKeyRedacted(t *testing.T) {
	for _, status := range []int{http.StatusUnauthorized, http.StatusBadRequest, http.StatusInternalServerError} {
		for _, engine := range engines {
			t.Run(string(engine)+"/"+http.StatusText(status), func(t *testing.T) {
				ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(status)
					msg := "bad key " + strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
					_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": msg, "type": "invalid_request_error", "code": nil}})
				}))
				defer ts.Close()
				h := &harness{}
				c, err := model.New(model.Config{Engine: engine, BaseURL: ts.URL + "/v1", APIKey: testKey, Model: "m", MaxRetries: 1, Sleep: h.sleep})
				if err != nil {
					t.Fatal(err)
				}
				_, err = c.Send(context.Background(), model.Request{Input: "x", OnEvent: h.onEvent})
				if err == nil || strings.Contains(err.Error(), testKey) || !strings.Contains(err.Error(), "[redacted]") {
					t.Fatalf("err = %v", err)
				}
				for _, e := range h.events {
					if strings.Contains(e.Detail, testKey) {
						t.Errorf("event leaks key: %+v", e)
					}
				}
			})
		}
	}
}

func TestModelFallback(t *testing.T) {
	tests := []struct {
		name      string
		missing   []string
		fallback  string
		wantErr   error
		wantModel string
	}{
		{name: "no fallback", missing: []string{"gpt-test"}, wantErr: model.ErrModelNotFound, wantModel: "gpt-test"},
		{name: "fallback used", missing: []string{"gpt-test"}, fallback: "gpt-small", wantModel: "gpt-small"},
		{name: "fallback missing too", missing: []string{"gpt-test", "gpt-small"}, fallback: "gpt-small", wantErr: model.ErrModelNotFound, wantModel: "gpt-small"},
	}
	for _, engine := range engines {
		for _, tc := range tests {
			t.Run(string(engine)+"/"+tc.name, func(t *testing.T) {
				srv := openaitest.New(t)
				srv.MissingModels(tc.missing...)
				h := &harness{}
				c := newClient(t, srv, engine, h, func(c *model.Config) { c.FallbackModel = tc.fallback })
				resp, err, _ := send(t, c, h, model.Request{Input: "hi"})
				if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				if resp.Model != tc.wantModel {
					t.Errorf("Model = %q, want %q", resp.Model, tc.wantModel)
				}
				if tc.fallback != "" && strings.Join(h.kinds(), " ") != "fallback" {
					t.Errorf("events = %v", h.kinds())
				}
				if last := srv.Requests()[len(srv.Requests())-1]; last.JSON["model"] != tc.wantModel {
					t.Errorf("last request model = %v", last.JSON["model"])
				}
			})
		}
	}
}

func TestPreviousResponseNotFound(t *testing.T) {
	srv := openaitest.New(t)
	h := &harness{}
	c := newClient(t, srv, model.EngineResponses, h, nil)
	first, err, _ := send(t, c, h, model.Request{Input: "one"})
	if err != nil {
		t.Fatal(err)
	}
	srv.Forget(first.ID)
	_, err, _ = send(t, c, h, model.Request{Input: "two", PreviousResponseID: first.ID})
	if !errors.Is(err, model.ErrPreviousNotFound) || !strings.Contains(err.Error(), first.ID) {
		t.Fatalf("err = %v", err)
	}
	if len(srv.Requests()) != 2 {
		t.Errorf("requests = %d, want 2 (no retry)", len(srv.Requests()))
	}
}

func TestPartialAnswers(t *testing.T) {
	const text = "0123456789abcdefghijklmnopqrstuvwxyz"
	tests := []struct {
		name    string
		fault   openaitest.Fault
		cancel  bool // cancel ctx on the first delta
		timeout time.Duration
		wantErr error
	}{
		{name: "stream cut after text", fault: openaitest.Fault{Kind: openaitest.FaultCut, AfterDeltas: 2}, wantErr: model.ErrUnavailable},
		{name: "ctx cancelled mid-stream", fault: openaitest.Fault{Kind: openaitest.FaultStall, AfterDeltas: 2}, cancel: true, wantErr: context.Canceled},
		{name: "timeout mid-stream", fault: openaitest.Fault{Kind: openaitest.FaultStall, AfterDeltas: 2}, timeout: 300 * time.Millisecond, wantErr: model.ErrUnavailable},
	}
	for _, engine := range engines {
		for _, tc := range tests {
			t.Run(string(engine)+"/"+tc.name, func(t *testing.T) {
				srv := openaitest.New(t)
				srv.Enqueue(openaitest.Reply{Text: text})
				srv.Inject(tc.fault)
				h := &harness{}
				c := newClient(t, srv, engine, h, func(c *model.Config) { c.Timeout = tc.timeout })
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				var streamed strings.Builder
				resp, err := c.Send(ctx, model.Request{Input: "x", OnEvent: h.onEvent, OnDelta: func(s string) {
					streamed.WriteString(s)
					if tc.cancel && streamed.Len() >= 16 {
						cancel()
					}
				}})
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				if !resp.Incomplete || resp.Text != text[:16] || streamed.String() != resp.Text {
					t.Errorf("resp = %+v, streamed %q", resp, streamed.String())
				}
				if n := len(srv.Requests()); n != 1 {
					t.Errorf("requests = %d, want 1: text was shown, so no retry", n)
				}
				if len(h.sleeps) != 0 {
					t.Errorf("slept %v", h.sleeps)
				}
			})
		}
	}
}

func TestSlowResponseTimesOut(t *testing.T) {
	for _, engine := range engines {
		t.Run(string(engine), func(t *testing.T) {
			srv := openaitest.New(t)
			srv.Inject(openaitest.Fault{Kind: openaitest.FaultSlow, DelayMS: 5000, Count: 2})
			h := &harness{}
			c := newClient(t, srv, engine, h, func(c *model.Config) { c.Timeout = 100 * time.Millisecond; c.MaxRetries = 1 })
			resp, err, _ := send(t, c, h, model.Request{Input: "x"})
			if !errors.Is(err, model.ErrUnavailable) || !strings.Contains(err.Error(), "timed out") {
				t.Fatalf("err = %v", err)
			}
			if resp.Text != "" || len(h.sleeps) != 1 {
				t.Errorf("text %q sleeps %v", resp.Text, h.sleeps)
			}
		})
	}
}

func TestSleepCancelled(t *testing.T) {
	srv := openaitest.New(t)
	srv.Inject(openaitest.Fault{Kind: openaitest.FaultRateLimit, RetryAfter: "3600"})
	c, err := model.New(model.Config{BaseURL: srv.URL(), Model: "m"}) // real sleep
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var waited time.Duration
	resp, err := c.Send(ctx, model.Request{Input: "x", OnEvent: func(e model.Event) { waited = e.Wait; cancel() }})
	if !errors.Is(err, context.Canceled) || !resp.Incomplete {
		t.Fatalf("err = %v, resp %+v", err, resp)
	}
	if waited != model.DefaultMaxBackoff {
		t.Errorf("wait = %v, want the cap %v", waited, model.DefaultMaxBackoff)
	}
}

func TestConnectionRefused(t *testing.T) {
	srv := openaitest.New(t)
	url := srv.URL()
	srv.Close()
	for _, engine := range engines {
		t.Run(string(engine), func(t *testing.T) {
			h := &harness{}
			c, err := model.New(model.Config{Engine: engine, BaseURL: url, Model: "m", Sleep: h.sleep})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Send(context.Background(), model.Request{Input: "x"})
			if !errors.Is(err, model.ErrUnavailable) || !strings.Contains(err.Error(), "connection refused") || len(h.sleeps) != 0 {
				t.Fatalf("err = %v, sleeps %v", err, h.sleeps)
			}
		})
	}
}

func TestIdleTimeout(t *testing.T) {
	const text = "0123456789abcdefghijklmnopqrstuvwxyz"
	tests := []struct {
		name         string
		after        int // deltas before the stream stalls
		wantErr      error
		wantText     string
		wantRequests int
	}{
		// Text reached the user: no retry, the partial answer comes back incomplete.
		{name: "stall after text", after: 2, wantErr: model.ErrUnavailable, wantText: text[:16], wantRequests: 1},
		// Nothing shown yet: a stalled stream is retried like a cut one.
		{name: "stall before text", after: 0, wantText: text, wantRequests: 2},
	}
	for _, engine := range engines {
		for _, tc := range tests {
			t.Run(string(engine)+"/"+tc.name, func(t *testing.T) {
				srv := openaitest.New(t)
				srv.Enqueue(openaitest.Reply{Text: text}, openaitest.Reply{Text: text}) // the retry needs its own
				srv.Inject(openaitest.Fault{Kind: openaitest.FaultStall, AfterDeltas: tc.after})
				h := &harness{}
				// Timeout stays at its 10-minute default: only IdleTimeout can end the stall.
				c := newClient(t, srv, engine, h, func(c *model.Config) { c.IdleTimeout = 200 * time.Millisecond })
				resp, err, streamed := send(t, c, h, model.Request{Input: "x"})
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				if tc.wantErr != nil && !strings.Contains(err.Error(), "stalled") {
					t.Errorf("error does not say the stream stalled: %v", err)
				}
				if resp.Text != tc.wantText || streamed != resp.Text {
					t.Errorf("text %q streamed %q, want %q", resp.Text, streamed, tc.wantText)
				}
				if resp.Incomplete != (tc.wantErr != nil) {
					t.Errorf("incomplete = %v", resp.Incomplete)
				}
				if n := len(srv.Requests()); n != tc.wantRequests {
					t.Errorf("requests = %d, want %d", n, tc.wantRequests)
				}
			})
		}
	}
}

// TestErrorBodies checks that the HTTP status and the server's message reach
// the error whatever shape the error body has, and that a server without the
// Responses API is told apart from other rejections.
func TestErrorBodies(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		want     map[model.Engine]error
		wantReqs int // per engine; retried errors make MaxRetries+1
		contains []string
	}{
		{name: "404 from a router without the endpoint", status: 404, body: "404 page not found",
			want:     map[model.Engine]error{model.EngineResponses: model.ErrNoResponsesAPI, model.EngineChat: model.ErrBadRequest},
			wantReqs: 1, contains: []string{"404 Not Found: 404 page not found"}},
		{name: "405 on the endpoint", status: 405, body: "",
			want:     map[model.Engine]error{model.EngineResponses: model.ErrNoResponsesAPI, model.EngineChat: model.ErrBadRequest},
			wantReqs: 1, contains: []string{"405 Method Not Allowed"}},
		{name: "OpenAI-style 404 for an unknown URL", status: 404, body: `{"error":{"message":"Invalid URL (POST /v1/responses)","type":"invalid_request_error","param":null,"code":null}}`,
			want:     map[model.Engine]error{model.EngineResponses: model.ErrNoResponsesAPI, model.EngineChat: model.ErrBadRequest},
			wantReqs: 1, contains: []string{"404 Not Found: Invalid URL"}},
		{name: "404 naming the model", status: 404, body: `{"error":{"message":"model \"llama9\" not found, try pulling it first","type":"api_error"}}`,
			want:     map[model.Engine]error{model.EngineResponses: model.ErrModelNotFound, model.EngineChat: model.ErrModelNotFound},
			wantReqs: 1, contains: []string{`404 Not Found: model "llama9" not found`}},
		{name: "500 with the error as a string", status: 500, body: `{"error":"llama runner process has terminated: signal: killed"}`,
			want:     map[model.Engine]error{model.EngineResponses: model.ErrUnavailable, model.EngineChat: model.ErrUnavailable},
			wantReqs: 2, contains: []string{"500 Internal Server Error: llama runner process has terminated"}},
		{name: "400 with the error as a string", status: 400, body: `{"error":"model is required"}`,
			want:     map[model.Engine]error{model.EngineResponses: model.ErrBadRequest, model.EngineChat: model.ErrBadRequest},
			wantReqs: 1, contains: []string{"400 Bad Request: model is required"}},
		{name: "500 without a body", status: 500, body: "",
			want:     map[model.Engine]error{model.EngineResponses: model.ErrUnavailable, model.EngineChat: model.ErrUnavailable},
			wantReqs: 2, contains: []string{"500 Internal Server Error"}},
		{name: "422 FastAPI detail", status: 422, body: `{"detail":[{"loc":["body","model"],"msg":"field required"}]}`,
			want:     map[model.Engine]error{model.EngineResponses: model.ErrBadRequest, model.EngineChat: model.ErrBadRequest},
			wantReqs: 1, contains: []string{"422 Unprocessable Entity: [{", "field required"}},
		{name: "502 from a proxy", status: 502, body: "<html><body>Bad gateway</body></html>",
			want:     map[model.Engine]error{model.EngineResponses: model.ErrUnavailable, model.EngineChat: model.ErrUnavailable},
			wantReqs: 2, contains: []string{"502 Bad Gateway: <html><body>Bad gateway"}},
	}
	for _, engine := range engines {
		for _, tc := range tests {
			t.Run(string(engine)+"/"+tc.name, func(t *testing.T) {
				var reqs int
				ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					reqs++
					w.WriteHeader(tc.status)
					_, _ = w.Write([]byte(tc.body))
				}))
				defer ts.Close()
				h := &harness{}
				c, err := model.New(model.Config{Engine: engine, BaseURL: ts.URL + "/v1", Model: "m", MaxRetries: 1, Sleep: h.sleep})
				if err != nil {
					t.Fatal(err)
				}
				_, err = c.Send(context.Background(), model.Request{Input: "x"})
				if !errors.Is(err, tc.want[engine]) {
					t.Fatalf("err = %v, want %v", err, tc.want[engine])
				}
				for _, s := range tc.contains {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q lacks %q", err, s)
					}
				}
				if strings.HasSuffix(err.Error(), ":") {
					t.Errorf("error ends without a reason: %q", err)
				}
				if reqs != tc.wantReqs {
					t.Errorf("requests = %d, want %d", reqs, tc.wantReqs)
				}
			})
		}
	}
}

func TestBaseURLChecked(t *testing.T) {
	srv := openaitest.New(t)
	port := srv.URL()[strings.LastIndex(srv.URL(), ":"):] // ":1234/v1"
	notFound := func(_ context.Context, host string) ([]string, error) {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	tests := []struct {
		name       string
		baseURL    string
		lookup     func(context.Context, string) ([]string, error)
		wantErr    error
		wantLookup []string
		contains   string
	}{
		{name: "no scheme", baseURL: "localhost" + port, wantErr: model.ErrBaseURL, contains: `OPENAI_BASE_URL "localhost:`},
		{name: "other scheme", baseURL: "ftp://127.0.0.1" + port, wantErr: model.ErrBaseURL, contains: `"ftp://127.0.0.1`},
		{name: "host does not resolve", baseURL: "http://nosuch.invalid/v1", lookup: notFound, wantErr: model.ErrBaseURL,
			wantLookup: []string{"nosuch.invalid"}, contains: `the host "nosuch.invalid" of OPENAI_BASE_URL http://nosuch.invalid/v1 does not resolve (no such host)`},
		{name: "credentials stay out of the error", baseURL: "https://user:hunter2@nosuch.invalid/v1", lookup: notFound, wantErr: model.ErrBaseURL,
			wantLookup: []string{"nosuch.invalid"}, contains: "https://user:xxxxx@nosuch.invalid/v1"},
		{name: "an IP address needs no look-up", baseURL: srv.URL()},
		{name: "a name is looked up once per client", baseURL: "http://localhost" + port,
			lookup: func(_ context.Context, host string) ([]string, error) { return []string{"127.0.0.1"}, nil }, wantLookup: []string{"localhost"}},
	}
	for _, engine := range engines {
		for _, tc := range tests {
			t.Run(string(engine)+"/"+tc.name, func(t *testing.T) {
				var looked []string
				cfg := model.Config{Engine: engine, BaseURL: tc.baseURL, BaseURLSource: "OPENAI_BASE_URL", Model: "m", Sleep: (&harness{}).sleep,
					LookupHost: func(ctx context.Context, host string) ([]string, error) {
						looked = append(looked, host)
						if tc.lookup == nil {
							t.Errorf("unexpected look-up of %q", host)
							return nil, errors.New("unexpected")
						}
						return tc.lookup(ctx, host)
					}}
				c, err := model.New(cfg)
				if err != nil {
					t.Fatal(err)
				}
				before := len(srv.Requests())
				for range 2 {
					_, err = c.Send(context.Background(), model.Request{Input: "x"})
					if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
						t.Fatalf("err = %v, want %v", err, tc.wantErr)
					}
				}
				if err != nil && !strings.Contains(err.Error(), tc.contains) {
					t.Errorf("error %q lacks %q", err, tc.contains)
				}
				if err != nil && strings.Contains(err.Error(), "hunter2") {
					t.Errorf("error leaks the password: %v", err)
				}
				if tc.wantErr != nil && len(srv.Requests()) != before {
					t.Errorf("a request was sent despite %v", err)
				}
				wantLookup := tc.wantLookup
				if tc.wantErr != nil && wantLookup != nil {
					wantLookup = append(wantLookup, wantLookup...) // a failed look-up is tried again next turn
				}
				if strings.Join(looked, " ") != strings.Join(wantLookup, " ") {
					t.Errorf("look-ups = %q, want %q", looked, wantLookup)
				}
			})
		}
	}
}
