package openaitest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

func strp(s string) *string { return &s }

// handleResponses serves POST /v1/responses.
func (s *Server) handleResponses(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	noResp := s.noResp
	s.mu.Unlock()
	if noResp != 0 {
		body, _ := io.ReadAll(r.Body)
		s.record(r, body)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(noResp)
		text := strings.ToLower(http.StatusText(noResp))
		if noResp == http.StatusNotFound {
			text = "page not found" // what Go's and gin's routers say
		}
		fmt.Fprintf(w, "%d %s\n", noResp, text)
		return
	}
	body, req, model, f, ok := s.begin(w, r, "responses")
	if !ok {
		return
	}
	if model == "" {
		writeError(w, http.StatusBadRequest, "Missing required parameter: 'model'.", "invalid_request_error", "missing_required_parameter", strp("model"))
		return
	}
	if _, has := req["input"]; !has {
		writeError(w, http.StatusBadRequest, "Missing required parameter: 'input'.", "invalid_request_error", "missing_required_parameter", strp("input"))
		return
	}
	tools, _ := req["tools"].([]any)
	patchOffered := false
	for i, t := range tools {
		tm, _ := t.(map[string]any)
		if tm["type"] == "apply_patch" {
			patchOffered = true
		}
		if tm["type"] == "function" {
			if name, _ := tm["name"].(string); name == "" {
				p := fmt.Sprintf("tools[%d].name", i)
				writeError(w, http.StatusBadRequest, "Missing required parameter: '"+p+"'.", "invalid_request_error", "missing_required_parameter", &p)
				return
			}
		}
	}

	// The input: a string, or a list of items (messages, function_call_output).
	// A stateless client (store: false, no previous_response_id, as the Codex
	// CLI) sends the whole conversation: its own earlier calls come back as
	// function_call / custom_tool_call items next to their outputs.
	inputText := ""
	outputs := map[string]bool{}
	inputCalls := map[string]bool{}
	switch in := req["input"].(type) {
	case string:
		inputText = in
	case []any:
		for _, it := range in {
			m, _ := it.(map[string]any)
			typ, _ := m["type"].(string)
			switch {
			case typ == "function_call_output" || typ == "custom_tool_call_output":
				id, _ := m["call_id"].(string)
				outputs[id] = true
				inputText = "tool output: " + outputText(m["output"])
			case typ == "apply_patch_call_output":
				id, _ := m["call_id"].(string)
				if st, _ := m["status"].(string); st != "completed" && st != "failed" {
					writeError(w, http.StatusBadRequest, fmt.Sprintf("Invalid value: '%v'. Supported values are: 'completed' and 'failed'.", m["status"]), "invalid_request_error", "invalid_value", strp("input.status"))
					return
				}
				if id == "" {
					writeError(w, http.StatusBadRequest, "Missing required parameter: 'input.call_id'.", "invalid_request_error", "missing_required_parameter", strp("input.call_id"))
					return
				}
				outputs[id] = true
				out, _ := m["output"].(string)
				inputText = "patch output: " + out
			case typ == "function_call" || typ == "custom_tool_call" || typ == "apply_patch_call":
				id, _ := m["call_id"].(string)
				inputCalls[id] = true
			case typ == "message" || (typ == "" && m["role"] != nil):
				inputText = contentText(m["content"])
			}
		}
	default:
		writeError(w, http.StatusBadRequest, "Invalid type for 'input': expected a string or an array of input items.", "invalid_request_error", "invalid_type", strp("input"))
		return
	}

	prevChain := 0
	if prev, _ := req["previous_response_id"].(string); prev != "" {
		s.mu.Lock()
		st := s.stored[prev]
		s.mu.Unlock()
		if st == nil {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("Previous response with id '%s' not found.", prev), "invalid_request_error", "previous_response_not_found", strp("previous_response_id"))
			return
		}
		for id := range st.pending {
			if !outputs[id] {
				writeError(w, http.StatusBadRequest, fmt.Sprintf("No tool output found for function call %s.", id), "invalid_request_error", "", strp("input"))
				return
			}
		}
		for id := range outputs {
			if _, ok := st.pending[id]; !ok {
				writeError(w, http.StatusBadRequest, fmt.Sprintf("No tool call found for function call output with call_id %s.", id), "invalid_request_error", "", strp("input"))
				return
			}
		}
		prevChain = st.tokens
	} else {
		for id := range outputs {
			if !inputCalls[id] {
				writeError(w, http.StatusBadRequest, "No tool call found for function call output: previous_response_id is required.", "invalid_request_error", "", strp("input"))
				return
			}
		}
	}

	if in, ok := req["input"].([]any); ok {
		s.notePatchOutputs(in)
	}
	toolsAllowed := len(tools) > 0 && req["tool_choice"] != "none"
	reply := s.nextReply(inputText, toolsAllowed)
	if !patchOffered {
		reply = patchesAsText(reply)
	}

	s.mu.Lock()
	chunk := s.chunkSize
	fixed := s.usage
	created := s.now().Unix()
	s.mu.Unlock()

	respID := s.newID("resp")
	var items []map[string]any
	rsID := ""
	if reply.Reasoning != "" {
		rsID = s.newID("rs")
		items = append(items, map[string]any{
			"id": rsID, "type": "reasoning",
			"summary": []any{map[string]any{"type": "summary_text", "text": reply.Reasoning}},
		})
	}
	msgID := ""
	if reply.Text != "" {
		msgID = s.newID("msg")
	}
	type call struct{ itemID, callID, name, args, namespace string }
	var calls []call
	for _, tc := range reply.ToolCalls {
		calls = append(calls, call{s.newID("fc"), s.newID("call"), tc.Name, tc.Arguments, tc.Namespace})
	}
	type patchCall struct {
		itemID, callID string
		op             Patch
	}
	var patches []patchCall
	for _, p := range reply.Patches {
		pc := patchCall{s.newID("apc"), s.newID("call"), p}
		s.notePatchCall(pc.callID)
		patches = append(patches, pc)
	}
	if msgID != "" {
		items = append(items, map[string]any{
			"id": msgID, "type": "message", "status": "completed", "role": "assistant",
			"content": []any{map[string]any{"type": "output_text", "text": reply.Text, "annotations": []any{}}},
		})
	}
	outBytes := len(reply.Reasoning) + len(reply.Text)
	for _, c := range calls {
		item := map[string]any{
			"id": c.itemID, "type": "function_call", "status": "completed",
			"call_id": c.callID, "name": c.name, "arguments": c.args,
		}
		if c.namespace != "" {
			item["namespace"] = c.namespace
		}
		items = append(items, item)
		outBytes += len(c.name) + len(c.args)
	}
	for _, p := range patches {
		items = append(items, map[string]any{
			"id": p.itemID, "type": "apply_patch_call", "status": "completed",
			"call_id": p.callID, "operation": p.op.wire(),
		})
		outBytes += len(p.op.Path) + len(p.op.Diff)
	}
	u := Usage{Input: tokens(len(body)) + prevChain, Cached: prevChain, Output: tokens(outBytes)}
	if fixed != nil {
		u = *fixed
	}
	if reply.Usage != nil {
		u = *reply.Usage
	}
	usage := map[string]any{
		"input_tokens":          u.Input,
		"input_tokens_details":  map[string]any{"cached_tokens": u.Cached},
		"output_tokens":         u.Output,
		"output_tokens_details": map[string]any{"reasoning_tokens": 0},
		"total_tokens":          u.Input + u.Output,
	}
	var prevField any
	if p, _ := req["previous_response_id"].(string); p != "" {
		prevField = p
	}
	store := true
	if b, ok := req["store"].(bool); ok {
		store = b
	}
	object := func(status string, output []map[string]any, withUsage bool) map[string]any {
		o := map[string]any{
			"id": respID, "object": "response", "created_at": created, "status": status,
			"error": nil, "incomplete_details": nil, "instructions": req["instructions"],
			"model": model, "output": output, "parallel_tool_calls": true,
			"previous_response_id": prevField, "store": store, "tools": orEmpty(tools),
			"tool_choice": orDefault(req["tool_choice"], "auto"), "usage": nil,
		}
		if withUsage {
			o["usage"] = usage
		}
		return o
	}
	remember := func() {
		if !store {
			return
		}
		st := &stored{tokens: u.Input + u.Output, pending: map[string]string{}}
		for _, c := range calls {
			st.pending[c.callID] = c.name
		}
		for _, p := range patches {
			st.pending[p.callID] = "apply_patch"
		}
		s.mu.Lock()
		s.stored[respID] = st
		s.mu.Unlock()
	}

	stream, _ := req["stream"].(bool)
	if !stream {
		b, _ := json.Marshal(object("completed", items, true))
		if f.Kind == FaultCut {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(b[:len(b)/2])
			newSSE(w).cut()
		}
		remember()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(append(b, '\n'))
		return
	}

	e := newSSE(w)
	seq := 0
	send := func(typ string, fields map[string]any) {
		fields["type"] = typ
		fields["sequence_number"] = seq
		seq++
		e.event(typ, fields)
	}
	delta := e.deltaFault(r, f)
	send("response.created", map[string]any{"response": object("in_progress", []map[string]any{}, false)})
	send("response.in_progress", map[string]any{"response": object("in_progress", []map[string]any{}, false)})
	idx := 0
	if rsID != "" {
		send("response.output_item.added", map[string]any{"output_index": idx, "item": map[string]any{
			"id": rsID, "type": "reasoning", "summary": []any{},
		}})
		part := func(text string) map[string]any { return map[string]any{"type": "summary_text", "text": text} }
		send("response.reasoning_summary_part.added", map[string]any{"item_id": rsID, "output_index": idx, "summary_index": 0, "part": part("")})
		for _, d := range chunks(reply.Reasoning, chunk) {
			delta()
			send("response.reasoning_summary_text.delta", map[string]any{"item_id": rsID, "output_index": idx, "summary_index": 0, "delta": d})
		}
		send("response.reasoning_summary_text.done", map[string]any{"item_id": rsID, "output_index": idx, "summary_index": 0, "text": reply.Reasoning})
		send("response.reasoning_summary_part.done", map[string]any{"item_id": rsID, "output_index": idx, "summary_index": 0, "part": part(reply.Reasoning)})
		send("response.output_item.done", map[string]any{"output_index": idx, "item": items[idx]})
		idx++
	}
	if msgID != "" {
		send("response.output_item.added", map[string]any{"output_index": idx, "item": map[string]any{
			"id": msgID, "type": "message", "status": "in_progress", "role": "assistant", "content": []any{},
		}})
		part := func(text string) map[string]any {
			return map[string]any{"type": "output_text", "text": text, "annotations": []any{}}
		}
		send("response.content_part.added", map[string]any{"item_id": msgID, "output_index": idx, "content_index": 0, "part": part("")})
		for _, d := range chunks(reply.Text, chunk) {
			delta()
			send("response.output_text.delta", map[string]any{"item_id": msgID, "output_index": idx, "content_index": 0, "delta": d, "logprobs": []any{}})
		}
		send("response.output_text.done", map[string]any{"item_id": msgID, "output_index": idx, "content_index": 0, "text": reply.Text, "logprobs": []any{}})
		send("response.content_part.done", map[string]any{"item_id": msgID, "output_index": idx, "content_index": 0, "part": part(reply.Text)})
		send("response.output_item.done", map[string]any{"output_index": idx, "item": items[idx]})
		idx++
	}
	for _, c := range calls {
		added := map[string]any{
			"id": c.itemID, "type": "function_call", "status": "in_progress", "call_id": c.callID, "name": c.name, "arguments": "",
		}
		if c.namespace != "" {
			added["namespace"] = c.namespace
		}
		send("response.output_item.added", map[string]any{"output_index": idx, "item": added})
		for _, d := range chunks(c.args, chunk) {
			delta()
			send("response.function_call_arguments.delta", map[string]any{"item_id": c.itemID, "output_index": idx, "delta": d})
		}
		send("response.function_call_arguments.done", map[string]any{"item_id": c.itemID, "output_index": idx, "name": c.name, "arguments": c.args})
		send("response.output_item.done", map[string]any{"output_index": idx, "item": items[idx]})
		idx++
	}
	for _, p := range patches {
		// As the API streams the native tool: the item with an empty diff,
		// the diff in deltas, then the whole item (delete_file: no diff).
		added := p.op.wire()
		if _, ok := added["diff"]; ok {
			added["diff"] = ""
		}
		send("response.output_item.added", map[string]any{"output_index": idx, "item": map[string]any{
			"id": p.itemID, "type": "apply_patch_call", "status": "in_progress", "call_id": p.callID, "operation": added,
		}})
		if _, ok := added["diff"]; ok {
			for _, d := range chunks(p.op.Diff, chunk) {
				delta()
				send("response.apply_patch_call_operation_diff.delta", map[string]any{"item_id": p.itemID, "output_index": idx, "delta": d})
			}
			send("response.apply_patch_call_operation_diff.done", map[string]any{"item_id": p.itemID, "output_index": idx, "diff": p.op.Diff})
		}
		send("response.output_item.done", map[string]any{"output_index": idx, "item": items[idx]})
		idx++
	}
	if f.Kind == FaultCut {
		e.cut()
	}
	if f.Kind == FaultStall {
		e.stall(r)
	}
	remember()
	send("response.completed", map[string]any{"response": object("completed", items, true)})
}

