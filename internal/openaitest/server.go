// Package openaitest is a loopback OpenAI-compatible HTTP server for tests and
// end-to-end scripts. It speaks the Responses API (POST /v1/responses) and the
// Chat Completions API (POST /v1/chat/completions), both as JSON and as
// server-sent-event streams, with function/tool calls, stored responses for
// previous_response_id, real error bodies and scriptable faults.
//
// It is an independent implementation of the wire format: it must never
// import go-openai (or any client library), so that tests of the model client
// really check compatibility with the documented protocol. It only listens on
// 127.0.0.1 and never talks to the network.
package openaitest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Request is one HTTP request the server received.
type Request struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	// Header holds the request headers with the Authorization value removed.
	Header http.Header `json:"header"`
	// HasAuth reports whether an Authorization header was present.
	HasAuth bool `json:"has_auth"`
	// Body is the raw request body.
	Body []byte `json:"body"`
	// JSON is the decoded body (nil when the body is not a JSON object).
	JSON map[string]any `json:"json"`
	// Start is when the request arrived and End when the server finished
	// answering it (zero while it is being answered), by the real clock:
	// scripts compare them to see which requests overlapped.
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// ToolCall is a function call a scripted Reply asks the client to make.
type ToolCall struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"` // JSON text
	// Namespace, when set, names the namespace tool the function belongs to
	// (Responses API only: {"type":"namespace","name":…,"tools":[…]}, as
	// the Codex CLI offers MCP tools); the call carries it.
	Namespace string `json:"namespace"`
}

// Patch is an apply_patch call a scripted Reply asks the client to make:
// one file operation (create_file, update_file or delete_file) with its V4A
// diff. On the responses endpoint it is an apply_patch_call item, when the
// request offers the native tool ({"type":"apply_patch"}); on the chat
// endpoint a call of the function named apply_patch, when the request offers
// one. When the request offers no edit tool, the model writes the patch into
// its answer as text instead, as a model without the tool does.
type Patch struct {
	Type string `json:"type"`
	Path string `json:"path"`
	Diff string `json:"diff,omitempty"`
}

// PatchOutput is an answer to an apply_patch call the server received: an
// apply_patch_call_output item (responses), or the tool message answering a
// call of the apply_patch function (chat, Status "").
type PatchOutput struct {
	CallID string `json:"call_id"`
	Status string `json:"status,omitempty"`
	Output string `json:"output"`
}

// Usage is a token count the server reports.
type Usage struct {
	Input  int `json:"input"`
	Cached int `json:"cached"`
	Output int `json:"output"`
}

// Reply is one scripted model answer. A reply with ToolCalls asks the client
// to call those tools (Text, if set, is streamed before the calls); a reply
// without ToolCalls is a plain text answer.
type Reply struct {
	Text      string     `json:"text"`
	ToolCalls []ToolCall `json:"tool_calls"`
	// Patches are apply_patch calls, made after ToolCalls.
	Patches []Patch `json:"patches"`
	// Reasoning, when set, comes first as a reasoning output item whose
	// summary is this text (Responses API only; the chat endpoint ignores it).
	Reasoning string `json:"reasoning"`
	// Usage overrides the computed usage figures when non-nil.
	Usage *Usage `json:"usage"`
}

// Fault kinds understood by Fault.Kind.
const (
	FaultRateLimit   = "rate_limit"         // 429 code rate_limit_exceeded, with Retry-After
	FaultQuota       = "insufficient_quota" // 429 code insufficient_quota
	FaultServerError = "server_error"       // 500
	FaultUnavailable = "unavailable"        // 503
	FaultAuth        = "invalid_api_key"    // 401 code invalid_api_key
	FaultForbidden   = "forbidden"          // 403
	FaultCut         = "cut"                // stream closed after AfterDeltas text deltas
	FaultStall       = "stall"              // stream hangs after AfterDeltas deltas until the client leaves
	FaultSlow        = "slow"               // wait DelayMS before answering
	FaultBadRequest  = "bad_request"        // 400 invalid_request_error
	// FaultServerErrorPlain is a 500 whose body is not an OpenAI error
	// object but {"error": "<text>"}, as Ollama and other compatible
	// servers answer.
	FaultServerErrorPlain = "server_error_plain"
)

