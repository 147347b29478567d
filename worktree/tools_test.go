package worktree_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/git-codex/git-codex/worktree"
)

// fakeKey is a fabricated OpenAI-style key used to check redaction.
const fakeKey = "sk-proj-Fake0Fake1Fake2Fake3Fake4Fake5Fake6"

// toolTree builds a work tree with every kind of path the tools must serve
// or refuse, next to an "outside" directory the tree's symlinks point into.
// It returns the work tree root.
func toolTree(t *testing.T) string {
	t.Helper()
	base := t.TempDir()
	root := filepath.Join(base, "repo")
	outside := filepath.Join(base, "outside")
	files := map[string]string{
		"README.md":                     "# Demo\n\nA demo project.\n",
		"src/main.go":                   "package main\n\nfunc main() {\n\tprintln(\"hello\")\n}\n",
		"src/util/strings.go":           "package util\n\n// Hello says hello.\nfunc Hello() string { return \"hello\" }\n",
		"docs/notes.md":                 "key: " + fakeKey + "\n",
		"empty.txt":                     "",
		"crlf.txt":                      "one\r\ntwo\r\n",
		"node_modules/dep/index.js":     "hello from a dependency\n",
		".env":                          "OPENAI_API_KEY=" + fakeKey + "\n",
		".env.local":                    "X=1\n",
		"config/server.pem":             "-----BEGIN CERTIFICATE-----\n",
		"config/tls.KEY":                "x\n",
		"id_rsa":                        "x\n",
		"id_ed25519.pub":                "ssh-ed25519 AAAA\n",
		".npmrc":                        "//registry.npmjs.org/:_authToken=x\n",
		".netrc":                        "machine x login y password z\n",
		".pypirc":                       "[pypi]\n",
		"credentials.json":              "{}\n",
		"cert.p12":                      "x",
		"cert.pfx":                      "x",
		".aws/config":                   "[default]\n",
		".ssh/config":                   "Host x\n",
		".git/config":                   "[core]\n",
		"vendored/.git":                 "gitdir: ../.git/modules/vendored\n",
		"vendored/lib.go":               "package lib // hello\n",
		"bin/tool.bin":                  "\x7fELF\x00\x00\x00hello",
		"latin1.txt":                    "caf\xe9 hello\n",
		"../outside/secret.txt":         "outside hello\n",
		"../outside/dir/inner.txt":      "outside dir\n",
		"deep/a/b/c.txt":                "deep hello\n",
		"space name/file with space.md": "spaced hello\n",
	}
	for name, body := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "minified.js"), []byte(strings.Repeat("var a=1;", 600)+"\nsecond\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("0123456789 big file line\n", 4000) // 100,000 bytes
	if err := os.WriteFile(filepath.Join(root, "big.txt"), []byte(big), 0o644); err != nil {
		t.Fatal(err)
	}
	links := map[string]string{
		"link-in.go":     "src/main.go",
		"link-dir-in":    "src/util",
		"link-out.txt":   filepath.Join(outside, "secret.txt"),
		"link-out-rel":   "../outside/secret.txt",
		"link-dir-out":   filepath.Join(outside, "dir"),
		"link-to-env":    ".env",
		"link-to-git":    ".git/config",
		"src/link-up.go": "../README.md",
		"dangling":       "does-not-exist",
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(root, filepath.FromSlash(name))); err != nil {
			t.Skipf("symlinks unsupported: %v", err)
		}
	}
	return root
}

func newTools(t *testing.T, root string, opts worktree.ToolOptions) *worktree.Tools {
	t.Helper()
	tools, err := worktree.NewTools(root, opts)
	if err != nil {
		t.Fatalf("NewTools: %v", err)
	}
	return tools
}

