package codextest_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/git-codex/git-codex/internal/codextest"
	"github.com/git-codex/git-codex/internal/openaitest"
)

// TestProxyRefusesAndRecords sends an HTTPS and a plain HTTP request
// through the proxy: both fail, both are recorded.
func TestProxyRefusesAndRecords(t *testing.T) {
	p, err := codextest.StartProxy()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	u, _ := url.Parse(p.URL())
	client := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(u)}}
	for _, target := range []string{"https://ab.chatgpt.com/v1/e", "http://example.com/x"} {
		resp, err := client.Get(target)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("GET %s through the proxy: %s, want 403", target, resp.Status)
			}
		}
	}
	want := []string{"CONNECT ab.chatgpt.com:443 HTTP/1.1", "GET http://example.com/x HTTP/1.1"}
	if got := p.Attempts(); !slices.Equal(got, want) {
		t.Errorf("attempts = %q, want %q", got, want)
	}
}

func TestEnv(t *testing.T) {
	srv := openaitest.New(t)
	e := codextest.New(t, srv)
	cfg, err := os.ReadFile(filepath.Join(e.Home, "config.toml"))
	if err != nil || string(cfg) != codextest.ConfigTOML {
		t.Fatalf("config.toml = %q, %v", cfg, err)
	}
	env := e.Environ([]string{"PATH=/bin", "CODEX_HOME=/home/me/.codex", "https_proxy=http://corp:3128"})
	get := func(k string) string {
		for _, kv := range env {
			if v, ok := strings.CutPrefix(kv, k+"="); ok {
				return v
			}
		}
		return ""
	}
	if get("PATH") != "/bin" || get("CODEX_HOME") != e.Home || get("https_proxy") != e.Proxy.URL() || get("ALL_PROXY") != e.Proxy.URL() ||
		!strings.Contains(get("NO_PROXY"), "127.0.0.1") || get(codextest.KeyVar) == "" {
		t.Errorf("environ = %q", env)
	}
	if n := strings.Count(strings.Join(env, "\n"), "CODEX_HOME="); n != 1 {
		t.Errorf("CODEX_HOME set %d times", n)
	}
	flags := strings.Join(e.Config(), " ")
	for _, want := range []string{`model_provider="gitcodextest"`, `model_providers.gitcodextest.base_url="` + srv.URL() + `"`,
		`model_providers.gitcodextest.wire_api="responses"`, `model_providers.gitcodextest.env_key="` + codextest.KeyVar + `"`} {
		if !strings.Contains(flags, want) {
			t.Errorf("config %q lacks %q", flags, want)
		}
	}

	if err := os.MkdirAll(filepath.Join(e.Home, "sessions", "2026"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := e.Wipe(); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(e.Home)
	if len(ents) != 1 || ents[0].Name() != "config.toml" {
		t.Errorf("after Wipe CODEX_HOME holds %v, want config.toml only", ents)
	}
}

func TestLookup(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "codex")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	tests := []struct {
		name         string
		env          map[string]string
		want         string
		wantRequired bool
		wantErr      bool
	}{
		{"CODEX_BIN", map[string]string{codextest.EnvBin: bin}, bin, false, false},
		{"the CI cache under XDG_CACHE_HOME, absent", map[string]string{"XDG_CACHE_HOME": dir}, "", false, true},
		{"absent and required", map[string]string{"HOME": dir, codextest.EnvRequire: "1"}, "", true, true},
		{"CODEX_BIN wrong", map[string]string{codextest.EnvBin: filepath.Join(dir, "nope"), codextest.EnvRequire: "1"}, "", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, required, err := codextest.Lookup(env(tt.env))
			if got != tt.want || required != tt.wantRequired || (err != nil) != tt.wantErr {
				t.Errorf("Lookup = %q, %v, %v", got, required, err)
			}
		})
	}
	if got := codextest.DefaultBin(env(map[string]string{"HOME": "/h"})); got != "/h/.cache/git-codex-ci/npm/node_modules/.bin/codex" {
		t.Errorf("DefaultBin = %q", got)
	}
}

func TestToolCalls(t *testing.T) {
	var args struct {
		Cmd   string `json:"cmd"`
		Login *bool  `json:"login"`
	}
	sh := codextest.Shell(`echo "a b"`)
	if err := json.Unmarshal([]byte(sh.Arguments), &args); err != nil || sh.Name != "exec_command" || args.Cmd != `echo "a b"` || args.Login == nil || *args.Login {
		t.Errorf("Shell = %+v (%v)", sh, err)
	}
	ap := codextest.ApplyPatch("*** Begin Patch\n*** Add File: x\n+y\n*** End Patch\n")
	if err := json.Unmarshal([]byte(ap.Arguments), &args); err != nil || args.Cmd != "apply_patch <<'PATCH'\n*** Begin Patch\n*** Add File: x\n+y\n*** End Patch\nPATCH\n" {
		t.Errorf("ApplyPatch command = %q (%v)", args.Cmd, err)
	}
}

func TestMCPCall(t *testing.T) {
	c := codextest.MCPCall("docs", "search", `{"q":"x"}`)
	if c.Name != "search" || c.Namespace != "mcp__docs" || c.Arguments != `{"q":"x"}` {
		t.Errorf("MCPCall = %+v", c)
	}
}

func TestRequestHelpers(t *testing.T) {
	msg := func(role, text string) map[string]any {
		return map[string]any{"type": "message", "role": role, "content": []any{map[string]any{"type": "input_text", "text": text}}}
	}
	r := openaitest.Request{JSON: map[string]any{
		"prompt_cache_key": "t-1",
		"client_metadata":  map[string]any{"thread_id": "t-1"},
		"input": []any{msg("developer", "rules"), msg("user", "# AGENTS.md instructions for /x\n\n<INSTRUCTIONS>…"), msg("user", "<environment_context>\n<cwd>/x</cwd>"), msg("user", "first"),
			map[string]any{"type": "function_call", "call_id": "c"}, msg("assistant", "ok"), msg("user", "<turn_aborted>\n…"), msg("user", "second")},
	}}
	if got := codextest.ThreadID(r); got != "t-1" {
		t.Errorf("ThreadID = %q", got)
	}
	if got := codextest.UserMessages(r); !slices.Equal(got, []string{"first", "second"}) {
		t.Errorf("UserMessages = %q", got)
	}
}
