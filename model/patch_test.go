package model_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/git-codex/git-codex/internal/apischema"
	"github.com/git-codex/git-codex/internal/openaitest"
	"github.com/git-codex/git-codex/model"
)

// applyPatchDir holds the published shapes of the apply_patch tool: the
// API's schemas and example bodies (see its README).
var applyPatchDir = filepath.Join("..", "worktree", "testdata", "applypatch")

func loadSchemas(t *testing.T) apischema.Set {
	t.Helper()
	set, err := apischema.Load(filepath.Join(applyPatchDir, "schema.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// patcher records the patch calls it gets and answers them: failed for a
// path starting with "bad", completed otherwise.
type patcher struct {
	mu    sync.Mutex
	calls []model.PatchCall
}

func (p *patcher) patch(_ context.Context, c model.PatchCall) model.PatchResult {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = append(p.calls, c)
	var op struct{ Type, Path string }
	json.Unmarshal(c.Operation, &op)
	if strings.HasPrefix(op.Path, "bad") {
		return model.PatchResult{Status: model.PatchFailed, Output: "failed, nothing was changed: " + op.Path}
	}
	return model.PatchResult{Status: model.PatchCompleted, Output: op.Type + " " + op.Path}
}

var patchTool = model.Tool{Name: "apply_patch", Description: "Create, update or delete one file.",
	Parameters: json.RawMessage(`{"type":"object","properties":{"type":{"type":"string"},"path":{"type":"string"},"diff":{"type":"string"}},"required":["type","path"]}`)}

// TestPatchCalls: on both engines the edit tool is offered, the model's
// patch calls reach the PatchFunc with their operations in order, and the
// answers go back to the model (apply_patch_call_output items on the
// responses engine, tool messages on the chat engine), after which the
// model's text ends the turn.
func TestPatchCalls(t *testing.T) {
	ops := []openaitest.Patch{
		{Type: "update_file", Path: "calc.go", Diff: "@@\n-\treturn a - b\n+\treturn a + b\n"},
		{Type: "create_file", Path: "calc_test.go", Diff: "+package calc\n"},
		{Type: "delete_file", Path: "old.go"},
		{Type: "update_file", Path: "bad.go", Diff: "@@\n-x\n+y\n"},
	}
	for _, engine := range engines {
		t.Run(string(engine), func(t *testing.T) {
			srv := openaitest.New(t)
			srv.Enqueue(openaitest.Reply{Patches: ops}, openaitest.Reply{Text: "Fixed Add."})
			p := &patcher{}
			c := newClient(t, srv, engine, &harness{}, nil)
			resp, err, _ := send(t, c, nil, model.Request{Instructions: "edit", Input: "fix Add", Patch: p.patch, PatchTool: patchTool})
			if err != nil {
				t.Fatal(err)
			}
			if resp.Text != "Fixed Add." || resp.ID == "" {
				t.Errorf("Text %q ID %q", resp.Text, resp.ID)
			}
			if len(p.calls) != len(ops) {
				t.Fatalf("%d patch calls, want %d", len(p.calls), len(ops))
			}
			for i, call := range p.calls {
				var got openaitest.Patch
				if err := json.Unmarshal(call.Operation, &got); err != nil || got != ops[i] || call.CallID == "" {
					t.Errorf("call %d: %s %s (%v), want %+v", i, call.CallID, call.Operation, err, ops[i])
				}
			}
			outs := srv.PatchOutputs()
			var statuses, outputs []string
			for _, o := range outs {
				statuses = append(statuses, o.Status)
				outputs = append(outputs, o.Output)
			}
			wantOut := []string{"update_file calc.go", "create_file calc_test.go", "delete_file old.go", "failed, nothing was changed: bad.go"}
			if !slices.Equal(outputs, wantOut) {
				t.Errorf("outputs the server got: %q", outputs)
			}
			if engine == model.EngineResponses && !slices.Equal(statuses, []string{"completed", "completed", "completed", "failed"}) {
				t.Errorf("statuses the server got: %q", statuses)
			}
			if len(resp.ToolCalls) != 0 {
				t.Errorf("patch calls reported as function tool calls: %+v", resp.ToolCalls)
			}
		})
	}
}

// TestPatchRequestsFollowTheSchema: what the responses client sends for the
// edit tool — the tool, and the apply_patch_call_output items — follows the
// API's published schema, and so do the apply_patch_call items the test
// server streams.
func TestPatchRequestsFollowTheSchema(t *testing.T) {
	schemas := loadSchemas(t)
	srv := openaitest.New(t)
	srv.Enqueue(openaitest.Reply{Patches: []openaitest.Patch{
		{Type: "update_file", Path: "a.go", Diff: "@@\n-a\n+b\n"},
		{Type: "delete_file", Path: "bad.go"},
	}}, openaitest.Reply{Text: "done"})
	p := &patcher{}
	var streamed []json.RawMessage
	hc := &http.Client{Transport: captureItems{base: http.DefaultTransport, items: &streamed}}
	c := newClient(t, srv, model.EngineResponses, &harness{}, func(cfg *model.Config) { cfg.HTTPClient = hc })
	if _, err, _ := send(t, c, nil, model.Request{Input: "go", Patch: p.patch}); err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests", len(reqs))
	}
	checked := 0
	for i, r := range reqs {
		var body struct {
			Tools []json.RawMessage `json:"tools"`
			Input json.RawMessage   `json:"input"`
		}
		if err := json.Unmarshal(r.Body, &body); err != nil {
			t.Fatal(err)
		}
		if len(body.Tools) != 1 {
			t.Fatalf("request %d tools: %s", i, body.Tools)
		}
		if err := schemas.Check("ApplyPatchToolParam", body.Tools[0]); err != nil {
			t.Errorf("request %d tool %s: %v", i, body.Tools[0], err)
		}
		var items []json.RawMessage
		if json.Unmarshal(body.Input, &items) != nil {
			continue // the first request's input is the user's text
		}
		for _, it := range items {
			if err := schemas.Check("ApplyPatchToolCallOutputItemParam", it); err != nil {
				t.Errorf("request %d item %s: %v", i, it, err)
			}
			checked++
		}
	}
	if checked != 2 {
		t.Errorf("checked %d apply_patch_call_output items, want 2", checked)
	}
	if len(streamed) != 4 { // added and done, for each call
		t.Fatalf("the server streamed %d apply_patch_call items, want 4", len(streamed))
	}
	for _, it := range streamed {
		if err := schemas.Check("ApplyPatchToolCall", it); err != nil {
			t.Errorf("the test server's item %s: %v", it, err)
		}
	}
}

// captureItems records the apply_patch_call items of the output_item
// events a response stream carries.
type captureItems struct {
	base  http.RoundTripper
	items *[]json.RawMessage
}

func (c captureItems) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	body, rerr := readAll(resp)
	if rerr != nil {
		return nil, rerr
	}
	for _, line := range strings.Split(string(body), "\n") {
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			continue
		}
		var ev struct {
			Type string          `json:"type"`
			Item json.RawMessage `json:"item"`
		}
		if json.Unmarshal([]byte(data), &ev) == nil && strings.HasPrefix(ev.Type, "response.output_item.") &&
			strings.Contains(string(ev.Item), `"apply_patch_call"`) {
			*c.items = append(*c.items, ev.Item)
		}
	}
	return resp, nil
}

