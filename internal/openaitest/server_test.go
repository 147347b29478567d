package openaitest_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/git-codex/git-codex/internal/openaitest"
)

type event struct {
	name string
	data map[string]any
	raw  string
}

func post(t *testing.T, url string, body any, header ...string) *http.Response {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// readSSE parses a server-sent-event stream into events.
func readSSE(t *testing.T, r io.Reader) ([]event, error) {
	t.Helper()
	var out []event
	var cur event
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if cur.raw != "" {
				out = append(out, cur)
			}
			cur = event{}
		case strings.HasPrefix(line, "event: "):
			cur.name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			cur.raw = strings.TrimPrefix(line, "data: ")
			if cur.raw != "[DONE]" {
				if err := json.Unmarshal([]byte(cur.raw), &cur.data); err != nil {
					t.Fatalf("bad data line %q: %v", line, err)
				}
			}
		default:
			t.Fatalf("unexpected SSE line %q", line)
		}
	}
	return out, sc.Err()
}

func decode(t *testing.T, r io.Reader) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.NewDecoder(r).Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestResponsesStreamText(t *testing.T) {
	srv := openaitest.New(t)
	srv.Enqueue(openaitest.Reply{Text: "hello streaming world", Usage: &openaitest.Usage{Input: 50, Cached: 20, Output: 5}})
	resp := post(t, srv.URL()+"/responses", map[string]any{"model": "m", "input": "hi", "stream": true, "instructions": "I"})
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("Content-Type = %q", ct)
	}
	evs, err := readSSE(t, resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	text := ""
	for i, e := range evs {
		types = append(types, e.name)
		if e.data["type"] != e.name {
			t.Errorf("event %q carries type %v", e.name, e.data["type"])
		}
		if e.data["sequence_number"] != float64(i) {
			t.Errorf("event %d sequence_number %v", i, e.data["sequence_number"])
		}
		if e.name == "response.output_text.delta" {
			text += e.data["delta"].(string)
		}
	}
	want := []string{"response.created", "response.in_progress", "response.output_item.added", "response.content_part.added",
		"response.output_text.delta", "response.output_text.delta", "response.output_text.delta",
		"response.output_text.done", "response.content_part.done", "response.output_item.done", "response.completed"}
	if !reflect.DeepEqual(types, want) {
		t.Errorf("events = %v\nwant %v", types, want)
	}
	if text != "hello streaming world" {
		t.Errorf("deltas = %q", text)
	}
	done := evs[len(evs)-1].data["response"].(map[string]any)
	usage := done["usage"].(map[string]any)
	if done["status"] != "completed" || done["store"] != true || done["instructions"] != "I" || usage["input_tokens"] != 50.0 || usage["output_tokens"] != 5.0 || usage["total_tokens"] != 55.0 ||
		usage["input_tokens_details"].(map[string]any)["cached_tokens"] != 20.0 {
		t.Errorf("completed response = %v", done)
	}
	out := done["output"].([]any)[0].(map[string]any)
	if out["type"] != "message" || out["role"] != "assistant" || out["content"].([]any)[0].(map[string]any)["text"] != "hello streaming world" {
		t.Errorf("output = %v", out)
	}
}