// Fault is a scripted failure applied to the next Count model requests
// (POST /v1/responses or /v1/chat/completions).
type Fault struct {
	Kind string `json:"kind"`
	// Count is how many requests the fault applies to; 0 means 1, -1 forever.
	Count int `json:"count"`
	// RetryAfter is the Retry-After header value for rate_limit and 503
	// (seconds or an HTTP date); empty sends no header.
	RetryAfter string `json:"retry_after"`
	// RetryAfterMS, when > 0, sends a retry-after-ms header.
	RetryAfterMS int `json:"retry_after_ms"`
	// AfterDeltas is how many deltas (text or arguments) a cut or stalled
	// stream sends first.
	AfterDeltas int `json:"after_deltas"`
	// DelayMS is how long a slow response waits before its first byte.
	DelayMS int `json:"delay_ms"`
	// Endpoint limits the fault to "responses" or "chat"; empty = both.
	Endpoint string `json:"endpoint"`
}

// Server is a scripted OpenAI-compatible server. All methods are safe for
// concurrent use.
type Server struct {
	mu        sync.Mutex
	ts        *httptest.Server
	hs        *http.Server
	url       string
	requests  []Request
	replies   []Reply
	faults    []Fault
	missing   map[string]bool
	noResp    int // status POST /v1/responses answers with; 0 = served
	apiKey    string
	usage     *Usage
	stored    map[string]*stored
	nextID    int
	answers   int
	lastChat  []byte
	chunkSize int
	now       func() time.Time
	// patchCalls are the ids of the apply_patch calls the server made,
	// patchOutputs the answers it accepted.
	patchCalls   map[string]bool
	patchOutputs []PatchOutput
	// delay is waited before every model request is answered; holds are
	// substrings of request bodies: the next request containing one waits
	// until the client goes away or Release is called.
	delay   time.Duration
	holds   []string
	release chan struct{}
}

type stored struct {
	tokens  int               // input+output tokens of the whole chain so far
	pending map[string]string // call_id -> name, for calls awaiting output
}

// New starts a server on a loopback port. With a non-nil t it is closed by
// t.Cleanup; with nil the caller must call Close.
func New(t testing.TB) *Server {
	s := NewUnstarted()
	s.ts = httptest.NewServer(s.Handler())
	s.url = s.ts.URL + "/v1"
	if t != nil {
		t.Cleanup(s.Close)
	}
	return s
}

// NewUnstarted returns a server that is not listening; serve its Handler
// yourself (URL then returns "").
func NewUnstarted() *Server {
	return &Server{
		missing:   map[string]bool{},
		stored:    map[string]*stored{},
		chunkSize: 8,
		now:       func() time.Time { return time.Unix(1767225600, 0) },
	}
}

// Serve starts a server listening on addr ("127.0.0.1:0" picks a free port),
// for end-to-end scripts that run it in the background. Close stops it.
func Serve(addr string) (*Server, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("parse listen address %q: %w", addr, err)
	}
	if host != "127.0.0.1" && host != "localhost" && host != "::1" {
		return nil, fmt.Errorf("listen on %q: openaitest serves loopback addresses only", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	s := NewUnstarted()
	s.hs = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	s.url = "http://" + ln.Addr().String() + "/v1"
	go func() { _ = s.hs.Serve(ln) }()
	return s, nil
}

// URL returns the base URL, ending in /v1, to use as OPENAI_BASE_URL.
func (s *Server) URL() string { return s.url }

// ControlURL returns the URL of the control endpoint (POST a Control as JSON).
func (s *Server) ControlURL() string { return strings.TrimSuffix(s.url, "/v1") + "/_control" }

// Close stops the server.
func (s *Server) Close() {
	if s.ts != nil {
		s.ts.CloseClientConnections()
		s.ts.Close()
	}
	if s.hs != nil {
		_ = s.hs.Close()
	}
}

// Handler returns the server's HTTP handler (API endpoints plus /_control).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/responses", s.timed(s.handleResponses))
	mux.HandleFunc("POST /v1/chat/completions", s.timed(s.handleChat))
	mux.HandleFunc("POST /_control", s.handleControl)
	mux.HandleFunc("GET /_control/requests", s.handleRequests)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.record(r, nil)
		writeError(w, http.StatusNotFound, "Invalid URL ("+r.Method+" "+r.URL.Path+")", "invalid_request_error", "", nil)
	})
	return mux
}

