package worktree_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/git-codex/git-codex/internal/gittest"
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

func newTools(t testing.TB, root string, opts worktree.ToolOptions) *worktree.Tools {
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
			got, err := worktree.ReadInline(context.Background(), root, tt.paths, tt.max, nil)
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

// secret is content that lives outside the work tree, in .git/config or in
// .env. No tool result or error may ever contain it.
const secret = "TOPSECRET-7f3a-outside"

// hostile is a work tree that attacks the tools with hard links, special
// files and links to them, with the index a git repository would have.
type hostile struct {
	root  string
	index map[string]string // path → blob id, as git's index would hold it
	calls []string          // paths Tracked was asked about
}

// blobID asks git for the blob id of content (the test's oracle for the
// hard-link rule; sha256 when format says so).
func blobID(t *testing.T, content, format string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("git", "init", "-q", "--object-format="+format, dir).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v: %s", err, out)
	}
	cmd := exec.Command("git", "hash-object", "--stdin")
	cmd.Dir, cmd.Stdin = dir, strings.NewReader(content)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git hash-object: %v", err)
	}
	return strings.TrimSpace(string(out))
}

func hostileTree(t *testing.T) *hostile {
	t.Helper()
	gittest.Hermetic(t)
	base := t.TempDir()
	root := filepath.Join(base, "repo")
	outside := filepath.Join(base, "outside")
	write := func(p, body string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(outside, "secret.txt"), "note "+secret+"\n")
	write(filepath.Join(root, ".git", "config"), "[core]\n\tnote = "+secret+"\n")
	write(filepath.Join(root, ".env"), "NOTE "+secret+"\n")
	write(filepath.Join(root, "README.md"), "# Hostile\n")
	write(filepath.Join(root, "tracked.txt"), "tracked content\n")
	write(filepath.Join(root, "sha256.txt"), "tracked in a sha256 repository\n")
	links := map[string]string{ // new name in the tree → existing file
		"hl/outside.txt":      filepath.Join(outside, "secret.txt"),
		"hl/gitconfig":        filepath.Join(root, ".git", "config"),
		"hl/env.txt":          filepath.Join(root, ".env"),
		"hl/tracked-copy.txt": filepath.Join(root, "tracked.txt"),
		"hl/changed.txt":      filepath.Join(outside, "secret.txt"),
		"hl/sha256-copy.txt":  filepath.Join(root, "sha256.txt"),
	}
	for name, old := range links {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Link(old, p); err != nil {
			t.Skipf("hard links unsupported: %v", err)
		}
	}
	if err := os.Symlink("hl/tracked-copy.txt", filepath.Join(root, "via-symlink.txt")); err != nil {
		t.Skipf("symlinks unsupported: %v", err)
	}
	special := filepath.Join(root, "special")
	if err := os.MkdirAll(special, 0o755); err != nil {
		t.Fatal(err)
	}
	mkfifo(t, filepath.Join(special, "fifo"))
	if err := os.Symlink("fifo", filepath.Join(special, "fifo-link")); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", filepath.Join(special, "sock"))
	if err != nil {
		t.Skipf("unix sockets unsupported: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	tracked := blobID(t, "tracked content\n", "sha1")
	return &hostile{root: root, index: map[string]string{
		"README.md":           blobID(t, "# Hostile\n", "sha1"),
		"tracked.txt":         tracked,
		"hl/tracked-copy.txt": tracked,
		"hl/changed.txt":      blobID(t, "harmless\n", "sha1"),
		"hl/sha256-copy.txt":  blobID(t, "tracked in a sha256 repository\n", "sha256"),
	}}
}

func (h *hostile) tracked(_ context.Context, rel string) (string, bool) {
	h.calls = append(h.calls, rel)
	id, ok := h.index[rel]
	return id, ok
}

// callReturns runs a tool call and fails the test if it does not come back:
// a guard against a FIFO blocking the call forever, not a timing check.
func callReturns(t *testing.T, tools *worktree.Tools, tool, argsJSON string) (string, error) {
	t.Helper()
	type result struct {
		out string
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := tools.Call(context.Background(), tool, argsJSON)
		done <- result{out, err}
	}()
	select {
	case r := <-done:
		return r.out, r.err
	case <-time.After(20 * time.Second):
		t.Fatalf("%s %s blocked", tool, argsJSON)
		return "", nil
	}
}

// TestHostileTree runs the attacks a hostile work tree can make on the file
// tools besides path tricks: hard links to secrets, special files, and
// files git tracks that are hard-linked.
func TestHostileTree(t *testing.T) {
	h := hostileTree(t)
	withIndex := newTools(t, h.root, worktree.ToolOptions{Tracked: h.tracked})
	noIndex := newTools(t, h.root, worktree.ToolOptions{})
	device := mkdev(filepath.Join(h.root, "special", "zero"))
	tests := []struct {
		name      string
		noIndex   bool // run without a Tracked lookup
		needDev   bool
		tool      string
		args      map[string]any
		wantErr   error
		want      []string // in the error when wantErr is set, else in the result
		lookedAt  string   // the path Tracked must have been asked about
		notLooked bool     // Tracked must not have been called
	}{
		{"hard link outside: read_file", false, false, "read_file", map[string]any{"path": "hl/outside.txt"}, worktree.ErrRefused, []string{"has 3 hard links", "git does not track it"}, "hl/outside.txt", false},
		{"hard link outside: read_file range", false, false, "read_file", map[string]any{"path": "hl/outside.txt", "start_line": 1, "end_line": 1}, worktree.ErrRefused, []string{"hard links"}, "", false},
		{"hard link outside: search the file", false, false, "search_text", map[string]any{"pattern": "TOPSECRET", "path": "hl/outside.txt"}, worktree.ErrRefused, []string{"hard links"}, "", false},
		{"hard link outside: search the tree", false, false, "search_text", map[string]any{"pattern": "TOPSECRET"}, nil, []string{`no matches for "TOPSECRET" in .`}, "hl/outside.txt", false},
		{"hard link outside: list_dir marks it", false, false, "list_dir", map[string]any{"path": "hl"}, nil, []string{"env.txt  (28 bytes, 2 hard links: readable only as git tracks it)", "outside.txt  (28 bytes, 3 hard links: readable only as git tracks it)"}, "", true},
		{"hard link to .git/config: read_file", false, false, "read_file", map[string]any{"path": "hl/gitconfig"}, worktree.ErrRefused, []string{"hard links"}, "hl/gitconfig", false},
		{"hard link to .git/config: search the file", false, false, "search_text", map[string]any{"pattern": "core", "path": "hl/gitconfig"}, worktree.ErrRefused, []string{"hard links"}, "", false},
		{"hard link to .env: read_file", false, false, "read_file", map[string]any{"path": "hl/env.txt"}, worktree.ErrRefused, []string{"hard links"}, "hl/env.txt", false},
		{"hard link to .env: search the file", false, false, "search_text", map[string]any{"pattern": "NOTE", "path": "hl/env.txt"}, worktree.ErrRefused, []string{"hard links"}, "", false},
		{"tracked path, other content: read_file", false, false, "read_file", map[string]any{"path": "hl/changed.txt"}, worktree.ErrRefused, []string{"differs from what git tracks"}, "hl/changed.txt", false},
		{"tracked path, other content: search the file", false, false, "search_text", map[string]any{"pattern": "note", "path": "hl/changed.txt"}, worktree.ErrRefused, []string{"differs from what git tracks"}, "", false},
		{"tracked hard link, same content: read_file", false, false, "read_file", map[string]any{"path": "hl/tracked-copy.txt"}, nil, []string{"hl/tracked-copy.txt lines 1-1\n", "     1\ttracked content\n"}, "hl/tracked-copy.txt", false},
		{"tracked hard link, same content: search", false, false, "search_text", map[string]any{"pattern": "tracked content"}, nil, []string{"2 matches in 2 files\n", "hl/tracked-copy.txt:1: tracked content\n", "tracked.txt:1: tracked content\n"}, "tracked.txt", false},
		{"tracked hard link, sha256 repository", false, false, "read_file", map[string]any{"path": "hl/sha256-copy.txt"}, nil, []string{"tracked in a sha256 repository"}, "hl/sha256-copy.txt", false},
		{"tracked hard link through a symlink: looked up where it resolves", false, false, "read_file", map[string]any{"path": "via-symlink.txt"}, nil, []string{"via-symlink.txt lines 1-1\n", "tracked content"}, "hl/tracked-copy.txt", false},
		{"tracked hard link without an index lookup", true, false, "read_file", map[string]any{"path": "hl/tracked-copy.txt"}, worktree.ErrRefused, []string{"git does not track it"}, "", true},
		{"plain tracked file: no lookup", false, false, "read_file", map[string]any{"path": "README.md"}, nil, []string{"# Hostile"}, "", true},
		{"FIFO: read_file", false, false, "read_file", map[string]any{"path": "special/fifo"}, worktree.ErrRefused, []string{"special/fifo is a named pipe, not a regular file"}, "", true},
		{"FIFO through a symlink: read_file", false, false, "read_file", map[string]any{"path": "special/fifo-link"}, worktree.ErrRefused, []string{"a named pipe"}, "", true},
		{"FIFO: search the file", false, false, "search_text", map[string]any{"pattern": "x", "path": "special/fifo"}, worktree.ErrRefused, []string{"a named pipe"}, "", true},
		{"FIFO through a symlink: search the file", false, false, "search_text", map[string]any{"pattern": "x", "path": "special/fifo-link"}, worktree.ErrRefused, []string{"a named pipe"}, "", true},
		{"FIFO: search the directory", false, false, "search_text", map[string]any{"pattern": "x", "path": "special"}, nil, []string{`no matches for "x" in special`}, "", true},
		{"FIFO: list_dir", false, false, "list_dir", map[string]any{"path": "special"}, nil, []string{"fifo  (not readable: a named pipe)", "sock  (not readable: a socket)"}, "", true},
		{"FIFO: list_dir of it", false, false, "list_dir", map[string]any{"path": "special/fifo"}, worktree.ErrRefused, []string{"a named pipe, not a directory"}, "", true},
		{"socket: read_file", false, false, "read_file", map[string]any{"path": "special/sock"}, worktree.ErrRefused, []string{"a socket, not a regular file"}, "", true},
		{"socket: search the file", false, false, "search_text", map[string]any{"pattern": "x", "path": "special/sock"}, worktree.ErrRefused, []string{"a socket"}, "", true},
		{"device: read_file", false, true, "read_file", map[string]any{"path": "special/zero"}, worktree.ErrRefused, []string{"a device, not a regular file"}, "", true},
		{"device: search the file", false, true, "search_text", map[string]any{"pattern": "x", "path": "special/zero"}, worktree.ErrRefused, []string{"a device"}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.needDev && !device {
				t.Skip("making a device file needs privilege")
			}
			tools := withIndex
			if tt.noIndex {
				tools = noIndex
			}
			h.calls = nil
			out, err := callReturns(t, tools, tt.tool, args(tt.args))
			if strings.Contains(out, secret) || (err != nil && strings.Contains(err.Error(), secret)) {
				t.Fatalf("%s leaked the secret: %q, %v", tt.tool, out, err)
			}
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("%s %v = %q, %v; want an error wrapping %v", tt.tool, tt.args, out, err, tt.wantErr)
				}
				assertInOrder(t, err.Error(), tt.want, nil)
			} else {
				if err != nil {
					t.Fatalf("%s %v: %v", tt.tool, tt.args, err)
				}
				assertInOrder(t, out, tt.want, nil)
			}
			if tt.lookedAt != "" && !slices.Contains(h.calls, tt.lookedAt) {
				t.Errorf("Tracked asked about %q, want %q among them", h.calls, tt.lookedAt)
			}
			if tt.notLooked && len(h.calls) > 0 {
				t.Errorf("Tracked asked about %q, want no lookup", h.calls)
			}
		})
	}
}