// TestPatchReferenceExample: the client answers the API reference's example
// response (testdata/applypatch/response.json, every item streamed as the
// API streams it, by a server that is not openaitest) with exactly the
// follow-up request's items (followup.json), given the same outcomes.
func TestPatchReferenceExample(t *testing.T) {
	var example struct {
		ID     string           `json:"id"`
		Model  string           `json:"model"`
		Output []map[string]any `json:"output"`
	}
	var followup struct {
		PreviousResponseID string            `json:"previous_response_id"`
		Input              []json.RawMessage `json:"input"`
	}
	readJSON(t, filepath.Join(applyPatchDir, "response.json"), &example)
	readJSON(t, filepath.Join(applyPatchDir, "followup.json"), &followup)
	outcomes := map[string]model.PatchResult{}
	for _, raw := range followup.Input {
		var o struct {
			CallID string `json:"call_id"`
			Status string `json:"status"`
			Output string `json:"output"`
		}
		json.Unmarshal(raw, &o)
		outcomes[o.CallID] = model.PatchResult{Status: o.Status, Output: o.Output}
	}
	var mu sync.Mutex
	var bodies [][]byte
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := readBody(r)
		mu.Lock()
		bodies = append(bodies, body)
		n := len(bodies)
		mu.Unlock()
		w.Header().Set("Content-Type", "text/event-stream")
		event := func(v map[string]any) {
			b, _ := json.Marshal(v)
			fmt.Fprintf(w, "event: %s\ndata: %s\n\n", v["type"], b)
		}
		resp := map[string]any{"id": example.ID, "object": "response", "status": "completed", "model": example.Model, "output": example.Output}
		if n > 1 {
			msg := map[string]any{"type": "message", "id": "msg_1", "status": "completed", "role": "assistant",
				"content": []any{map[string]any{"type": "output_text", "text": "Done.", "annotations": []any{}}}}
			resp = map[string]any{"id": "resp_456", "object": "response", "status": "completed", "model": example.Model, "output": []any{msg}}
			event(map[string]any{"type": "response.output_text.delta", "item_id": "msg_1", "output_index": 0, "content_index": 0, "delta": "Done."})
		} else {
			for i, item := range example.Output {
				event(map[string]any{"type": "response.output_item.done", "output_index": i, "item": item})
			}
		}
		event(map[string]any{"type": "response.completed", "response": resp})
	}))
	defer ts.Close()
	c, err := model.New(model.Config{BaseURL: ts.URL + "/v1", Model: example.Model, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	resp, err := c.Send(context.Background(), model.Request{Input: "go", Patch: func(_ context.Context, call model.PatchCall) model.PatchResult {
		got = append(got, call.CallID)
		return outcomes[call.CallID]
	}})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Text != "Done." || len(got) != 4 || len(bodies) != 2 {
		t.Fatalf("text %q, calls %v, %d requests", resp.Text, got, len(bodies))
	}
	var sent struct {
		PreviousResponseID string            `json:"previous_response_id"`
		Input              []json.RawMessage `json:"input"`
	}
	if err := json.Unmarshal(bodies[1], &sent); err != nil {
		t.Fatal(err)
	}
	if sent.PreviousResponseID != followup.PreviousResponseID || len(sent.Input) != len(followup.Input) {
		t.Fatalf("follow-up: previous_response_id %q, %d items; want %q, %d", sent.PreviousResponseID, len(sent.Input), followup.PreviousResponseID, len(followup.Input))
	}
	for i := range sent.Input {
		var a, b any
		json.Unmarshal(sent.Input[i], &a)
		json.Unmarshal(followup.Input[i], &b)
		if fmt.Sprint(a) != fmt.Sprint(b) {
			t.Errorf("item %d: sent %s, the example has %s", i, sent.Input[i], followup.Input[i])
		}
	}
}

// TestPatchRoundLimit: a patch call past the round limit is answered as
// failed without being applied.
func TestPatchRoundLimit(t *testing.T) {
	srv := openaitest.New(t)
	patch := openaitest.Reply{Patches: []openaitest.Patch{{Type: "create_file", Path: "a.txt", Diff: "+a\n"}}}
	srv.Enqueue(patch, patch, openaitest.Reply{Text: "gave up"})
	p := &patcher{}
	c := newClient(t, srv, model.EngineResponses, &harness{}, nil)
	resp, err, _ := send(t, c, nil, model.Request{Input: "go", Patch: p.patch, MaxToolRounds: 1})
	if err != nil {
		t.Fatal(err)
	}
	outs := srv.PatchOutputs()
	if len(p.calls) != 1 || len(outs) != 2 || outs[1].Status != "failed" || !strings.Contains(outs[1].Output, "round limit") || resp.Text != "gave up" {
		t.Errorf("calls %d, outputs %+v, text %q", len(p.calls), outs, resp.Text)
	}
}

// TestPatchesWithoutTheTool: a model offered no edit tool writes its patch
// as text (the test server's stand-in for a read-only session).
func TestPatchesWithoutTheTool(t *testing.T) {
	for _, engine := range engines {
		t.Run(string(engine), func(t *testing.T) {
			srv := openaitest.New(t)
			srv.Enqueue(openaitest.Reply{Text: "Change this:", Patches: []openaitest.Patch{{Type: "update_file", Path: "a.go", Diff: "@@\n-a\n+b\n"}}})
			c := newClient(t, srv, engine, &harness{}, nil)
			resp, err, _ := send(t, c, nil, model.Request{Input: "go", Tools: []model.Tool{{Name: "read_file"}}, Call: func(context.Context, string, string) (string, error) { return "", nil }})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(resp.Text, "update_file a.go:\n```diff\n@@\n-a\n+b\n```") || len(srv.PatchOutputs()) != 0 {
				t.Errorf("text %q", resp.Text)
			}
		})
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// readAll reads a response's body and puts it back for the client.
func readAll(resp *http.Response) ([]byte, error) {
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return b, err
}

func readBody(r *http.Request) ([]byte, error) { return io.ReadAll(r.Body) }