// slotKey is the context key of the request log slot a model request is
// recorded in, so that timed can note when its answer ended.
type slotKey struct{}

// timed records when a model request's handler returns (Request.End).
func (s *Server) timed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		slot := -1
		h(w, r.WithContext(context.WithValue(r.Context(), slotKey{}, &slot)))
		if slot >= 0 {
			s.mu.Lock()
			s.requests[slot].End = time.Now()
			s.mu.Unlock()
		}
	}
}

// SetDelay makes the server wait d before answering every model request
// (after recording it): a model that takes time, for tests of what runs at
// the same time. 0 answers at once again.
func (s *Server) SetDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// Hold makes the next model request whose body contains substr wait, once
// recorded, until its client goes away or Release is called: a request in
// flight for as long as a test needs (to kill the client in the middle).
func (s *Server) Hold(substr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.holds = append(s.holds, substr)
	if s.release == nil {
		s.release = make(chan struct{})
	}
}

// Release lets every held request go on.
func (s *Server) Release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.release != nil {
		close(s.release)
		s.release = nil
	}
}

// wait applies the delay and a hold to a recorded model request; false
// means the client went away meanwhile.
func (s *Server) wait(r *http.Request, body []byte) bool {
	s.mu.Lock()
	delay := s.delay
	var held chan struct{}
	for i, h := range s.holds {
		if strings.Contains(string(body), h) {
			s.holds = append(s.holds[:i:i], s.holds[i+1:]...)
			held = s.release
			break
		}
	}
	s.mu.Unlock()
	if held != nil {
		select {
		case <-held:
		case <-r.Context().Done():
			return false
		}
	}
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return false
		}
	}
	return true
}

// Enqueue appends scripted replies; each model request consumes one. When the
// queue is empty the server answers "answer N to: <first 40 chars of input>".
func (s *Server) Enqueue(replies ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.replies = append(s.replies, replies...)
}

// Inject appends faults; they apply in order to the next model requests.
func (s *Server) Inject(faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, faults...)
}

// MissingModels makes requests for the named models fail with 404 model_not_found.
func (s *Server) MissingModels(names ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range names {
		s.missing[n] = true
	}
}

// DisableResponses makes the server one without the Responses API: POST
// /v1/responses answers status (404 or 405) with a plain-text body, as the
// router of a chat-only server does; 0 serves the Responses API again.
// Chat Completions are unaffected.
func (s *Server) DisableResponses(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.noResp = status
}

// RequireKey makes the server demand "Authorization: Bearer key" (401 otherwise).
// An empty key accepts any request, with or without a key (the default).
func (s *Server) RequireKey(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apiKey = key
}

// SetUsage fixes the usage figures of every answer (nil: compute them).
func (s *Server) SetUsage(u *Usage) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.usage = u
}

// SetChunkSize sets how many bytes of text each streamed delta carries (default 8).
func (s *Server) SetChunkSize(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n > 0 {
		s.chunkSize = n
	}
}

// Forget drops stored responses so previous_response_id naming them fails
// with 400 previous_response_not_found; no ids forgets all of them.
func (s *Server) Forget(ids ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(ids) == 0 {
		s.stored = map[string]*stored{}
		return
	}
	for _, id := range ids {
		delete(s.stored, id)
	}
}

// Requests returns a copy of every request received so far (control
// requests excluded), oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Reset clears requests, replies, faults, missing models, the key and
// stored responses.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests, s.replies, s.faults = nil, nil, nil
	s.missing = map[string]bool{}
	s.stored = map[string]*stored{}
	s.apiKey, s.usage, s.lastChat = "", nil, nil
	s.noResp = 0
	s.patchCalls, s.patchOutputs = nil, nil
	s.delay, s.holds = 0, nil
	if s.release != nil {
		close(s.release)
		s.release = nil
	}
}