// TestHostileTreeInlineAndCheck: ReadInline (--inline-context) and CheckPath
// (--context) obey the same rules as the tools.
func TestHostileTreeInlineAndCheck(t *testing.T) {
	h := hostileTree(t)
	tests := []struct {
		path    string
		noIndex bool
		wantErr error
		want    string
	}{
		{"hl/outside.txt", false, worktree.ErrRefused, "hard links"},
		{"hl/gitconfig", false, worktree.ErrRefused, "hard links"},
		{"hl/env.txt", false, worktree.ErrRefused, "hard links"},
		{"hl/changed.txt", false, worktree.ErrRefused, "differs from what git tracks"},
		{"hl/tracked-copy.txt", true, worktree.ErrRefused, "git does not track it"},
		{"special/fifo", false, worktree.ErrRefused, "a named pipe"},
		{"special/fifo-link", false, worktree.ErrRefused, "a named pipe"},
		{"special/sock", false, worktree.ErrRefused, "a socket"},
		{"hl/tracked-copy.txt", false, nil, "tracked content\n"},
		{"via-symlink.txt", false, nil, "tracked content\n"},
	}
	for _, tt := range tests {
		tracked := h.tracked
		if tt.noIndex {
			tracked = nil
		}
		name := tt.path
		if tt.noIndex {
			name += " without index"
		}
		t.Run("ReadInline "+name, func(t *testing.T) {
			got, err := worktree.ReadInline(context.Background(), h.root, []string{tt.path}, 0, tracked)
			if strings.Contains(fmt.Sprint(got), secret) || (err != nil && strings.Contains(err.Error(), secret)) {
				t.Fatalf("ReadInline leaked the secret: %v, %v", got, err)
			}
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("ReadInline(%s) = %v, %v; want an error wrapping %v that says %q", tt.path, got, err, tt.wantErr, tt.want)
				}
				return
			}
			if err != nil || got[tt.path] != tt.want {
				t.Fatalf("ReadInline(%s) = %q, %v; want %q", tt.path, got[tt.path], err, tt.want)
			}
		})
		t.Run("CheckPath "+name, func(t *testing.T) {
			err := worktree.CheckPath(context.Background(), h.root, tt.path, tracked)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("CheckPath(%s) = %v; want an error wrapping %v that says %q", tt.path, err, tt.wantErr, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("CheckPath(%s) = %v, want nil", tt.path, err)
			}
		})
	}
}