func TestResponsesToolCallsAndChain(t *testing.T) {
	srv := openaitest.New(t)
	srv.Enqueue(openaitest.Reply{ToolCalls: []openaitest.ToolCall{{Name: "read_file", Arguments: `{"path":"go.mod"}`}}})
	tools := []any{map[string]any{"type": "function", "name": "read_file", "parameters": map[string]any{"type": "object"}}}
	resp := post(t, srv.URL()+"/responses", map[string]any{"model": "m", "input": "read it", "stream": true, "tools": tools})
	evs, err := readSSE(t, resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var args, callID, respID string
	for _, e := range evs {
		switch e.name {
		case "response.function_call_arguments.delta":
			args += e.data["delta"].(string)
		case "response.output_item.done":
			item := e.data["item"].(map[string]any)
			if item["type"] != "function_call" || item["name"] != "read_file" || item["arguments"] != `{"path":"go.mod"}` {
				t.Errorf("item = %v", item)
			}
			callID, _ = item["call_id"].(string)
		case "response.completed":
			respID = e.data["response"].(map[string]any)["id"].(string)
		}
	}
	if args != `{"path":"go.mod"}` || callID == "" || respID == "" {
		t.Fatalf("args %q call %q resp %q", args, callID, respID)
	}

	tests := []struct {
		name       string
		body       map[string]any
		wantStatus int
		wantText   string
	}{
		{"missing tool output", map[string]any{"model": "m", "input": "next", "previous_response_id": respID}, 400, "No tool output found for function call " + callID},
		{"unknown previous", map[string]any{"model": "m", "input": "x", "previous_response_id": "resp_nope"}, 400, `"code":"previous_response_not_found"`},
		{"nested chat-style tool", map[string]any{"model": "m", "input": "x", "tools": []any{map[string]any{"type": "function", "function": map[string]any{"name": "f"}}}}, 400, "tools[0].name"},
		{"tool output answered", map[string]any{"model": "m", "previous_response_id": respID,
			"input": []any{map[string]any{"type": "function_call_output", "call_id": callID, "output": "module x"}}}, 200, `answer 2 to: tool output: module x`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := post(t, srv.URL()+"/responses", tc.body)
			b, _ := io.ReadAll(r.Body)
			if r.StatusCode != tc.wantStatus || !strings.Contains(string(b), tc.wantText) {
				t.Errorf("status %d body %s; want %d containing %q", r.StatusCode, b, tc.wantStatus, tc.wantText)
			}
		})
	}
}

// TestResponsesReasoning checks the reasoning item a Reply's Reasoning
// adds before the message, as Codex reads it.
func TestResponsesReasoning(t *testing.T) {
	srv := openaitest.New(t)
	srv.SetChunkSize(64)
	srv.Enqueue(openaitest.Reply{Reasoning: "think first", Text: "then answer"})
	evs, err := readSSE(t, post(t, srv.URL()+"/responses", map[string]any{"model": "m", "input": "hi", "stream": true}).Body)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range evs {
		types = append(types, e.name)
	}
	want := []string{"response.created", "response.in_progress",
		"response.output_item.added", "response.reasoning_summary_part.added", "response.reasoning_summary_text.delta",
		"response.reasoning_summary_text.done", "response.reasoning_summary_part.done", "response.output_item.done",
		"response.output_item.added", "response.content_part.added", "response.output_text.delta",
		"response.output_text.done", "response.content_part.done", "response.output_item.done", "response.completed"}
	if !reflect.DeepEqual(types, want) {
		t.Errorf("events = %v\nwant %v", types, want)
	}
	out := evs[len(evs)-1].data["response"].(map[string]any)["output"].([]any)
	rs := out[0].(map[string]any)
	summary := rs["summary"].([]any)[0].(map[string]any)
	if len(out) != 2 || rs["type"] != "reasoning" || summary["type"] != "summary_text" || summary["text"] != "think first" || evs[7].data["output_index"] != 0.0 || evs[13].data["output_index"] != 1.0 {
		t.Errorf("output = %v", out)
	}
}

// TestResponsesNamespacedCall checks that a ToolCall's Namespace reaches
// the function call items, streamed and final.
func TestResponsesNamespacedCall(t *testing.T) {
	srv := openaitest.New(t)
	srv.Enqueue(openaitest.Reply{ToolCalls: []openaitest.ToolCall{{Name: "echo", Namespace: "mcp__echo", Arguments: "{}"}, {Name: "plain", Arguments: "{}"}}})
	tools := []any{map[string]any{"type": "namespace", "name": "mcp__echo", "tools": []any{map[string]any{"type": "function", "name": "echo"}}},
		map[string]any{"type": "function", "name": "plain"}}
	evs, err := readSSE(t, post(t, srv.URL()+"/responses", map[string]any{"model": "m", "input": "hi", "stream": true, "tools": tools}).Body)
	if err != nil {
		t.Fatal(err)
	}
	var got []any
	for _, e := range evs {
		if e.name == "response.output_item.added" || e.name == "response.output_item.done" {
			got = append(got, e.data["item"].(map[string]any)["namespace"])
		}
	}
	for _, o := range evs[len(evs)-1].data["response"].(map[string]any)["output"].([]any) {
		got = append(got, o.(map[string]any)["namespace"])
	}
	if want := []any{"mcp__echo", "mcp__echo", nil, nil, "mcp__echo", nil}; !reflect.DeepEqual(got, want) {
		t.Errorf("namespaces = %v, want %v", got, want)
	}
}