func orEmpty(v []any) []any {
	if v == nil {
		return []any{}
	}
	return v
}

func orDefault(v any, d string) any {
	if v == nil {
		return d
	}
	return v
}

// outputText extracts the text of a tool output: a string, or a list of
// content parts (input_text and the like).
func outputText(o any) string {
	if s, ok := o.(string); ok {
		return s
	}
	return contentText(o)
}

// contentText extracts the text of a message content (a string or a list of
// parts with a "text" field).
func contentText(c any) string {
	switch v := c.(type) {
	case string:
		return v
	case []any:
		out := ""
		for _, p := range v {
			if m, ok := p.(map[string]any); ok {
				if t, ok := m["text"].(string); ok {
					out += t
				}
			}
		}
		return out
	}
	return ""
}

// wire is the operation object of an apply_patch_call: delete_file has no
// diff, the others always have one.
func (p Patch) wire() map[string]any {
	op := map[string]any{"type": p.Type, "path": p.Path}
	if p.Type != "delete_file" {
		op["diff"] = p.Diff
	}
	return op
}

// patchesAsText turns a reply's patches into text, as a model writes a
// patch when it has no tool to apply it with.
func patchesAsText(r Reply) Reply {
	if len(r.Patches) == 0 {
		return r
	}
	var b strings.Builder
	b.WriteString(r.Text)
	for _, p := range r.Patches {
		if b.Len() > 0 {
			b.WriteString("\n\n")
		}
		fmt.Fprintf(&b, "%s %s:\n```diff\n%s```", p.Type, p.Path, p.Diff)
	}
	r.Text, r.Patches = b.String(), nil
	return r
}