func args(v map[string]any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func TestToolRefusals(t *testing.T) {
	root := toolTree(t)
	tools := newTools(t, root, worktree.ToolOptions{
		GitLog: func(context.Context, string, int) (string, error) { return "abc123 fake\n", nil },
	})
	tests := []struct {
		name    string
		tool    string
		args    map[string]any
		wantErr error
		wantMsg string
	}{
		{"dotdot escape", "read_file", map[string]any{"path": "../outside/secret.txt"}, worktree.ErrRefused, "out of the work tree"},
		{"dotdot escape after descent", "read_file", map[string]any{"path": "src/../../outside/secret.txt"}, worktree.ErrRefused, "out of the work tree"},
		{"bare dotdot listing", "list_dir", map[string]any{"path": ".."}, worktree.ErrRefused, "out of the work tree"},
		{"absolute path", "read_file", map[string]any{"path": filepath.Join(root, "README.md")}, worktree.ErrRefused, "absolute"},
		{"absolute listing", "list_dir", map[string]any{"path": "/etc"}, worktree.ErrRefused, "absolute"},
		{"home path", "read_file", map[string]any{"path": "~/.ssh/id_rsa"}, worktree.ErrRefused, "absolute"},
		{"symlink file out", "read_file", map[string]any{"path": "link-out.txt"}, worktree.ErrRefused, "symlink leading out"},
		{"relative symlink out", "read_file", map[string]any{"path": "link-out-rel"}, worktree.ErrRefused, "symlink leading out"},
		{"symlink dir out", "list_dir", map[string]any{"path": "link-dir-out"}, worktree.ErrRefused, "symlink leading out"},
		{"file through symlink dir out", "read_file", map[string]any{"path": "link-dir-out/inner.txt"}, worktree.ErrRefused, "symlink leading out"},
		{"search through symlink dir out", "search_text", map[string]any{"pattern": "outside", "path": "link-dir-out"}, worktree.ErrRefused, "symlink leading out"},
		{"symlink to .env", "read_file", map[string]any{"path": "link-to-env"}, worktree.ErrRefused, "deny list"},
		{"symlink into .git", "read_file", map[string]any{"path": "link-to-git"}, worktree.ErrRefused, ".git"},
		{".git dir file", "read_file", map[string]any{"path": ".git/config"}, worktree.ErrRefused, ".git"},
		{".git dir listing", "list_dir", map[string]any{"path": ".git"}, worktree.ErrRefused, ".git"},
		{".git dir after dotdot", "read_file", map[string]any{"path": "src/../.git/config"}, worktree.ErrRefused, ".git"},
		{".git upper case", "read_file", map[string]any{"path": ".GIT/config"}, worktree.ErrRefused, ".git"},
		{".git file of a submodule", "read_file", map[string]any{"path": "vendored/.git"}, worktree.ErrRefused, ".git"},
		{".git search", "search_text", map[string]any{"pattern": "core", "path": ".git"}, worktree.ErrRefused, ".git"},
		{".env", "read_file", map[string]any{"path": ".env"}, worktree.ErrRefused, "deny list"},
		{".env.local", "read_file", map[string]any{"path": ".env.local"}, worktree.ErrRefused, "deny list"},
		{"pem", "read_file", map[string]any{"path": "config/server.pem"}, worktree.ErrRefused, "deny list"},
		{"key upper case", "read_file", map[string]any{"path": "config/tls.KEY"}, worktree.ErrRefused, "deny list"},
		{"id_rsa", "read_file", map[string]any{"path": "id_rsa"}, worktree.ErrRefused, "deny list"},
		{"id_ed25519.pub", "read_file", map[string]any{"path": "id_ed25519.pub"}, worktree.ErrRefused, "deny list"},
		{".npmrc", "read_file", map[string]any{"path": ".npmrc"}, worktree.ErrRefused, "deny list"},
		{".netrc", "read_file", map[string]any{"path": ".netrc"}, worktree.ErrRefused, "deny list"},
		{".pypirc", "read_file", map[string]any{"path": ".pypirc"}, worktree.ErrRefused, "deny list"},
		{"credentials", "read_file", map[string]any{"path": "credentials.json"}, worktree.ErrRefused, "deny list"},
		{"p12", "read_file", map[string]any{"path": "cert.p12"}, worktree.ErrRefused, "deny list"},
		{"pfx", "read_file", map[string]any{"path": "cert.pfx"}, worktree.ErrRefused, "deny list"},
		{".aws dir", "read_file", map[string]any{"path": ".aws/config"}, worktree.ErrRefused, "deny list"},
		{".ssh dir listing", "list_dir", map[string]any{"path": ".ssh"}, worktree.ErrRefused, "deny list"},
		{"big file without range", "read_file", map[string]any{"path": "big.txt"}, worktree.ErrRefused, "start_line"},
		{"binary file", "read_file", map[string]any{"path": "bin/tool.bin"}, worktree.ErrRefused, "binary"},
		{"non-UTF-8 file", "read_file", map[string]any{"path": "latin1.txt"}, worktree.ErrRefused, "UTF-8"},
		{"binary file search", "search_text", map[string]any{"pattern": "hello", "path": "bin/tool.bin"}, worktree.ErrRefused, "binary"},
		{"directory as file", "read_file", map[string]any{"path": "src"}, worktree.ErrRefused, "list_dir"},
		{"file as directory", "list_dir", map[string]any{"path": "README.md"}, worktree.ErrBadArguments, "read_file"},
		{"missing file", "read_file", map[string]any{"path": "nope.txt"}, worktree.ErrNotFound, "nope.txt"},
		{"dangling symlink", "read_file", map[string]any{"path": "dangling"}, worktree.ErrNotFound, "dangling"},
		{"empty path", "read_file", map[string]any{}, worktree.ErrBadArguments, "path is required"},
		{"bad range", "read_file", map[string]any{"path": "README.md", "start_line": 3, "end_line": 1}, worktree.ErrBadArguments, "range"},
		{"start past end", "read_file", map[string]any{"path": "README.md", "start_line": 99}, worktree.ErrBadArguments, "past the end"},
		{"empty pattern", "search_text", map[string]any{"pattern": ""}, worktree.ErrBadArguments, "pattern"},
		{"git_log escape", "git_log", map[string]any{"path": "../outside"}, worktree.ErrRefused, "out of the work tree"},
		{"git_log .git", "git_log", map[string]any{"path": ".git/HEAD"}, worktree.ErrRefused, ".git"},
		{"git_log symlink out", "git_log", map[string]any{"path": "link-out.txt"}, worktree.ErrRefused, "symlink leading out"},
		{"unknown tool", "write_file", map[string]any{"path": "x"}, worktree.ErrUnknownTool, "read_file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := tools.Call(context.Background(), tt.tool, args(tt.args))
			if err == nil {
				t.Fatalf("Call(%s, %v) = %q, want an error", tt.tool, tt.args, out)
			}
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("error %q does not wrap %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not mention %q", err, tt.wantMsg)
			}
			if strings.Contains(err.Error(), fakeKey) {
				t.Errorf("error leaks the secret: %q", err)
			}
		})
	}
}