// TestRenameRace swaps a path between what the check allows and a link to a
// secret outside the tree (renameat2 RENAME_EXCHANGE, in a loop on another
// goroutine) while the tools read it many times: a call may be refused or
// served the inside content, never the secret.
func TestRenameRace(t *testing.T) {
	if !canExchange {
		t.Skip("no atomic rename exchange on this system")
	}
	calls := 2000
	if testing.Short() {
		calls = 300
	}
	tests := []struct {
		name string
		dir  bool // swap a directory on the path, not the file itself
		tool string
		args string
	}{
		{"file swapped: read_file", false, "read_file", `{"path":"race.txt"}`},
		{"file swapped: search the file", false, "search_text", `{"pattern":"TOPSECRET|inside","path":"race.txt"}`},
		{"directory swapped: read_file", true, "read_file", `{"path":"sub/secret.txt"}`},
		{"directory swapped: search the tree", true, "search_text", `{"pattern":"TOPSECRET|inside"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := t.TempDir()
			root, outside := filepath.Join(base, "repo"), filepath.Join(base, "outside")
			for _, d := range []string{filepath.Join(root, "sub"), outside} {
				if err := os.MkdirAll(d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			for p, body := range map[string]string{
				filepath.Join(outside, "secret.txt"):  "note " + secret + "\n",
				filepath.Join(root, "race.txt"):       "inside\n",
				filepath.Join(root, "sub/secret.txt"): "inside\n",
			} {
				if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			swapped, alt := filepath.Join(root, "race.txt"), filepath.Join(outside, "secret.txt")
			if tt.dir {
				swapped, alt = filepath.Join(root, "sub"), outside
			}
			link := filepath.Join(root, "alt")
			if err := os.Symlink(alt, link); err != nil {
				t.Skipf("symlinks unsupported: %v", err)
			}
			tools := newTools(t, root, worktree.ToolOptions{})
			stop, stopped := make(chan struct{}), make(chan error, 1)
			swaps := 0
			go func() {
				for {
					select {
					case <-stop:
						stopped <- nil
						return
					default:
					}
					if err := exchange(swapped, link); err != nil {
						stopped <- err
						return
					}
					swaps++
				}
			}()
			leaks, refused, served := 0, 0, 0
			for range calls {
				out, err := tools.Call(context.Background(), tt.tool, tt.args)
				switch {
				case strings.Contains(out, secret) || (err != nil && strings.Contains(err.Error(), secret)):
					leaks++
				case err != nil:
					refused++
				default:
					served++
				}
			}
			close(stop)
			if err := <-stopped; err != nil {
				t.Fatalf("swap: %v", err)
			}
			t.Logf("%d calls, %d swaps: %d leaks, %d refused, %d served", calls, swaps, leaks, refused, served)
			if leaks > 0 {
				t.Errorf("%d of %d calls returned the secret from outside the work tree", leaks, calls)
			}
		})
	}
}

// writeHugeLine writes a file of one line of size bytes (plus lines before
// and after it) in 1 MiB pieces, so writing it needs little memory.
func writeHugeLine(tb testing.TB, p string, size int) {
	tb.Helper()
	f, err := os.Create(p)
	if err != nil {
		tb.Fatal(err)
	}
	chunk := bytes.Repeat([]byte("var a=1;"), 1<<17)
	f.WriteString("before\n")
	for n := 0; n < size; n += len(chunk) {
		f.Write(chunk[:min(len(chunk), size-n)])
	}
	f.WriteString("\nafter\n")
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
}

// TestReadFileHugeLine: a single line far over the cap is cut at the cap
// and never held in memory whole, also when the range skips over it.
func TestReadFileHugeLine(t *testing.T) {
	root := t.TempDir()
	const size = 32 << 20
	writeHugeLine(t, filepath.Join(root, "huge.js"), size)
	tools := newTools(t, root, worktree.ToolOptions{})
	tests := []struct {
		name string
		args string
		want []string
		not  []string
	}{
		{"the huge line", `{"path":"huge.js","start_line":2,"end_line":2}`,
			[]string{"huge.js lines 2-2\n", "     2\tvar a=1;", "… [line cut at the cap]\n", "[truncated at the 65536-byte cap after line 2; continue with start_line=3]"}, nil},
		{"around it", `{"path":"huge.js","start_line":1,"end_line":3}`,
			[]string{"     1\tbefore\n", "[truncated at the 65536-byte cap after line 1; continue with start_line=2]"}, []string{"var a"}},
		{"past it", `{"path":"huge.js","start_line":3}`, []string{"huge.js lines 3-3\n", "     3\tafter\n"}, nil},
		{"whole file", `{"path":"huge.js"}`, nil, nil},
		{"search skips it", `{"pattern":"var a"}`, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tool := "read_file"
			if strings.Contains(tt.args, "pattern") {
				tool = "search_text"
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			out, err := tools.Call(context.Background(), tool, tt.args)
			runtime.ReadMemStats(&after)
			if tt.want == nil {
				if err == nil && !strings.HasPrefix(out, "no matches") {
					t.Errorf("%s %s = %.200q, want a refusal or no matches", tool, tt.args, out)
				}
			} else if err != nil {
				t.Fatalf("%s %s: %v", tool, tt.args, err)
			}
			assertInOrder(t, out, tt.want, tt.not)
			if len(out) > worktree.DefaultMaxReadBytes+200 {
				t.Errorf("result is %d bytes, over the cap", len(out))
			}
			// The old reader held the line several times over (4x its size).
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
				t.Errorf("the call allocated %d bytes for a %d-byte line; want under 4 MiB", alloc, size)
			}
		})
	}
}

// BenchmarkReadHugeLine reads the first 64 KiB of a 200 MB single-line file
// (read_file start_line=1 end_line=1) and reports the bytes allocated per
// call and the process's peak RSS. For the whole process's figure:
//
//	go test -c -o /tmp/wt.test ./worktree
//	/usr/bin/time -v /tmp/wt.test -test.run '^$' -test.bench ReadHugeLine -test.benchtime 1x
func BenchmarkReadHugeLine(b *testing.B) {
	root := b.TempDir()
	writeHugeLine(b, filepath.Join(root, "huge.js"), 200<<20)
	tools := newTools(b, root, worktree.ToolOptions{})
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		out, err := tools.Call(context.Background(), "read_file", `{"path":"huge.js","start_line":2,"end_line":2}`)
		if err != nil || !strings.Contains(out, "[line cut at the cap]") {
			b.Fatalf("read_file = %.100q, %v", out, err)
		}
	}
	b.StopTimer()
	if rss, ok := peakRSS(); ok {
		b.ReportMetric(float64(rss)/(1<<20), "peak-RSS-MiB")
	}
}

// countdownCtx is a context whose Err turns to context.Canceled after n
// checks: a cancellation that lands mid-work at the same place every run.
type countdownCtx struct {
	context.Context
	n atomic.Int64
}

func (c *countdownCtx) Err() error {
	if c.n.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

// TestCancelStopsTools: each tool stops at its next check once its context
// is cancelled — mid-search, mid-read, in a hard-link lookup — and Call
// returns at once even when a tool is stuck and ignores its context.
func TestCancelStopsTools(t *testing.T) {
	gittest.Hermetic(t)
	root := t.TempDir()
	for i := range 300 {
		p := filepath.Join(root, fmt.Sprintf("d%d", i%10), fmt.Sprintf("f%03d.txt", i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("needle\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	big := strings.Repeat("a line of a large tracked file\n", 1<<16) // 2 MiB
	if err := os.WriteFile(filepath.Join(root, "big.txt"), []byte(big), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(filepath.Join(root, "big.txt"), filepath.Join(root, "big-link.txt")); err != nil {
		t.Skipf("hard links unsupported: %v", err)
	}
	bigID := blobID(t, big, "sha1")
	if err := os.WriteFile(filepath.Join(root, "a.txt"), []byte("linked\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(filepath.Join(root, "a.txt"), filepath.Join(root, "a-link.txt")); err != nil {
		t.Fatal(err)
	}
	t.Run("search over many files", func(t *testing.T) {
		tools := newTools(t, root, worktree.ToolOptions{})
		out, err := worktree.CallDirect(tools, context.Background(), "search_text", `{"pattern":"needle","max_results":500}`)
		if err != nil || !strings.HasPrefix(out, "300 matches in 300 files") {
			t.Fatalf("uncancelled search = %.80q, %v; want 300 matches", out, err)
		}
		ctx := &countdownCtx{Context: context.Background()}
		ctx.n.Store(50)
		out, err = worktree.CallDirect(tools, ctx, "search_text", `{"pattern":"needle","max_results":500}`)
		if !errors.Is(err, context.Canceled) || out != "" {
			t.Errorf("search cancelled midway = %.80q, %v; want context.Canceled", out, err)
		}
	})
	t.Run("reading a large file", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		lookups := 0
		tools := newTools(t, root, worktree.ToolOptions{Tracked: func(context.Context, string) (string, bool) {
			lookups++
			cancel() // Ctrl-C arrives while the file is being read
			return bigID, true
		}})
		out, err := worktree.CallDirect(tools, ctx, "read_file", `{"path":"big-link.txt","start_line":60000,"end_line":60001}`)
		if !errors.Is(err, context.Canceled) || out != "" || lookups != 1 {
			t.Errorf("read cancelled midway = %.80q, %v after %d lookups; want context.Canceled after 1", out, err, lookups)
		}
	})
	t.Run("search stops at the cancelling lookup", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var lookups []string
		tools := newTools(t, root, worktree.ToolOptions{Tracked: func(_ context.Context, rel string) (string, bool) {
			lookups = append(lookups, rel)
			cancel()
			return "", false
		}})
		out, err := worktree.CallDirect(tools, ctx, "search_text", `{"pattern":"needle"}`)
		if !errors.Is(err, context.Canceled) || out != "" || len(lookups) != 1 {
			t.Errorf("search = %.80q, %v after lookups %v; want context.Canceled after one", out, err, lookups)
		}
	})
	t.Run("a stuck tool", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		entered, release := make(chan struct{}), make(chan struct{})
		defer close(release)
		tools := newTools(t, root, worktree.ToolOptions{GitLog: func(context.Context, string, int) (string, error) {
			close(entered)
			<-release // ignores its context, like a read stuck in the kernel
			return "late\n", nil
		}})
		go func() {
			<-entered
			cancel()
		}()
		out, err := tools.Call(ctx, "git_log", `{}`)
		if !errors.Is(err, context.Canceled) || out != "" {
			t.Errorf("git_log cancelled while stuck = %q, %v; want context.Canceled", out, err)
		}
	})
}