// Control is the JSON body of POST /_control; every set field is applied.
type Control struct {
	Reset         bool     `json:"reset"`
	Replies       []Reply  `json:"replies"`
	Faults        []Fault  `json:"faults"`
	Fault         *Fault   `json:"fault"`
	MissingModels []string `json:"missing_models"`
	RequireKey    *string  `json:"require_key"`
	Usage         *Usage   `json:"usage"`
	Forget        []string `json:"forget"`
	ForgetAll     bool     `json:"forget_all"`
	// DisableResponses, when set, is the status /v1/responses answers with
	// (see Server.DisableResponses).
	DisableResponses *int `json:"disable_responses"`
}

// Apply applies a Control, as POST /_control does.
func (s *Server) Apply(c Control) {
	if c.Reset {
		s.Reset()
	}
	s.Enqueue(c.Replies...)
	s.Inject(c.Faults...)
	if c.Fault != nil {
		s.Inject(*c.Fault)
	}
	s.MissingModels(c.MissingModels...)
	if c.RequireKey != nil {
		s.RequireKey(*c.RequireKey)
	}
	if c.Usage != nil {
		s.SetUsage(c.Usage)
	}
	if len(c.Forget) > 0 {
		s.Forget(c.Forget...)
	}
	if c.ForgetAll {
		s.Forget()
	}
	if c.DisableResponses != nil {
		s.DisableResponses(*c.DisableResponses)
	}
}

func (s *Server) handleControl(w http.ResponseWriter, r *http.Request) {
	var c Control
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		writeError(w, http.StatusBadRequest, "decode control: "+err.Error(), "invalid_request_error", "", nil)
		return
	}
	s.Apply(c)
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte("{\"ok\":true}\n"))
}

func (s *Server) handleRequests(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(s.Requests())
}

// record stores the request and returns its decoded JSON body.
func (s *Server) record(r *http.Request, body []byte) map[string]any {
	h := r.Header.Clone()
	_, hasAuth := h["Authorization"]
	h.Del("Authorization")
	var m map[string]any
	if json.Unmarshal(body, &m) != nil {
		m = nil
	}
	s.mu.Lock()
	if slot, ok := r.Context().Value(slotKey{}).(*int); ok {
		*slot = len(s.requests)
	}
	s.requests = append(s.requests, Request{
		Method: r.Method, Path: r.URL.Path, Header: h, HasAuth: hasAuth, Body: body, JSON: m, Start: time.Now(),
	})
	s.mu.Unlock()
	return m
}

// takeFault pops the fault that applies to this request, if any.
func (s *Server) takeFault(endpoint string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if f.Endpoint != "" && f.Endpoint != endpoint {
			continue
		}
		switch {
		case f.Count < 0:
		case f.Count <= 1:
			s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
		default:
			s.faults[i].Count--
		}
		return f, true
	}
	return Fault{}, false
}

// nextReply pops a scripted reply or makes the default one for input.
func (s *Server) nextReply(input string, toolsAllowed bool) Reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.answers++
	if len(s.replies) > 0 {
		r := s.replies[0]
		s.replies = s.replies[1:]
		if !toolsAllowed && (len(r.ToolCalls) > 0 || len(r.Patches) > 0) {
			r.ToolCalls, r.Patches = nil, nil
			if r.Text == "" {
				r.Text = fmt.Sprintf("answer %d without tools to: %s", s.answers, clip(input, 40))
			}
		}
		return r
	}
	return Reply{Text: fmt.Sprintf("answer %d to: %s", s.answers, clip(input, 40))}
}

// PatchOutputs returns the answers to apply_patch calls the server
// accepted, in the order they arrived (a chat client sends each again with
// every later request of its turn; it is listed once).
func (s *Server) PatchOutputs() []PatchOutput {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]PatchOutput(nil), s.patchOutputs...)
}

// notePatchOutputs keeps the answers to apply_patch calls among the input
// items or messages of an accepted request.
func (s *Server) notePatchOutputs(items []any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, it := range items {
		m, _ := it.(map[string]any)
		var o PatchOutput
		switch {
		case m["type"] == "apply_patch_call_output":
			o.CallID, _ = m["call_id"].(string)
			o.Status, _ = m["status"].(string)
			o.Output, _ = m["output"].(string)
		case m["role"] == "tool":
			o.CallID, _ = m["tool_call_id"].(string)
			if !s.patchCalls[o.CallID] {
				continue
			}
			o.Output = contentText(m["content"])
		default:
			continue
		}
		if !slices.ContainsFunc(s.patchOutputs, func(p PatchOutput) bool { return p.CallID == o.CallID }) {
			s.patchOutputs = append(s.patchOutputs, o)
		}
	}
}