func TestToolBadJSON(t *testing.T) {
	tools := newTools(t, toolTree(t), worktree.ToolOptions{})
	_, err := tools.Call(context.Background(), "read_file", `{"path": 3`)
	if !errors.Is(err, worktree.ErrBadArguments) {
		t.Errorf("Call with broken JSON: err = %v, want ErrBadArguments", err)
	}
}

func TestReadFile(t *testing.T) {
	root := toolTree(t)
	tools := newTools(t, root, worktree.ToolOptions{MaxReadBytes: 4096})
	tests := []struct {
		name string
		args map[string]any
		want []string // substrings, in order
		not  []string
	}{
		{"whole file with line numbers", map[string]any{"path": "src/main.go"},
			[]string{"src/main.go lines 1-5\n", "     1\tpackage main\n", "     3\tfunc main() {\n", "     5\t}\n"}, nil},
		{"dot slash prefix", map[string]any{"path": "./README.md"}, []string{"README.md lines 1-3\n", "     1\t# Demo\n"}, nil},
		{"range", map[string]any{"path": "src/main.go", "start_line": 3, "end_line": 4},
			[]string{"src/main.go lines 3-4\n", "     3\tfunc main() {\n", "     4\t\tprintln"}, []string{"package main", "     5\t"}},
		{"open-ended range", map[string]any{"path": "src/main.go", "start_line": 4}, []string{"lines 4-5\n"}, []string{"     3\t"}},
		{"end past the end", map[string]any{"path": "README.md", "end_line": 100}, []string{"README.md lines 1-3\n"}, nil},
		{"big file in a range", map[string]any{"path": "big.txt", "start_line": 3000, "end_line": 3001},
			[]string{"big.txt lines 3000-3001\n", "  3000\t0123456789 big file line\n", "  3001\t"}, nil},
		{"big range truncated at cap", map[string]any{"path": "big.txt", "start_line": 1, "end_line": 4000},
			[]string{"big.txt lines 1-", "[truncated at the 4096-byte cap after line 128; continue with start_line=129]"}, []string{"   129\t"}},
		{"one line over the cap", map[string]any{"path": "minified.js", "start_line": 1, "end_line": 2},
			[]string{"minified.js lines 1-1\n", "     1\tvar a=1;", "… [line cut at the cap]\n", "[truncated at the 4096-byte cap after line 1; continue with start_line=2]"}, nil},
		{"empty file", map[string]any{"path": "empty.txt"}, []string{"empty.txt (empty)\n"}, nil},
		{"CRLF lines", map[string]any{"path": "crlf.txt"}, []string{"     1\tone\n", "     2\ttwo\n"}, []string{"\r"}},
		{"symlink inside the tree", map[string]any{"path": "link-in.go"}, []string{"link-in.go lines 1-5\n", "package main"}, nil},
		{"symlink up but inside", map[string]any{"path": "src/link-up.go"}, []string{"# Demo"}, nil},
		{"through symlinked dir inside", map[string]any{"path": "link-dir-in/strings.go"}, []string{"func Hello()"}, nil},
		{"name with spaces", map[string]any{"path": "space name/file with space.md"}, []string{"spaced hello"}, nil},
		{"dotdot that stays inside", map[string]any{"path": "src/../README.md"}, []string{"README.md lines 1-3"}, nil},
		{"secrets redacted", map[string]any{"path": "docs/notes.md"}, []string{"key: [REDACTED:openai-key]"}, []string{fakeKey}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := tools.Call(context.Background(), "read_file", args(tt.args))
			if err != nil {
				t.Fatalf("read_file %v: %v", tt.args, err)
			}
			assertInOrder(t, out, tt.want, tt.not)
			if len(out) > 4096+200 {
				t.Errorf("output is %d bytes, over the cap", len(out))
			}
		})
	}
}