// TestResponsesStatelessToolOutput checks the stateless pattern of the
// Codex CLI (store: false, no previous_response_id, the whole conversation
// resent): a tool output is answered when its call is in the same input,
// and still refused when it is not.
func TestResponsesStatelessToolOutput(t *testing.T) {
	srv := openaitest.New(t)
	call := func(typ, id string) map[string]any {
		return map[string]any{"type": typ, "call_id": id, "name": "exec_command", "arguments": "{}"}
	}
	output := func(typ, id string, out any) map[string]any {
		return map[string]any{"type": typ, "call_id": id, "output": out}
	}
	user := map[string]any{"type": "message", "role": "user", "content": []any{map[string]any{"type": "input_text", "text": "run it"}}}
	tests := []struct {
		name       string
		input      []any
		wantStatus int
		wantText   string
	}{
		{"function call and its output", []any{user, call("function_call", "c1"), output("function_call_output", "c1", "exit 0")}, 200, "answer 1 to: tool output: exit 0"},
		{"custom tool call, output as content parts", []any{user, call("custom_tool_call", "c2"),
			output("custom_tool_call_output", "c2", []any{map[string]any{"type": "input_text", "text": "patched"}})}, 200, "tool output: patched"},
		{"output without its call", []any{user, output("function_call_output", "c3", "x")}, 400, "previous_response_id is required"},
		{"output for another call", []any{user, call("function_call", "c4"), output("function_call_output", "c5", "x")}, 400, "previous_response_id is required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := post(t, srv.URL()+"/responses", map[string]any{"model": "m", "store": false, "input": tc.input})
			b, _ := io.ReadAll(r.Body)
			if r.StatusCode != tc.wantStatus || !strings.Contains(string(b), tc.wantText) {
				t.Errorf("status %d body %s; want %d containing %q", r.StatusCode, b, tc.wantStatus, tc.wantText)
			}
		})
	}
}

func TestPreviousResponseForgotten(t *testing.T) {
	srv := openaitest.New(t)
	first := decode(t, post(t, srv.URL()+"/responses", map[string]any{"model": "m", "input": "one"}).Body)
	id := first["id"].(string)
	if r := post(t, srv.URL()+"/responses", map[string]any{"model": "m", "input": "two", "previous_response_id": id}); r.StatusCode != 200 {
		t.Fatalf("chained request status %d", r.StatusCode)
	}
	srv.Forget()
	r := post(t, srv.URL()+"/responses", map[string]any{"model": "m", "input": "three", "previous_response_id": id})
	got := decode(t, r.Body)
	want := map[string]any{"error": map[string]any{
		"message": "Previous response with id '" + id + "' not found.", "type": "invalid_request_error",
		"param": "previous_response_id", "code": "previous_response_not_found",
	}}
	if r.StatusCode != 400 || !reflect.DeepEqual(got, want) {
		t.Errorf("status %d body %v", r.StatusCode, got)
	}
}

func TestChatStream(t *testing.T) {
	tests := []struct {
		name         string
		reply        openaitest.Reply
		includeUsage bool
		wantFinish   string
	}{
		{"text with usage", openaitest.Reply{Text: "chat answer here"}, true, "stop"},
		{"text without usage", openaitest.Reply{Text: "chat answer here"}, false, "stop"},
		{"tool calls", openaitest.Reply{ToolCalls: []openaitest.ToolCall{{Name: "a", Arguments: `{"x":"0123456789"}`}, {Name: "b", Arguments: `{}`}}}, true, "tool_calls"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := openaitest.New(t)
			srv.Enqueue(tc.reply)
			body := map[string]any{"model": "m", "stream": true, "messages": []any{map[string]any{"role": "user", "content": "q"}},
				"tools": []any{map[string]any{"type": "function", "function": map[string]any{"name": "a"}}}}
			if tc.includeUsage {
				body["stream_options"] = map[string]any{"include_usage": true}
			}
			evs, err := readSSE(t, post(t, srv.URL()+"/chat/completions", body).Body)
			if err != nil {
				t.Fatal(err)
			}
			if evs[len(evs)-1].raw != "[DONE]" {
				t.Fatalf("last event %q, want [DONE]", evs[len(evs)-1].raw)
			}
			text, finish, usageChunks := "", "", 0
			args := map[float64]string{}
			names := map[float64]string{}
			for _, e := range evs[:len(evs)-1] {
				if e.name != "" || e.data["object"] != "chat.completion.chunk" {
					t.Errorf("chunk %v", e.raw)
				}
				if u, ok := e.data["usage"].(map[string]any); ok {
					usageChunks++
					if len(e.data["choices"].([]any)) != 0 || u["prompt_tokens_details"].(map[string]any)["cached_tokens"] == nil {
						t.Errorf("usage chunk %s", e.raw)
					}
				}
				for _, c := range e.data["choices"].([]any) {
					ch := c.(map[string]any)
					d := ch["delta"].(map[string]any)
					if s, ok := d["content"].(string); ok {
						text += s
					}
					for _, tcall := range asSlice(d["tool_calls"]) {
						m := tcall.(map[string]any)
						i := m["index"].(float64)
						f := m["function"].(map[string]any)
						args[i] += f["arguments"].(string)
						if n, ok := f["name"].(string); ok {
							names[i] = n
						}
					}
					if f, ok := ch["finish_reason"].(string); ok {
						finish = f
					}
				}
			}
			if text != tc.reply.Text || finish != tc.wantFinish {
				t.Errorf("text %q finish %q", text, finish)
			}
			for i, c := range tc.reply.ToolCalls {
				if names[float64(i)] != c.Name || args[float64(i)] != c.Arguments {
					t.Errorf("call %d = %s %s", i, names[float64(i)], args[float64(i)])
				}
			}
			if want := map[bool]int{true: 1, false: 0}[tc.includeUsage]; usageChunks != want {
				t.Errorf("usage chunks = %d, want %d", usageChunks, want)
			}
		})
	}
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

