package layers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/git-codex/git-codex"

// allowed lists, for every package of the module, the packages of the module
// it may import (its own subpackages aside). A package missing from the table
// fails the test: adding one is a decision about the architecture, made here.
var allowed = map[string][]string{
	"cmd/git-codex":             {"history", "notesync", "hooks", "runner", "session", "workflow", "pricing", "scaffold", "model", "codexcli", "prompt", "worktree", "context", "gitstore", "redact", "internal/text", "cmd/git-codex/ui", "cmd/git-codex/ui/markdown", "cmd/git-codex/failure", "cmd/git-codex/mcpserver"},
	"cmd/git-codex/mcpserver":   {"cmd/git-codex/failure", "pricing", "session", "history", "notesync", "scaffold", "gitstore", "redact", "internal/text"},
	"cmd/git-codex/failure":     {"history", "hooks", "notesync", "runner", "workflow", "session", "model", "codexcli", "worktree", "gitstore", "redact"},
	"history":                   {"session", "gitstore", "pricing", "redact", "internal/text"},
	"hooks":                     {"notesync", "context", "gitstore"},
	"notesync":                  {"gitstore"},
	"runner":                    {"session", "workflow", "pricing", "worktree", "gitstore", "redact", "internal/text"},
	"session":                   {"model", "codexcli", "prompt", "worktree", "context", "gitstore", "pricing", "redact", "internal/text"},
	"cmd/git-codex/ui":          {},
	"cmd/git-codex/ui/markdown": {"cmd/git-codex/ui"},
	"scaffold":                  {"context"},
	"model":                     {"redact", "internal/text"},
	"prompt":                    {"context", "redact"},
	"worktree":                  {"redact", "internal/text"},
	"context":                   {},
	"gitstore":                  {"gitstore/packidx", "redact", "internal/text"},
	"gitstore/packidx":          {},
	"gitstore/storetest":        {"gitstore"},
	"gitstore/internal/objread": {"gitstore/packidx"},
	"redact":                    {"internal/text"},
	"internal/text":             {},
	"workflow":                  {},
	"pricing":                   {},
	"codexcli":                  {},
	"internal/gittest":          {},
	"internal/repotest":         {"gitstore", "session"},
	"internal/openaitest":       {},
	"internal/apischema":        {},
	"internal/codextest":        {"internal/openaitest"},
	"internal/layers":           {},
	"bench/mkbigrepo":           {},
	"bench/mkscale":             {},
	"bench/openaiserve":         {"internal/openaitest"},
}

// external names the third-party imports that only some packages may use.
var external = []struct {
	prefix string
	only   []string
}{
	{"github.com/go-git/", []string{"gitstore", "gitstore/packidx", "gitstore/internal/objread"}},
	{"github.com/sashabaranov/go-openai", []string{"model"}},
	{"github.com/urfave/cli", []string{"cmd/git-codex"}},
	// Terminal output belongs to the command layer.
	{"github.com/yuin/goldmark", []string{"cmd/git-codex/ui/markdown"}},
	{"github.com/rivo/uniseg", []string{"cmd/git-codex/ui"}},
	{"golang.org/x/term", []string{"cmd/git-codex", "cmd/git-codex/ui"}},
	// The MCP protocol is the MCP front end's.
	{"github.com/modelcontextprotocol/", []string{"cmd/git-codex/mcpserver"}},
	{"github.com/google/jsonschema-go", []string{"cmd/git-codex/mcpserver"}},
	// Workflow files need line and column for every error, syntax errors
	// included, which go.yaml.in/yaml/v3 does not give.
	{"github.com/goccy/go-yaml", []string{"workflow"}},
}

// violations checks an import graph (package → its imports, module packages
// relative to the module root) against the rules and returns one line per
// broken rule, sorted.
func violations(graph map[string][]string) []string {
	var out []string
	for pkg, imports := range graph {
		allow, known := allowed[pkg]
		if !known {
			out = append(out, fmt.Sprintf("%s: not in the layer table of internal/layers; add it with the packages it may import", pkg))
			continue
		}
		for _, imp := range imports {
			if rel, ok := strings.CutPrefix(imp, module+"/"); ok {
				if rel == pkg || strings.HasPrefix(rel, pkg+"/") || contains(allow, rel) {
					continue
				}
				out = append(out, fmt.Sprintf("%s imports %s: not allowed by the layer rule", pkg, rel))
				continue
			}
			for _, ext := range external {
				if strings.HasPrefix(imp, ext.prefix) && !contains(ext.only, pkg) {
					out = append(out, fmt.Sprintf("%s imports %s: only %s may", pkg, imp, strings.Join(ext.only, ", ")))
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// importGraph lists the module's packages and their non-test imports with
// `go list`.
func importGraph(t *testing.T) map[string][]string {
	t.Helper()
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports", module+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	graph := map[string][]string{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("decode go list output: %v", err)
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		graph[rel] = p.Imports
	}
	return graph
}

func TestLayerRule(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH")
	}
	graph := importGraph(t)
	if len(graph) < 5 {
		t.Fatalf("go list found only %d packages: %v", len(graph), graph)
	}
	for _, v := range violations(graph) {
		t.Error(v)
	}
}

// TestLayerRuleCatchesViolations plants each kind of violation in a copy of
// the real graph and checks the rule reports it.
func TestLayerRuleCatchesViolations(t *testing.T) {
	tests := []struct {
		name  string
		plant func(g map[string][]string)
		want  string
	}{
		{"storage imports the engine", func(g map[string][]string) {
			g["gitstore"] = append(g["gitstore"], module+"/session")
		}, "gitstore imports session: not allowed"},
		{"engine imports the command layer", func(g map[string][]string) {
			g["session"] = append(g["session"], module+"/cmd/git-codex")
		}, "session imports cmd/git-codex: not allowed"},
		{"go-git outside gitstore", func(g map[string][]string) {
			g["session"] = append(g["session"], "github.com/go-git/go-git/v5/plumbing")
		}, "session imports github.com/go-git/go-git/v5/plumbing: only gitstore"},
		{"go-openai outside model", func(g map[string][]string) {
			g["prompt"] = append(g["prompt"], "github.com/sashabaranov/go-openai")
		}, "prompt imports github.com/sashabaranov/go-openai: only model"},
		{"urfave/cli below the command layer", func(g map[string][]string) {
			g["notesync"] = append(g["notesync"], "github.com/urfave/cli/v2")
		}, "notesync imports github.com/urfave/cli/v2: only cmd/git-codex"},
		{"a workflow imports the engine", func(g map[string][]string) {
			g["notesync"] = append(g["notesync"], module+"/session")
		}, "notesync imports session: not allowed"},
		{"the MCP SDK outside the MCP front end", func(g map[string][]string) {
			g["session"] = append(g["session"], "github.com/modelcontextprotocol/go-sdk/mcp")
		}, "session imports github.com/modelcontextprotocol/go-sdk/mcp: only cmd/git-codex/mcpserver"},
		{"a package nobody placed", func(g map[string][]string) {
			g["util"] = nil
		}, "util: not in the layer table"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := map[string][]string{}
			for pkg := range allowed {
				g[pkg] = nil
			}
			tt.plant(g)
			got := violations(g)
			if len(got) != 1 || !strings.Contains(got[0], tt.want) {
				t.Fatalf("violations = %q, want one containing %q", got, tt.want)
			}
		})
	}
}
