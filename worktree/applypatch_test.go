package worktree_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/git-codex/git-codex/internal/apischema"
	"github.com/git-codex/git-codex/worktree"
)

var update = flag.Bool("update", false, "rewrite testdata/applypatch/followup.json from the engine's answers")

// The wire shapes of the apply_patch tool on the Responses API, as the
// session's model client can declare them: an apply_patch_call output item
// carries a worktree.Operation, and the next request answers it with an
// apply_patch_call_output input item carrying a worktree.Outcome.
type applyPatchCall struct {
	Type      string             `json:"type"`
	ID        string             `json:"id,omitempty"`
	CallID    string             `json:"call_id"`
	Status    string             `json:"status"`
	Operation worktree.Operation `json:"operation"`
}

type applyPatchCallOutput struct {
	Type   string `json:"type"`
	CallID string `json:"call_id"`
	worktree.Outcome
}

// TestApplyPatchWire takes a request enabling the native tool, a response
// of apply_patch_call items and the follow-up request answering them
// (testdata/applypatch), checks every tool, call and output item against
// the API's published schema (schema.yaml, extracted from openapi.yaml),
// decodes the calls into the editor's Operation, applies them to a work
// tree, and checks that the editor's answers are the follow-up's items.
func TestApplyPatchWire(t *testing.T) {
	schemas := loadSchemas(t)
	var req struct {
		Tools []json.RawMessage `json:"tools"`
	}
	decodeFile(t, "request.json", &req)
	found := false
	for _, tool := range req.Tools {
		var head struct{ Type string }
		json.Unmarshal(tool, &head)
		if head.Type == worktree.ToolApplyPatch {
			found = true
			schemas.check(t, "request.json tools", "ApplyPatchToolParam", tool)
		}
	}
	if !found {
		t.Fatalf("request.json offers no %q tool", worktree.ToolApplyPatch)
	}

	var resp struct {
		ID     string            `json:"id"`
		Output []json.RawMessage `json:"output"`
	}
	decodeFile(t, "response.json", &resp)
	root := t.TempDir()
	for p, body := range map[string]string{
		"lib/fib.py":   "def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n",
		"notes/old.md": "# Old notes\n",
	} {
		os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755)
		if err := os.WriteFile(filepath.Join(root, p), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	e := newEditor(t, root, worktree.EditOptions{})
	var answers []applyPatchCallOutput
	for i, raw := range resp.Output {
		var call applyPatchCall
		if err := json.Unmarshal(raw, &call); err != nil {
			t.Fatal(err)
		}
		if call.Type != "apply_patch_call" {
			continue
		}
		schemas.check(t, fmt.Sprintf("response.json output[%d]", i), "ApplyPatchToolCall", raw)
		// The same item replayed as input (a rebuilt context) is an
		// ApplyPatchToolCallItemParam.
		replay, _ := json.Marshal(call)
		schemas.check(t, fmt.Sprintf("output[%d] replayed as input", i), "ApplyPatchToolCallItemParam", replay)
		op, err := worktree.DecodeOperation(mustJSON(t, call.Operation))
		if err != nil || op != call.Operation {
			t.Fatalf("DecodeOperation: %+v, %v", op, err)
		}
		var o worktree.Outcome
		p, err := e.Prepare(context.Background(), op)
		if err == nil {
			err = p.Commit(context.Background())
		}
		if err != nil {
			o = worktree.Failed(err)
		} else {
			o = worktree.Applied(p)
		}
		answers = append(answers, applyPatchCallOutput{Type: "apply_patch_call_output", CallID: call.CallID, Outcome: o})
	}
	if got := readFile(t, filepath.Join(root, "lib/fib.py")); !strings.Contains(got, "return fibonacci(n - 1) + fibonacci(n - 2)") {
		t.Errorf("lib/fib.py = %q", got)
	}
	if got := readFile(t, filepath.Join(root, "tests/test_fib.py")); got != "from lib.fib import fibonacci\n\n\ndef test_fibonacci():\n    assert fibonacci(10) == 55\n" {
		t.Errorf("tests/test_fib.py = %q", got)
	}
	if _, err := os.Stat(filepath.Join(root, "notes/old.md")); !os.IsNotExist(err) {
		t.Errorf("notes/old.md not deleted: %v", err)
	}

	followup := struct {
		Model              string                 `json:"model"`
		PreviousResponseID string                 `json:"previous_response_id"`
		Input              []applyPatchCallOutput `json:"input"`
		Tools              []map[string]string    `json:"tools"`
		Store              bool                   `json:"store"`
	}{"gpt-5.1", resp.ID, answers, []map[string]string{{"type": worktree.ToolApplyPatch}}, true}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(followup); err != nil {
		t.Fatal(err)
	}
	want := buf.Bytes()
	file := filepath.Join("testdata", "applypatch", "followup.json")
	if *update {
		if err := os.WriteFile(file, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the editor's answers differ from followup.json (go test ./worktree -run TestApplyPatchWire -update):\n%s", want)
	}
	var fu struct {
		PreviousResponseID string            `json:"previous_response_id"`
		Input              []json.RawMessage `json:"input"`
	}
	decodeFile(t, "followup.json", &fu)
	if fu.PreviousResponseID != resp.ID || len(fu.Input) != 4 {
		t.Fatalf("followup.json: previous_response_id %q, %d input items", fu.PreviousResponseID, len(fu.Input))
	}
	statuses := []string{}
	for i, item := range fu.Input {
		schemas.check(t, fmt.Sprintf("followup.json input[%d]", i), "ApplyPatchToolCallOutputItemParam", item)
		var out applyPatchCallOutput
		json.Unmarshal(item, &out)
		statuses = append(statuses, out.Status)
	}
	if !slices.Equal(statuses, []string{"completed", "completed", "completed", "failed"}) {
		t.Errorf("statuses %q", statuses)
	}
}

// TestApplyPatchSchemaCheck: the schema check is not vacuous; it refuses
// the mistakes a client could make.
func TestApplyPatchSchemaCheck(t *testing.T) {
	schemas := loadSchemas(t)
	bad := []struct{ schema, item, want string }{
		{"ApplyPatchToolCallOutputItemParam", `{"type":"apply_patch_call_output","call_id":"c","status":"error"}`, `"error" is not one of`},
		{"ApplyPatchToolCallOutputItemParam", `{"type":"apply_patch_call_output","status":"completed"}`, `missing required "call_id"`},
		{"ApplyPatchToolCallOutputItemParam", `{"type":"apply_patch_call_output","call_id":"c","status":"completed","result":"x"}`, `unknown property "result"`},
		{"ApplyPatchToolCallOutputItemParam", `{"type":"apply_patch_call_output","call_id":"","status":"completed"}`, `shorter than 1`},
		{"ApplyPatchToolCall", `{"type":"apply_patch_call","id":"a","call_id":"c","status":"completed","operation":{"type":"move_file","path":"x"}}`, `no oneOf branch for type "move_file"`},
		{"ApplyPatchToolCall", `{"type":"apply_patch_call","id":"a","call_id":"c","status":"completed","operation":{"type":"update_file","path":"x"}}`, `missing required "diff"`},
		{"ApplyPatchToolParam", `{"type":"apply_patch","allowed_callers":[]}`, `fewer than 1 items`},
	}
	for _, b := range bad {
		err := schemas.Validate(b.schema, mustDecode(t, b.item))
		if err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%s %s: %v, want an error mentioning %q", b.schema, b.item, err, b.want)
		}
	}
}

// TestApplyPatchFunctionTool: the chat engine's function tool has a valid
// JSON schema whose properties are the Operation's fields, and a call's
// arguments decode into an Operation.
func TestApplyPatchFunctionTool(t *testing.T) {
	spec := worktree.ApplyPatchSpec()
	var params struct {
		Type       string                     `json:"type"`
		Properties map[string]json.RawMessage `json:"properties"`
		Required   []string                   `json:"required"`
	}
	if err := json.Unmarshal(spec.Parameters, &params); err != nil {
		t.Fatalf("parameters: %v", err)
	}
	var names []string
	for n := range params.Properties {
		names = append(names, n)
	}
	sort.Strings(names)
	if spec.Name != "apply_patch" || params.Type != "object" || !slices.Equal(names, []string{"diff", "path", "type"}) || !slices.Equal(params.Required, []string{"type", "path"}) {
		t.Errorf("spec %s: %+v", spec.Name, params)
	}
	if !strings.Contains(string(params.Properties["type"]), `"enum":["create_file","update_file","delete_file"]`) {
		t.Errorf("type property: %s", params.Properties["type"])
	}
	if len(spec.Description) > 700 {
		t.Errorf("the description is %d bytes; it is sent with every request", len(spec.Description))
	}
	op, err := worktree.DecodeOperation([]byte(`{"type":"update_file","path":"a.go","diff":"@@\n-a\n+b\n","extra":1}`))
	if err != nil || op != (worktree.Operation{Type: worktree.OpUpdate, Path: "a.go", Diff: "@@\n-a\n+b\n"}) {
		t.Errorf("DecodeOperation = %+v, %v", op, err)
	}
	for _, bad := range []string{``, `[]`, `{"type":`} {
		if _, err := worktree.DecodeOperation([]byte(bad)); err == nil || !strings.Contains(err.Error(), "bad tool arguments") {
			t.Errorf("DecodeOperation(%q) = %v", bad, err)
		}
	}
	if o := worktree.Refused("the user said no"); o.Status != "failed" || o.Output != "refused, nothing was changed: the user said no" {
		t.Errorf("Refused = %+v", o)
	}
}

func decodeFile(t *testing.T, name string, v any) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "applypatch", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", name, err)
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

func mustDecode(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// schemaSet is the API's schemas (testdata/applypatch/schema.yaml).
type schemaSet struct{ apischema.Set }

func loadSchemas(t *testing.T) schemaSet {
	t.Helper()
	set, err := apischema.Load(filepath.Join("testdata", "applypatch", "schema.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(set) < 10 {
		t.Fatalf("schema.yaml holds %d schemas", len(set))
	}
	return schemaSet{set}
}

func (s schemaSet) check(t *testing.T, what, schema string, raw []byte) {
	t.Helper()
	if err := s.Check(schema, raw); err != nil {
		t.Errorf("%s does not follow %s: %v", what, schema, err)
	}
}