func TestChatJSONAndValidation(t *testing.T) {
	srv := openaitest.New(t)
	srv.Enqueue(openaitest.Reply{ToolCalls: []openaitest.ToolCall{{Name: "a", Arguments: "{}"}}})
	tools := []any{map[string]any{"type": "function", "function": map[string]any{"name": "a"}}}
	got := decode(t, post(t, srv.URL()+"/chat/completions", map[string]any{"model": "m", "tools": tools, "messages": []any{map[string]any{"role": "user", "content": "q"}}}).Body)
	choice := got["choices"].([]any)[0].(map[string]any)
	msg := choice["message"].(map[string]any)
	call := msg["tool_calls"].([]any)[0].(map[string]any)
	if got["object"] != "chat.completion" || choice["finish_reason"] != "tool_calls" || msg["content"] != nil || call["id"] == "" {
		t.Fatalf("completion = %v", got)
	}
	id := call["id"].(string)
	assistant := map[string]any{"role": "assistant", "tool_calls": []any{call}}
	tests := []struct {
		name       string
		messages   []any
		wantStatus int
		wantText   string
	}{
		{"tool reply accepted", []any{map[string]any{"role": "user", "content": "q"}, assistant, map[string]any{"role": "tool", "tool_call_id": id, "content": "out"}}, 200, "answer 2 to: tool output: out"},
		{"tool reply missing", []any{map[string]any{"role": "user", "content": "q"}, assistant, map[string]any{"role": "user", "content": "again"}}, 400, "did not have response messages: " + id},
		{"orphan tool message", []any{map[string]any{"role": "tool", "tool_call_id": "x", "content": "out"}}, 400, "must be a response to a preceeding message"},
		{"no messages", []any{}, 400, "too short"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := post(t, srv.URL()+"/chat/completions", map[string]any{"model": "m", "tools": tools, "messages": tc.messages})
			b, _ := io.ReadAll(r.Body)
			if r.StatusCode != tc.wantStatus || !strings.Contains(string(b), tc.wantText) {
				t.Errorf("status %d body %s", r.StatusCode, b)
			}
		})
	}
}

