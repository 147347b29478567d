package openaitest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// handleChat serves POST /v1/chat/completions.
func (s *Server) handleChat(w http.ResponseWriter, r *http.Request) {
	body, req, model, f, ok := s.begin(w, r, "chat")
	if !ok {
		return
	}
	if model == "" {
		writeError(w, http.StatusBadRequest, "you must provide a model parameter", "invalid_request_error", "", nil)
		return
	}
	msgs, _ := req["messages"].([]any)
	if len(msgs) == 0 {
		writeError(w, http.StatusBadRequest, "[] is too short - 'messages'", "invalid_request_error", "", strp("messages"))
		return
	}
	tools, _ := req["tools"].([]any)
	patchOffered := false
	for i, t := range tools {
		tm, _ := t.(map[string]any)
		fn, _ := tm["function"].(map[string]any)
		if fn["name"] == "apply_patch" {
			patchOffered = true
		}
		if name, _ := fn["name"].(string); tm["type"] != "function" || name == "" {
			p := fmt.Sprintf("tools[%d].function.name", i)
			writeError(w, http.StatusBadRequest, "Missing required parameter: '"+p+"'.", "invalid_request_error", "missing_required_parameter", &p)
			return
		}
	}
	if msg := checkToolMessages(msgs); msg != "" {
		writeError(w, http.StatusBadRequest, msg, "invalid_request_error", "", strp("messages"))
		return
	}
	last, _ := msgs[len(msgs)-1].(map[string]any)
	inputText := contentText(last["content"])
	if last["role"] == "tool" {
		inputText = "tool output: " + inputText
	}

	s.notePatchOutputs(msgs)
	toolsAllowed := len(tools) > 0 && req["tool_choice"] != "none"
	reply := s.nextReply(inputText, toolsAllowed)
	if !patchOffered {
		reply = patchesAsText(reply)
	}

	s.mu.Lock()
	chunk := s.chunkSize
	fixed := s.usage
	created := s.now().Unix()
	prefix := commonPrefix(s.lastChat, body)
	s.lastChat = body
	s.mu.Unlock()

	id := s.newID("chatcmpl")
	type call struct{ id, name, args string }
	var calls []call
	outBytes := len(reply.Text)
	for _, tc := range reply.ToolCalls {
		calls = append(calls, call{s.newID("call"), tc.Name, tc.Arguments})
		outBytes += len(tc.Name) + len(tc.Arguments)
	}
	for _, p := range reply.Patches {
		// The chat engine's edit tool is a function taking the operation.
		args, _ := json.Marshal(p.wire())
		c := call{s.newID("call"), "apply_patch", string(args)}
		s.notePatchCall(c.id)
		calls = append(calls, c)
		outBytes += len(c.name) + len(c.args)
	}
	u := Usage{Input: tokens(len(body)), Cached: prefix / 4, Output: tokens(outBytes)}
	if fixed != nil {
		u = *fixed
	}
	if reply.Usage != nil {
		u = *reply.Usage
	}
	usage := map[string]any{
		"prompt_tokens": u.Input, "completion_tokens": u.Output, "total_tokens": u.Input + u.Output,
		"prompt_tokens_details":     map[string]any{"cached_tokens": u.Cached, "audio_tokens": 0},
		"completion_tokens_details": map[string]any{"reasoning_tokens": 0, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0},
	}
	finish := "stop"
	if len(calls) > 0 {
		finish = "tool_calls"
	}

	stream, _ := req["stream"].(bool)
	if !stream {
		msg := map[string]any{"role": "assistant", "content": nil, "refusal": nil}
		if reply.Text != "" {
			msg["content"] = reply.Text
		}
		if len(calls) > 0 {
			var tcs []any
			for _, c := range calls {
				tcs = append(tcs, map[string]any{"id": c.id, "type": "function", "function": map[string]any{"name": c.name, "arguments": c.args}})
			}
			msg["tool_calls"] = tcs
		}
		b, _ := json.Marshal(map[string]any{
			"id": id, "object": "chat.completion", "created": created, "model": model,
			"choices":            []any{map[string]any{"index": 0, "message": msg, "logprobs": nil, "finish_reason": finish}},
			"usage":              usage,
			"system_fingerprint": "fp_openaitest",
		})
		w.Header().Set("Content-Type", "application/json")
		if f.Kind == FaultCut {
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(b[:len(b)/2])
			newSSE(w).cut()
		}
		_, _ = w.Write(append(b, '\n'))
		return
	}

	so, _ := req["stream_options"].(map[string]any)
	includeUsage, _ := so["include_usage"].(bool)
	e := newSSE(w)
	chunkOf := func(delta map[string]any, finish any) map[string]any {
		c := map[string]any{
			"id": id, "object": "chat.completion.chunk", "created": created, "model": model,
			"system_fingerprint": "fp_openaitest",
			"choices":            []any{map[string]any{"index": 0, "delta": delta, "logprobs": nil, "finish_reason": finish}},
		}
		if includeUsage {
			c["usage"] = nil
		}
		return c
	}
	delta := e.deltaFault(r, f)
	e.event("", chunkOf(map[string]any{"role": "assistant", "content": "", "refusal": nil}, nil))
	for _, d := range chunks(reply.Text, chunk) {
		delta()
		e.event("", chunkOf(map[string]any{"content": d}, nil))
	}
	for i, c := range calls {
		e.event("", chunkOf(map[string]any{"tool_calls": []any{map[string]any{
			"index": i, "id": c.id, "type": "function", "function": map[string]any{"name": c.name, "arguments": ""},
		}}}, nil))
		for _, d := range chunks(c.args, chunk) {
			delta()
			e.event("", chunkOf(map[string]any{"tool_calls": []any{map[string]any{
				"index": i, "function": map[string]any{"arguments": d},
			}}}, nil))
		}
	}
	if f.Kind == FaultCut {
		e.cut()
	}
	if f.Kind == FaultStall {
		e.stall(r)
	}
	e.event("", chunkOf(map[string]any{}, finish))
	if includeUsage {
		e.event("", map[string]any{
			"id": id, "object": "chat.completion.chunk", "created": created, "model": model,
			"system_fingerprint": "fp_openaitest", "choices": []any{}, "usage": usage,
		})
	}
	e.raw("data: [DONE]")
}

// checkToolMessages enforces the pairing rules OpenAI applies: every
// assistant message with tool_calls is followed by one tool message per call
// id, and every tool message answers such a call.
func checkToolMessages(msgs []any) string {
	var open map[string]bool
	for _, m := range msgs {
		mm, _ := m.(map[string]any)
		role, _ := mm["role"].(string)
		if role == "tool" {
			id, _ := mm["tool_call_id"].(string)
			if !open[id] {
				return "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'."
			}
			delete(open, id)
			continue
		}
		if len(open) > 0 {
			return missingToolReplies(open)
		}
		open = nil
		if tcs, ok := mm["tool_calls"].([]any); ok && role == "assistant" {
			open = map[string]bool{}
			for _, tc := range tcs {
				tm, _ := tc.(map[string]any)
				id, _ := tm["id"].(string)
				open[id] = true
			}
		}
	}
	if len(open) > 0 {
		return missingToolReplies(open)
	}
	return ""
}

func missingToolReplies(open map[string]bool) string {
	var ids []string
	for id := range open {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return "An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: " + strings.Join(ids, ", ")
}

func commonPrefix(a, b []byte) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}