func assertInOrder(t *testing.T, out string, want, not []string) {
	t.Helper()
	rest := out
	for _, w := range want {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Errorf("output lacks %q (in order); got:\n%s", w, out)
			return
		}
		rest = rest[i+len(w):]
	}
	for _, n := range not {
		if strings.Contains(out, n) {
			t.Errorf("output contains %q; got:\n%s", n, out)
		}
	}
}

func TestListDir(t *testing.T) {
	tools := newTools(t, toolTree(t), worktree.ToolOptions{})
	tests := []struct {
		name string
		path string
		want []string
		not  []string
	}{
		{"root", "", []string{"bin/", "src/", ".aws/  (not readable: secret deny list)", ".env  (not readable: secret deny list)", "README.md  (24 bytes)", "link-in.go  (symlink)"},
			[]string{".git/", ".git ", "secret.txt"}},
		{"root as dot", ".", []string{"src/"}, nil},
		{"subdirectory", "src", []string{"src: 3 entries\n", "util/\n", "link-up.go  (symlink)\n", "main.go  (48 bytes)\n"}, nil},
		{"symlinked dir inside", "link-dir-in", []string{"strings.go"}, nil},
		{"submodule hides its .git file", "vendored", []string{"vendored: 1 entries\n", "lib.go"}, []string{".git"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := tools.Call(context.Background(), "list_dir", args(map[string]any{"path": tt.path}))
			if err != nil {
				t.Fatalf("list_dir %q: %v", tt.path, err)
			}
			assertInOrder(t, out, tt.want, tt.not)
		})
	}
}