func TestFaultBodies(t *testing.T) {
	tests := []struct {
		name       string
		fault      openaitest.Fault
		wantStatus int
		wantCode   any
		wantType   string
		wantHeader string
	}{
		{"rate limit", openaitest.Fault{Kind: openaitest.FaultRateLimit, RetryAfter: "3"}, 429, "rate_limit_exceeded", "requests", "3"},
		{"quota", openaitest.Fault{Kind: openaitest.FaultQuota}, 429, "insufficient_quota", "insufficient_quota", ""},
		{"500", openaitest.Fault{Kind: openaitest.FaultServerError}, 500, nil, "server_error", ""},
		{"503", openaitest.Fault{Kind: openaitest.FaultUnavailable, RetryAfter: "1"}, 503, nil, "server_error", "1"},
		{"401", openaitest.Fault{Kind: openaitest.FaultAuth}, 401, "invalid_api_key", "invalid_request_error", ""},
		{"403", openaitest.Fault{Kind: openaitest.FaultForbidden}, 403, nil, "invalid_request_error", ""},
		{"400", openaitest.Fault{Kind: openaitest.FaultBadRequest}, 400, nil, "invalid_request_error", ""},
	}
	for _, path := range []string{"/responses", "/chat/completions"} {
		for _, tc := range tests {
			t.Run(path+"/"+tc.name, func(t *testing.T) {
				srv := openaitest.New(t)
				srv.Inject(tc.fault)
				body := map[string]any{"model": "m", "input": "x", "messages": []any{map[string]any{"role": "user", "content": "x"}}}
				r := post(t, srv.URL()+path, body, "Authorization", "Bearer sk-abcdefghijklmnop")
				got := decode(t, r.Body)["error"].(map[string]any)
				if r.StatusCode != tc.wantStatus || got["code"] != tc.wantCode || got["type"] != tc.wantType || got["message"] == "" {
					t.Errorf("status %d error %v", r.StatusCode, got)
				}
				if _, ok := got["param"]; !ok {
					t.Errorf("error body lacks param: %v", got)
				}
				if h := r.Header.Get("Retry-After"); h != tc.wantHeader {
					t.Errorf("Retry-After = %q", h)
				}
				if strings.Contains(got["message"].(string), "sk-abcdefghijklmnop") {
					t.Errorf("message echoes the key unmasked: %v", got["message"])
				}
				if r2 := post(t, srv.URL()+path, body); r2.StatusCode != 200 {
					t.Errorf("fault applied twice: %d", r2.StatusCode)
				}
			})
		}
	}
}

func TestFaultCountsAndMissingModel(t *testing.T) {
	srv := openaitest.New(t)
	srv.Inject(openaitest.Fault{Kind: openaitest.FaultServerError, Count: 2, Endpoint: "chat"})
	srv.MissingModels("ghost")
	statuses := func(path string, model string, n int) []int {
		var out []int
		for range n {
			out = append(out, post(t, srv.URL()+path, map[string]any{"model": model, "input": "x", "messages": []any{map[string]any{"role": "user", "content": "x"}}}).StatusCode)
		}
		return out
	}
	if got := statuses("/responses", "m", 1); !reflect.DeepEqual(got, []int{200}) {
		t.Errorf("responses unaffected by a chat fault: %v", got)
	}
	if got := statuses("/chat/completions", "m", 3); !reflect.DeepEqual(got, []int{500, 500, 200}) {
		t.Errorf("chat = %v", got)
	}
	r := post(t, srv.URL()+"/responses", map[string]any{"model": "ghost", "input": "x"})
	if e := decode(t, r.Body)["error"].(map[string]any); r.StatusCode != 404 || e["code"] != "model_not_found" {
		t.Errorf("missing model: %d %v", r.StatusCode, e)
	}
}

func TestCutStream(t *testing.T) {
	for _, path := range []string{"/responses", "/chat/completions"} {
		t.Run(path, func(t *testing.T) {
			srv := openaitest.New(t)
			srv.Enqueue(openaitest.Reply{Text: strings.Repeat("x", 80)})
			srv.Inject(openaitest.Fault{Kind: openaitest.FaultCut, AfterDeltas: 3})
			r := post(t, srv.URL()+path, map[string]any{"model": "m", "input": "x", "stream": true, "messages": []any{map[string]any{"role": "user", "content": "x"}}})
			b, err := io.ReadAll(r.Body)
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("read err = %v, want unexpected EOF", err)
			}
			if n := strings.Count(string(b), `"xxxxxxxx"`); n != 3 {
				t.Errorf("deltas before the cut = %d, want 3", n)
			}
			if strings.Contains(string(b), "response.completed") || strings.Contains(string(b), "[DONE]") {
				t.Errorf("cut stream completed: %s", b)
			}
		})
	}
}