// notePatchCall remembers the id of an apply_patch call the server made.
func (s *Server) notePatchCall(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.patchCalls == nil {
		s.patchCalls = map[string]bool{}
	}
	s.patchCalls[id] = true
}

func (s *Server) newID(prefix string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	return fmt.Sprintf("%s_%04d", prefix, s.nextID)
}

// begin is the prologue every model endpoint shares: it reads and records
// the request, rejects a body that is not JSON the way OpenAI does, and
// applies checkCommon. It returns the raw body, the decoded request, its
// model and the fault to apply while answering, or false when it already
// wrote the response.
func (s *Server) begin(w http.ResponseWriter, r *http.Request, endpoint string) (body []byte, req map[string]any, model string, f Fault, ok bool) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, nil, "", Fault{}, false
	}
	req = s.record(r, body)
	if !s.wait(r, body) {
		return nil, nil, "", Fault{}, false
	}
	if req == nil {
		writeError(w, http.StatusBadRequest, "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)", "invalid_request_error", "", nil)
		return nil, nil, "", Fault{}, false
	}
	model, _ = req["model"].(string)
	f, ok = s.checkCommon(w, r, endpoint, model)
	return body, req, model, f, ok
}

// checkCommon applies auth, faults that fail before any output, and missing
// models. It returns the fault to apply while answering (cut, slow) and
// false when it already wrote an error.
func (s *Server) checkCommon(w http.ResponseWriter, r *http.Request, endpoint, model string) (Fault, bool) {
	s.mu.Lock()
	key := s.apiKey
	missing := s.missing[model]
	s.mu.Unlock()
	auth := r.Header.Get("Authorization")
	if key != "" {
		switch {
		case auth == "":
			writeError(w, http.StatusUnauthorized, "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username. You can obtain an API key from https://platform.openai.com/account/api-keys.", "invalid_request_error", "", nil)
			return Fault{}, false
		case auth != "Bearer "+key:
			writeError(w, http.StatusUnauthorized, "Incorrect API key provided: "+maskKey(strings.TrimPrefix(auth, "Bearer "))+". You can find your API key at https://platform.openai.com/account/api-keys.", "invalid_request_error", "invalid_api_key", nil)
			return Fault{}, false
		}
	}
	f, ok := s.takeFault(endpoint)
	if ok {
		if f.Kind == FaultSlow {
			select {
			case <-time.After(time.Duration(f.DelayMS) * time.Millisecond):
			case <-r.Context().Done():
				return Fault{}, false
			}
		}
		hdr := func() {
			if f.RetryAfter != "" {
				w.Header().Set("Retry-After", f.RetryAfter)
			}
			if f.RetryAfterMS > 0 {
				w.Header().Set("retry-after-ms", fmt.Sprint(f.RetryAfterMS))
			}
		}
		switch f.Kind {
		case FaultRateLimit:
			hdr()
			w.Header().Set("x-ratelimit-limit-requests", "500")
			w.Header().Set("x-ratelimit-remaining-requests", "0")
			writeError(w, http.StatusTooManyRequests, "Rate limit reached for "+model+" in organization org-test on requests per min (RPM): Limit 500, Used 500, Requested 1. Please try again in 120ms.", "requests", "rate_limit_exceeded", nil)
			return f, false
		case FaultQuota:
			writeError(w, http.StatusTooManyRequests, "You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.", "insufficient_quota", "insufficient_quota", nil)
			return f, false
		case FaultServerError:
			writeError(w, http.StatusInternalServerError, "The server had an error while processing your request. Sorry about that!", "server_error", "", nil)
			return f, false
		case FaultServerErrorPlain:
			hdr()
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(`{"error":"llama runner process has terminated: signal: killed"}` + "\n"))
			return f, false
		case FaultUnavailable:
			hdr()
			writeError(w, http.StatusServiceUnavailable, "The engine is currently overloaded, please try again later.", "server_error", "", nil)
			return f, false
		case FaultAuth:
			writeError(w, http.StatusUnauthorized, "Incorrect API key provided: "+maskKey(strings.TrimPrefix(auth, "Bearer "))+". You can find your API key at https://platform.openai.com/account/api-keys.", "invalid_request_error", "invalid_api_key", nil)
			return f, false
		case FaultForbidden:
			writeError(w, http.StatusForbidden, "You are not allowed to sample from this model", "invalid_request_error", "", nil)
			return f, false
		case FaultBadRequest:
			writeError(w, http.StatusBadRequest, "Invalid value for 'input': scripted bad request.", "invalid_request_error", "", nil)
			return f, false
		}
	}
	if missing {
		writeError(w, http.StatusNotFound, "The model '"+model+"' does not exist or you do not have access to it.", "invalid_request_error", "model_not_found", nil)
		return Fault{}, false
	}
	return f, true
}