func TestSearchText(t *testing.T) {
	tools := newTools(t, toolTree(t), worktree.ToolOptions{MaxResults: 3})
	tests := []struct {
		name string
		args map[string]any
		want []string
		not  []string
	}{
		{"literal across the tree", map[string]any{"pattern": "hello", "literal": true, "max_results": 50},
			[]string{"deep/a/b/c.txt:1: deep hello", "space name/file with space.md:1: spaced hello", "src/main.go:4: \tprintln(\"hello\")"},
			[]string{"node_modules", "outside hello", "tool.bin", "latin1", ".git/"}},
		{"regexp", map[string]any{"pattern": `func \w+\(\) string`}, []string{"1 matches in 1 files\n", "src/util/strings.go:4: func Hello()"}, nil},
		{"invalid regexp searched literally", map[string]any{"pattern": "println(", "path": "src"}, []string{"src/main.go:4:"}, nil},
		{"literal flag keeps dots literal", map[string]any{"pattern": "a.b", "literal": true}, []string{"no matches for \"a.b\""}, nil},
		{"one file", map[string]any{"pattern": "package", "path": "src/util/strings.go"}, []string{"src/util/strings.go:1: package util"}, []string{"main.go"}},
		{"default max results", map[string]any{"pattern": "hello"}, []string{"3 matches in", "[stopped at 3 matches"}, nil},
		{"explicit path into node_modules", map[string]any{"pattern": "dependency", "path": "node_modules"}, []string{"node_modules/dep/index.js:1:"}, nil},
		{"deny-listed files skipped", map[string]any{"pattern": "OPENAI_API_KEY|_authToken|Host x|\\[core\\]"}, []string{"no matches"}, nil},
		{"secrets redacted", map[string]any{"pattern": "key:"}, []string{"docs/notes.md:1: key: [REDACTED:openai-key]"}, []string{fakeKey}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := tools.Call(context.Background(), "search_text", args(tt.args))
			if err != nil {
				t.Fatalf("search_text %v: %v", tt.args, err)
			}
			assertInOrder(t, out, tt.want, tt.not)
		})
	}
}

func TestSearchTextCancelled(t *testing.T) {
	tools := newTools(t, toolTree(t), worktree.ToolOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := tools.Call(ctx, "search_text", `{"pattern":"hello"}`); !errors.Is(err, context.Canceled) {
		t.Errorf("search_text with a cancelled context: err = %v, want context.Canceled", err)
	}
}

func TestGitLog(t *testing.T) {
	root := toolTree(t)
	type call struct {
		path string
		n    int
	}
	var calls []call
	tools := newTools(t, root, worktree.ToolOptions{GitLog: func(_ context.Context, path string, n int) (string, error) {
		calls = append(calls, call{path, n})
		return fmt.Sprintf("abc1234 2024-01-01 Test\n    change %s token=%s\n", path, fakeKey), nil
	}})
	tests := []struct {
		name string
		args string
		want call
	}{
		{"defaults", `{}`, call{"", 20}},
		{"path and n", `{"path":"src/main.go","n":5}`, call{"src/main.go", 5}},
		{"deleted path still has history", `{"path":"old/removed.go"}`, call{"old/removed.go", 20}},
		{"root path", `{"path":"."}`, call{"", 20}},
		{"n capped", `{"n":100000}`, call{"", 200}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls = nil
			out, err := tools.Call(context.Background(), "git_log", tt.args)
			if err != nil {
				t.Fatalf("git_log %s: %v", tt.args, err)
			}
			if len(calls) != 1 || calls[0] != tt.want {
				t.Errorf("GitLog called with %v, want [%v]", calls, tt.want)
			}
			assertInOrder(t, out, []string{"abc1234", "[REDACTED:openai-key]"}, []string{fakeKey})
		})
	}
}