func TestRecordingAndAuth(t *testing.T) {
	srv := openaitest.New(t)
	srv.RequireKey("sk-right-0000000000")
	tests := []struct {
		name       string
		header     []string
		wantStatus int
		wantAuth   bool
	}{
		{"no key", nil, 401, false},
		{"wrong key", []string{"Authorization", "Bearer sk-wrong-000000000"}, 401, true},
		{"right key", []string{"Authorization", "Bearer sk-right-0000000000"}, 200, true},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := post(t, srv.URL()+"/responses", map[string]any{"model": "m", "input": "hello"}, tc.header...)
			if r.StatusCode != tc.wantStatus {
				t.Errorf("status = %d", r.StatusCode)
			}
			rec := srv.Requests()[i]
			if rec.HasAuth != tc.wantAuth || rec.Header.Get("Authorization") != "" || rec.Path != "/v1/responses" || rec.Method != "POST" || rec.JSON["input"] != "hello" {
				t.Errorf("record = %+v", rec)
			}
		})
	}
	if got := decode(t, post(t, srv.URL()+"/responses", map[string]any{"model": "m", "input": "a fairly long input that is clipped after forty characters"}, "Authorization", "Bearer sk-right-0000000000").Body); !strings.Contains(string(mustJSON(t, got)), `"answer 2 to: a fairly long input that is clipped afte"`) {
		t.Errorf("default reply = %v", got["output"])
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestServeAndControl(t *testing.T) {
	if _, err := openaitest.Serve("0.0.0.0:0"); err == nil {
		t.Fatal("Serve accepted a non-loopback address")
	}
	srv, err := openaitest.Serve("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	base := strings.TrimSuffix(srv.URL(), "/v1")
	ctl := post(t, srv.ControlURL(), map[string]any{
		"replies": []any{map[string]any{"text": "scripted"}},
		"fault":   map[string]any{"kind": "rate_limit", "retry_after": "2"},
	})
	if ctl.StatusCode != 200 {
		t.Fatalf("control status %d", ctl.StatusCode)
	}
	if bad := post(t, base+"/_control", map[string]any{"nonsense": true}); bad.StatusCode != 400 {
		t.Errorf("unknown control field accepted: %d", bad.StatusCode)
	}
	first := post(t, srv.URL()+"/responses", map[string]any{"model": "m", "input": "x"})
	second := decode(t, post(t, srv.URL()+"/responses", map[string]any{"model": "m", "input": "x"}).Body)
	if first.StatusCode != 429 || first.Header.Get("Retry-After") != "2" || !strings.Contains(string(mustJSON(t, second)), `"text":"scripted"`) {
		t.Errorf("first %d, second %v", first.StatusCode, second)
	}
	resp, err := http.Get(base + "/_control/requests")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var reqs []openaitest.Request
	if err := json.NewDecoder(resp.Body).Decode(&reqs); err != nil {
		t.Fatal(err)
	}
	if len(reqs) != 2 || reqs[1].JSON["input"] != "x" {
		t.Errorf("recorded %d requests: %+v", len(reqs), reqs)
	}
	post(t, base+"/_control", map[string]any{"reset": true})
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("reset left %d requests", n)
	}
}

func TestDisableResponsesAndPlainError(t *testing.T) {
	srv := openaitest.New(t)
	body := map[string]any{"model": "m", "input": "x", "messages": []any{map[string]any{"role": "user", "content": "x"}}}
	for _, status := range []int{404, 405} {
		srv.DisableResponses(status)
		r := post(t, srv.URL()+"/responses", body)
		b, _ := io.ReadAll(r.Body)
		if r.StatusCode != status || !strings.HasPrefix(string(b), fmt.Sprint(status)) || strings.HasPrefix(string(b), "{") {
			t.Errorf("disabled responses (%d): status %d body %q", status, r.StatusCode, b)
		}
		if r := post(t, srv.URL()+"/chat/completions", body); r.StatusCode != 200 {
			t.Errorf("chat with responses disabled: %d", r.StatusCode)
		}
	}
	srv.DisableResponses(0)
	if r := post(t, srv.URL()+"/responses", body); r.StatusCode != 200 {
		t.Errorf("responses enabled again: %d", r.StatusCode)
	}
	if n := len(srv.Requests()); n != 5 {
		t.Errorf("requests recorded = %d, want 5", n)
	}

	srv.Inject(openaitest.Fault{Kind: openaitest.FaultServerErrorPlain})
	r := post(t, srv.URL()+"/responses", body)
	got := decode(t, r.Body)
	if msg, ok := got["error"].(string); r.StatusCode != 500 || !ok || msg == "" {
		t.Errorf("plain 500: status %d body %v", r.StatusCode, got)
	}
}

// TestApplyPatchCalls: a scripted patch is streamed as an apply_patch_call
// (its diff in deltas), the response waits for its output, and an output
// with a status the API does not know, or none for a pending call, is
// refused as the API refuses it.
func TestApplyPatchCalls(t *testing.T) {
	srv := openaitest.New(t)
	srv.Enqueue(openaitest.Reply{Patches: []openaitest.Patch{{Type: "update_file", Path: "a.go", Diff: "@@\n-a\n+b\n"}}})
	tools := []any{map[string]any{"type": "apply_patch"}}
	resp := post(t, srv.URL()+"/responses", map[string]any{"model": "m", "input": "go", "stream": true, "tools": tools})
	evs, err := readSSE(t, resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	var callID, respID string
	for _, ev := range evs {
		if n := len(names); n == 0 || names[n-1] != ev.name {
			names = append(names, ev.name)
		}
		if item, _ := ev.data["item"].(map[string]any); ev.name == "response.output_item.done" {
			callID, _ = item["call_id"].(string)
			op, _ := item["operation"].(map[string]any)
			if item["type"] != "apply_patch_call" || op["diff"] != "@@\n-a\n+b\n" || op["path"] != "a.go" {
				t.Errorf("item %v", item)
			}
		}
		if r, _ := ev.data["response"].(map[string]any); ev.name == "response.completed" {
			respID, _ = r["id"].(string)
		}
	}
	want := []string{"response.created", "response.in_progress", "response.output_item.added",
		"response.apply_patch_call_operation_diff.delta", "response.apply_patch_call_operation_diff.done",
		"response.output_item.done", "response.completed"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("events %v", names)
	}
	for _, tc := range []struct {
		name  string
		input []any
		want  string
	}{
		{"unknown status", []any{map[string]any{"type": "apply_patch_call_output", "call_id": callID, "status": "error"}}, "Supported values are: 'completed' and 'failed'"},
		{"no output", []any{map[string]any{"role": "user", "content": "hi"}}, "No tool output found for function call " + callID},
	} {
		r := post(t, srv.URL()+"/responses", map[string]any{"model": "m", "previous_response_id": respID, "input": tc.input, "tools": tools})
		body, _ := io.ReadAll(r.Body)
		if r.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), tc.want) {
			t.Errorf("%s: %d %s", tc.name, r.StatusCode, body)
		}
	}
	ok := post(t, srv.URL()+"/responses", map[string]any{"model": "m", "previous_response_id": respID, "tools": tools,
		"input": []any{map[string]any{"type": "apply_patch_call_output", "call_id": callID, "status": "completed", "output": "updated a.go"}}})
	if ok.StatusCode != http.StatusOK {
		t.Fatalf("answered call: %d", ok.StatusCode)
	}
	if outs := srv.PatchOutputs(); len(outs) != 1 || outs[0] != (openaitest.PatchOutput{CallID: callID, Status: "completed", Output: "updated a.go"}) {
		t.Errorf("PatchOutputs = %+v", outs)
	}
}