// writeError writes an OpenAI error body: {"error":{message,type,param,code}}.
// Empty param and code are sent as null, as OpenAI does.
func writeError(w http.ResponseWriter, status int, msg, typ, code string, param *string) {
	var c any
	if code != "" {
		c = code
	}
	body := map[string]any{"error": map[string]any{"message": msg, "type": typ, "param": param, "code": c}}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// maskKey hides a key the way OpenAI's error messages do.
func maskKey(k string) string {
	if len(k) <= 8 {
		return strings.Repeat("*", len(k))
	}
	return k[:3] + strings.Repeat("*", len(k)-7) + k[len(k)-4:]
}

func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}

// chunks splits text into deltas of at most n bytes without splitting runes.
func chunks(text string, n int) []string {
	var out []string
	for len(text) > 0 {
		end := n
		if end >= len(text) {
			end = len(text)
		} else {
			for end > 0 && !utf8Start(text[end]) {
				end--
			}
			if end == 0 {
				end = n
			}
		}
		out = append(out, text[:end])
		text = text[end:]
	}
	return out
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// tokens is a crude, deterministic token estimate: a token per 4 bytes.
func tokens(n int) int { return (n + 3) / 4 }

// sse writes server-sent events, flushing after each one.
type sse struct {
	w       http.ResponseWriter
	f       http.Flusher
	started bool
}

func newSSE(w http.ResponseWriter) *sse {
	f, _ := w.(http.Flusher)
	return &sse{w: w, f: f}
}

func (e *sse) start() {
	if e.started {
		return
	}
	e.started = true
	e.w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
	e.w.Header().Set("Cache-Control", "no-cache")
	e.w.WriteHeader(http.StatusOK)
}

// event writes "event: name" (when name is set) and "data: json".
func (e *sse) event(name string, v any) {
	e.start()
	b, _ := json.Marshal(v)
	if name != "" {
		fmt.Fprintf(e.w, "event: %s\n", name)
	}
	fmt.Fprintf(e.w, "data: %s\n\n", b)
	if e.f != nil {
		e.f.Flush()
	}
}

func (e *sse) raw(line string) {
	e.start()
	fmt.Fprintf(e.w, "%s\n\n", line)
	if e.f != nil {
		e.f.Flush()
	}
}

// stall flushes, waits for the client to go away, then aborts.
func (e *sse) stall(r *http.Request) {
	e.start()
	if e.f != nil {
		e.f.Flush()
	}
	<-r.Context().Done()
	panic(http.ErrAbortHandler)
}

// deltaFault returns the function a stream calls before each delta: it
// applies f (a cut or a stall) once f.AfterDeltas deltas have gone out.
func (e *sse) deltaFault(r *http.Request, f Fault) func() {
	deltas := 0
	return func() {
		if f.Kind == FaultCut && deltas >= f.AfterDeltas {
			e.cut()
		}
		if f.Kind == FaultStall && deltas >= f.AfterDeltas {
			e.stall(r)
		}
		deltas++
	}
}

// cut aborts the connection mid-stream: the client sees the body end
// without a proper terminator (an unexpected EOF).
func (e *sse) cut() {
	if e.f != nil {
		e.f.Flush()
	}
	panic(http.ErrAbortHandler)
}