func TestSpecs(t *testing.T) {
	root := toolTree(t)
	tests := []struct {
		name  string
		opts  worktree.ToolOptions
		names []string
	}{
		{"without git log", worktree.ToolOptions{}, []string{"read_file", "list_dir", "search_text"}},
		{"with git log", worktree.ToolOptions{GitLog: func(context.Context, string, int) (string, error) { return "", nil }},
			[]string{"read_file", "list_dir", "search_text", "git_log"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tools := newTools(t, root, tt.opts)
			specs := tools.Specs()
			var got []string
			for _, s := range specs {
				got = append(got, s.Name)
				if s.Description == "" {
					t.Errorf("%s has no description", s.Name)
				}
				var schema struct {
					Type       string                     `json:"type"`
					Properties map[string]json.RawMessage `json:"properties"`
				}
				if err := json.Unmarshal(s.Parameters, &schema); err != nil || schema.Type != "object" || len(schema.Properties) == 0 {
					t.Errorf("%s parameters are not an object schema (%v): %s", s.Name, err, s.Parameters)
				}
			}
			if strings.Join(got, ",") != strings.Join(tt.names, ",") {
				t.Errorf("Specs names = %v, want %v", got, tt.names)
			}
			again, _ := json.Marshal(tools.Specs())
			first, _ := json.Marshal(specs)
			if string(again) != string(first) {
				t.Error("Specs differ between calls; requests would not be byte-identical")
			}
			if tt.opts.GitLog == nil {
				if _, err := tools.Call(context.Background(), "git_log", `{}`); !errors.Is(err, worktree.ErrUnknownTool) {
					t.Errorf("git_log without GitLog: err = %v, want ErrUnknownTool", err)
				}
			}
		})
	}
}

func TestNewToolsRoot(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, root string }{
		{"relative", "repo"},
		{"missing", filepath.Join(dir, "missing")},
		{"file", file},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := worktree.NewTools(tt.root, worktree.ToolOptions{}); err == nil {
				t.Errorf("NewTools(%q) succeeded, want an error", tt.root)
			}
		})
	}
}

// TestToolsRootBehindSymlink checks a work tree reached through a symlink
// (macOS /tmp, a symlinked home) still serves its files.
func TestToolsRootBehindSymlink(t *testing.T) {
	root := toolTree(t)
	alias := filepath.Join(t.TempDir(), "alias")
	if err := os.Symlink(root, alias); err != nil {
		t.Skipf("symlinks unsupported: %v", err)
	}
	tools := newTools(t, alias, worktree.ToolOptions{})
	out, err := tools.Call(context.Background(), "read_file", `{"path":"README.md"}`)
	if err != nil || !strings.Contains(out, "# Demo") {
		t.Errorf("read through symlinked root = %q, %v", out, err)
	}
}

func TestReadInline(t *testing.T) {
	root := toolTree(t)
	tests := []struct {
		name    string
		paths   []string
		max     int
		want    map[string]string
		wantErr error
	}{
		{"two files", []string{"README.md", "./src/main.go"}, 0, map[string]string{
			"README.md":   "# Demo\n\nA demo project.\n",
			"src/main.go": "package main\n\nfunc main() {\n\tprintln(\"hello\")\n}\n",
		}, nil},
		{"duplicates once", []string{"README.md", "README.md"}, 0, map[string]string{"README.md": "# Demo\n\nA demo project.\n"}, nil},
		{"redacted", []string{"docs/notes.md"}, 0, map[string]string{"docs/notes.md": "key: [REDACTED:openai-key]\n"}, nil},
		{"symlink inside", []string{"link-in.go"}, 0, map[string]string{"link-in.go": "package main\n\nfunc main() {\n\tprintln(\"hello\")\n}\n"}, nil},
		{"total cap", []string{"README.md", "src/main.go"}, 40, nil, worktree.ErrRefused},
		{"escape", []string{"../outside/secret.txt"}, 0, nil, worktree.ErrRefused},
		{"absolute", []string{filepath.Join(root, "README.md")}, 0, nil, worktree.ErrRefused},
		{"symlink out", []string{"link-out.txt"}, 0, nil, worktree.ErrRefused},
		{"env", []string{".env"}, 0, nil, worktree.ErrRefused},
		{"git", []string{".git/config"}, 0, nil, worktree.ErrRefused},
		{"binary", []string{"bin/tool.bin"}, 0, nil, worktree.ErrRefused},
		{"not UTF-8", []string{"latin1.txt"}, 0, nil, worktree.ErrRefused},
		{"directory", []string{"src"}, 0, nil, worktree.ErrRefused},
		{"missing", []string{"ARCHITECTURE.md"}, 0, nil, worktree.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := worktree.ReadInline(root, tt.paths, tt.max)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("ReadInline(%v) err = %v, want %v", tt.paths, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ReadInline(%v): %v", tt.paths, err)
			}
			if len(got) != len(tt.want) {
				t.Errorf("ReadInline returned %d files, want %d: %v", len(got), len(tt.want), got)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("file %s = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}