// The request log says when each request arrived and ended; a delay holds
// every answer back, a hold keeps one request waiting until released.
func TestDelayHoldAndTimes(t *testing.T) {
	s := openaitest.New(t)
	s.SetDelay(30 * time.Millisecond)
	s.Hold("HELD")
	body := func(in string) map[string]any { return map[string]any{"model": "m", "input": in} }
	done := make(chan struct{})
	go func() {
		defer close(done)
		resp := post(t, s.URL()+"/responses", body("HELD request"))
		resp.Body.Close()
	}()
	start := time.Now()
	resp := post(t, s.URL()+"/responses", body("plain request"))
	resp.Body.Close()
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Errorf("answered after %v, before the delay", d)
	}
	select {
	case <-done:
		t.Fatal("the held request was answered before Release")
	case <-time.After(20 * time.Millisecond):
	}
	s.Release()
	<-done
	reqs := s.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests", len(reqs))
	}
	for _, r := range reqs {
		if r.Start.IsZero() || r.End.IsZero() || r.End.Sub(r.Start) < 30*time.Millisecond {
			t.Errorf("%s: start %v end %v", r.JSON["input"], r.Start, r.End)
		}
	}
	held, plain := reqs[0], reqs[1]
	if held.JSON["input"] != "HELD request" {
		held, plain = plain, held
	}
	if !held.End.After(plain.End) {
		t.Errorf("the held request ended at %v, before the plain one (%v)", held.End, plain.End)
	}
}
